// Where the kernels' WebAssembly comes from, in the default entries (Node, Deno, Bun, browsers): embedded in the
// JavaScript (src/backend/wasm-bytes.ts, deflated; the relaxed-SIMD build as a delta against the SIMD build), so
// the package needs no file access, fetch or bundler configuration. These are the core builds (assembly/core.ts);
// load-full.ts rebuilds the full ones from them for the functions that need those (src/backend/full.ts). The scalar
// build, which only runtimes without SIMD need, is a separate module (wasm-scalar.js) imported on demand:
// asynchronously, so it runs after `await init()`. The workerd / edge-light entries replace this file with
// load-modules.ts, the CLI with load-files.ts (scripts/build.mjs).
import type { Build } from './kernels.js';
import { RELAXED_DELTA_DEFLATED, RELAXED_DELTA_SIZE, SIMD_DEFLATED, SIMD_SIZE } from './wasm-bytes.js';
import { inflate, patch } from './unpack.js';

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

/** The .wasm bytes of an embedded build. */
export function embedded(build: 'relaxed-simd' | 'simd'): Uint8Array<ArrayBuffer> {
  const simd = inflate(decode(SIMD_DEFLATED), SIMD_SIZE);
  return build === 'simd' ? simd : patch(simd, inflate(decode(RELAXED_DELTA_DEFLATED), RELAXED_DELTA_SIZE));
}

/** The .wasm bytes of the scalar build, from its own module. */
export async function scalarBytes(): Promise<Uint8Array<ArrayBuffer>> {
  const { SCALAR_DEFLATED, SCALAR_SIZE } = await import('./wasm-scalar.js');
  return inflate(decode(SCALAR_DEFLATED), SCALAR_SIZE);
}

/** An embedded build, compiled synchronously (throws where the runtime refuses, and for the scalar build). */
export function moduleSync(build: Build): WebAssembly.Module {
  if (build === 'scalar') throw new Error('the scalar build is not embedded: `await init()` loads it');
  return new WebAssembly.Module(embedded(build));
}

export async function moduleAsync(build: Build): Promise<WebAssembly.Module> {
  return WebAssembly.compile(build === 'scalar' ? await scalarBytes() : embedded(build));
}
