// The loader of the CLI and its worker threads (Node only): the package's own dist/wasm/ files, read from disk next
// to the script, so the CLI's JavaScript carries no copy of the kernels. scripts/build.mjs substitutes this file
// for load.ts in dist/cli.js and dist/cli-worker.js.
import { readFileSync } from 'node:fs';
import type { Build } from './kernels.js';

export const FROM_BYTES = true;

const FILES: Record<Build, string> = { 'relaxed-simd': 'xent-relaxed.wasm', simd: 'xent.wasm', scalar: 'xent-scalar.wasm' };
const bytes = (build: Build) => readFileSync(new URL(`./wasm/${FILES[build]}`, import.meta.url));

export function moduleSync(build: Build): WebAssembly.Module {
  return new WebAssembly.Module(bytes(build));
}

export function moduleAsync(build: Build): Promise<WebAssembly.Module> {
  return WebAssembly.compile(bytes(build));
}
