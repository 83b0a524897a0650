/**
 * The bench's tables, from the runs' results (one per Node version): plain text for the terminal, Markdown for
 * bench/RESULTS.md. The headline is the alternating race of each workload, on Node 24 with Node 20 beside it.
 */
import { GOAL_COLUMNS, type GoalRow, type Judged, judgeGoals } from './goals.js';
import type { ContenderResult, Pace, RaceResult } from './race.js';
import { type Spread, errText, ratioSpread, spread } from './stats.js';

export interface RunInfo {
  node: string;
  v8: string;
  /** CPU model, cores, memory, OS. */
  machine: string;
  date: string;
  quick: boolean;
  /** os.loadavg() (1, 5, 15 minutes) when the run started and when it ended. */
  loadStart: number[];
  loadEnd: number[];
  wallSeconds: number;
  pace: Pace;
  /** Things a reader must know about this run: APIs not found, workloads left out, options given. */
  notes: string[];
}

export interface RunResult {
  info: RunInfo;
  races: RaceResult[];
}

/** The contender every ratio in the headline tables is taken against. */
export const REFERENCE = 'xent';

/** Above these relative errors an xent mean is flagged as wrong (float32 or half input; float64 input). */
export const XENT_TOLERANCE = { f32: 1e-6, f64: 1e-12 };

export const LEGEND: [string, string][] = [
  ['xent', "`await init()` (the build it picks is in the notes), the caller's Float32Array / Float64Array copied into wasm memory by the call"],
  ['xent, zero-copy', 'the same with the inputs already in wasm memory (`allocate()`): the kernels alone'],
  ['xent, TypeScript backend', "`await init({ backend: 'js' })`: the pure-TypeScript kernels"],
  ['tuned JS', 'typed arrays, a max pass then an exp-sum pass, float64 sums; sigmoid `max(x,0) − xy + log1p(exp(−|x|))`; KL the plain loop'],
  ['tutorial JS', 'number[][] rows, `Math.max(...row)`, a softmax array via map, then −log (sigmoid: probabilities via map; KL: reduce over rows)'],
  ['transformers.js log_softmax + gather', "@huggingface/transformers' own `log_softmax` (exported by the package) on each row, the label's entry, the mean"],
  ['onnxruntime-node, 1 thread / 2 threads', 'native CPU kernels (MLAS) on a LogSoftmax → GatherElements → ReduceMean graph (bench/onnx/, scripts/onnx_graphs.py), 1 or 2 intra-op threads, spinning off; input tensors made over the caller\'s arrays in the timed call'],
  ['TF.js wasm / cpu', '`losses.softmaxCrossEntropy` with one-hot labels, `losses.sigmoidCrossEntropy`, KL by its formula; loss + `dataSync()` timed, inputs already tensors'],
  ['TF.js … logSoftmax+gather', 'the same backend: `logSoftmax`, gather of the labels, mean'],
  ['xent SIMD / scalar / relaxed SIMD build, zero-copy', 'one wasm build chosen through `init()` options (bench/subjects.ts BUILDS, or `--build=NAME={json}`), inputs in wasm memory'],
  ['xent loss+grad (, zero-copy / TypeScript backend)', 'the fused loss and gradient into a caller\'s `out` (zero-copy: inputs and `out` in wasm memory)'],
  ['xent Evaluator (…)', '`new Evaluator({ classes })`: `reset()` and `update(logits, labels)`'],
  ['xent scoreTokens, xent LanguageModelEvaluator', 'issue 18\'s APIs, raced where the source exports them'],
  ['xent, float16 bits (Uint16Array) / Float16Array', 'half logits given to xent as they come from a model (W5-f16); `widen in JS (table), then xent` decodes them into a Float32Array first'],
  ['floor: wasm SIMD sum / copy into wasm', 'an f32x4 (f64x2) sum over every input byte the kernel must read, already in wasm memory; `TypedArray.prototype.set` of those bytes into wasm memory'],
];

