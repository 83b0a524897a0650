import { full } from '../backend/full.js';
import { WasmKernels } from '../backend/wasm.js';
import { XentError, show } from '../core/errors.js';
import { halfViews } from '../core/shape.js';

export type Dtype = 'float32' | 'float64' | 'float16' | 'bfloat16';
type ArrayOf<D extends Dtype> = D extends 'float32' ? Float32Array : D extends 'float64' ? Float64Array : Uint16Array;
type Ctor = new (buffer: ArrayBuffer | number, offset?: number, length?: number) => Float32Array | Float64Array | Uint16Array;
const CTORS: Record<Dtype, Ctor> = { float32: Float32Array, float64: Float64Array, float16: Uint16Array, bfloat16: Uint16Array };

/**
 * An array that lives in the kernels' memory, so a batch written there is evaluated with no copy. Pass
 * `view()` to any xent function. A view is valid until the next xent call that needs more memory (growing
 * WebAssembly memory detaches every view): call view() again rather than keeping one.
 */
export interface WasmArray<D extends Dtype = Dtype> {
  readonly dtype: D;
  readonly length: number;
  /** True when the array is in WebAssembly memory (false on the TypeScript backend: then it is a plain array). */
  readonly resident: boolean;
  /** A fresh view of the array. */
  view(): ArrayOf<D>;
  /** Gives the memory back; the array must not be used afterwards. */
  free(): void;
}

/**
 * Allocates `length` elements of `dtype` for zero-copy evaluation. On the WebAssembly backend the array is placed
 * in linear memory and kernels read it in place; on the TypeScript backend it is an ordinary typed array, so the
 * same code runs everywhere. Half precision ('float16', 'bfloat16') is a Uint16Array of raw bits: write the
 * model's half output into it as bits; xent's functions read it as half precision without a `dtype` option.
 *
 *     const batch = allocate('float32', rows * classes);
 *     model.writeLogits(batch.view());                       // fill in place
 *     softmaxCrossEntropy(batch.view(), labels, { classes });  // no copy into wasm memory
 *     batch.free();
 */
export function allocate<D extends Dtype>(dtype: D, length: number): WasmArray<D> {
  if (typeof dtype !== 'string' || !Object.hasOwn(CTORS, dtype)) {
    throw new XentError('INVALID_OPTION', `dtype must be 'float32', 'float64', 'float16' or 'bfloat16', got ${show(dtype)}`);
  }
  if (!Number.isInteger(length) || length < 0) {
    throw new XentError('INVALID_OPTION', `length must be a non-negative integer, got ${show(length)}`);
  }
  const Ctor = CTORS[dtype] as unknown as new (buffer: ArrayBuffer | number, offset?: number, length?: number) => ArrayOf<D>;
  const known = (a: ArrayOf<D>): ArrayOf<D> => {
    if (a instanceof Uint16Array) halfViews.set(a, dtype as 'float16' | 'bfloat16');
    return a;
  };
  // The full build's instance, which every later call then runs on: arrays in a core instance would be lost when
  // a gradient, evaluator or scoring call moves to the full build (src/backend/full.ts).
  const k = full();
  if (!(k instanceof WasmKernels)) {
    let plain: ArrayOf<D>;
    try {
      plain = known(new Ctor(length));
    } catch (e) {
      throw new XentError('OUT_OF_MEMORY', `${length} elements of ${dtype} cannot be allocated (${(e as Error).message})`);
    }
    return { dtype, length, resident: false, view: () => plain, free: () => {} };
  }
  const bytes = length * new Ctor(0).BYTES_PER_ELEMENT;
  // Half precision: room for its float32 widening and two float32 companions (targets, a gradient) of its shape.
  const ptr = k.allocate(bytes, dtype === 'float16' || dtype === 'bfloat16' ? 6 * bytes : 2 * bytes);
  const generation = k.generation;
  let freed = false;
  const live = () => {
    if (freed) throw new XentError('INVALID_OPTION', 'this WasmArray was freed');
    if (k.generation !== generation) {
      throw new XentError('INTERNAL', 'this WasmArray was lost when the WebAssembly instance was rebuilt after a trap');
    }
  };
  return {
    dtype,
    length,
    resident: true,
    view() {
      live();
      return known(new Ctor(k.buffer(), ptr, length));
    },
    free() {
      if (freed) return;
      freed = true;
      if (k.generation === generation) k.release(ptr);
    },
  };
}
