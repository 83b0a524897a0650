/** The CI property run of one backend: CI_RUNS cases per function (the two backends make 5,000), fixed seed. */
import { describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { KNOWN_BUGS } from './known.js';
import { FUNCTIONS, type RunResult, runFunction } from './runner.js';
import { CI_SEED } from './ci-seed.js';

/** 2,500 per backend: 5,000 cases per function in all. */
export const CI_RUNS = Number(process.env.FUZZ_CI_RUNS ?? 2500);
export { CI_SEED };

function report(r: RunResult): string {
  const lines = r.failures.map((f) => `  ${f.fn} [${f.note}]: ${f.problem}\n    args: ${f.args.slice(0, 600)}`);
  return `${r.fn}: ${r.outcomes.FAILED ?? 0} failures of ${r.cases}\n${lines.join('\n')}`;
}

export function fuzzBackend(b: 'wasm' | 'js'): void {
  describe(`fuzz [${b}]`, () => {
    it.each(FUNCTIONS)(`%s: ${CI_RUNS} cases match the reference or the documented code`, async (fn) => {
      await init({ backend: b });
      const r = runFunction(fn, CI_RUNS, CI_SEED, KNOWN_BUGS);
      expect(r.cases).toBe(CI_RUNS);
      // the generator must keep producing valid inputs (value checks), not only defects
      expect(r.outcomes.value ?? 0, `${fn}: too few valid cases`).toBeGreaterThan(CI_RUNS / 5);
      expect(r.failures, report(r)).toEqual([]);
    });
  });
}
