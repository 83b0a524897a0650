/**
 * One large batch on several cores: a Pool of workers, each running the kernels the main thread runs, takes a call's
 * rows in blocks (the calling thread too, with `caller`). Per-row losses come back and the main thread reduces them
 * in row order with the same float64 sum as the one-thread call, so results are bit-identical to it whatever the
 * number of threads. Logits in the pool's shared wasm memory (allocate(): see memory.ts) are read where they lie by
 * every thread's instance of the shared-memory build, each thread taking the next block as it is free; logits in a
 * SharedArrayBuffer (sharedArray()) are shared the same way, each block copied into the thread's own wasm memory by
 * the one-thread call; other logits are copied block by block into buffers transferred to the workers as they ask.
 * This module and the workers' script import the main entry (`xent`, dist/index.js): one copy of the library and of
 * its kernels (the shared-memory build is a .wasm file of its own, loaded by the pool), one XentError class.
 */
import { type BackendName, type InitOptions, type WasmArray, XentError, backend, init, softmaxCrossEntropy } from '../index.js';
import { show } from '../core/errors.js';
import { checkKeys, scaleOf, unitOf } from '../core/options.js';
import { Sum } from '../core/reduce.js';
import { runTask } from './blocks.js';
import { BYTES, type Element, type InPlace, SharedMemory, scratchBytes, sharedFile } from './memory.js';
import type { BlockReply, BlockTask, Start } from './protocol.js';

export interface PoolOptions {
  /** Number of workers (default: the cores the runtime reports, at least 1). */
  workers?: number;
  /**
   * The calling thread takes part in each call too, as one more thread beside the workers (default false): it is
   * then busy for the call's duration, as with the one-thread function.
   */
  caller?: boolean;
  /** The workers' script (default: dist/parallel-worker.js beside this module); for bundlers that move files. */
  workerUrl?: string | URL;
  /**
   * init()'s options, applied on this thread and in the workers (default: the workers run the backend in use here,
   * as backend() names it).
   */
  init?: InitOptions;
  /**
   * Cap on the pool's shared WebAssembly memory (allocate()'s arrays), in bytes (default and at most 4 GiB, wasm32's
   * limit): address space it reserves, not memory it takes.
   */
  maxMemory?: number;
  /** The folder of the shared-memory builds, xent-shared*.wasm (default: dist/wasm/ beside this module). */
  wasmUrl?: string | URL;
}

export interface ParallelSoftmaxCrossEntropyOptions {
  /** Classes per row of the flat logits (required). */
  classes: number;
  /** 'mean' (default): over the rows not ignored; 'sum'; 'none': a Float64Array of per-row losses. */
  reduction?: 'mean' | 'sum' | 'none';
  /** Logarithm base of the result (default e: nats). */
  base?: number;
  /** Logits are divided by it first (default 1). */
  temperature?: number;
  /** Rows whose label is this are skipped (default: none is). */
  ignoreIndex?: number;
  /** How to read Uint16Array logits: 'float16' or 'bfloat16' bits (in place only: arrays from allocate()). */
  dtype?: 'float16' | 'bfloat16';
}

const KEYS = ['classes', 'reduction', 'base', 'temperature', 'ignoreIndex', 'dtype'];
/**
 * Logits in one block of a call's rows (at least a row): few enough that threads finish together and that workers
 * start soon, enough that the block's call and message cost little beside its kernel.
 */
const BLOCK_ELEMENTS = 1 << 22;
/**
 * Blocks read in place cost a kernel call each and no copy: smaller ones (about 16 per thread, of at most 1M
 * logits) let the threads finish closer together when one of them is slowed (by another process on its core).
 */
const IN_PLACE = { perThread: 16, elements: 1 << 20 };

interface Handle {
  post(m: BlockTask | Start, transfer: ArrayBuffer[]): void;
  terminate(): Promise<unknown> | void;
  /** Node: a worker keeps the process alive only while it has work (an idle pool does not hold the process open). */
  hold(busy: boolean): void;
}

