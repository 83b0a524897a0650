// The core build's exports: those of index.ts but the kernels of the fused gradients, the streaming evaluator and
// token scoring, which the default entries add from the full build when one of those is first called (see
// src/backend/full.ts). The embedded core build is what every bundle carries; a bundle that never calls them does
// not carry the rest. `coreOnly` tells the wrapper which build it runs.
export {
  hasSimd, hasRelaxedSimd, probeMadd32, probeMadd64, heapBase,
  logSumExp_f32, logSumExp_f64, softmax_f32, softmax_f64, logSoftmax_f32, logSoftmax_f64,
  softmaxCrossEntropyLabels_f32, softmaxCrossEntropyLabels_f64, softmaxCrossEntropyLabels_f16, softmaxCrossEntropyLabels_bf16,
  softmaxCrossEntropyDense_f32, softmaxCrossEntropyDense_f64, crossEntropy_f32, crossEntropy_f64, dot_f32, dot_f64,
  entropy_f32, entropy_f64, klDivergence_f32, klDivergence_f64, klDivergenceChecked_f32, klDivergenceChecked_f64,
  jsDivergence_f32, jsDivergence_f64, rowStats_f32, rowStats_f64, binaryCrossEntropy_f32, binaryCrossEntropy_f64,
  sigmoidCrossEntropy_f32, sigmoidCrossEntropy_f64, sigmoidCrossEntropyChecked_f32, sigmoidCrossEntropyChecked_f64,
  binaryEntropy_f32, binaryEntropy_f64, widen_f32, widen_f64,
} from './index';

export function coreOnly(): i32 {
  return 1;
}