/** Ratio tables beyond the headline: each row a contender's time over another's, per round. */
export const PAIRS: { title: string; text: string; rows: [string, string][] }[] = [
  {
    title: 'Loss and gradient ÷ the loss alone',
    text: 'The fused loss and gradient (`softmaxCrossEntropyWithGrad` / `sigmoidCrossEntropyWithGrad`, the gradient written into a caller\'s `out`) over the loss alone on the same backend and input. W4 has none: KL\'s gradient is taken with respect to logits, a different input.',
    rows: [
      ['xent loss+grad', 'xent'],
      ['xent loss+grad, zero-copy', 'xent, zero-copy'],
      ['xent loss+grad, TypeScript backend', 'xent, TypeScript backend'],
    ],
  },
  {
    title: 'Evaluator ÷ the loss alone',
    text: 'The streaming `Evaluator`\'s `reset()` and `update(logits, labels)` (loss, rank and top-k, Brier, calibration bins, per-class sums, the loss histogram) over `softmaxCrossEntropy` alone on the same backend and input.',
    rows: [
      ['xent Evaluator', 'xent'],
      ['xent Evaluator, zero-copy', 'xent, zero-copy'],
      ['xent Evaluator, TypeScript backend', 'xent, TypeScript backend'],
    ],
  },
  {
    title: 'Builds ÷ the SIMD build',
    text: 'Each wasm build\'s zero-copy time over the SIMD build\'s. The last row races the default build against the SIMD build chosen explicitly: while they are the same build, it shows how far apart two identical contenders land on this host.',
    rows: [
      ['xent scalar build, zero-copy', 'xent SIMD build, zero-copy'],
      ['xent relaxed SIMD build, zero-copy', 'xent SIMD build, zero-copy'],
      ['xent, zero-copy', 'xent SIMD build, zero-copy'],
    ],
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Formatting

const nsText = (ns: number) => (ns < 1 ? ns.toFixed(3) : ns < 10 ? ns.toFixed(2) : ns < 100 ? ns.toFixed(1) : ns.toFixed(0));
const times = (r: number) => (r < 10 ? r.toFixed(2) : r < 100 ? r.toFixed(1) : r.toFixed(0));

/** "13.2× (12.9–13.6)": the median and the interquartile range of per-round ratios. */
export function spreadText(s: Spread | null): string {
  if (!s) return '—';
  return s.n < 3 ? `${times(s.median)}×` : `${times(s.median)}× (${times(s.q1)}–${times(s.q3)})`;
}

/** Why a contender has no figure: n/a, error, or nothing timed. */
function absent(c: ContenderResult | undefined): string | null {
  if (!c) return '';
  if (c.na) return 'n/a';
  if (c.error) return 'error';
  return null;
}

const nsPerElement = (c: ContenderResult, elements: number) => {
  const s = spread(c.times);
  return s ? nsText((s.median * 1e6) / elements) : '—';
};

interface Table {
  head: string[];
  rows: string[][];
}

function text(t: Table): string {
  const all = [t.head, ...t.rows];
  const width = t.head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  return [line(t.head), width.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

function markdown(t: Table): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(t.head), line(t.head.map((_, i) => (i === 0 ? '---' : '---:'))), ...t.rows.map(line)].join('\n');
}

const nodeLabel = (run: RunResult) => `Node ${run.info.node.replace(/^v/, '').split('.')[0]}`;

/** The run the goals and the secondary tables are read from: Node 24's when there is one, else the first. */
export function headline(runs: RunResult[]): RunResult {
  return runs.find((r) => nodeLabel(r) === 'Node 24') ?? runs[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Tables

/** One workload's race on each run: ns per element and the time over xent's, with the accuracy. */
function raceTable(runs: RunResult[], id: string): Table {
  const races = runs.map((r) => r.races.find((x) => x.workload.id === id));
  const names = [...new Set(races.flatMap((r) => r?.contenders.map((c) => c.name) ?? []))];
  const head = ['contender'];
  runs.forEach((run) => head.push(`${nodeLabel(run)}: ns/element`, `${nodeLabel(run)}: time ÷ xent's`));
  head.push('rel. error of the mean', 'rounds');
  const rows = names.map((name) => {
    const row = [name];
    races.forEach((race) => {
      const c = race?.contenders.find((x) => x.name === name);
      const ref = race?.contenders.find((x) => x.name === REFERENCE);
      const a = absent(c);
      if (a !== null) return row.push(a, a);
      row.push(nsPerElement(c!, race!.workload.elements), name === REFERENCE ? '1' : ref ? spreadText(ratioSpread(c!.times, ref.times)) : '—');
    });
    const c = races.map((r) => r?.contenders.find((x) => x.name === name)).find((x) => x && absent(x) === null);
    row.push(!c ? 'n/a' : c.floor || c.relErr === undefined ? '—' : errText(c.relErr));
    row.push(races.map((r) => spread(r?.contenders.find((x) => x.name === name)?.times ?? [])?.n ?? 0).join(' / '));
    return row;
  });
  return { head, rows };
}

/** "≥ 11×: 13.2× (12.9–13.6), met": the target, then the measure and the verdict. */
export function goalCell(j: Judged, accuracy: boolean): string {
  const target = `${j.cell.op === '>=' ? '≥' : '≤'} ${accuracy ? j.cell.target.toExponential(0) : `${j.cell.target}×`}`;
  if (j.status === 'not measured') return `${target}: not measured (${j.why})`;
  const v = accuracy ? errText(j.value!) : spreadText(j.spread!);
  return `${target}: ${v}, ${j.status === 'met' ? 'met' : '**not met**'}`;
}

function goalsTable(rows: GoalRow[]): Table {
  return {
    head: ['goal', ...GOAL_COLUMNS],
    rows: rows.map(({ goal, cells }) => {
      // A row not measured anywhere for one reason (a pending API, a build this runtime lacks) says it once.
      const whys = new Set(cells.map((c) => (c.status === 'not measured' ? c.why : '')));
      const once = whys.size === 1 && !whys.has('') ? goal.pending ?? [...whys][0] : null;
      const first = GOAL_COLUMNS.find((col) => cells.some((c) => c.cell.column === col));
      return [
        `${goal.label} (#${goal.issue})`,
        ...GOAL_COLUMNS.map((col) => {
          const j = cells.find((c) => c.cell.column === col);
          if (!j) return '';
          if (once) return col === first ? `not measured: ${once}` : '';
          return goalCell(j, goal.kind === 'accuracy');
        }),
      ];
    }),
  };
}

function pairTable(run: RunResult, rows: [string, string][]): Table | null {
  const find = (race: RaceResult, n: string) => race.contenders.find((c) => c.name === n);
  const races = run.races.filter((race) => rows.some(([a, b]) => absent(find(race, a)) === null && absent(find(race, b)) === null));
  const present = rows.filter(([a, b]) => races.some((race) => absent(find(race, a)) === null && absent(find(race, b)) === null));
  if (!present.length) return null;
  return {
    head: ['time ÷ time', ...races.map((r) => r.workload.id)],
    rows: present.map(([a, b]) => [`${a} ÷ ${b}`, ...races.map((race) => {
      const x = find(race, a), y = find(race, b);
      return absent(x) ?? absent(y) ?? spreadText(ratioSpread(x!.times, y!.times));
    })]),
  };
}

/** Errors, and xent means that are NaN or off: the things a reader must not miss. */
export function problems(runs: RunResult[]): string[] {
  const out: string[] = [];
  for (const run of runs) {
    for (const race of run.races) {
      for (const c of race.contenders) {
        const where = `${c.name} on ${race.workload.id} (${nodeLabel(run)})`;
        if (c.error) out.push(`${where}: ${c.error}`);
        else if (c.name.startsWith('xent') && !c.na && c.relErr !== undefined) {
          const tol = race.workload.f32 ? XENT_TOLERANCE.f32 : XENT_TOLERANCE.f64;
          if (!(c.relErr <= tol)) out.push(`${where}: mean ${c.value} against ${race.workload.reference} (relative error ${errText(c.relErr)} > ${tol})`);
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Output

/** A race as the child prints it when it ends. */
export function raceText(run: RunResult, race: RaceResult): string {
  return text(raceTable([{ ...run, races: [race] }], race.workload.id));
}

export function goalsText(runs: RunResult[]): string {
  const run = headline(runs);
  return `Goals (${nodeLabel(run)})\n\n${text(goalsTable(judgeGoals(run.races)))}`;
}

const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

function runLine(run: RunResult, isHeadline: boolean): string {
  const i = run.info;
  return `- ${nodeLabel(run)} (${i.node}, V8 ${i.v8})${isHeadline ? ', the headline' : ''}: started ${i.date}, ` +
    `${i.wallSeconds.toFixed(0)} s; load average (1 / 5 / 15 min) ${load(i.loadStart)} at the start, ${load(i.loadEnd)} at the end` +
    `${i.notes.length ? `\n${i.notes.map((n) => `  - ${n}`).join('\n')}` : ''}`;
}

export function resultsMarkdown(all: RunResult[]): string {
  const head = headline(all);
  const runs = [head, ...all.filter((r) => r !== head)];
  const { pace, quick, machine } = head.info;
  const ids = [...new Set(runs.flatMap((r) => r.races.map((x) => x.workload.id)))];
  const workloads = ids.map((id) => runs.flatMap((r) => r.races).find((x) => x.workload.id === id)!.workload);
  // Notes, each said once with where it was made: "xent: init() chose wasm-simd (Node 24: W1, W2; Node 20: W1)".
  const noted = new Map<string, Map<string, string[]>>();
  for (const run of runs) {
    for (const race of run.races) {
      for (const c of race.contenders.filter((x) => x.note)) {
        const key = `${c.name}: ${c.note}`;
        if (!noted.has(key)) noted.set(key, new Map());
        const where = noted.get(key)!;
        where.set(nodeLabel(run), [...(where.get(nodeLabel(run)) ?? []), race.workload.id]);
      }
    }
  }
  const notes = [...noted].map(([note, where]) => `${note} (${[...where].map(([n, ids]) => `${n}: ${ids.join(', ')}`).join('; ')})`);
  const bad = problems(runs);
  const pairs = PAIRS.map((p) => ({ ...p, table: pairTable(head, p.rows) })).filter((p) => p.table);
  return `# xent benchmark results

Written by \`npm run bench\` (bench/run.mjs); do not edit by hand.${quick ? `

**A \`--quick\` run: ${pace.rounds} rounds, W2 and W5 at a fraction of their rows. It shows the tables' format; its
figures are not to be quoted.**` : ''}

- Host: ${machine}
${runs.map((r) => runLine(r, r === head)).join('\n')}
- Each race: ${pace.rounds} rounds${pace.raceMs > 0 ? `, or more (up to ${4 * pace.rounds}) while the race's calls add up to at most
  ${(pace.raceMs / 1000).toFixed(0)} s` : ''}. A contender whose calls take long runs in every k-th round only, so that its timed
  calls add up to about ${(pace.budgetMs / 1000).toFixed(1)} s (the rounds column; one number per Node version).${pace.settleMs ? `
  Before the timed rounds, ${(pace.settleMs / 1000).toFixed(0)} s of untimed ones (the contenders whose calls take under
  ${pace.warmupMs} ms): right after every contender is set up, the last ones set up ran up to twice as slow.` : ''}

Absolute times on this shared host move with its load; the ratios, taken within each round, are what to read.

## Goals

Judged on ${nodeLabel(head)}'s run: the median over rounds of the ratio named, with its interquartile range.

${markdown(goalsTable(judgeGoals(head.races)))}

## Headline: the alternating races

Every contender runs in one process, in a worker thread of its own, and they take turns: each round hands the
workload's arrays to each contender in turn (by transfer: one copy exists), which times one call and hands them
back; each round takes the contenders in a shuffled order of its own. So every call meets what a real call meets —
caches and predictors left by other work — rather than the warm state that timing one implementation back-to-back gives it.
**time ÷ xent's** is the contender's time over xent's in the same round: the median over rounds, with the
interquartile range in brackets (above 1: xent is faster). ns/element is the median time over rows × classes (W3:
its 4,000,000 elements). The relative error is the first call's mean against a float64 reference computed over the
same input values.

${workloads.map((w) => `### ${w.id}: ${w.title}

Float64 reference mean ${w.reference.toPrecision(10)}; ${w.elements.toLocaleString('en-US')} elements.

${markdown(raceTable(runs, w.id))}`).join('\n\n')}
${pairs.map((p) => `
## ${p.title}

${p.text} ${nodeLabel(head)}'s run, median over rounds (interquartile range).

${markdown(p.table!)}
`).join('')}${bad.length ? `
## Problems

${bad.map((b) => `- ${b}`).join('\n')}
` : ''}
## Notes

${notes.map((n) => `- ${n}`).join('\n')}

## Contenders

${LEGEND.map(([n, d]) => `- **${n}**: ${d}`).join('\n')}

Data a user would already hold in a library's form (tensors, one-hot labels, int64 labels, number[][] rows,
wasm-resident copies) is made before the race, untimed. TF.js has no float64 dtype. n/a says why a contender sits a
workload out.
`;
}
