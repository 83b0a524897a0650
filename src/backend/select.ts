import type { BackendName, Kernels } from './kernels.js';
import { WasmKernels } from './wasm.js';
import { jsKernels } from './js.js';
import { withHalf } from './js-half.js';
import { FROM_BYTES, moduleAsync, moduleSync } from './load.js';
import { XentError, show } from '../core/errors.js';

declare global {
  // TypeScript declares WebAssembly in its DOM lib only; this empty declaration (merged with the DOM's where it is
  // loaded) lets projects without the DOM lib compile xent's declarations.
  namespace WebAssembly {
    interface Module {}
  }
}

export interface InitOptions {
  /** 'auto' (default): WebAssembly where the runtime allows it, else pure TypeScript. 'wasm' fails rather than fall back. */
  backend?: 'auto' | 'wasm' | 'js';
  /**
   * Which WebAssembly build: the SIMD one where the runtime validates SIMD (default), `false` for the scalar build
   * (same kernels, no SIMD: backend() is then 'wasm'), `true` to require SIMD (an error where it is missing).
   */
  simd?: boolean;
  /** A precompiled module of xent's kernels (for runtimes that forbid compiling from bytes). */
  module?: WebAssembly.Module;
  /** The kernels' .wasm bytes, when the caller loads them itself. */
  bytes?: ArrayBuffer | ArrayBufferView;
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

/** The TypeScript kernels, taking half-precision input as the wasm ones do. */
const js = withHalf(jsKernels);

let active: Kernels | null = null;
/** Why the best backend is not the one running (null when it is, or when the caller chose). */
let reason: string | null = null;
const compiled: { simd?: WebAssembly.Module; scalar?: WebAssembly.Module } = {};
const pending: { simd?: Promise<WebAssembly.Module>; scalar?: Promise<WebAssembly.Module> } = {};

export function hasWebAssembly(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';
}

export function hasWebAssemblySimd(): boolean {
  try {
    return hasWebAssembly() && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const key = (simd: boolean) => (simd ? 'simd' : 'scalar');

/** Compiles the packaged module once; concurrent callers share one compilation. */
function packagedAsync(simd: boolean): Promise<WebAssembly.Module> {
  const k = key(simd);
  const done = compiled[k];
  if (done) return Promise.resolve(done);
  pending[k] ??= moduleAsync(simd).then(
    (m) => (compiled[k] = m),
    (e) => {
      pending[k] = undefined;
      throw e;
    },
  );
  return pending[k]!;
}

function packagedSync(simd: boolean): WebAssembly.Module {
  return (compiled[key(simd)] ??= moduleSync(simd));
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Chooses the backend. May be called again: each call switches to the backend it names; the module is compiled
 * once and cached. Resolves to the name of the backend now in use.
 */
export async function init(options: InitOptions = {}): Promise<BackendName> {
  const choice = options.backend ?? 'auto';
  if (choice !== 'auto' && choice !== 'wasm' && choice !== 'js') {
    throw new XentError('INVALID_OPTION', `backend must be 'auto', 'wasm' or 'js', got ${show(choice)}`);
  }
  const simd = options.simd;
  if (simd !== undefined && typeof simd !== 'boolean') {
    throw new XentError('INVALID_OPTION', `simd must be true or false, got ${show(simd)}`);
  }
  const maxMemory = options.maxMemory ?? Infinity;
  if (typeof maxMemory !== 'number' || !(maxMemory > 0)) {
    throw new XentError('INVALID_OPTION', `maxMemory must be a positive number of bytes, got ${show(maxMemory)}`);
  }
  if (choice === 'js') {
    active = js;
    reason = null;
    return active.name;
  }
  let failure: string | null = null;
  try {
    if (!hasWebAssembly()) throw new Error('this runtime has no WebAssembly');
    const runtimeSimd = hasWebAssemblySimd();
    if (simd === true && !runtimeSimd) throw new Error('this runtime has no WebAssembly SIMD');
    let module: WebAssembly.Module;
    if (options.module) module = options.module;
    else if (options.bytes) module = await WebAssembly.compile(options.bytes as BufferSource);
    else module = await packagedAsync(simd ?? runtimeSimd);
    const kernels = new WasmKernels(module, maxMemory);
    if (simd !== undefined && (kernels.name === 'wasm-simd') !== simd) {
      throw new Error(`the module given is the ${kernels.name === 'wasm-simd' ? 'SIMD' : 'scalar'} build`);
    }
    active = kernels;
    reason = kernels.name === 'wasm' && simd === undefined ? 'this runtime has no WebAssembly SIMD: the scalar build runs' : null;
  } catch (e) {
    failure = message(e);
  }
  if (failure !== null) {
    if (choice === 'wasm' || simd !== undefined) {
      throw new XentError('INTERNAL', `the WebAssembly backend could not start: ${failure}`);
    }
    active = js;
    reason = `WebAssembly unavailable (${failure}): the TypeScript kernels run`;
  }
  return active!.name;
}

/**
 * The kernels in use. Without init(), the first call compiles the packaged module synchronously where the runtime
 * allows it (Node, Deno, Bun, workers) and falls back to pure TypeScript otherwise (fallbackReason() says why).
 */
export function kernels(): Kernels {
  if (active) return active;
  try {
    if (!hasWebAssembly()) throw new Error('this runtime has no WebAssembly');
    const simd = hasWebAssemblySimd();
    active = new WasmKernels(packagedSync(simd));
    reason = simd ? null : 'this runtime has no WebAssembly SIMD: the scalar build runs';
  } catch (e) {
    // Synchronous compilation refused (a browser main thread over its size limit, a CSP without
    // 'wasm-unsafe-eval'), or no WebAssembly at all: the TypeScript kernels answer.
    active = js;
    reason =
      `WebAssembly unavailable (${message(e)}): the TypeScript kernels run` +
      (FROM_BYTES && hasWebAssembly() ? '; `await init()` may still start it asynchronously' : '');
  }
  return active;
}

/**
 * The compiled module behind the kernels in use, or null on the TypeScript backend: handed to worker threads, which
 * then instantiate it instead of compiling their own.
 */
export function kernelModule(): WebAssembly.Module | null {
  const k = kernels();
  return k instanceof WasmKernels ? k.module : null;
}

/** Which backend runs the next call: 'wasm-simd', 'wasm' (the scalar build) or 'js'. */
export function backend(): BackendName {
  return kernels().name;
}

/**
 * Why xent is not running its fastest backend (WebAssembly SIMD), or null: a notice for those who care, never an
 * exception and never logged. Null too when the backend was chosen explicitly (`backend: 'js'`, `simd: false`).
 */
export function fallbackReason(): string | null {
  kernels();
  return reason;
}
