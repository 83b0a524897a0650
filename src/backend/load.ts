// Where the kernels' WebAssembly comes from, in the default entries (Node, Deno, Bun, browsers): the .wasm bytes
// embedded as base64, so the package needs no file access, fetch or bundler configuration. The workerd /
// edge-light entries replace this file with load-modules.ts (scripts/build.mjs), which imports .wasm modules.
import { WASM_SCALAR_BASE64, WASM_SIMD_BASE64 } from './wasm-bytes.js';

/** True when this loader compiles from bytes (then a refused compile is worth retrying asynchronously). */
export const FROM_BYTES = true;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const bytes = (simd: boolean) => decode(simd ? WASM_SIMD_BASE64 : WASM_SCALAR_BASE64);

/** The SIMD or the scalar build, compiled synchronously (throws where the runtime refuses). */
export function moduleSync(simd: boolean): WebAssembly.Module {
  return new WebAssembly.Module(bytes(simd));
}

export function moduleAsync(simd: boolean): Promise<WebAssembly.Module> {
  return WebAssembly.compile(bytes(simd));
}
