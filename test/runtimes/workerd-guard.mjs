// Evaluated before xent in the workerd test worker: any compile of WebAssembly from bytes (which workerd and
// Vercel edge refuse in production) is recorded and fails loudly, so the entry must use its imported modules.
export const attempts = [];
const isBytes = (x) => x instanceof ArrayBuffer || ArrayBuffer.isView(x);
const refuse = (api) => {
  attempts.push(api);
  throw new Error(`test guard: WebAssembly.${api} from bytes`);
};
WebAssembly.Module = new Proxy(WebAssembly.Module, {
  construct: (target, args, nt) => (isBytes(args[0]) ? refuse('Module') : Reflect.construct(target, args, nt)),
});
for (const api of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) {
  const real = WebAssembly[api];
  if (typeof real !== 'function') continue;
  WebAssembly[api] = function (source, ...rest) {
    if (isBytes(source) || api.endsWith('Streaming')) return Promise.reject(refuse(api));
    return real.call(WebAssembly, source, ...rest);
  };
}
