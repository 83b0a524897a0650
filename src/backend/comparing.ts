import type { ComparisonKernels } from './kernels.js';
import { jsComparison } from './js-compare.js';
import { kernels } from './select.js';
import type { WasmKernels } from './wasm.js';

/** The model-comparison kernel of the active backend (apart from Kernels, as the token-scoring one). */
export function comparing(): ComparisonKernels {
  const k = kernels();
  return k.name === 'js' ? jsComparison : (k as WasmKernels);
}
