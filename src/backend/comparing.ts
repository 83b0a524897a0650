import type { ComparisonKernels } from './kernels.js';
import { jsComparison } from './js-compare.js';
import { full } from './full.js';
import type { WasmKernels } from './wasm.js';

/** The model-comparison kernel of the active backend (apart from Kernels, as the token-scoring one). */
export function comparing(): ComparisonKernels {
  const k = full(); // the comparison kernel is in the full build only
  return k.name === 'js' ? jsComparison : (k as WasmKernels);
}
