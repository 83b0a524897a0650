import type { ScoringKernels } from './kernels.js';
import { jsScoring } from './js-score.js';
import { full } from './full.js';
import type { WasmKernels } from './wasm.js';

/** The token-scoring kernel of the active backend (see ScoringKernels: why it is apart from Kernels). */
export function scoring(): ScoringKernels {
  const k = full();
  return k.name === 'js' ? jsScoring : (k as WasmKernels);
}
