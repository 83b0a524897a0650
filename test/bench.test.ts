// The benchmark's pure parts: the statistics of its ratios, the goals' verdicts, the accuracy column, the half
// conversion of its float16 workload, and the tables built from them. The races themselves run in `npm run bench`.
import { describe, expect, it } from 'vitest';
import { GOALS, type Goal, judge, judgeGoals, meets } from '../bench/goals.js';
import { halfTable, halfToNumber, toHalfBits } from '../bench/half.js';
import type { ContenderResult, RaceResult } from '../bench/race.js';
import { type RunResult, goalCell, headline, resultsMarkdown, spreadText } from '../bench/report.js';
import { errText, quantileSorted, raceRounds, roundOrder, ratioSpread, relativeError, roundRatios, spread, stride } from '../bench/stats.js';

describe('bench statistics', () => {
  it('quantiles interpolate linearly between order statistics (NumPy percentile, method "linear")', () => {
    // NumPy's documentation: np.percentile([[10, 7, 4], [3, 2, 1]], 50) is 3.5. The quartiles follow its rule
    // h = (n − 1) q: 2 + 0.25 (3 − 2) and 4 + 0.75 (7 − 4).
    const v = [1, 2, 3, 4, 7, 10];
    expect(quantileSorted(v, 0.5)).toBe(3.5);
    expect(quantileSorted(v, 0.25)).toBe(2.25);
    expect(quantileSorted(v, 0.75)).toBe(6.25);
    expect(quantileSorted(v, 0)).toBe(1);
    expect(quantileSorted(v, 1)).toBe(10);
    expect(quantileSorted([5], 0.25)).toBe(5);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('a spread is taken over the rounds that ran, in any order', () => {
    expect(spread([7, null, 1, 10, NaN, 3, Infinity, 2, 4])).toEqual({ n: 6, median: 3.5, q1: 2.25, q3: 6.25 });
    expect(spread([null, NaN])).toBeNull();
    expect(spread([])).toBeNull();
  });

  it('ratios pair calls of the same round only', () => {
    const a = [2, 4, null, 9, 1, 0];
    const b = [1, 2, 3, null, 0, 1];
    // Round 2: a sat out; round 3: b did; round 4: b's time is 0 (no ratio); round 5: a's is 0.
    expect(roundRatios(a, b)).toEqual([2, 2, null, null, null, null]);
    expect(ratioSpread([3, 6, 9, 12], [1, 2, 3, 3])).toEqual({ n: 4, median: 3, q1: 3, q3: 3.25 });
    expect(ratioSpread([null], [1])).toBeNull();
  });

  it('a contender taking long runs in evenly spaced rounds that fit the budget, nested across contenders', () => {
    expect(stride(5, 21, 10_000)).toBe(1); // 105 ms in all
    expect(stride(476, 21, 10_000)).toBe(1); // 9,996 ms
    expect(stride(477, 21, 10_000)).toBe(2); // rounds 0, 2, …, 20: 11 of them, 5.2 s
    expect(stride(2300, 21, 10_000)).toBe(8); // rounds 0, 8, 16: 6.9 s
    expect(stride(60_000, 21, 10_000)).toBe(21); // round 0 alone
    expect(stride(0, 3, 600)).toBe(1);
    expect(stride(250, 3, 600)).toBe(2); // rounds 0 and 2
    expect(stride(500, 3, 600)).toBe(3); // round 0
    // Whatever two strides are chosen, the longer one's rounds are all rounds of the shorter one.
    const ks = [1, 10, 400, 800, 1600, 3000, 9000, 50_000].map((ms) => stride(ms, 21, 10_000));
    const rounds = (k: number) => Array.from({ length: 21 }, (_, r) => r).filter((r) => r % k === 0);
    for (const a of ks) for (const b of ks) if (a <= b) expect(rounds(b).every((r) => r % a === 0)).toBe(true);
  });

  it('a race runs more rounds, up to four times those asked for, while its calls fit its time', () => {
    // A round of 1.5 s: 9 rounds take 13.5 s, 36 take 54 s.
    expect(raceRounds(9, 60_000, (n) => 1500 * n)).toBe(36);
    expect(raceRounds(9, 30_000, (n) => 1500 * n)).toBe(20);
    expect(raceRounds(9, 10_000, (n) => 1500 * n)).toBe(9); // never fewer than asked
    expect(raceRounds(9, 0, (n) => n)).toBe(9); // raceMs 0 (--quick): the rounds asked for
    // With strides: a 1 s contender keeps to about 10 s at any n (stride() thins its rounds), a 10 ms one runs
    // every round. At 33-35 rounds the 1 s one runs 9 times (9.33-9.35 s in all), at 32 rounds 8 times (8.32 s).
    const t = (n: number) => 10 * n + 1000 * Math.ceil(n / stride(1000, n, 10_000));
    expect(raceRounds(9, 9_360, t)).toBe(36);
    expect(raceRounds(9, 9_300, t)).toBe(32);
  });

  it('each round takes the contenders in a shuffled order: a permutation, the same every run, predecessors varied', () => {
    for (const n of [1, 2, 5, 26]) {
      for (let r = 0; r < 40; r++) expect([...roundOrder(n, r)].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    }
    expect(roundOrder(26, 7)).toEqual(roundOrder(26, 7));
    expect(roundOrder(26, 7)).not.toEqual(roundOrder(26, 8));
    // Over 36 rounds of 26 contenders, contender 0 is preceded by many different ones (a rotation: always the same).
    const before = new Set<number>();
    for (let r = 0; r < 36; r++) {
      const o = roundOrder(26, r);
      const at = o.indexOf(0);
      if (at > 0) before.add(o[at - 1]);
    }
    expect(before.size).toBeGreaterThan(12);
  });

  it('relative error against the reference: NaN and infinities are never small', () => {
    expect(relativeError(2.000002, 2)).toBeCloseTo(1e-6, 12);
    expect(relativeError(-4.5, -4.5)).toBe(0);
    expect(relativeError(-1, 1)).toBe(2);
    expect(relativeError(NaN, 1)).toBeNaN();
    expect(relativeError(Infinity, 1)).toBeNaN();
    expect(relativeError(1e-9, 0)).toBe(1e-9);
    expect(errText(NaN)).toBe('NaN');
    expect(errText(0)).toBe('0');
    expect(errText(2.345e-9)).toBe('2.3e-9');
  });

  it('spreads print as median (q1–q3), the quartiles left out below three rounds', () => {
    expect(spreadText({ n: 5, median: 13.24, q1: 12.9, q3: 13.61 })).toBe('13.2× (12.9–13.6)');
    expect(spreadText({ n: 2, median: 0.634, q1: 0.6, q3: 0.7 })).toBe('0.63×');
    expect(spreadText(null)).toBe('—');
  });
});

// ---------------------------------------------------------------------------------------------------------------

const contender = (name: string, times: (number | null)[], extra: Partial<ContenderResult> = {}): ContenderResult =>
  ({ name, times, ...extra });

function raceOf(id: string, contenders: ContenderResult[]): RaceResult {
  return {
    workload: { id, title: id, kind: 'softmax', f32: true, rows: 1, cols: 1, elements: 1_000_000, reference: 1 },
    rounds: contenders[0]?.times.length ?? 0,
    contenders,
  };
}

describe('bench goals', () => {
  const speedUp = GOALS.find((g) => g.label.startsWith('xent ÷ tuned JS'))!;
  const accuracy = GOALS.find((g) => g.kind === 'accuracy')!;
  const cell = (g: Goal, column: string) => g.cells.find((c) => c.column === column)!;

  it('a target is met at equality, in its direction; NaN meets nothing', () => {
    expect(meets(12, { op: '>=', target: 12 })).toBe(true);
    expect(meets(11.99, { op: '>=', target: 12 })).toBe(false);
    expect(meets(1.2, { op: '<=', target: 1.2 })).toBe(true);
    expect(meets(1.21, { op: '<=', target: 1.2 })).toBe(false);
    expect(meets(NaN, { op: '<=', target: 1 })).toBe(false);
    expect(meets(NaN, { op: '>=', target: 1 })).toBe(false);
  });

  it('a speed-up goal reads the median of per-round ratios, not a ratio of medians', () => {
    // Per round tuned/xent: 12, 10, 13 → median 12 (W2's goal, 12×, is met). The medians' ratio would be
    // 12 / 1 = 12 too, so round 2 is built to differ: per-round medians would give 20 / 2 = 10.
    const race = raceOf('W2', [
      contender('xent', [1, 2, 1]),
      contender('tuned JS', [12, 20, 13]),
    ]);
    const j = judge(speedUp, cell(speedUp, 'W2'), [race]);
    expect(j.status).toBe('met');
    expect(j.value).toBe(12);
    expect(j.spread).toEqual({ n: 3, median: 12, q1: 11, q3: 12.5 });
    const slow = raceOf('W2', [contender('xent', [1, 1, 1]), contender('tuned JS', [11, 11.9, 13])]);
    expect(judge(speedUp, cell(speedUp, 'W2'), [slow])).toMatchObject({ status: 'not met', value: 11.9 });
  });

  it('an accuracy goal reads the relative error of xent', () => {
    const ok = raceOf('W5', [contender('xent', [1], { relErr: 1.7e-9 })]);
    const off = raceOf('W5', [contender('xent', [1], { relErr: 3e-8 })]);
    const nan = raceOf('W5', [contender('xent', [1], { relErr: NaN })]);
    expect(judge(accuracy, cell(accuracy, 'W5'), [ok])).toMatchObject({ status: 'met', value: 1.7e-9 });
    expect(judge(accuracy, cell(accuracy, 'W5'), [off]).status).toBe('not met');
    expect(judge(accuracy, cell(accuracy, 'W5'), [nan]).status).toBe('not met');
  });

  it('says why a cell is not measured: workload not run, contender missing, n/a or failed, no common round', () => {
    const w1 = cell(speedUp, 'W1');
    expect(judge(speedUp, w1, [])).toMatchObject({ status: 'not measured', why: 'W1 not run' });
    expect(judge(speedUp, w1, [raceOf('W1', [contender('xent', [1])])]).why).toBe('no tuned JS');
    const na = raceOf('W1', [contender('xent', [1]), contender('tuned JS', [null], { na: 'softmax only' })]);
    expect(judge(speedUp, w1, [na]).why).toBe('tuned JS: softmax only');
    const err = raceOf('W1', [contender('xent', [1]), contender('tuned JS', [null], { error: 'Error: x' })]);
    expect(judge(speedUp, w1, [err]).why).toBe('tuned JS: error');
    const apart = raceOf('W1', [contender('xent', [1, null]), contender('tuned JS', [null, 5])]);
    expect(judge(speedUp, w1, [apart])).toMatchObject({ status: 'not measured', why: 'no round ran both' });
  });

  it("issue 18's rows appear once their APIs are raced; issue 21's always, one not raced saying why", () => {
    const base = [raceOf('W5', [contender('xent', [1, 1, 1]), contender('tuned JS', [14, 15, 13])])];
    const rows = judgeGoals(base);
    expect(rows.every((r) => r.goal.issue === 21)).toBe(true);
    expect(rows.map((r) => r.goal.label)).toEqual(GOALS.filter((g) => g.issue === 21).map((g) => g.label));
    const workers = rows.find((r) => r.goal.label.startsWith('xent on two workers vs'))!;
    expect(workers.cells.map((c) => c.status)).toEqual(['not measured']);

    const withLm = [
      raceOf('W5', [contender('xent', [1, 1, 1]), contender('xent scoreTokens', [1.05, 1.1, 1.3])]),
      raceOf('W5-f16', [
        contender('xent', [2, 2, 2]),
        contender('xent, float16 bits (Uint16Array)', [1.8, 2.2, 1.9]),
        contender('widen in JS (table), then xent', [9, 9, 9]),
      ]),
    ];
    const lm = judgeGoals(withLm).filter((r) => r.goal.issue === 18);
    const by = (prefix: string) => lm.find((r) => r.goal.label.startsWith(prefix))!.cells.find((c) => c.cell.column === 'W5')!;
    expect(by('scoreTokens')).toMatchObject({ status: 'met', value: 1.1 }); // ≤ 1.15×
    expect(by('float16 input')).toMatchObject({ status: 'met', value: 0.95 });
    // Widening over half input: 9 / 1.8, 9 / 2.2, 9 / 1.9 → 5, 4.09…, 4.73…: the median 9 / 1.9 meets ≥ 4.
    expect(by('widening')).toMatchObject({ status: 'met' });
    expect(by('widening').value).toBe(9 / 1.9);
    expect(lm.some((r) => r.goal.label.startsWith('LanguageModelEvaluator'))).toBe(false);
  });

  it('a cell prints its target, the measure and the verdict', () => {
    const j = judge(speedUp, cell(speedUp, 'W1'), [raceOf('W1', [contender('xent', [1, 1, 1]), contender('tuned JS', [9, 10, 11])])]);
    expect(goalCell(j, false)).toBe('≥ 11×: 10.0× (9.50–10.5), **not met**');
    const a = judge(accuracy, cell(accuracy, 'W1'), [raceOf('W1', [contender('xent', [1], { relErr: 2.3e-10 })])]);
    expect(goalCell(a, true)).toBe('≤ 1e-8: 2.3e-10, met');
    expect(goalCell(judge(accuracy, cell(accuracy, 'W3'), []), true)).toBe('≤ 1e-8: not measured (W3 not run)');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('bench report', () => {
  const info = (node: string): RunResult['info'] => ({
    node, v8: '1', machine: 'a CPU, 2 cores', date: '2026-01-01T00:00:00.000Z', quick: false, loadStart: [1, 1, 1],
    loadEnd: [2, 2, 2], wallSeconds: 10, pace: { rounds: 3, budgetMs: 1000, raceMs: 0, warmups: 3, warmupMs: 400, settleMs: 0 }, notes: [],
  });
  const run = (node: string, tuned: number[]): RunResult => ({
    info: info(node),
    races: [raceOf('W1', [
      contender('xent', [1, 1, 1], { relErr: 2e-10, note: 'init() chose wasm-simd' }),
      contender('tuned JS', tuned, { relErr: 0 }),
      contender('TF.js cpu', [null, null, null], { na: 'skipped' }),
    ])],
  });

  it('takes Node 24 as the headline, first, and sets the other run beside it', () => {
    const runs = [run('v20.20.2', [9, 10, 11]), run('v24.22.3', [12, 12, 12])];
    expect(headline(runs).info.node).toBe('v24.22.3');
    const md = resultsMarkdown(runs);
    expect(md).toContain('| contender | Node 24: ns/element | Node 24: time ÷ xent\'s | Node 20: ns/element | Node 20: time ÷ xent\'s | rel. error of the mean | rounds |');
    expect(md).toContain('| tuned JS | 12.0 | 12.0× (12.0–12.0) | 10.0 | 10.0× (9.50–10.5) | 0 | 3 / 3 |');
    expect(md).toContain('| TF.js cpu | n/a | n/a | n/a | n/a | n/a | 0 / 0 |');
    // The goals are judged on Node 24's run: 12× meets W1's 11×.
    expect(md).toMatch(/\| xent ÷ tuned JS \(speed-up, copy included\) \(#21\) \| ≥ 11×: 12\.0× \(12\.0–12\.0\), met \|/);
    expect(md).toContain('load average (1 / 5 / 15 min) 1.00 / 1.00 / 1.00 at the start, 2.00 / 2.00 / 2.00 at the end');
    expect(md).toContain('- xent: init() chose wasm-simd (Node 24: W1; Node 20: W1)');
    expect(md).not.toContain('## Problems');
  });

  it('a goal row measured nowhere for one reason says it once', () => {
    const all: RunResult = {
      info: info('v24.22.3'),
      races: ['W1', 'W2', 'W3', 'W4', 'W5'].map((id) => raceOf(id, [contender('xent', [1, 1, 1], { relErr: 1e-9 })])),
    };
    const md = resultsMarkdown([all]);
    expect(md).toContain('| relaxed-SIMD build ÷ SIMD build (kernel speed-up) (#21) | not measured: no xent SIMD build, zero-copy |  |  |  |  |');
    expect(md).toContain('| xent on two workers vs onnxruntime-node, 2 threads (#21) |  |  |  |  | not measured: no onnxruntime-node, 2 threads |');
    expect(md).toContain('| accuracy of the mean vs float64 (relative error) (#21) | ≤ 1e-8: 1.0e-9, met | ≤ 1e-8: 1.0e-9, met |');
  });

  it('lists errors and xent means off their tolerance as problems', () => {
    const bad = run('v24.22.3', [12, 12, 12]);
    bad.races[0].contenders[0].relErr = 2e-5;
    bad.races[0].contenders.push(contender('onnxruntime-node, 1 thread', [null, null, null], { error: 'Error: no graph' }));
    const md = resultsMarkdown([bad]);
    expect(md).toContain('## Problems');
    expect(md).toContain('- xent on W1 (Node 24): mean undefined against 1 (relative error 2.0e-5 > 0.000001)');
    expect(md).toContain('- onnxruntime-node, 1 thread on W1 (Node 24): Error: no graph');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('bench half conversion', () => {
  it('every half survives the round trip through its value (NaNs stay NaN)', () => {
    const table = halfTable();
    for (let h = 0; h < 65536; h++) {
      const v = halfToNumber(h);
      expect(table[h]).toBe(Number.isNaN(v) ? NaN : v);
      if (Number.isNaN(v)) expect(toHalfBits(v)).toBe(0x7e00);
      else if (toHalfBits(v) !== h) expect.fail(`half 0x${h.toString(16)} → ${v} → 0x${toHalfBits(v).toString(16)}`);
    }
  });

  it('matches IEEE 754 binary16 at its landmarks', () => {
    expect(halfToNumber(0x3c00)).toBe(1);
    expect(halfToNumber(0x7bff)).toBe(65504);
    expect(halfToNumber(0x0400)).toBe(2 ** -14);
    expect(halfToNumber(0x0001)).toBe(2 ** -24);
    expect(halfToNumber(0x03ff)).toBe(1023 * 2 ** -24);
    expect(halfToNumber(0xc000)).toBe(-2);
    expect(Object.is(halfToNumber(0x8000), -0)).toBe(true);
    expect(halfToNumber(0x7c00)).toBe(Infinity);
    expect(halfToNumber(0xfc00)).toBe(-Infinity);
    expect(halfToNumber(0x7e00)).toBeNaN();
  });

  it('rounds to nearest, ties to even, overflowing to infinity from 65520', () => {
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1 + 2^-10: even
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02: even
    expect(toHalfBits(1 + 2 ** -11 + 2 ** -30)).toBe(0x3c01);
    expect(toHalfBits(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal
    expect(toHalfBits(3 * 2 ** -25)).toBe(0x0002);
    expect(toHalfBits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up into the normals
    expect(toHalfBits(2047.5)).toBe(0x6800); // 2047.5 ties between 2047 and 2048: 2048 (even)
    expect(toHalfBits(65519.99)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00);
    expect(toHalfBits(-1e9)).toBe(0xfc00);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(-1e-10)).toBe(0x8000);
  });

  const f16round = (Math as { f16round?: (x: number) => number }).f16round;
  it.runIf(typeof f16round === 'function')("agrees with the runtime's Math.f16round", () => {
    let s = 12345;
    for (let i = 0; i < 100_000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const v = (s / 2 ** 32 - 0.5) * 2 ** ((i % 40) - 20);
      expect(halfToNumber(toHalfBits(v))).toBe(f16round!(v));
    }
  });
});
