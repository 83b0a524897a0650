// A TypeScript project that depends on xent, compiled by test/types.test.ts against the built declarations
// (dist/index.d.ts) with skipLibCheck: false, under TypeScript 5.0 and the current version, in several module
// settings. Each assertion fails the compile when a result type is wrong; each @ts-expect-error fails it when the
// error it expects does not happen (so the declarations are not silently `any`).
import {
  type Batch, type BatchOptions, type BackendName, type Dtype, type EvalResult, type KlReduction, type LossAndGradient,
  type LossReduction, type Reduction, type SignedLogSumExp, type XentErrorCode, relEntr,
  Evaluator, XentError, allocate, backend, binaryCrossEntropy, binaryFocalCrossEntropy, categoricalCrossEntropy,
  categoricalFocalCrossEntropy, crossEntropy, entropy, fallbackReason, information, init, jsDistance, jsDivergence,
  klDivergence, klDivergenceWithGrad, logSoftmax, logSumExp, nllLoss, perplexity, sigmoidCrossEntropy,
  sigmoidCrossEntropyWithGrad, softmax, softmaxCrossEntropy, softmaxCrossEntropyWithGrad,
} from 'xent';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when T is exactly `true`. */
function expectTrue<T extends true>(): void {}

declare const rows: number[][];
declare const flat: Float32Array;
declare const vector: number[];
declare const batch: Batch;
declare const labels: number[];
declare const reduction: Reduction;
declare const options: BatchOptions;
declare const maybeClasses: { classes?: number };
declare const sign: boolean;
declare const dtype: Dtype;

type Many = number | Float64Array;

// Literal options: the result type follows them.
expectTrue<Equal<ReturnType<typeof backend>, BackendName>>();
const mean = softmaxCrossEntropy(rows, labels);
expectTrue<Equal<typeof mean, number>>();
const perRow = softmaxCrossEntropy(rows, labels, { reduction: 'none' });
expectTrue<Equal<typeof perRow, Float64Array>>();
const flatPerRow = softmaxCrossEntropy(flat, labels, { classes: 3, reduction: 'none' });
expectTrue<Equal<typeof flatPerRow, Float64Array>>();
const oneRow = entropy(vector, { reduction: 'none' });
expectTrue<Equal<typeof oneRow, number>>();
const bits = entropy(rows, { base: 2 });
expectTrue<Equal<typeof bits, number>>();
const summed = categoricalCrossEntropy(rows, labels, { reduction: 'sum', normalize: true });
expectTrue<Equal<typeof summed, number>>();

// Options that are not literals: every value the call may return is in the type.
const r1 = softmaxCrossEntropy(rows, labels, { reduction });
expectTrue<Equal<typeof r1, Many>>();
const r2 = softmaxCrossEntropy(flat, labels, options);
expectTrue<Equal<typeof r2, Many>>();
const r3 = nllLoss(vector, 1, { reduction: 'none', ...maybeClasses });
expectTrue<Equal<typeof r3, Many>>();
const r4 = entropy(batch, { reduction: 'none' });
expectTrue<Equal<typeof r4, Many>>();
const r5 = crossEntropy(rows, rows, { reduction });
const r6 = jsDivergence(rows, rows, { reduction });
const r7 = jsDistance(rows, rows, { reduction });
const r8 = categoricalCrossEntropy(rows, labels, { reduction });
const r9 = categoricalFocalCrossEntropy(rows, labels, { reduction });
expectTrue<Equal<[typeof r5, typeof r6, typeof r7, typeof r8, typeof r9], [Many, Many, Many, Many, Many]>>();
declare const kl: KlReduction;
const k1 = klDivergence(rows, rows, { reduction: 'batchmean' });
const k2 = klDivergence(rows, rows, { reduction: kl });
expectTrue<Equal<[typeof k1, typeof k2], [number, Many]>>();
// @ts-expect-error a reduction held in a variable may be 'none': not assignable to number
export const n1: number = softmaxCrossEntropy(rows, labels, { reduction });

// Binary losses: a number stays a number; an array with 'none' gives one value per element.
const b1 = binaryCrossEntropy(0.9, 1, { reduction: 'none' });
const b2 = binaryCrossEntropy([0.9, 0.2], [1, 0], { reduction: 'none' });
const b3 = sigmoidCrossEntropy([2, -1], [1, 0], { reduction });
const b4 = sigmoidCrossEntropy(2, 1, { reduction });
const b5 = binaryFocalCrossEntropy([0.9, 0.2], [1, 0], { from: 'probs' });
expectTrue<Equal<[typeof b1, typeof b2, typeof b3, typeof b4, typeof b5], [number, Float64Array, Many, number, number]>>();