type Reply = Extract<BlockReply, { values: unknown }>;

interface Pending {
  resolve(v: Reply): void;
  reject(e: unknown): void;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function defaultWorkers(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, n ?? 1);
}

/** init() options that start, in a worker, the kernels of the backend `name` (the one in use on this thread). */
function initFor(name: BackendName): InitOptions {
  if (name === 'js') return { backend: 'js' };
  if (name === 'wasm') return { backend: 'wasm', simd: false };
  return { backend: 'wasm', relaxedSimd: name === 'wasm-relaxed-simd' };
}

/** A worker in Node (worker_threads) or a module Web Worker; `onReply` gets its answers, `onFail` its crash. */
async function spawn(url: URL, onReply: (r: BlockReply) => void, onFail: (e: unknown) => void): Promise<Handle> {
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(url);
    w.on('message', onReply);
    w.on('error', onFail);
    w.unref();
    return {
      post: (m, t) => w.postMessage(m, t), terminate: () => w.terminate(), hold: (busy) => (busy ? w.ref() : w.unref()),
    };
  }
  const w = new Worker(url, { type: 'module' });
  w.onmessage = (e: MessageEvent<BlockReply>) => onReply(e.data);
  w.onerror = (e) => onFail(e);
  return { post: (m, t) => w.postMessage(m, t), terminate: () => w.terminate(), hold: () => {} };
}

export class Pool {
  private handles: Handle[] = [];
  private pending = new Map<number, Pending>();
  /** Buffers the workers returned, for the next blocks of plain logits. */
  private spare: ArrayBuffer[] = [];
  private next = 0;
  private closed = false;
  /** The shared memory of allocate()'s arrays and this thread's instance on it (null: they are SharedArrayBuffers). */
  private mem: SharedMemory | null = null;

  private constructor(readonly workers: number, private readonly caller: boolean, private readonly build: BackendName) {}

  /**
   * True when allocate()'s arrays lie in the pool's shared WebAssembly memory, read in place by every thread: the
   * SIMD and relaxed-SIMD backends, in runtimes with shared memory. Otherwise they are SharedArrayBuffer arrays,
   * each block copied into a thread's own memory (as sharedArray()'s).
   */
  get inPlace(): boolean {
    return this.mem !== null;
  }

  /** Starts `workers` workers, each running the kernels this thread runs (see PoolOptions.init). */
  static async create(options: PoolOptions = {}): Promise<Pool> {
    const o = checkKeys(options, ['workers', 'workerUrl', 'init', 'caller', 'maxMemory', 'wasmUrl'], 'createPool');
    const n = o.workers === undefined ? defaultWorkers() : (o.workers as number);
    if (!Number.isInteger(n) || n < 1 || n > 256) {
      throw new XentError('INVALID_OPTION', `workers must be an integer from 1 to 256, got ${show(o.workers)}`);
    }
    const url = o.workerUrl === undefined ? new URL('./parallel-worker.js', import.meta.url) : new URL(String(o.workerUrl));
    if (o.init !== undefined) await init(o.init as InitOptions);
    const start: Start = { init: (o.init as InitOptions | undefined) ?? initFor(backend()) };
    if (o.caller !== undefined && typeof o.caller !== 'boolean') {
      throw new XentError('INVALID_OPTION', `caller must be true or false, got ${show(o.caller)}`);
    }
    const max = o.maxMemory ?? 2 ** 32;
    if (typeof max !== 'number' || !(max >= 65536)) {
      throw new XentError('INVALID_OPTION', `maxMemory must be a number of bytes >= 65536, got ${show(o.maxMemory)}`);
    }
    const pool = new Pool(n, (o.caller as boolean | undefined) ?? false, backend());
    const file = sharedFile(pool.build);
    if (file) {
      pool.mem = await SharedMemory.open(new URL(file, o.wasmUrl === undefined ? new URL('./wasm/', import.meta.url) : new URL(String(o.wasmUrl))), max);
      if (pool.mem) start.shared = pool.mem.kernels;
    }
    const fail = (e: unknown) => pool.failAll(new XentError('INTERNAL', `a worker failed: ${e instanceof Error ? e.message : show(e)}`));
    for (let i = 0; i < n; i++) {
      const h = await spawn(url, (r) => pool.settle(r), fail);
      h.post(start, []);
      pool.handles.push(h);
    }
    return pool;
  }

