// The loader of the workerd / worker / edge-light entries: the .wasm files are imported as modules, compiled by
// the platform when the worker is deployed, because those runtimes refuse to compile WebAssembly from bytes.
// scripts/build.mjs substitutes this file for load.ts and rewrites the imports to the package's dist/wasm/ files.
import simdModule from '../../build/xent.wasm';
import scalarModule from '../../build/xent-scalar.wasm';

export const FROM_BYTES = false;

export function moduleSync(simd: boolean): WebAssembly.Module {
  return simd ? simdModule : scalarModule;
}

export function moduleAsync(simd: boolean): Promise<WebAssembly.Module> {
  return Promise.resolve(moduleSync(simd));
}