// Named means (a reduction apart from the preset), KL per element under torch, relEntr, one-number weights.
declare const named: LossReduction;
const m1 = softmaxCrossEntropy(rows, labels, { reduction: 'weighted_mean', sampleWeight: 2.3 });
const m2 = sigmoidCrossEntropy(rows, rows, { compat: 'tfjs', reduction: 'sum_by_nonzero_weights', weight: -1 });
const m3 = categoricalCrossEntropy(rows, labels, { reduction: named });
expectTrue<Equal<[typeof m1, typeof m2, typeof m3], [number, number, Many]>>();
const k3 = klDivergence(vector, vector, { compat: 'torch', reduction: 'none', logQ: true });
const k4 = klDivergence(rows, rows, { reduction: 'none', sampleWeight: [1, 2] });
const e1 = relEntr(0.5, 0.25);
const e2 = relEntr(rows, rows);
expectTrue<Equal<[typeof k3, typeof k4, typeof e1, typeof e2], [Float64Array, Float64Array, number, Float64Array]>>();
// @ts-expect-error 'batchmean' is klDivergence's
softmaxCrossEntropy(rows, labels, { reduction: 'batchmean' });

// logSumExp: a value per row for a batch; { value, sign } with returnSign.
const l1 = logSumExp(vector);
const l2 = logSumExp(rows);
const l3 = logSumExp(flat, { classes: 2 });
const l4 = logSumExp(flat, maybeClasses);
const l5 = logSumExp(vector, { b: [1, -1], returnSign: true });
const l6 = logSumExp(vector, { returnSign: sign });
expectTrue<Equal<[typeof l1, typeof l2, typeof l3, typeof l4], [number, Float64Array, Float64Array, Many]>>();
expectTrue<Equal<[typeof l5, typeof l6], [SignedLogSumExp<number>, number | SignedLogSumExp<number>]>>();

// softmax and gradients keep the input's dtype.
const s1 = softmax(flat);
const s2 = logSoftmax(rows);
const s3 = softmax(batch);
expectTrue<Equal<[typeof s1, typeof s2, typeof s3], [Float32Array, Float64Array, Float32Array | Float64Array]>>();
const g1 = softmaxCrossEntropyWithGrad(flat, labels, { classes: 3 });
const g2 = softmaxCrossEntropyWithGrad(rows, labels, { reduction });
const g3 = sigmoidCrossEntropyWithGrad(2, 1);
const g4 = klDivergenceWithGrad(rows, flat, { classes: 2, reduction: 'none' });
expectTrue<Equal<typeof g1, LossAndGradient<number, Float32Array>>>();
expectTrue<Equal<typeof g2, LossAndGradient<Many, Float64Array>>>();
expectTrue<Equal<typeof g3, LossAndGradient<number, number>>>();
expectTrue<Equal<typeof g4, LossAndGradient<Float64Array, Float32Array>>>();

// The rest of the surface.
const i1 = information(0.5);
const i2 = information([0.5, 0.25]);
expectTrue<Equal<[typeof i1, typeof i2], [number, Float64Array]>>();
expectTrue<Equal<typeof perplexity extends (l: Batch, y: number[]) => number ? true : false, true>>();
expectTrue<Equal<ReturnType<ReturnType<typeof allocate<'float32'>>['view']>, Float32Array>>();
const anyDtype = allocate(dtype, 4).view();
expectTrue<Equal<typeof anyDtype, Float32Array | Float64Array | Uint16Array>>();

// Half precision: Uint16Array bits (with dtype) compute as float32 input does.
declare const halfBits: Uint16Array;
const h1 = softmax(halfBits, { classes: 3, dtype: 'float16' });
const h2 = softmaxCrossEntropy(halfBits, labels, { classes: 3, dtype: 'bfloat16', reduction: 'none' });
const h3 = softmaxCrossEntropyWithGrad([halfBits, halfBits], labels, { dtype: 'float16' });
expectTrue<Equal<[typeof h1, typeof h2, typeof h3], [Float32Array, Float64Array, LossAndGradient<number, Float32Array>]>>();
expectTrue<Equal<ReturnType<ReturnType<typeof allocate<'bfloat16'>>['view']>, Uint16Array>>();
// @ts-expect-error dtype names a half-precision format
softmax(halfBits, { dtype: 'float32' });
const ev = new Evaluator({ classes: 3 });
ev.update(flat, new Int32Array(2));
ev.merge(Evaluator.fromJSON(ev.toJSON()));
expectTrue<Equal<ReturnType<typeof ev.result>, EvalResult>>();
expectTrue<Equal<ReturnType<typeof fallbackReason>, string | null>>();
expectTrue<Equal<ReturnType<typeof init>, Promise<BackendName>>>();
declare const wasmModule: WebAssembly.Module;
void init({ module: wasmModule, maxMemory: 1 << 24 });
void init({ bytes: new Uint8Array(8) });
void init({ backend: 'js' });
// @ts-expect-error no such backend
void init({ backend: 'gpu' });
// @ts-expect-error no such option (a typo)
softmaxCrossEntropy(rows, labels, { reductio: 'none' });
try {
  entropy([0.5, 0.4]);
} catch (e) {
  if (e instanceof XentError) expectTrue<Equal<typeof e.code, XentErrorCode>>();
}
