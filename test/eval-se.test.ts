/**
 * The Evaluator's standard errors against NumPy (scripts/eval_se_fixtures.py: the ratio estimator's standard error
 * of each weighted mean, with Kish's effective sample size, computed from the deviations), on every backend and
 * dtype; chunked and merged states give the same errors; the perplexity interval.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Evaluator } from '../src/index.js';
import { describeBackendsDtypes, expectClose, flat, vec } from './helpers.js';

interface Est { value: number; standardError: number }
interface Case {
  name: string;
  classes: number;
  topK: number;
  logits: number[][];
  labels: number[];
  sampleWeight: number[] | null;
  bootstrap: { resamples: number; seed: number } | null;
  expected: {
    nats: Est; accuracy: Est; topK: Est; brier: Est; perplexityInterval95: [number, number];
    bootstrap?: { resamples: number; loss: [number, number]; perplexity: [number, number]; accuracy: [number, number] };
  };
}

const { cases } = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/eval-se.json', import.meta.url)), 'utf8')) as { cases: Case[] };

describeBackendsDtypes('Evaluator standard errors against NumPy', (_b, d) => {
  for (const c of cases) {
    it(c.name, () => {
      // Float32 logits: the losses move by ~1e-7 relative, their spread with them.
      const rel = d === 'Float32Array' ? 1e-5 : 1e-9;
      const opts = c.sampleWeight ? { sampleWeight: c.sampleWeight } : undefined;
      const settings = { classes: c.classes, topK: c.topK, ignoreIndex: -100, ...(c.bootstrap ? { bootstrap: c.bootstrap } : {}) };
      const ev = new Evaluator(settings);
      ev.update(flat(c.logits, d), c.labels, opts as never);
      const r = ev.result();
      const e = c.expected;
      expectClose(r.nats, e.nats.value, rel, 0, 'nats');
      expectClose(r.standardErrors.nats, e.nats.standardError, rel, 0, 'SE nats');
      expectClose(r.standardErrors.bits, e.nats.standardError / Math.LN2, rel, 0, 'SE bits');
      expectClose(r.standardErrors.accuracy, e.accuracy.standardError, 1e-9, 0, 'SE accuracy');
      expectClose(r.standardErrors.topK!, e.topK.standardError, 1e-9, 0, 'SE top-k');
      expectClose(r.standardErrors.brier, e.brier.standardError, rel, 0, 'SE brier');
      expectClose(r.perplexityInterval95, e.perplexityInterval95, rel, 0, 'perplexity interval');
      if (e.bootstrap) {
        expect(r.bootstrap!.resamples).toBe(e.bootstrap.resamples);
        expectClose(r.bootstrap!.loss, e.bootstrap.loss, rel, 0, 'bootstrap loss');
        expectClose(r.bootstrap!.perplexity, e.bootstrap.perplexity, rel, 0, 'bootstrap perplexity');
        expectClose(r.bootstrap!.accuracy, e.bootstrap.accuracy, 1e-12, 0, 'bootstrap accuracy');
      } else expect(r.bootstrap).toBeNull();
      if (c.labels.length < 10) return;
      // Two chunks merged through JSON: the same errors (sums in another order).
      const h = Math.floor(c.labels.length / 2);
      // Two chunks fed to separate evaluators (the second with its offset), merged through JSON: the same errors
      // and the same draws (sums in another order).
      const part = (from: number, to: number) => new Evaluator(settings)
        .update(flat(c.logits.slice(from, to), d), c.labels.slice(from, to),
          { offset: from, ...(c.sampleWeight ? { sampleWeight: vec(c.sampleWeight.slice(from, to), 'Float64Array') } : {}) } as never);
      const merged = Evaluator.fromJSON(JSON.stringify(part(0, h))).merge(part(h, c.labels.length)).result();
      expectClose(merged.standardErrors.nats, r.standardErrors.nats, 1e-12, 0, 'merged SE');
      expect(merged.standardErrors.accuracy).toBeCloseTo(r.standardErrors.accuracy, 14);
      if (r.bootstrap) expectClose(merged.bootstrap!.loss, r.bootstrap.loss, 1e-12, 0, 'merged bootstrap');
    });
  }
});
