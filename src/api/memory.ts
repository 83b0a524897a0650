import { kernels } from '../backend/select.js';
import { WasmKernels } from '../backend/wasm.js';
import { XentError, show } from '../core/errors.js';

export type Dtype = 'float32' | 'float64';
type ArrayOf<D extends Dtype> = D extends 'float32' ? Float32Array : Float64Array;

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
 * same code runs everywhere.
 *
 *     const batch = allocate('float32', rows * classes);
 *     model.writeLogits(batch.view());                       // fill in place
 *     softmaxCrossEntropy(batch.view(), labels, { classes });  // no copy into wasm memory
 *     batch.free();
 */
export function allocate<D extends Dtype>(dtype: D, length: number): WasmArray<D> {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new XentError('INVALID_OPTION', `dtype must be 'float32' or 'float64', got ${show(dtype)}`);
  }
  if (!Number.isInteger(length) || length < 0) {
    throw new XentError('INVALID_OPTION', `length must be a non-negative integer, got ${show(length)}`);
  }
  const Ctor = (dtype === 'float32' ? Float32Array : Float64Array) as unknown as new (
    buffer: ArrayBuffer | number, offset?: number, length?: number,
  ) => ArrayOf<D>;
  const k = kernels();
  if (!(k instanceof WasmKernels)) {
    const plain = new Ctor(length);
    return { dtype, length, resident: false, view: () => plain, free: () => {} };
  }
  const bytes = length * (dtype === 'float32' ? 4 : 8);
  const ptr = k.allocate(bytes);
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
      return new Ctor(k.buffer(), ptr, length);
    },
    free() {
      if (freed) return;
      freed = true;
      if (k.generation === generation) k.release(ptr);
    },
  };
}
