// The full builds in the default entries: the SIMD build as a delta against the embedded SIMD core build, the
// relaxed-SIMD build as a delta against the SIMD one (scripts/embed-wasm.mjs), compiled synchronously, once each.
// The workerd / edge-light entries and the CLI, whose builds are full already, replace this file with
// load-full-none.ts (scripts/build.mjs).
import type { Build } from './kernels.js';
import { decode, embedded } from './load.js';
import { inflate, patch } from './unpack.js';
import { FULL_DELTA_DEFLATED, FULL_DELTA_SIZE, FULL_RELAXED_DELTA_DEFLATED, FULL_RELAXED_DELTA_SIZE } from './wasm-full.js';

const compiled: Partial<Record<Build, WebAssembly.Module>> = {};

/** The .wasm bytes of a full build. */
export function fullBytes(build: 'relaxed-simd' | 'simd'): Uint8Array<ArrayBuffer> {
  const simd = patch(embedded('simd'), inflate(decode(FULL_DELTA_DEFLATED), FULL_DELTA_SIZE));
  return build === 'simd' ? simd : patch(simd, inflate(decode(FULL_RELAXED_DELTA_DEFLATED), FULL_RELAXED_DELTA_SIZE));
}

export function fullModule(build: Build): WebAssembly.Module {
  if (build === 'scalar') throw new Error('the scalar build is full already');
  return (compiled[build] ??= new WebAssembly.Module(fullBytes(build)));
}
