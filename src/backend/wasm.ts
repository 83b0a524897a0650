import type { BackendName, Build, ComparisonKernels, FloatArray, FloatData, Kernels, ScoringKernels } from './kernels.js';
import { XentError, detached, isDetached } from '../core/errors.js';
import { HalfArray, type HalfFormat } from '../core/dtype.js';

type Typed = FloatArray | Int32Array | Uint16Array;
type TypedCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Typed;

/** The element type a call computes in: float32 unless an input is a Float64Array (half input widens to either). */
const f32Call = (...inputs: (FloatData | null)[]): boolean => !inputs.some((a) => a instanceof Float64Array);

/** The typed array a slot holds in memory: the bits of half input. */
const stored = (a: Typed | HalfArray): Typed => (a instanceof HalfArray ? a.bits : a);

/** Marks the argument that receives the number of rows of the current chunk. */
const ROWS = -0x7fff_0001;

/**
 * An array argument of a kernel: `per` elements per row (row-chunked), or the whole array when `per` is 0
 * (class weights, posWeight: float arrays, never half precision). `out` arrays are copied back after the call.
 */
interface Slot {
  a: Typed | HalfArray | null;
  per: number;
  out?: boolean;
}
type Arg = number | Slot;

/** An output slot: `out` read as an own property, so that a polluted Object.prototype cannot turn inputs into outputs. */
const isOut = (s: Slot): boolean => Object.prototype.hasOwnProperty.call(s, 'out') && s.out === true;

/**
 * Bytes of wasm memory a chunk of rows may occupy: big batches stream through this window. A kernel reads each chunk
 * right after its copy, so the window is kept well inside a core's L2 cache (1-2 MB on current x86-64 server
 * cores): at 2 MiB, which filled a 2 MB L2, a call took up to 1.5 times as long, depending on where its pages lay.
 */
export const CHUNK_BYTES = 1 << 19;
/** Arena kept free above zero-copy allocations: a chunk window for each array a call copies, and some spare. */
const ARENA_RESERVE = 3 * CHUNK_BYTES;
const PAGE = 65536;
/** wasm32 addresses 4 GiB at most (65,536 pages); addresses and sizes past 2^31 stay exact as JS numbers. */
export const WASM32_BYTES = 2 ** 32;
const ALIGN = 16;
/** Rounds up to ALIGN in float arithmetic: bit operators would wrap addresses at or above 2 GiB to negative. */
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

type KernelFn = (...args: number[]) => number | undefined;

/** What the module must export: the kernels as `<name>_f32` / `<name>_f64`, memory and heapBase. */
interface XentExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  hasSimd(): number;
  hasRelaxedSimd?(): number;
  probeMadd32?(a: number, b: number, c: number): number;
  probeMadd64?(a: number, b: number, c: number): number;
  [kernel: string]: unknown;
}

const imports = {
  env: {
    abort(): never {
      throw new WebAssembly.RuntimeError('abort');
    },
  },
};

/**
 * The WebAssembly backend: owns one instance and its linear memory. Inputs are copied into a scratch arena above
 * the module's heap base, in row chunks of at most CHUNK_BYTES, so peak memory stays bounded whatever the batch size.
 * Views of memory are created for each copy and never kept: any grow detaches them.
 */
export class WasmKernels implements Kernels, ScoringKernels, ComparisonKernels {
  readonly name: BackendName;
  /** Which build runs, and whether it is the core build (assembly/core.ts: see src/backend/full.ts). */
  readonly build: Build;
  readonly core: boolean;
  private ex: XentExports;
  /** Live allocations (sorted by address); the scratch arena lies above the last one. */
  private blocks: { ptr: number; bytes: number }[] = [];
  /** Bumped when a trap forces a new instance: allocations of an older generation are gone. */
  generation = 0;
  /** Bytes of the row-chunk window (internal: tests shrink it to prove results do not depend on the chunking). */
  chunkBytes = CHUNK_BYTES;
  /** Use the kernels' fused half variants (internal: tests and the bench turn it off to compare with widening). */
  fuseHalf = true;