  private settle(r: BlockReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if ('values' in r) p.resolve(r);
    else p.reject(r.error);
  }

  private failAll(e: XentError): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /**
   * softmaxCrossEntropy of flat logits (Float32Array or Float64Array, N·classes; or half bits, a Uint16Array from
   * allocate('float16' | 'bfloat16') with that `dtype`) and N integer labels, as the one-thread function computes
   * it (the same value, bit for bit), its rows split among the workers. Bad input rejects with the XentError the
   * one-thread call throws. Half bits elsewhere than in the pool's shared memory are computed on this thread.
   */
  async softmaxCrossEntropy(
    logits: Float32Array | Float64Array | Uint16Array, labels: ArrayLike<number>, options: ParallelSoftmaxCrossEntropyOptions,
  ): Promise<number | Float64Array> {
    if (this.closed) throw new XentError('INVALID_STATE', 'this pool is closed: create another with createPool()');
    const oneThread = () => softmaxCrossEntropy(logits, labels as number[], options as object);
    let o: Record<string, unknown>;
    try {
      o = checkKeys(options, KEYS, 'Pool.softmaxCrossEntropy');
    } catch (e) {
      oneThread(); // its own error first, where the input has one
      throw e;
    }
    const cols = o.classes as number;
    const rows = Number.isInteger(cols) && cols > 0 ? (logits as { length?: number }).length! / cols : NaN;
    const mem = this.mem;
    const at = mem !== null && backend() === this.build && ArrayBuffer.isView(logits) ? mem.addressOf(logits) : -1;
    // Half bits are taken in place only; a dtype on float logits is the one-thread call's to judge.
    const half = logits instanceof Uint16Array && at >= 0 && (o.dtype === 'float16' || o.dtype === 'bfloat16');
    const typed = half || ((logits instanceof Float32Array || logits instanceof Float64Array) && o.dtype === undefined);
    if (!typed || !Number.isInteger(rows) || rows === 0 || labels?.length !== rows) return oneThread();
    const reduction = o.reduction ?? 'mean';
    if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') return oneThread();
    const unit = unitOf(o.base);

    const f32 = !(logits instanceof Float64Array);
    const shared = typeof SharedArrayBuffer !== 'undefined' && logits.buffer instanceof SharedArrayBuffer;
    const ints = labels instanceof Int32Array ? labels : Int32Array.from(labels);
    // A label that is not an int32 (2.5, NaN, 2^40) is the one-thread call's to refuse: an Int32Array would wrap it.
    for (let r = 0; r < rows; r++) if (ints[r] !== labels[r]) return oneThread();
    // Logits in the shared memory: the labels (checked here as the one-thread call checks them) and the losses go
    // there too, in regions of this call's own.
    let inPlace: InPlace | undefined;
    if (at >= 0) {
      const y = classLabels(ints, cols, o.ignoreIndex);
      let s: number;
      try {
        s = scaleOf(o.temperature, f32);
      } catch {
        return oneThread();
      }
      if (y === null) return oneThread();
      const type: Element = half ? (o.dtype as Element) : f32 ? 'float32' : 'float64';
      // One region: the losses, the labels, and half input's scratch rows for each thread.
      const labelsAt = Math.ceil(rows / 2) * 16;
      const scratch = labelsAt + Math.ceil(rows / 4) * 16;
      const region = mem!.allocate(scratch + (half ? (this.workers + 1) * scratchBytes(cols) : 0));
      mem!.view(Int32Array, region + labelsAt, rows).set(y);
      inPlace = { type, x: at, labels: region + labelsAt, out: region, scratch: region + scratch, s };
    }
    try {
      return await this.run(logits as Float32Array | Float64Array, ints, rows, cols, o, unit, shared, inPlace, oneThread);
    } finally {
      if (inPlace) mem!.release(inPlace.out);
    }
  }

