// The same package required from CommonJS (the `require` condition: dist/index.d.cts beside dist/index.cjs),
// compiled by test/types.test.ts. Were the ESM declarations served here, TypeScript would refuse the require.
import xent = require('xent');
import { type Reduction, XentError, softmaxCrossEntropy } from 'xent';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectTrue<T extends true>(): void {}

declare const reduction: Reduction;
const r = softmaxCrossEntropy([[2, 1, 0.1]], [0], { reduction });
expectTrue<Equal<typeof r, number | Float64Array>>();
expectTrue<Equal<typeof xent.XentError, typeof XentError>>();
expectTrue<Equal<ReturnType<typeof xent.backend>, 'wasm-relaxed-simd' | 'wasm-simd' | 'wasm' | 'js'>>();
// @ts-expect-error the loss of one row of logits is a number, not a string
const s: string = xent.softmaxCrossEntropy([2, 1, 0.1], 0);
export = { s };
