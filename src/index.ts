export { XentError, type XentErrorCode } from './core/errors.js';
export type { Reduction, BatchOptions, UnitOptions, Result } from './core/options.js';
export type { Vector, Batch, Labels } from './core/shape.js';
export type { HalfVector, Row } from './core/shape.js';
export type { HalfOptions } from './core/options.js';
export type { HalfFormat, Float16ArrayLike } from './core/dtype.js';
export type { BackendName } from './backend/kernels.js';
export { init, backend, fallbackReason, type InitOptions } from './backend/select.js';
export { allocate, type WasmArray, type Dtype } from './api/memory.js';
export {
  information, binaryEntropy, entropy, crossEntropy, klDivergence, jsDivergence, jsDistance,
  type DistributionOptions, type CrossEntropyOptions, type KlDivergenceOptions, type KlReduction,
  relEntr, type KlResult,
} from './api/information.js';
export {
  logSumExp, softmax, logSoftmax, type SoftmaxOptions, type LseResult, type SoftmaxResult,
  type LogSumExpOptions, type LseValue, type SignedLogSumExp,
} from './api/softmax.js';
export {
  softmaxCrossEntropy, categoricalCrossEntropy, nllLoss, perplexity,
  type CategoricalOptions, type SoftmaxCrossEntropyOptions, type CategoricalCrossEntropyOptions, type Target,
} from './api/losses.js';
export {
  binaryCrossEntropy, sigmoidCrossEntropy,
  type BinaryOptions, type BinaryCrossEntropyOptions, type SigmoidCrossEntropyOptions, type BinaryResult,
} from './api/binary.js';
export {
  Evaluator, type EvaluatorOptions, type UpdateOptions, type EvalResult, type ClassResult, type ClassErrors, type EvalIntervals,
} from './eval/evaluator.js';
export { type Compat, type CompatOptions, COMPATS } from './core/compat.js';
export type { LossReduction, MeanReduction } from './core/compat.js';
export {
  binaryFocalCrossEntropy, categoricalFocalCrossEntropy,
  type BinaryFocalOptions, type CategoricalFocalOptions, type FocalFrom,
} from './api/focal.js';
export {
  brierScore, calibrationError, type BrierScoreOptions, type CalibrationErrorOptions, type CalibrationNorm,
} from './api/calibration.js';
export {
  softmaxCrossEntropyWithGrad, sigmoidCrossEntropyWithGrad, klDivergenceWithGrad, softmaxBackward, logSoftmaxBackward,
  type GradientOptions, type GradientArray, type LossAndGradient, type SoftmaxCrossEntropyGradOptions,
  type SigmoidCrossEntropyGradOptions, type KlDivergenceGradOptions, type BackwardOptions,
} from './api/gradients.js';
export {
  scoreTokens, type ScoreTokensOptions, type SequenceOptions, type TokenScores,
} from './api/tokens.js';
export {
  LanguageModelEvaluator, type LanguageModelEvaluatorOptions, type LanguageModelUpdateOptions,
  type LanguageModelResult, type LanguageModelSettings, type LanguageModelStateJSON,
} from './eval/lm.js';
export type { Estimate } from './eval/estimate.js';
export type { LikelihoodFigures, Perplexity, BitsPerByte, PositionBin } from './eval/likelihood.js';
export {
  fromLogprobs, type LogprobsOptions, type LogprobsResult, type LogprobsResponse, type LogprobSentinel,
} from './eval/logprobs.js';

// Comparing two models (src/eval/compare.ts).
export { Comparison } from './eval/compare.js';
export type {
  ComparisonOptions, ComparisonUpdateOptions, ComparisonSettings, ComparisonResult, ComparisonStateJSON, Disagreement,
} from './eval/compare.js';
