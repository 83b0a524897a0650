import type { BackendName, Kernels } from './kernels.js';
import { WasmKernels } from './wasm.js';
import { jsKernels } from './js.js';
import { WASM_BASE64 } from './wasm-bytes.js';
import { XentError, show } from '../core/errors.js';

export interface InitOptions {
  /** 'auto' (default): WebAssembly with SIMD where the runtime has it, else pure TypeScript. */
  backend?: 'auto' | 'wasm' | 'js';
  /** A precompiled module of xent's kernels (for runtimes that forbid compiling from bytes). */
  module?: WebAssembly.Module;
  /** The kernels' .wasm bytes, when the caller loads them itself. */
  bytes?: BufferSource;
  /**
   * Cap on the WebAssembly memory xent may use, in bytes (default: no cap beyond the runtime's). Batches larger
   * than the arena are streamed through it in chunks, so a few MiB suffice for any batch size; zero-copy arrays
   * from allocate() count against it.
   */
  maxMemory?: number;
}

/** The smallest module that uses a SIMD instruction: (func (result v128) v128.const i32x4 0 0 0 0). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

let active: Kernels | null = null;
let compiled: WebAssembly.Module | null = null;
let pending: Promise<WebAssembly.Module> | null = null;

export function hasWebAssemblySimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

function embeddedBytes(): Uint8Array<ArrayBuffer> {
  const bin = atob(WASM_BASE64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Compiles the embedded module once; concurrent callers share one compilation. */
function compileAsync(): Promise<WebAssembly.Module> {
  if (compiled) return Promise.resolve(compiled);
  pending ??= WebAssembly.compile(embeddedBytes()).then((m) => (compiled = m));
  return pending;
}

/**
 * Chooses the backend. May be called again: each call switches to the backend it names; the module is compiled
 * once and cached. Resolves to the name of the backend now in use.
 */
export async function init(options: InitOptions = {}): Promise<BackendName> {
  const choice = options.backend ?? 'auto';
  if (choice !== 'auto' && choice !== 'wasm' && choice !== 'js') {
    throw new XentError('INVALID_OPTION', `backend must be 'auto', 'wasm' or 'js', got ${show(choice)}`);
  }
  const maxMemory = options.maxMemory ?? Infinity;
  if (typeof maxMemory !== 'number' || !(maxMemory > 0)) {
    throw new XentError('INVALID_OPTION', `maxMemory must be a positive number of bytes, got ${show(maxMemory)}`);
  }
  if (choice === 'js') {
    active = jsKernels;
    return active.name;
  }
  let module: WebAssembly.Module | null = null;
  try {
    if (options.module) module = options.module;
    else if (options.bytes) module = await WebAssembly.compile(options.bytes);
    else if (hasWebAssemblySimd()) module = await compileAsync();
    if (module) active = new WasmKernels(module, maxMemory);
  } catch (e) {
    if (choice === 'wasm') {
      throw new XentError('INTERNAL', `the WebAssembly backend could not start: ${(e as Error).message}`);
    }
  }
  if (!module) {
    if (choice === 'wasm') throw new XentError('INTERNAL', 'this runtime has no WebAssembly SIMD');
    active = jsKernels;
  }
  return active!.name;
}

/**
 * The kernels in use. Without init(), the first call compiles the embedded module synchronously where the runtime
 * allows it (Node, Deno, Bun, workers) and falls back to pure TypeScript otherwise.
 */
export function kernels(): Kernels {
  if (active) return active;
  try {
    if (hasWebAssemblySimd()) {
      compiled ??= new WebAssembly.Module(embeddedBytes());
      active = new WasmKernels(compiled);
    }
  } catch {
    // Synchronous compilation refused (a browser main thread, a strict CSP): the TypeScript kernels answer.
  }
  active ??= jsKernels;
  return active;
}

/** Which backend runs the next call: 'wasm-simd', 'wasm' or 'js'. */
export function backend(): BackendName {
  return kernels().name;
}