  /** A checked call on the workers (and the calling thread): see softmaxCrossEntropy. */
  private async run(
    logits: Float32Array | Float64Array, ints: Int32Array, rows: number, cols: number, o: Record<string, unknown>,
    unit: number, shared: boolean, inPlace: InPlace | undefined, oneThread: () => number | Float64Array,
  ): Promise<number | Float64Array> {
    const f32 = logits instanceof Float32Array;
    const reduction = (o.reduction ?? 'mean') as 'mean' | 'sum' | 'none';
    const task = {
      buffer: logits.buffer, byteOffset: logits.byteOffset, f32, rows, cols, labels: ints,
      temperature: o.temperature as number | undefined, ignoreIndex: o.ignoreIndex as number | undefined,
    };
    const self = this.caller ? 1 : 0;
    const threads = Math.min(this.workers + self, rows);
    const block = inPlace ? blockRows(rows, threads, cols, IN_PLACE) : blockRows(rows, threads, cols);
    const busy = this.handles.slice(0, threads - self);
    for (const h of busy) h.hold(true);
    let parts: Float64Array[];
    let refused = false;
    // Every thread's work is waited for, so that no worker is still busy with this call when it returns.
    let settled: PromiseSettledResult<unknown>[];
    if (shared) {
      // Every thread takes blocks of rows until none is left: no thread idles while another has a long queue.
      const claim = new Int32Array(new SharedArrayBuffer(4));
      const out = inPlace ? this.mem!.view(Float64Array, inPlace.out, rows) : new Float64Array(new SharedArrayBuffer(rows * 8));
      // Each thread's own scratch rows (half input): worker i the i-th, the caller the last.
      const mine = (i: number) => inPlace && { ...inPlace, scratch: inPlace.scratch + i * scratchBytes(cols) };
      const replies = busy.map((_, i) => this.request(i, { ...task, id: this.next++, claim, block, out, inPlace: mine(i) }, []));
      if (self) refused = !this.own(() => runTask({ ...task, id: -1, claim, block, out, inPlace: mine(this.workers) }, this.mem?.ex));
      settled = await Promise.allSettled(replies);
      // The region is the call's only until it returns; a loss that is not finite is the one-thread call's to explain.
      parts = [inPlace ? out.slice() : out];
      if (inPlace && !parts[0].every(Number.isFinite)) refused = true;
    } else {
      // Blocks go to the threads as they ask: each worker has two in hand (one to run while the next is copied on
      // this thread into a buffer it returns); the caller runs its blocks in place, between turns of the event loop.
      const count = Math.ceil(rows / block);
      parts = new Array<Float64Array>(count);
      let taken = 0;
      const take = () => (refused || taken >= count ? -1 : taken++);
      const bytes = logits.BYTES_PER_ELEMENT;
      const feed = async (i: number) => {
        try {
          await feedFrom(i);
        } catch (e) {
          refused = true; // the other threads take no more blocks
          throw e;
        }
      };
      const feedFrom = async (i: number) => {
        for (let b = take(); b >= 0; b = take()) {
          const r0 = b * block;
          const r1 = Math.min(rows, r0 + block);
          const buffer = this.buffer(block * cols * bytes, (r1 - r0) * cols * bytes);
          new (f32 ? Float32Array : Float64Array)(buffer, 0, (r1 - r0) * cols).set(logits.subarray(r0 * cols, r1 * cols));
          const labelsCopy = ints.slice(r0, r1);
          const t = { ...task, id: this.next++, buffer, byteOffset: 0, rows: r1 - r0, labels: labelsCopy };
          const reply = await this.request(i, t, [buffer, labelsCopy.buffer as ArrayBuffer]);
          parts[b] = reply.values!;
          if (reply.input) this.spare.push(reply.input);
        }
      };
      const mine = async () => {
        for (let b = take(); b >= 0; b = take()) {
          const r0 = b * block;
          const n = Math.min(rows, r0 + block) - r0;
          const t = { ...task, id: -1, byteOffset: logits.byteOffset + r0 * cols * bytes, rows: n, labels: ints.subarray(r0, r0 + n) };
          if (!this.own(() => (parts[b] = runTask(t)!))) refused = true;
          await turn();
        }
      };
      const feeds = busy.flatMap((_, i) => [feed(i), feed(i)]);
      settled = await Promise.allSettled(self ? [...feeds, mine()] : feeds);
      // Two spare buffers per worker at most are kept for the next call (close() drops them).
      this.spare.splice(0, this.spare.length - 2 * this.workers);
    }
    if (this.pending.size === 0) for (const h of this.handles) h.hold(false);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed?.reason instanceof XentError) throw failed.reason;
    // A block's input was refused: the one-thread call names the error as it would without workers.
    if (failed || refused) return oneThread();
    return combine(parts, ints, rows, reduction, unit, o.ignoreIndex as number | undefined);
  }

  /**
   * `length` elements of `dtype` for this pool's calls: in the pool's shared WebAssembly memory where `inPlace`
   * (every thread's kernels then read them where they are: no copy at all), else in a SharedArrayBuffer (each
   * thread copies its blocks, as with sharedArray()). 'float16' and 'bfloat16' are a Uint16Array of bits, which a
   * call reads with that `dtype` option (in place only: elsewhere the call runs on this thread). view() gives the same array every time: growing shared memory
   * detaches nothing. free() gives the memory back for later allocations; the array must not be used afterwards.
   * Browsers offer shared memory only to cross-origin isolated pages (INVALID_STATE otherwise).
   */
  allocate<D extends Element>(dtype: D, length: number): WasmArray<D> {
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) {
      throw new XentError('INVALID_OPTION', `dtype must be 'float32', 'float64', 'float16' or 'bfloat16', got ${show(dtype)}`);
    }
    if (!Number.isInteger(length) || length < 0) throw new XentError('INVALID_OPTION', `length must be an integer >= 0, got ${show(length)}`);
    type A = WasmArray<D> extends { view(): infer T } ? T : never;
    if (this.closed) throw new XentError('INVALID_STATE', 'this pool is closed: create another with createPool()');
    const mem = this.mem;
    const Ctor = dtype === 'float32' ? Float32Array : dtype === 'float64' ? Float64Array : Uint16Array;
    if (mem === null) {
      const a = (Ctor === Uint16Array ? new Uint16Array(sharedArray(Math.ceil(length / 2)).buffer, 0, length) : sharedArray(length, dtype as 'float32')) as A;
      return { dtype, length, resident: false, view: () => a, free: () => {} };
    }
    const at = mem.allocate(length * BYTES[dtype]);
    const a = mem.view(Ctor as new (b: ArrayBufferLike, o: number, n: number) => Float32Array, at, length) as unknown as A;
    let freed = false;
    return {
      dtype, length, resident: true, view: () => a,
      free: () => {
        if (!freed) mem.release(at);
        freed = true;
      },
    };
  }

  /** Posts a task to worker i; resolves to its reply. */
  private request(i: number, t: BlockTask, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.closed) return Promise.reject(closedDuring());
    const reply = new Promise<Reply>((resolve, reject) => this.pending.set(t.id, { resolve, reject }));
    this.handles[i].post(t, transfer);
    return reply;
  }

  /** A buffer for a block of `need` bytes: a spare one returned by a worker, or a new one of `size` bytes. */
  private buffer(size: number, need: number): ArrayBuffer {
    const k = this.spare.findIndex((b) => b.byteLength >= need);
    return k >= 0 ? this.spare.splice(k, 1)[0] : new ArrayBuffer(size);
  }

  /** Runs the caller's part of a call: false when its input was refused (the one-thread call then names why). */
  private own(f: () => unknown): boolean {
    try {
      f();
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the workers; calls still running reject with INVALID_STATE. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(closedDuring());
    this.spare = [];
    await Promise.all(this.handles.map((h) => h.terminate()));
  }
}

