// The shared-memory build (xent-shared.wasm, xent-shared-relaxed.wasm: assembly/shared.ts) as a Pool runs it: one
// WebAssembly.Memory({ shared: true }) per pool, instantiated by every thread of the pool (the workers and the
// calling thread), so that logits placed there (Pool.allocate) are read in place by all of them, with no copy.
// The kernels take addresses only and keep nothing in memory between calls: every call's labels and losses get
// their own region (allocated here), and each instance's module globals are its own.
import { XentError } from '../core/errors.js';

/**
 * What a thread calls: softmaxCrossEntropyLabels_<f32|f64|f16|bf16>(x, rows, cols, s, labels, w, nll, smooth), the
 * half variants with one more argument, scratch room for two float32 rows.
 */
type Kernel = (x: number, rows: number, cols: number, s: number, labels: number, w: number, nll: number, smooth: number, scratch?: number) => void;
export interface SharedExports {
  heapBase(): number;
  softmaxCrossEntropyLabels_f32: Kernel;
  softmaxCrossEntropyLabels_f64: Kernel;
  softmaxCrossEntropyLabels_f16: Kernel;
  softmaxCrossEntropyLabels_bf16: Kernel;
}

/** The element types an in-place call reads: float32, float64, and half bits (float16, bfloat16). */
export type Element = 'float32' | 'float64' | 'float16' | 'bfloat16';
export const BYTES: Record<Element, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2 };
const KERNELS = { float32: 'f32', float64: 'f64', float16: 'f16', bfloat16: 'bf16' } as const;
/** Scratch bytes a thread's half variant needs for rows of `cols` classes: two float32 rows, each rounded to 16. */
export const scratchBytes = (cols: number): number => 2 * Math.ceil((4 * cols) / 16) * 16;

/** The module and memory every thread of a pool instantiates (sent to the workers in their Start message). */
export interface SharedKernels {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

export function instantiate(k: SharedKernels): SharedExports {
  const env = { memory: k.memory, abort: () => { throw new WebAssembly.RuntimeError('abort'); } };
  return new WebAssembly.Instance(k.module, { env }).exports as unknown as SharedExports;
}

/** Where the logits, labels and losses of an in-place call lie in the shared memory (byte addresses). */
export interface InPlace {
  type: Element;
  x: number;
  labels: number;
  out: number;
  /** Half input: this thread's scratch rows (see scratchBytes). */
  scratch: number;
  /** 1 / temperature, as the one-thread call computes it (scaleOf). */
  s: number;
}

/** Per-row losses (nats) of rows [r0, r1) of an in-place call, written at `out` by the kernel. */
export function runInPlace(ex: SharedExports, p: InPlace, cols: number, r0: number, r1: number): void {
  const kernel = ex[`softmaxCrossEntropyLabels_${KERNELS[p.type]}`];
  // Addresses at or above 2 GiB reach the i32 parameters wrapped, which wasm32 reads back as the same unsigned address.
  kernel(p.x + r0 * cols * BYTES[p.type], r1 - r0, cols, p.s, p.labels + r0 * 4, 0, p.out + r0 * 8, 0, p.scratch);
}

const PAGE = 65536;
/** Allocations start on cache lines. */
const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
/** wasm32's limit, the default maximum: untouched pages cost address space, not memory. */
export const MAX_PAGES = 65536;

/** The build of the shared kernels for a backend (null: the pool copies, as without them). */
export const sharedFile = (backend: string): string | null =>
  backend === 'wasm-simd' ? 'xent-shared.wasm' : backend === 'wasm-relaxed-simd' ? 'xent-shared-relaxed.wasm' : null;

/** The .wasm file's bytes: read from disk in Node, fetched elsewhere. */
async function load(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url} answered ${r.status}`);
  return WebAssembly.compile(await r.arrayBuffer());
}

/**
 * The pool's shared memory, its allocations (first fit, sorted by address, above the module's heap base) and this
 * thread's instance. Memory grows as allocations need it, never moves and never detaches a view (a view keeps the
 * length it was made with, which is all its array needs).
 */
export class SharedMemory {
  /** Every buffer object views were made on (growing shared memory gives new ones): an array on one is in place. */
  private buffers = new WeakSet<ArrayBufferLike>();
  private blocks: { at: number; bytes: number }[] = [];
  readonly ex: SharedExports;
  private readonly base: number;

  private constructor(readonly kernels: SharedKernels) {
    this.ex = instantiate(kernels);
    this.base = align(this.ex.heapBase());
  }

  /**
   * The kernels of `file` on a new shared memory of at most `maxBytes`; null when this runtime has no shared wasm
   * memory or threads (the pool then copies logits, as it does without them).
   */
  static async open(url: URL, maxBytes: number): Promise<SharedMemory | null> {
    if (typeof SharedArrayBuffer === 'undefined') return null;
    let module: WebAssembly.Module;
    try {
      module = await load(url);
    } catch {
      return null;
    }
    // A runtime short of address space (32-bit, some phones) may refuse 4 GiB: then 1 GiB, then 256 MiB.
    const cap = Math.min(MAX_PAGES, Math.floor(maxBytes / PAGE));
    for (const maximum of [cap, Math.min(cap, 16384), Math.min(cap, 4096)]) {
      try {
        return new SharedMemory({ module, memory: new WebAssembly.Memory({ initial: 1, maximum, shared: true }) });
      } catch {
        // the next, smaller maximum
      }
    }
    return null;
  }

  /** Byte address of a typed array in this memory, or -1 when it is elsewhere. */
  addressOf(a: ArrayBufferView): number {
    return this.buffers.has(a.buffer) ? a.byteOffset : -1;
  }

  /** `bytes` of shared memory, grown when needed (OUT_OF_MEMORY past the maximum), until release(). */
  allocate(bytes: number): number {
    let at = this.base;
    let i = 0;
    for (; i < this.blocks.length; i++) {
      if (this.blocks[i].at - at >= bytes) break;
      at = align(this.blocks[i].at + this.blocks[i].bytes);
    }
    const mem = this.kernels.memory;
    const have = mem.buffer.byteLength;
    if (at + bytes > have) {
      try {
        mem.grow(Math.ceil((at + bytes - have) / PAGE));
      } catch {
        throw new XentError('OUT_OF_MEMORY', `could not grow the pool's shared memory to ${at + bytes} bytes (maxMemory)`);
      }
    }
    this.blocks.splice(i, 0, { at, bytes });
    return at;
  }

  release(at: number): void {
    const i = this.blocks.findIndex((b) => b.at === at);
    if (i >= 0) this.blocks.splice(i, 1);
  }

  /** A view of `length` elements at `at`, on the memory's current buffer (remembered: arrays on it are in place). */
  view<T extends Int32Array | Float32Array | Float64Array | Uint16Array>(
    Ctor: new (b: ArrayBufferLike, o: number, n: number) => T, at: number, length: number,
  ): T {
    const buffer = this.kernels.memory.buffer;
    this.buffers.add(buffer);
    return new Ctor(buffer, at, length);
  }
}