  /**
   * @param maxBytes a cap on linear memory (default: the runtime's own limit); a call that would need more fails
   *   with OUT_OF_MEMORY and leaves the instance usable.
   */
  constructor(
    readonly module: WebAssembly.Module,
    readonly maxBytes = Infinity,
  ) {
    this.ex = new WebAssembly.Instance(module, imports).exports as unknown as XentExports;
    this.build = this.ex.hasRelaxedSimd?.() ? 'relaxed-simd' : this.ex.hasSimd() ? 'simd' : 'scalar';
    this.name = this.build === 'scalar' ? 'wasm' : `wasm-${this.build}`;
    this.core = typeof this.ex.coreOnly === 'function';
  }

  /**
   * True when this instance's multiply-adds (assembly/fused.ts) round once, in f32 and in f64 lanes: (1 + ε)² -
   * (1 + 2ε) is ε² exactly when fused, 0 when the product is rounded first (ε = 2^-23, then 2^-52).
   */
  fusesMultiplyAdd(): boolean {
    const { probeMadd32, probeMadd64 } = this.ex;
    if (!probeMadd32 || !probeMadd64) return false;
    return probeMadd32(1 + 2 ** -23, 1 + 2 ** -23, -(1 + 2 ** -22)) === 2 ** -46 &&
      probeMadd64(1 + 2 ** -52, 1 + 2 ** -52, -(1 + 2 ** -51)) === 2 ** -104;
  }

