// A .wasm import, in the runtimes and bundlers that load-modules.ts targets, is a compiled WebAssembly.Module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
