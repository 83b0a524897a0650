/**
 * The property runner: draws `numRuns` cases of one function from a fixed seed, runs each, and classifies the
 * outcome — 'value' (matched the reference), an error code (matched a defect), or a failure with a repro line.
 * Every case also checks that no argument (options included) was mutated: a hash before and after the call.
 * The property itself never throws, so one run counts every failure instead of stopping (and shrinking) at the first.
 */
import fc from 'fast-check';
import { SPECS as CORE } from './cases.js';
import { scoreTokensCase } from './tokens.js';
import { describe, hashArgs } from './gen.js';
import type { Case } from './oracle.js';

export interface Failure {
  fn: string;
  note: string;
  args: string;
  problem: string;
}

export interface RunResult {
  fn: string;
  cases: number;
  /** 'value' or an error code → count. */
  outcomes: Record<string, number>;
  failures: Failure[];
  ms: number;
}

/** A known library bug: matching failures are counted as `known:<id>` (see the it.fails tests), not as failures. */
export interface KnownBug {
  id: string;
  matches: (c: Case, problem: string) => boolean;
}

function outcome(c: Case): { key: string; problem: string | null } {
  const before = hashArgs(c.args);
  let out: unknown;
  let thrown: unknown = undefined;
  let threw = false;
  try {
    out = c.call(...c.args);
  } catch (e) {
    threw = true;
    thrown = e;
  }
  const after = hashArgs(c.args);
  if (before !== after) return { key: 'mutated', problem: 'an argument was mutated' };
  if (threw) {
    const err = thrown as { name?: string; code?: string; message?: string };
    if (err?.name !== 'XentError' || !(thrown instanceof Error)) {
      return { key: 'non-XentError', problem: `threw a non-XentError: ${String(err?.name)}: ${String(err?.message)}` };
    }
    const code = err.code as string;
    if ('codes' in c.expect) {
      return c.expect.codes.includes(code as never)
        ? { key: code, problem: null }
        : { key: code, problem: `code ${code} (${err.message}), expected one of ${c.expect.codes.join(', ')}` };
    }
    return { key: code, problem: `threw ${code} (${err.message}) on valid input` };
  }
  if ('codes' in c.expect) {
    return { key: 'value', problem: `returned ${describe(out)}, expected an error ${c.expect.codes.join(' | ')}` };
  }
  const m = c.expect.check(out);
  return { key: m === null && typeof out === 'number' && Number.isNaN(out) ? 'empty-mean NaN' : 'value', problem: m };
}

/** Every public function's case arbitrary: cases.ts, and token scoring (tokens.ts). */
const SPECS: Record<string, () => fc.Arbitrary<Case>> = { ...CORE, scoreTokens: scoreTokensCase };

export function runFunction(fn: string, numRuns: number, seed: number, known: readonly KnownBug[] = [], maxFailures = 20): RunResult {
  const spec = SPECS[fn];
  if (!spec) throw new Error(`no fuzz spec for ${fn}`);
  const outcomes: Record<string, number> = {};
  const failures: Failure[] = [];
  let cases = 0;
  const t0 = performance.now();
  fc.check(fc.property(spec(), (c) => {
    cases++;
    const { key, problem } = outcome(c);
    if (problem === null) {
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      return true;
    }
    const bug = known.find((b) => b.matches(c, problem));
    if (bug) {
      outcomes[`known:${bug.id}`] = (outcomes[`known:${bug.id}`] ?? 0) + 1;
      return true;
    }
    outcomes['FAILED'] = (outcomes['FAILED'] ?? 0) + 1;
    if (failures.length < maxFailures) {
      failures.push({ fn, note: c.note, args: c.args.map((a) => describe(a)).join(', '), problem });
    }
    return true;
  }), { numRuns, seed });
  return { fn, cases, outcomes, failures, ms: performance.now() - t0 };
}

export const FUNCTIONS = Object.keys(SPECS);
