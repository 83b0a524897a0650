import type { BackendName, Build, Kernels } from './kernels.js';
import { WasmKernels } from './wasm.js';
import { jsKernels } from './js.js';
import { withHalf } from './js-half.js';
import { FROM_BYTES, moduleAsync, moduleSync } from './load.js';
import { XentError, show } from '../core/errors.js';
import { checkKeys } from '../core/options.js';

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
   * Which WebAssembly build: by default the fastest the runtime runs (see relaxedSimd); `false` for the scalar build
   * (same kernels, no SIMD: backend() is then 'wasm'), `true` for the SIMD build (an error where SIMD is missing).
   */
  simd?: boolean;
  /**
   * The relaxed-SIMD build: the SIMD build with fused multiply-adds in its exp and log (faster, and at least as
   * accurate). Default: where the runtime supports relaxed SIMD and fuses its multiply-adds (V8: Node 22+, Deno,
   * Chromium); elsewhere the SIMD build, which is faster where they are not fused (JavaScriptCore: Bun, Safari).
   * `true` requires it (an error where relaxed SIMD is missing), `false` keeps the SIMD build.
   */
  relaxedSimd?: boolean;
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

/** A module of one function (func (result v128) `code`), for WebAssembly.validate. */
const probe = (code: number[]) =>
  new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, code.length + 4, 1, code.length + 2, 0, ...code, 11]);
