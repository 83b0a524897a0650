/**
 * The speed and accuracy goals of issues 21 and 18, judged from one run's races (pure: unit-tested). A ratio goal
 * reads the median over rounds of one contender's time over another's in the same race; an accuracy goal reads a
 * contender's relative error against the float64 reference.
 */
import type { RaceResult } from './race.js';
import { type Spread, ratioSpread } from './stats.js';

export interface GoalCell {
  /** The column (a workload id) and the race it is read from (the column's workload unless said). */
  column: string;
  race?: string;
  op: '>=' | '<=';
  target: number;
}

export interface Goal {
  label: string;
  issue: 18 | 21;
  /**
   * 'ratio': time of `num` over time of `den`, per round (a speed-up when the slower one is `num`).
   * 'accuracy': `num`'s relative error.
   */
  kind: 'ratio' | 'accuracy';
  num: string;
  den?: string;
  cells: GoalCell[];
  /** Shown for the whole row while nothing in it was measured (an API that does not exist yet). */
  pending?: string;
}

const each = (columns: string[], op: GoalCell['op'], target: number | number[]): GoalCell[] =>
  columns.map((column, i) => ({ column, op, target: Array.isArray(target) ? target[i] : target }));

export const GOAL_COLUMNS = ['W1', 'W2', 'W3', 'W4', 'W5'];
const SOFTMAX = ['W1', 'W2', 'W5'];

export const GOALS: Goal[] = [
  {
    label: 'xent ÷ tuned JS (speed-up, copy included)', issue: 21, kind: 'ratio', num: 'tuned JS', den: 'xent',
    cells: each(GOAL_COLUMNS, '>=', [11, 12, 7, 7, 12]),
  },
  {
    label: 'xent zero-copy vs onnxruntime-node, 1 thread (speed-up)', issue: 21, kind: 'ratio',
    num: 'onnxruntime-node, 1 thread', den: 'xent, zero-copy', cells: each(SOFTMAX, '>=', [1.1, 1.4, 1.6]),
  },
  {
    label: 'xent on two workers vs onnxruntime-node, 2 threads', issue: 21, kind: 'ratio',
    num: 'onnxruntime-node, 2 threads', den: 'xent, 2 workers', cells: each(['W5'], '>=', 1),
  },
  {
    label: 'xent on two workers ÷ one worker (speed-up)', issue: 21, kind: 'ratio',
    num: 'xent, 1 worker', den: 'xent, 2 workers', cells: each(['W5'], '>=', 1.6),
  },
  {
    label: 'relaxed-SIMD build ÷ SIMD build (kernel speed-up)', issue: 21, kind: 'ratio',
    num: 'xent SIMD build, zero-copy', den: 'xent relaxed SIMD build, zero-copy',
    cells: each(GOAL_COLUMNS, '>=', [1.15, 1.15, 1.1, 1.1, 1.15]),
  },
  {
    label: 'accuracy of the mean vs float64 (relative error)', issue: 21, kind: 'accuracy', num: 'xent',
    cells: each(GOAL_COLUMNS, '<=', 1e-8),
  },
  {
    label: 'scoreTokens ÷ softmaxCrossEntropy (time)', issue: 18, kind: 'ratio', num: 'xent scoreTokens', den: 'xent',
    cells: each(SOFTMAX, '<=', 1.15),
  },
  {
    label: 'float16 input ÷ float32 input with its copy (time)', issue: 18, kind: 'ratio',
    num: 'xent, float16 bits (Uint16Array)', den: 'xent', cells: [{ column: 'W5', race: 'W5-f16', op: '<=', target: 1 }],
  },
  {
    label: 'widening in JS then xent ÷ float16 input (speed-up)', issue: 18, kind: 'ratio',
    num: 'widen in JS (table), then xent', den: 'xent, float16 bits (Uint16Array)',
    cells: [{ column: 'W5', race: 'W5-f16', op: '>=', target: 4 }],
  },
  {
    label: 'LanguageModelEvaluator.update ÷ loss (time)', issue: 18, kind: 'ratio', num: 'xent LanguageModelEvaluator',
    den: 'xent', cells: each(SOFTMAX, '<=', 1.2),
  },
  {
    label: 'Comparison.update ÷ two softmaxCrossEntropy calls (time)', issue: 22, kind: 'ratio', num: 'xent Comparison',
    den: 'xent, two calls (base and candidate)', cells: each(['W1', 'W5'], '<=', 1.6),
  },
];

export type Status = 'met' | 'not met' | 'not measured';

export interface Judged {
  cell: GoalCell;
  status: Status;
  value?: number;
  spread?: Spread;
  /** Why a cell is not measured. */
  why?: string;
}

/** Whether a measured value meets a cell's target (NaN never does). */
export function meets(value: number, cell: Pick<GoalCell, 'op' | 'target'>): boolean {
  return cell.op === '>=' ? value >= cell.target : value <= cell.target;
}

/** One goal cell judged from a run's races. */
export function judge(goal: Goal, cell: GoalCell, races: RaceResult[]): Judged {
  const race = races.find((r) => r.workload.id === (cell.race ?? cell.column));
  if (!race) return { cell, status: 'not measured', why: `${cell.race ?? cell.column} not run` };
  const find = (name: string) => race.contenders.find((c) => c.name === name);
  const missing = (name: string) => {
    const c = find(name);
    // An n/a reason's first clause is enough here; the race's table gives the rest.
    return !c ? `no ${name}` : c.na ? `${name}: ${c.na.split(':')[0]}` : c.error ? `${name}: error` : null;
  };
  const why = missing(goal.num) ?? (goal.den ? missing(goal.den) : null);
  if (why) return { cell, status: 'not measured', why };
  if (goal.kind === 'accuracy') {
    const value = find(goal.num)!.relErr;
    if (value === undefined) return { cell, status: 'not measured', why: 'no accuracy' };
    return { cell, value, status: meets(value, cell) ? 'met' : 'not met' };
  }
  const spread = ratioSpread(find(goal.num)!.times, find(goal.den!)!.times);
  if (!spread) return { cell, status: 'not measured', why: 'no round ran both' };
  return { cell, value: spread.median, spread, status: meets(spread.median, cell) ? 'met' : 'not met' };
}

export interface GoalRow {
  goal: Goal;
  cells: Judged[];
}

/**
 * Every goal judged on a run. Issue 18's rows appear only once something in them was measured (their APIs are
 * feature-detected); issue 21's always do, a pending row saying what it waits for.
 */
export function judgeGoals(races: RaceResult[], goals: Goal[] = GOALS): GoalRow[] {
  return goals
    .map((goal) => ({ goal, cells: goal.cells.map((c) => judge(goal, c, races)) }))
    .filter((row) => row.goal.issue === 21 || row.cells.some((c) => c.status !== 'not measured'));
}