  /** Makes sure [0, end) is addressable. A refused grow becomes OUT_OF_MEMORY; the instance stays usable. */
  private reserve(end: number): void {
    const mem = this.ex.memory;
    const have = mem.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) {
      throw new XentError('OUT_OF_MEMORY', `${end} bytes of WebAssembly memory needed; the cap is ${this.maxBytes}`);
    }
    if (end > WASM32_BYTES) {
      throw new XentError('OUT_OF_MEMORY', `${end} bytes of WebAssembly memory needed; wasm32 addresses at most 4 GiB`);
    }
    try {
      mem.grow(Math.ceil((end - have) / PAGE));
    } catch {
      throw new XentError('OUT_OF_MEMORY', `could not grow WebAssembly memory to ${end} bytes`);
    }
  }

  private view(a: Typed, ptr: number, length: number): Typed {
    return new (a.constructor as TypedCtor)(this.ex.memory.buffer, ptr, length);
  }

  /** Where the scratch arena starts: above the module's heap and every live allocation. */
  private arenaBase(): number {
    const last = this.blocks[this.blocks.length - 1];
    return align(last ? last.ptr + last.bytes : this.ex.heapBase());
  }

  /**
   * Reserves `bytes` of linear memory that stays put until release() (first fit between live blocks). Arrays
   * placed there are passed to the kernels by pointer, with no copy.
   */
  allocate(bytes: number, arena = 2 * bytes): number {
    let at = align(this.ex.heapBase());
    let i = 0;
    for (; i < this.blocks.length; i++) {
      if (this.blocks[i].ptr - at >= bytes) break;
      at = align(this.blocks[i].ptr + this.blocks[i].bytes);
    }
    this.reserve(at + bytes);
    this.blocks.splice(i, 0, { ptr: at, bytes });
    // Room for the arena too, now if memory allows: a later call given views of this block then need not grow
    // memory (which would detach the views it was handed, e.g. q while it works on p). Twice the block: a row
    // too long to chunk (one 4M-element vector) is copied whole, and a call may copy two such companions of it
    // (targets and a gradient); `arena` says so for half precision (its float32 widening and companions are larger).
    // Untouched pages cost address space, not resident memory.
    try {
      this.reserve(this.arenaBase() + Math.max(ARENA_RESERVE, arena));
    } catch {
      // Under a tight maxMemory the arena grows later, if it can.
    }
    return at;
  }

  release(ptr: number): void {
    const i = this.blocks.findIndex((b) => b.ptr === ptr);
    if (i >= 0) this.blocks.splice(i, 1);
  }

  /** The current buffer of linear memory (replaced, and old views detached, whenever memory grows). */
  buffer(): ArrayBuffer {
    return this.ex.memory.buffer;
  }

  /**
   * Calls `<name>_<dtype>` over `rows` rows. Arrays already in this instance's memory (from allocate()) are used
   * in place. The others are copied: whole-array slots once, first; per-row slots in chunks of the largest number
   * of rows that fits in CHUNK_BYTES (at least one row).
   *
   * Half-precision slots are copied as bits. When the module exports a fused half variant of the kernel
   * (`<name>_f16` / `<name>_bf16`: see fusedHalf), it reads them as they are and gets a last argument, scratch room
   * for two float32 rows (each rounded up to 16 bytes); otherwise each chunk of bits is widened (`widen_f32` /
   * `widen_f64`, SIMD lanes) into a region of the kernel's type right before the call, which reads it instead.
   */
  private run(name: string, f32: boolean, rows: number, args: Arg[]): number {
    if (rows === 0) return 0;
    const slots = args.filter((a): a is Slot => typeof a === 'object' && a.a !== null);
    const halves = slots.filter((s) => s.a instanceof HalfArray);
    const fused = halves.length > 0 && this.fuseHalf ? this.fusedHalf(name, f32, slots, halves) : undefined;
    const fn = fused ?? (this.ex[`${name}_${f32 ? 'f32' : 'f64'}`] as KernelFn | undefined);
    if (!fn) throw new XentError('INTERNAL', `${name}: not in the core build; its callers ask for the full one (full())`);
    // Bytes per element of the region a half slot is widened into (0: the kernel reads the bits).
    const wide = fused || halves.length === 0 ? 0 : f32 ? 4 : 8;
    const widens = (s: Slot) => wide > 0 && s.a instanceof HalfArray;
    // Offsets of resident arrays are read before any grow, which would detach their views.
    const resident = new Map<Slot, number>();
    for (const s of slots) {
      const a = stored(s.a!);
      if (a.buffer === this.ex.memory.buffer) resident.set(s, a.byteOffset);
      else if (isDetached(a)) throw detached();
    }
    const copied = slots.filter((s) => !resident.has(s));
    const bytes = (s: Slot, n: number) => n * stored(s.a!).BYTES_PER_ELEMENT;
    let base = this.arenaBase();
    const fixed = new Map<Slot, number>();
    for (const s of copied) {
      if (s.per !== 0) continue;
      fixed.set(s, base);
      base = align(base + bytes(s, s.a!.length));
    }
    let scratch = 0;
    if (fused) {
      scratch = base;
      base += 2 * align(4 * Math.max(...halves.map((s) => s.per)));
    }
    // A row slot's regions for n rows: its copy (unless resident) and, for half input widened first, the widening.
    const regions = (s: Slot, n: number) => [resident.has(s) ? 0 : bytes(s, n * s.per), widens(s) ? n * s.per * wide : 0];
    const rowSlots = slots.filter((s) => s.per !== 0);
    let rowBytes = 0;
    for (const s of rowSlots) for (const b of regions(s, 1)) rowBytes += b;
    const chunk = Math.max(1, Math.min(rows, Math.floor(this.chunkBytes / Math.max(1, rowBytes))));
    let end = base;
    for (const s of rowSlots) for (const b of regions(s, chunk)) end = align(end + b);
    this.reserve(end);
    for (const [s, ptr] of fixed) this.view(stored(s.a!), ptr, s.a!.length).set(stored(s.a!));

    const ptrs = new Map<Slot, number>();
    const call: number[] = new Array(args.length + (fused ? 1 : 0));
    if (fused) call[args.length] = scratch;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const n = Math.min(chunk, rows - r0);
      let p = base;
      for (const s of slots) {
        if (s.per === 0) continue;
        const a = stored(s.a!);
        const at = resident.get(s);
        let ptr: number;
        if (at !== undefined) ptr = at + bytes(s, r0 * s.per);
        else {
          ptr = p;
          if (!isOut(s)) this.view(a, p, n * s.per).set(a.subarray(r0 * s.per, (r0 + n) * s.per));
          p = align(p + bytes(s, chunk * s.per));
        }
        if (widens(s)) {
          this.widenAt((s.a as HalfArray).format, ptr, n * s.per, p, wide);
          ptr = p;
          p = align(p + chunk * s.per * wide);
        }
        ptrs.set(s, ptr);
      }
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (typeof a === 'number') call[i] = a === ROWS ? n : a;
        else call[i] = a.a === null ? 0 : (fixed.get(a) ?? ptrs.get(a)!);
      }
      const done = this.invoke(fn, call);
      for (const s of copied) {
        if (isOut(s)) (s.a as Typed).set(this.view(s.a as Typed, ptrs.get(s)!, n * s.per), r0 * s.per);
      }
      // A kernel that returns a row count stopped at the first row it declined.
      if (done !== undefined && done < n) return r0 + done;
    }
    return rows;
  }

  /**
   * The fused half variant of a kernel, when the module has one for this call: float32, every half slot of one
   * format, and no float32 row input beside them (the variant takes its half slots as bits and the rest as the
   * float32 entry does). Unused otherwise: the chunks are widened instead.
   */
  private fusedHalf(name: string, f32: boolean, slots: Slot[], halves: Slot[]): KernelFn | undefined {
    const format = (halves[0].a as HalfArray).format;
    if (!f32 || halves.some((s) => (s.a as HalfArray).format !== format)) return undefined;
    if (slots.some((s) => s.per !== 0 && !isOut(s) && s.a instanceof Float32Array)) return undefined;
    return this.ex[`${name}_${format === 'float16' ? 'f16' : 'bf16'}`] as KernelFn | undefined;
  }

  /** Widens n half patterns at `src` into float32 (`wide` 4) or float64 (8) at `dst`, exactly, in SIMD lanes. */
  private widenAt(format: HalfFormat, src: number, n: number, dst: number, wide: number): void {
    this.invoke(this.ex[wide === 4 ? 'widen_f32' : 'widen_f64'] as KernelFn, [src, n, format === 'float16' ? 1 : 2, dst]);
  }

  /** A trap leaves the instance in an unknown state: rebuild it and report INTERNAL. */
  private invoke(fn: KernelFn, call: number[]): number | undefined {
    try {
      return fn(...call);
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      this.ex = new WebAssembly.Instance(this.module, imports).exports as unknown as XentExports;
      this.blocks = [];
      this.generation++;
      throw new XentError('INTERNAL', `a WebAssembly kernel trapped (${e.message}); the instance was rebuilt`);
    }
  }

  logSumExp(x: FloatData, rows: number, cols: number, s: number, out: Float64Array): void {
    this.run('logSumExp', f32Call(x), rows, [
      { a: x, per: cols }, ROWS, cols, s, { a: out, per: 1, out: true },
    ]);
  }

  softmax(x: FloatData, rows: number, cols: number, s: number, out: FloatArray): void {
    this.run('softmax', f32Call(x), rows, [
      { a: x, per: cols }, ROWS, cols, s, { a: out, per: cols, out: true },
    ]);
  }

  logSoftmax(x: FloatData, rows: number, cols: number, s: number, out: FloatArray): void {
    this.run('logSoftmax', f32Call(x), rows, [
      { a: x, per: cols }, ROWS, cols, s, { a: out, per: cols, out: true },
    ]);
  }

  softmaxCrossEntropyLabels(
    x: FloatData, rows: number, cols: number, s: number,
    labels: Int32Array, w: FloatArray | null, nll: Float64Array, smooth: Float64Array | null,
  ): void {
    this.run('softmaxCrossEntropyLabels', f32Call(x), rows, [
      { a: x, per: cols }, ROWS, cols, s, { a: labels, per: 1 }, { a: w, per: 0 },
      { a: nll, per: 1, out: true }, { a: smooth, per: 1, out: true },
    ]);
  }

  softmaxCrossEntropyDense(
    x: FloatData, t: FloatData, rows: number, cols: number, s: number, eps: number,
    w: FloatArray | null, out: Float64Array, rowWeight: Float64Array | null,
  ): void {
    this.run('softmaxCrossEntropyDense', f32Call(x, t), rows, [
      { a: x, per: cols }, { a: t, per: cols }, ROWS, cols, s, eps, { a: w, per: 0 },
      { a: out, per: 1, out: true }, { a: rowWeight, per: 1, out: true },
    ]);
  }

  crossEntropy(
    t: FloatData | null, q: FloatData, rows: number, cols: number, lo: number, hi: number,
    w: FloatArray | null, out: Float64Array,
  ): void {
    this.run('crossEntropy', f32Call(t, q), rows, [
      { a: t, per: cols }, { a: q, per: cols }, ROWS, cols, lo, hi, { a: w, per: 0 }, { a: out, per: 1, out: true },
    ]);
  }

  dot(t: FloatData | null, x: FloatData, rows: number, cols: number, w: FloatArray | null, out: Float64Array): void {
    this.run('dot', f32Call(t, x), rows, [
      { a: t, per: cols }, { a: x, per: cols }, ROWS, cols, { a: w, per: 0 }, { a: out, per: 1, out: true },
    ]);
  }

  entropy(p: FloatData, rows: number, cols: number, out: Float64Array): void {
    this.run('entropy', f32Call(p), rows, [{ a: p, per: cols }, ROWS, cols, { a: out, per: 1, out: true }]);
  }

  klDivergence(p: FloatData, q: FloatData, rows: number, cols: number, out: Float64Array): void {
    this.run('klDivergence', f32Call(p, q), rows, [
      { a: p, per: cols }, { a: q, per: cols }, ROWS, cols, { a: out, per: 1, out: true },
    ]);
  }

  klDivergenceChecked(p: FloatData, q: FloatData, rows: number, cols: number, tol: number, out: Float64Array): boolean {
    return this.run('klDivergenceChecked', f32Call(p, q), rows, [
      { a: p, per: cols }, { a: q, per: cols }, ROWS, cols, tol, { a: out, per: 1, out: true },
    ]) === rows;
  }

  jsDivergence(p: FloatData, q: FloatData, rows: number, cols: number, out: Float64Array): void {
    this.run('jsDivergence', f32Call(p, q), rows, [
      { a: p, per: cols }, { a: q, per: cols }, ROWS, cols, { a: out, per: 1, out: true },
    ]);
  }

  rowStats(x: FloatData, rows: number, cols: number, sum: Float64Array, min: Float64Array | null, max: Float64Array | null): void {
    this.run('rowStats', f32Call(x), rows, [
      { a: x, per: cols }, ROWS, cols, { a: sum, per: 1, out: true }, { a: min, per: 1, out: true }, { a: max, per: 1, out: true },
    ]);
  }

  binaryCrossEntropy(
    p: FloatData, t: FloatData, rows: number, cols: number, lo: number, hi: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, out: Float64Array, elementwise: boolean,
  ): void {
    this.run('binaryCrossEntropy', f32Call(p, t), rows, [
      { a: p, per: cols }, { a: t, per: cols }, ROWS, cols, lo, hi, smoothing,
      { a: w, per: wFull ? cols : 0 }, wFull ? 1 : 0, { a: out, per: elementwise ? cols : 1, out: true }, elementwise ? 1 : 0,
    ]);
  }

  sigmoidCrossEntropy(
    x: FloatData, t: FloatData, rows: number, cols: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, posWeight: FloatArray | null, out: Float64Array, elementwise: boolean,
  ): void {
    this.sigmoid('sigmoidCrossEntropy', x, t, rows, cols, smoothing, w, wFull, posWeight, out, elementwise);
  }

  sigmoidCrossEntropyChecked(
    x: FloatData, t: FloatData, rows: number, cols: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, posWeight: FloatArray | null, out: Float64Array, elementwise: boolean,
  ): boolean {
    return this.sigmoid('sigmoidCrossEntropyChecked', x, t, rows, cols, smoothing, w, wFull, posWeight, out, elementwise) === rows;
  }

  private sigmoid(
    name: string, x: FloatData, t: FloatData, rows: number, cols: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, posWeight: FloatArray | null, out: Float64Array, elementwise: boolean,
  ): number {
    return this.run(name, f32Call(x, t), rows, [
      { a: x, per: cols }, { a: t, per: cols }, ROWS, cols, smoothing,
      { a: w, per: wFull ? cols : 0 }, wFull ? 1 : 0, { a: posWeight, per: 0 },
      { a: out, per: elementwise ? cols : 1, out: true }, elementwise ? 1 : 0,
    ]);
  }

  binaryEntropy(p: FloatData, n: number, out: Float64Array): void {
    this.run('binaryEntropy', f32Call(p), n, [{ a: p, per: 1 }, ROWS, { a: out, per: 1, out: true }]);
  }

  softmaxCrossEntropyLabelsGrad(
    x: FloatData, rows: number, cols: number, s: number,
    labels: Int32Array, w: FloatArray | null, eps: number, scale: Float64Array,
    nll: Float64Array, smooth: Float64Array | null, grad: FloatArray,
  ): void {
    this.run('softmaxCrossEntropyLabelsGrad', f32Call(x), rows, [
      { a: x, per: cols }, ROWS, cols, s, { a: labels, per: 1 }, { a: w, per: 0 }, eps, { a: scale, per: 1 },
      { a: nll, per: 1, out: true }, { a: smooth, per: 1, out: true }, { a: grad, per: cols, out: true },
    ]);
  }

  softmaxCrossEntropyDenseGrad(
    x: FloatData, t: FloatData, rows: number, cols: number, s: number, eps: number,
    w: FloatArray | null, scale: Float64Array, out: Float64Array, grad: FloatArray,
  ): void {
    this.run('softmaxCrossEntropyDenseGrad', f32Call(x, t), rows, [
      { a: x, per: cols }, { a: t, per: cols }, ROWS, cols, s, eps, { a: w, per: 0 }, { a: scale, per: 1 },
      { a: out, per: 1, out: true }, { a: grad, per: cols, out: true },
    ]);
  }

  sigmoidCrossEntropyGrad(
    x: FloatData, t: FloatData, rows: number, cols: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, posWeight: FloatArray | null, scale: Float64Array,
    out: Float64Array, elementwise: boolean, grad: FloatArray,
  ): void {
    this.run('sigmoidCrossEntropyGrad', f32Call(x, t), rows, [
      { a: x, per: cols }, { a: t, per: cols }, ROWS, cols, smoothing,
      { a: w, per: wFull ? cols : 0 }, wFull ? 1 : 0, { a: posWeight, per: 0 }, { a: scale, per: 1 },
      { a: out, per: elementwise ? cols : 1, out: true }, elementwise ? 1 : 0, { a: grad, per: cols, out: true },
    ]);
  }

  softmaxBackward(y: FloatData, dy: FloatData, rows: number, cols: number, s: number, out: FloatArray): void {
    this.run('softmaxBackward', f32Call(y, dy), rows, [
      { a: y, per: cols }, { a: dy, per: cols }, ROWS, cols, s, { a: out, per: cols, out: true },
    ]);
  }

  logSoftmaxBackward(y: FloatData, dy: FloatData, rows: number, cols: number, s: number, out: FloatArray): void {
    this.run('logSoftmaxBackward', f32Call(y, dy), rows, [
      { a: y, per: cols }, { a: dy, per: cols }, ROWS, cols, s, { a: out, per: cols, out: true },
    ]);
  }

  softmaxEvalLabels(
    x: FloatData, rows: number, cols: number, labels: Int32Array, k: number,
    nll: Float64Array, above: Int32Array, top: Int32Array, maxP: Float64Array, sumSq: Float64Array, pY: Float64Array,
  ): void {
    this.run('softmaxEvalLabels', f32Call(x), rows, [
      { a: x, per: cols }, ROWS, cols, { a: labels, per: 1 }, k,
      { a: nll, per: 1, out: true }, { a: above, per: 1, out: true }, { a: top, per: 1, out: true },
      { a: maxP, per: 1, out: true }, { a: sumSq, per: 1, out: true }, { a: pY, per: 1, out: true },
    ]);
  }

  widen(x: HalfArray, out: Float32Array): void {
    this.run('widen', true, x.length, [
      { a: x.bits, per: 1 }, ROWS, x.format === 'float16' ? 1 : 2, { a: out, per: 1, out: true },
    ]);
  }

  scoreTokens(
    x: FloatData, rows: number, cols: number, s: number, labels: Int32Array, cap: number,
    logprob: Float64Array, rank: Int32Array, entropy: Float64Array,
    k: number, topIds: Int32Array | null, topLogprobs: Float64Array | null,
  ): void {
    this.run('scoreTokens', f32Call(x), rows, [
      { a: x, per: cols }, ROWS, cols, s, { a: labels, per: 1 }, cap,
      { a: logprob, per: 1, out: true }, { a: rank, per: 1, out: true }, { a: entropy, per: 1, out: true },
      k, { a: topIds, per: k, out: true }, { a: topLogprobs, per: k, out: true },
    ]);
  }

  compareRows(
    a: FloatData, b: FloatData, rows: number, cols: number, labels: Int32Array, out: Float64Array, ints: Int32Array,
  ): void {
    this.run('compareRows', f32Call(a, b), rows, [
      { a, per: cols }, { a: b, per: cols }, ROWS, cols, { a: labels, per: 1 },
      { a: out, per: 6, out: true }, { a: ints, per: 4, out: true }, { a: new Float32Array(cols + 4), per: 0 },
    ]);
  }
}
