// Where the kernels' WebAssembly comes from, in the default entries (Node, Deno, Bun, browsers): the .wasm bytes
// embedded as base64, so the package needs no file access, fetch or bundler configuration. The workerd /
// edge-light entries replace this file with load-modules.ts (scripts/build.mjs), which imports .wasm modules.
import { WASM_SCALAR_BASE64, WASM_SIMD_BASE64 } from './wasm-bytes.js';

/** True when this loader compiles from bytes (then a refused compile is worth retrying asynchronously). */
export const FROM_BYTES = true;

/**
 * Base64 to bytes in plain JavaScript. Not atob: on x86-64 Node, atob of a large string can leave the CPU's upper
 * vector registers dirty (its SIMD decoder ends without vzeroupper), after which every Math.exp and Math.log of the
 * whole process runs about 2.4 times slower until something clears them. This loop takes well under a millisecond.
 */
export function decode(base64: string): Uint8Array<ArrayBuffer> {
  const code = new Uint8Array(128);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) code[alphabet.charCodeAt(i)] = i;
  let n = base64.length;
  while (n > 0 && base64.charCodeAt(n - 1) === 61) n--; // '=' padding
  const out = new Uint8Array((n * 3) >> 2);
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < n; i++) {
    acc = ((acc << 6) | code[base64.charCodeAt(i)]) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
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