/**
 * Labels as the kernels take them, -1 for an ignored row; null when one is not a class (the one-thread call then
 * names it), or when ignoreIndex is not an integer.
 */
function classLabels(ints: Int32Array, cols: number, ignoreIndex: unknown): Int32Array | null {
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex)) return null;
  const y = new Int32Array(ints.length);
  for (let r = 0; r < ints.length; r++) {
    const v = ints[r];
    if (v === ignoreIndex) y[r] = -1;
    else if (v >= 0 && v < cols) y[r] = v;
    else return null;
  }
  return y;
}

const closedDuring = () => new XentError('INVALID_STATE', 'the pool was closed during the call');

/** A turn of the event loop (the workers' replies are handled), between the caller's blocks. */
const turn = () => new Promise<void>((resolve) => (isNode ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** Rows per block: about four blocks per thread, of at most BLOCK_ELEMENTS logits (at least a row). */
function blockRows(rows: number, threads: number, cols: number, size = { perThread: 4, elements: BLOCK_ELEMENTS }): number {
  return Math.max(1, Math.min(Math.ceil(rows / (size.perThread * threads)), Math.floor(size.elements / cols)));
}

/** The one-thread call's reduction of per-row losses in nats (api/losses.ts labelled(), without weights). */
function combine(
  values: Float64Array[], labels: Int32Array, rows: number, reduction: 'mean' | 'sum' | 'none', unit: number,
  ignoreIndex: number | undefined,
): number | Float64Array {
  if (reduction === 'none') {
    const out = new Float64Array(rows);
    let i = 0;
    for (const v of values) for (let j = 0; j < v.length; j++) out[i++] = v[j] / unit;
    return out;
  }
  const acc = new Sum();
  for (const v of values) for (let j = 0; j < v.length; j++) acc.add(v[j]);
  const sum = acc.value();
  if (reduction === 'sum') return sum / unit;
  let counted = 0;
  for (let r = 0; r < rows; r++) if (labels[r] !== ignoreIndex) counted++;
  return counted === 0 ? NaN : sum / counted / unit;
}

/** A Pool of `workers` workers (see Pool). */
export function createPool(options?: PoolOptions): Promise<Pool> {
  return Pool.create(options);
}

/**
 * A Float32Array or Float64Array of `length` elements in a SharedArrayBuffer: a Pool's workers read such logits
 * with no copy on this thread, each copying its blocks into its own wasm memory (a pool's allocate() places logits
 * where no thread copies them). Browsers offer SharedArrayBuffer only to cross-origin isolated pages.
 */
export function sharedArray(length: number, dtype: 'float32' | 'float64' = 'float32'): Float32Array | Float64Array {
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new XentError('INVALID_STATE', 'SharedArrayBuffer is unavailable here (browsers: serve the page cross-origin isolated, with COOP and COEP headers)');
  }
  if (!Number.isInteger(length) || length < 0) throw new XentError('INVALID_OPTION', `length must be an integer >= 0, got ${show(length)}`);
  if (dtype !== 'float32' && dtype !== 'float64') throw new XentError('INVALID_OPTION', `dtype must be 'float32' or 'float64', got ${show(dtype)}`);
  const bytes = new SharedArrayBuffer(length * (dtype === 'float32' ? 4 : 8)) as unknown as ArrayBuffer;
  return dtype === 'float32' ? new Float32Array(bytes) : new Float64Array(bytes);
}