const ZERO = [253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // v128.const 0
/** The smallest uses of a SIMD instruction, v128.const, and of a relaxed one, f32x4.relaxed_madd (0xfd 0x105). */
const SIMD_PROBE = probe(ZERO);
const RELAXED_PROBE = probe([...ZERO, ...ZERO, ...ZERO, 253, 133, 2]);

const NAMES: Record<Build, string> = { 'relaxed-simd': 'relaxed-SIMD build', simd: 'SIMD build', scalar: 'scalar build' };

/** The TypeScript kernels, taking half-precision input as the wasm ones do. */
const js = withHalf(jsKernels);

let active: Kernels | null = null;
/** Why the best backend is not the one running (null when it is, or when the caller chose). */
let reason: string | null = null;
const compiled: Partial<Record<Build, WebAssembly.Module>> = {};
const pending: Partial<Record<Build, Promise<WebAssembly.Module>>> = {};

export function hasWebAssembly(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';
}

const validates = (probe: Uint8Array<ArrayBuffer>) => {
  try {
    return hasWebAssembly() && WebAssembly.validate(probe);
  } catch {
    return false;
  }
};

export function hasWebAssemblySimd(): boolean {
  return validates(SIMD_PROBE);
}

/** Why `build` cannot run in this runtime, as far as validation tells; null when it may. */
function missing(build: Build): string | null {
  const no = 'this runtime has no WebAssembly';
  if (!hasWebAssembly()) return no;
  if (build !== 'scalar' && !hasWebAssemblySimd()) return `${no} SIMD`;
  if (build === 'relaxed-simd' && !validates(RELAXED_PROBE)) return `${no} relaxed SIMD`;
  return null;
}

/** Compiles the packaged module once; concurrent callers share one compilation. */
function packagedAsync(build: Build): Promise<WebAssembly.Module> {
  const done = compiled[build];
  if (done) return Promise.resolve(done);
  pending[build] ??= moduleAsync(build).then(
    (m) => (compiled[build] = m),
    (e) => {
      pending[build] = undefined;
      throw e;
    },
  );
  return pending[build]!;
}

function packagedSync(build: Build): WebAssembly.Module {
  return (compiled[build] ??= moduleSync(build));
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The builds to try, best first, for init()'s `simd` and `relaxedSimd` options (undefined: not asked). */
function candidates(simd: boolean | undefined, relaxed: boolean | undefined): Build[] {
  if (simd === false) return ['scalar'];
  if (relaxed === true) return ['relaxed-simd'];
  if (simd === true) return ['simd'];
  return relaxed === false ? ['simd', 'scalar'] : ['relaxed-simd', 'simd', 'scalar'];
}

/**
 * Kernels of `build` from its module, or why that build is passed over. Chosen automatically (`pick`), the
 * relaxed-SIMD build must also fuse its multiply-adds here: unfused, it is slower than the SIMD build.
 */
function attempt(build: Build, module: () => WebAssembly.Module, maxMemory: number, pick: boolean): WasmKernels | string {
  const why = missing(build);
  if (why !== null) return why;
  try {
    const k = new WasmKernels(module(), maxMemory);
    if (pick && build === 'relaxed-simd' && !k.fusesMultiplyAdd()) {
      return 'relaxed SIMD does not fuse multiply-adds here, so it would be slower';
    }
    return k;
  } catch (e) {
    return message(e);
  }
}

type Started = { kernels: WasmKernels; reason: string | null };

/** The reasons the builds tried were passed over, each once. */
const reasons = (passed: string[]) => [...new Set(passed)].join('; ');

/** `build` started after the builds before it were passed over for `passed`. */
const started = (kernels: WasmKernels, build: Build, passed: string[]): Started =>
  ({ kernels, reason: passed.length ? `${reasons(passed)}: the ${NAMES[build]} runs` : null });

/** The first of `builds` that starts here, compiled synchronously; throws the reasons if none does. */
function startSync(builds: Build[], maxMemory: number, pick: boolean): Started {
  const passed: string[] = [];
  for (const b of builds) {
    const k = attempt(b, () => packagedSync(b), maxMemory, pick);
    if (typeof k !== 'string') return started(k, b, passed);
    passed.push(k);
  }
  throw new Error(reasons(passed));
}

/** As startSync, each build compiled asynchronously first (where validation allows it at all). */
async function startAsync(builds: Build[], maxMemory: number, pick: boolean): Promise<Started> {
  const passed: string[] = [];
  for (const b of builds) {
    const module = missing(b) ? null : await packagedAsync(b).catch((e: unknown) => new Error(message(e)));
    const k = attempt(b, () => {
      if (module instanceof Error) throw module;
      return module!;
    }, maxMemory, pick);
    if (typeof k !== 'string') return started(k, b, passed);
    passed.push(k);
  }
  throw new Error(reasons(passed));
}

const flag = (name: string, v: unknown) => {
  if (v !== undefined && typeof v !== 'boolean') throw new XentError('INVALID_OPTION', `${name} must be true or false, got ${show(v)}`);
  return v as boolean | undefined;
};

/**
 * Chooses the backend. May be called again: each call switches to the backend it names; the module is compiled
 * once and cached. Resolves to the name of the backend now in use.
 */
export async function init(options?: InitOptions): Promise<BackendName> {
  const o = checkKeys(options, ['backend', 'simd', 'relaxedSimd', 'module', 'bytes', 'maxMemory'], 'init') as InitOptions;
  const choice = o.backend ?? 'auto';
  if (choice !== 'auto' && choice !== 'wasm' && choice !== 'js') {
    throw new XentError('INVALID_OPTION', `backend must be 'auto', 'wasm' or 'js', got ${show(choice)}`);
  }
  const simd = flag('simd', o.simd);
  const relaxed = flag('relaxedSimd', o.relaxedSimd);
  if (simd === false && relaxed === true) {
    throw new XentError('INVALID_OPTION', 'relaxedSimd: true contradicts simd: false (the scalar build): pass one of them');
  }
  const maxMemory = o.maxMemory ?? Infinity;
  if (typeof maxMemory !== 'number' || !(maxMemory > 0)) {
    throw new XentError('INVALID_OPTION', `maxMemory must be a positive number of bytes, got ${show(maxMemory)}`);
  }
  if (o.module !== undefined && !(hasWebAssembly() && o.module instanceof WebAssembly.Module)) {
    throw new XentError('INVALID_OPTION', `module must be a WebAssembly.Module, got ${show(o.module)}`);
  }
  if (o.bytes !== undefined && !(o.bytes instanceof ArrayBuffer || ArrayBuffer.isView(o.bytes))) {
    throw new XentError('INVALID_OPTION', `bytes must be an ArrayBuffer or a typed array, got ${show(o.bytes)}`);
  }
  if (choice === 'js') {
    active = js;
    reason = null;
    return active.name;
  }
  // Chosen by the caller (a build, or its module): no reason to report when it is not the fastest.
  const chosen = simd !== undefined || relaxed !== undefined || !!o.module || !!o.bytes;
  let failure: string | null = null;
  try {
    if (!hasWebAssembly()) throw new Error('this runtime has no WebAssembly');
    let s: Started;
    if (o.module || o.bytes) {
      const k = new WasmKernels(o.module ?? (await WebAssembly.compile(o.bytes as BufferSource)), maxMemory);
      const want = relaxed ? 'wasm-relaxed-simd' : simd === true ? 'wasm-simd' : simd === false ? 'wasm' : null;
      if ((want && k.name !== want) || (relaxed === false && k.name === 'wasm-relaxed-simd')) {
        throw new Error(`the module given runs as ${k.name}`);
      }
      s = { kernels: k, reason: null };
    } else {
      s = await startAsync(candidates(simd, relaxed), maxMemory, relaxed === undefined);
    }
    active = s.kernels;
    reason = chosen ? null : s.reason;
  } catch (e) {
    failure = message(e);
  }
  if (failure !== null) {
    if (choice === 'wasm' || simd !== undefined || relaxed !== undefined) {
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
    const s = startSync(candidates(undefined, undefined), Infinity, true);
    active = s.kernels;
    reason = s.reason;
  } catch (e) {
    // Synchronous compilation refused (a browser main thread over its size limit, a CSP without
    // 'wasm-unsafe-eval'), a build not embedded, or no WebAssembly at all: the TypeScript kernels answer.
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

/** Which backend runs the next call: 'wasm-relaxed-simd', 'wasm-simd', 'wasm' (the scalar build) or 'js'. */
export function backend(): BackendName {
  return kernels().name;
}

/**
 * Why xent is not running its fastest backend for this runtime (the relaxed-SIMD build where multiply-adds fuse,
 * else the SIMD build), or null: a notice for those who care, never an exception and never logged. Null too when
 * the backend was chosen explicitly (`backend: 'js'`, `simd: false`, `relaxedSimd`, a module of one's own).
 */
export function fallbackReason(): string | null {
  kernels();
  return reason;
}

/**
 * The kernels in use, with those the core build leaves out. Where the running instance is of the embedded core
 * build, it is replaced, once, by an instance of the full build of the same kind (same answers: the same kernels
 * compiled alike), from `full` (src/backend/full.ts passes it, so that only bundles calling such a function carry its
 * bytes). No zero-copy array is lost: allocate() asks for these kernels too, so a core instance never holds one.
 */
export function complete(full: (build: Build) => WebAssembly.Module): Kernels {
  const k = kernels();
  if (!(k instanceof WasmKernels) || !k.core) return k;
  try {
    active = new WasmKernels(full(k.build), k.maxBytes);
  } catch (e) {
    active = js;
    reason = `WebAssembly unavailable (the full ${NAMES[k.build]}: ${message(e)}): the TypeScript kernels run`;
  }
  return active;
}
