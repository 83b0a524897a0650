/**
 * scoreTokens and LanguageModelEvaluator.update on half-precision logits (a Float16Array where the runtime has one,
 * Uint16Array bits with dtype 'float16' or 'bfloat16') on every backend: the same answers as for a Float32Array of
 * the decoded values (the kernels widen half input exactly, in wasm lanes or in TypeScript), and within the float32
 * bound of the float64 reference, on rows with ±0, subnormals, masks and ties, and on 262,144-wide rows.
 */
import { expect, it } from 'vitest';
import { LanguageModelEvaluator, scoreTokens } from '../src/index.js';
import { KINDS, decodeAll, logitBits } from './half-data.js';
import { scoreRow } from './lm-reference.js';
import { describeBackends, expectClose, expectXent, prng } from './helpers.js';

describeBackends('scoreTokens on half-precision logits', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: as for a Float32Array of the decoded values, and within float32 bounds of the reference`, () => {
      const V = 301;
      const n = 24;
      const bits = logitBits(n, V, kind.format, 41);
      const f32 = decodeAll(bits, kind.format);
      const rand = prng(43);
      const t = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? -100 : Math.floor(rand() * V)));
      const o = { classes: V, shift: true, sequenceLength: 8, topK: 3 };
      const got = scoreTokens(kind.make(bits) as Uint16Array, t, { ...o, ...kind.opts });
      expect(got).toEqual(scoreTokens(f32, t, o));
      for (let i = 1; i < n; i++) {
        if (got.rank[i] < 0) continue;
        const ref = scoreRow(f32.subarray((i - 1) * V, i * V), t[i], 3);
        expectClose(got.logprob[i], ref.logprob, 1e-6, 0, `logprob ${i}`);
        expectClose(got.entropy[i], ref.entropy, 1e-6, 0, `entropy ${i}`);
        expect(Array.from(got.topIds!.subarray(3 * i, 3 * i + 3)), `top ${i}`).toEqual(ref.topIds);
      }
      const u = { sequenceLength: 8, shift: true, bytes: 99 };
      const half = kind.make(bits) as Uint16Array;
      const ev = new LanguageModelEvaluator({ classes: V }).update(half, t, { ...u, ...kind.opts });
      expect(ev.result()).toEqual(new LanguageModelEvaluator({ classes: V }).update(f32, t, u).result());
    });

    it(`${kind.name}: 262,144-wide rows`, () => {
      const V = 262_144;
      const bits = logitBits(3, V, kind.format, 7);
      const f32 = decodeAll(bits, kind.format);
      const t = [5, 200_000, 1];
      const got = scoreTokens(kind.make(bits) as Uint16Array, t, { classes: V, ...kind.opts });
      expect(got).toEqual(scoreTokens(f32, t, { classes: V }));
      const ref = scoreRow(f32.subarray(V, 2 * V), t[1]);
      expectClose(got.logprob[1], ref.logprob, 1e-6, 0, 'logprob');
      expectClose(got.entropy[1], ref.entropy, 1e-6, 0, 'entropy');
    });
  }

  it('a Uint16Array needs a dtype, and a NaN pattern is named by index', () => {
    const bits = logitBits(2, 16, 'float16', 3, false);
    expectXent(() => scoreTokens(bits, [1, 2], { classes: 16 }), 'INVALID_TYPE', 'dtype');
    expectXent(() => scoreTokens(bits, [1, 2], { classes: 16, dtype: 'float32' as never }), 'INVALID_OPTION', 'dtype');
    bits[16 + 5] = 0x7e00;
    expectXent(() => scoreTokens(bits, [1, 2], { classes: 16, dtype: 'float16' }), 'NON_FINITE', 'logits[1][5]');
    const ev = new LanguageModelEvaluator({ classes: 16 });
    expectXent(() => ev.update(bits, [1, 2], { dtype: 'float16' }), 'NON_FINITE', 'logits[1][5]');
  });
});
