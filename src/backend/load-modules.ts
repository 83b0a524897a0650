// The loader of the workerd / worker / edge-light entries: the .wasm files are imported as modules, compiled by
// the platform when the worker is deployed, because those runtimes refuse to compile WebAssembly from bytes.
// scripts/build.mjs substitutes this file for load.ts and rewrites the imports to the package's dist/wasm/ files.
import type { Build } from './kernels.js';
import relaxedModule from '../../build/xent-relaxed.wasm';
import simdModule from '../../build/xent.wasm';
import scalarModule from '../../build/xent-scalar.wasm';

export const FROM_BYTES = false;

const MODULES: Record<Build, WebAssembly.Module> = { 'relaxed-simd': relaxedModule, simd: simdModule, scalar: scalarModule };

export function moduleSync(build: Build): WebAssembly.Module {
  return MODULES[build];
}

export function moduleAsync(build: Build): Promise<WebAssembly.Module> {
  return Promise.resolve(MODULES[build]);
}
