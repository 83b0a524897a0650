// load-full.ts for the entries whose builds are all full (the .wasm modules or files): no core build runs there,
// so nothing asks for the full one.
export function fullModule(): WebAssembly.Module {
  throw new Error('no core build runs in this entry');
}
