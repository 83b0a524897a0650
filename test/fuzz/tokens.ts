/**
 * The fuzz case of scoreTokens: logits of every shape, dtype and container the other cases draw (masks and
 * extremes included), targets with ignored positions, the shift within sequences of a random length, a top list, a
 * temperature and a unit; then zero to two defects. Without defects each position is checked against the float64
 * reference of test/lm-reference.ts; a NaN, +Infinity or all -Infinity row is a defect only where its row scores a
 * target (rows that score nothing are not read, as documented).
 */
import fc from 'fast-check';
import * as x from '../../src/index.js';
import { scoreRow } from '../lm-reference.js';
import { defined, draft, materializeDraft, noteOf } from './cases.js';
import {
  type Defect, ALL_MASKED_X, BAD_LABEL, BAD_OPTION, EMPTY_X, LABEL_LENGTH, LABEL_TYPE, NAN_X, OPTIONS_NOT_OBJECT,
  PLUS_INF_X, RAGGED_X, TYPE_X, applyDefects, badValue, defectsArb,
} from './defects.js';
import { hash01, holdRows, isBatch, matrixArb, maskedLogitArb, shapeArb } from './gen.js';
import { type Case, REL, close } from './oracle.js';

const DEFECTS: Defect[] = [NAN_X, PLUS_INF_X, ALL_MASKED_X, TYPE_X, RAGGED_X, EMPTY_X, BAD_OPTION, OPTIONS_NOT_OBJECT,
  BAD_LABEL, LABEL_TYPE, LABEL_LENGTH, badValue('topK', [-1, 1.5, '2']), badValue('shift', ['yes', 1]),
  badValue('temperature', [0, -2, Infinity, NaN]), badValue('ignoreIndex', [1.5, '-100']),
  badValue('sequenceLength', [0, 1.5, '2'])];

/** A row the kernel cannot score: it holds NaN or +Infinity, or only -Infinity. */
const bad = (row: number[]) => row.some((v) => Number.isNaN(v) || v === Infinity) || row.every((v) => v === -Infinity);

export function scoreTokensCase(): fc.Arbitrary<Case> {
  return fc.record({
    s: shapeArb({ big: true }),
    shift: fc.boolean(),
    seqLen: fc.constantFrom<number | undefined>(undefined, undefined, 1, 2),
    topK: fc.constantFrom<number | undefined>(undefined, 0, 1, 3, 9),
    temperature: fc.constantFrom<number | undefined>(undefined, undefined, 0.5, 2),
    base: fc.constantFrom<number | undefined>(undefined, undefined, 2),
    seed: fc.nat(),
    defects: defectsArb(DEFECTS),
  }).chain((c) => fc.tuple(matrixArb(c.s, maskedLogitArb, (i) => 40 * hash01(i) - 20),
    fc.array(fc.nat(), { minLength: c.s.rows, maxLength: c.s.rows })).map(([m, ys]) => ({ ...c, m, ys })))
    .map((c) => {
      const { s } = c;
      for (const row of c.m) if (row.length && row.every((v) => v === -Infinity)) row[0] = 0;
      const n = s.rows;
      const labels = c.ys.map((v, r) => (v % 5 === 0 && r > 0 ? -100 : v % Math.max(1, s.cols)));
      const sequenceLength = c.seqLen !== undefined && n % c.seqLen === 0 && isBatch(s) ? c.seqLen : undefined;
      const opts = defined({ shift: c.shift, sequenceLength, topK: c.topK, temperature: c.temperature, base: c.base });
      const d = draft(s, c.m, null, labels, opts);
      applyDefects(d, DEFECTS, c.defects);
      const a = materializeDraft(d, c.seed);
      // One position's target is an array of one too (a bare number is not a list of targets).
      const targets = isBatch(s) || 'labels' in d.over ? a.labels : [d.labels![0]];
      const args = [a.x, targets, a.opts];
      const T = sequenceLength ?? n;
      // The row of logits that scores position i, or -1.
      const rowOf = (i: number) => (!c.shift ? (labels[i] < 0 ? -1 : i) : i % T === 0 || labels[i] < 0 ? -1 : i - 1);
      const scoredRows = new Set(Array.from({ length: n }, (_, i) => rowOf(i)).filter((r) => r >= 0));
      // A defect in the values counts only in a row that scores something.
      const valueDefect = d.x.some((row, r) => bad(row) && scoredRows.has(r));
      const codes = d.codes.filter((code) => code !== 'NON_FINITE' || valueDefect);
      let expect: Case['expect'];
      if (codes.length) expect = { codes };
      else {
        const X = holdRows(d.x, s.dtype);
        const k = Math.min(c.topK ?? 0, s.cols);
        const sc = 1 / (c.temperature ?? 1);
        const u = Math.log(c.base ?? Math.E);
        const rel = REL(s.dtype);
        expect = {
          check: (out) => {
            const r = out as x.TokenScores;
            if (!(r?.logprob instanceof Float64Array) || r.logprob.length !== n) return `expected ${n} log-probabilities`;
            let count = 0;
            for (let i = 0; i < n; i++) {
              const row = rowOf(i);
              if (row < 0) {
                if (r.rank[i] !== -1 || r.logprob[i] !== 0 || r.entropy[i] !== 0) return `[${i}] not scored, yet given values`;
                continue;
              }
              count++;
              const e = scoreRow(X[row], labels[i], k, sc);
              // log p = z_y - lse: the rounding of z = x / T and the cancellation in z_y - max are relative to |z|.
              const scale = Math.max(1, ...X[row].map((v) => Math.abs(v * sc)).filter(Number.isFinite)) / u;
              const m = close(r.logprob[i], e.logprob / u, rel, rel * scale)
                ?? close(r.entropy[i], e.entropy / u, rel, rel * scale + 1e-300)
                ?? (r.rank[i] === e.rank ? null : `rank ${r.rank[i]}, expected ${e.rank}`);
              if (m) return `[${i}] ${m}`;
              for (let j = 0; j < k; j++) {
                if (r.topIds![i * k + j] !== e.topIds[j]) return `[${i}] top ${j}: id ${r.topIds![i * k + j]}, expected ${e.topIds[j]}`;
                const t = close(r.topLogprobs![i * k + j], e.topLogprobs[j] / u, rel, rel * scale);
                if (t) return `[${i}] top ${j}: ${t}`;
              }
            }
            return r.count === count ? null : `count ${r.count}, expected ${count}`;
          },
        };
      }
      return { fn: 'scoreTokens', args, call: x.scoreTokens as (...a: unknown[]) => unknown, expect, note: noteOf(d) };
    });
}
