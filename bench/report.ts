/** Tables of the bench's results: plain text for stdout, Markdown for bench/RESULTS.md. */
import type { Workload } from './workloads.js';

export interface Cell {
  /** Median ns per element (tinybench p50 of latency / elements). */
  ns?: number;
  samples?: number;
  value?: number;
  relErr?: number;
  error?: string;
  na?: string;
  /** loss+grad and Evaluator cells: median time over the loss alone, the two called alternately in one thread. */
  gradRatio?: number;
}

/** Results by implementation name, then by workload id. */
export type Results = Map<string, Map<string, Cell>>;

export const SUBJECT = 'xent wasm';

/** Above these relative errors an xent mean is flagged as wrong (float32 input; float64 input). */
export const XENT_TOLERANCE = { f32: 1e-6, f64: 1e-12 };

export const LEGEND: [string, string][] = [
  ['xent wasm', "xent, `await init({ backend: 'wasm' })`: WebAssembly SIMD kernels, input copied into wasm memory"],
  ['xent js', "xent, `await init({ backend: 'js' })`: the pure-TypeScript kernels"],
  ['tutorial JS', 'number[][] rows, `Math.max(...row)`, a softmax array via map, then −log (sigmoid: probabilities via map, then the log formula; KL: reduce over rows)'],
  ['tuned JS', 'typed arrays, a max pass then an exp-sum pass, float64 accumulation; sigmoid `max(x,0) − xy + log1p(exp(−|x|))`; KL the plain loop'],
  ['TF.js wasm', '@tensorflow/tfjs-backend-wasm: `losses.softmaxCrossEntropy` with one-hot labels, `losses.sigmoidCrossEntropy`, KL by its formula; loss + `dataSync()` timed, inputs already tensors'],
  ['TF.js wasm logSoftmax+gather', 'the same backend: `logSoftmax`, gather of the labels, mean'],
  ['TF.js cpu', '@tensorflow/tfjs-backend-cpu, same calls as TF.js wasm'],
  ['TF.js cpu logSoftmax+gather', '@tensorflow/tfjs-backend-cpu, logSoftmax + gather'],
  ['floor: wasm SIMD sum', 'f32x4 (f64x2 for float64) sum over every input byte the kernel must read (logits; x and targets; p and q), already in wasm memory'],
  ['floor: copy into wasm', '`Float32Array.prototype.set` of the same inputs into wasm memory'],
  ['xent wasm, zero-copy', 'xent wasm with the inputs already in wasm memory (`allocate()`): no copy'],
  ['xent wasm loss+grad', 'the fused loss and gradient on wasm, `out` a plain typed array (copied back)'],
  ['xent wasm loss+grad, zero-copy', 'the same with the logits, the targets and `out` in wasm memory'],
  ['xent js loss+grad', 'the fused loss and gradient on the TypeScript backend'],
  ['xent wasm Evaluator', '`new Evaluator({ classes })`: `reset()` and `update(logits, labels)` on wasm'],
  ['xent wasm Evaluator, zero-copy', 'the same with the logits in wasm memory'],
  ['xent js Evaluator', 'the same on the TypeScript backend'],
];

const nsText = (ns: number) => (ns < 1 ? ns.toFixed(3) : ns < 10 ? ns.toFixed(2) : ns < 100 ? ns.toFixed(1) : ns.toFixed(0));
const times = (r: number) => (r < 10 ? r.toFixed(2) : r < 100 ? r.toFixed(1) : r.toFixed(0));

function timing(c: Cell | undefined): string {
  if (!c) return '';
  if (c.na) return 'n/a';
  if (c.error) return 'error';
  return c.ns === undefined ? '' : nsText(c.ns);
}

function ratio(subject: Cell | undefined, peer: Cell | undefined, floor: boolean): string {
  if (!subject?.ns || !peer?.ns) return peer?.na ? 'n/a' : '—';
  const r = peer.ns / subject.ns;
  if (floor) return `${times(1 / r)}× the floor's time`;
  return r >= 1 ? `${times(r)}× faster` : `${times(1 / r)}× slower`;
}

function accuracy(c: Cell | undefined): string {
  if (!c || c.na) return 'n/a';
  if (c.error) return 'error';
  if (c.relErr === undefined) return '—';
  if (Number.isNaN(c.relErr)) return 'NaN';
  return c.relErr === 0 ? '0' : c.relErr.toExponential(1);
}

interface Table {
  head: string[];
  rows: string[][];
}

/** The loss-and-gradient rows, each with the loss-only row it is measured against. */
const GRAD_OF: [string, string][] = [
  ['xent wasm loss+grad', 'xent wasm'],
  ['xent wasm loss+grad, zero-copy', 'xent wasm, zero-copy'],
  ['xent js loss+grad', 'xent js'],
];

/** The Evaluator rows, each with the loss-only row it is measured against. */
const EVAL_OF: [string, string][] = [
  ['xent wasm Evaluator', 'xent wasm'],
  ['xent wasm Evaluator, zero-copy', 'xent wasm, zero-copy'],
  ['xent js Evaluator', 'xent js'],
];

/** Time of loss+grad over the time of the loss alone: "1.53×" (measured alternately, see Impl.baseline). */
function gradCost(grad: Cell | undefined): string {
  if (!grad) return '';
  if (grad.na) return 'n/a';
  return grad.gradRatio === undefined ? 'error' : `${times(grad.gradRatio)}×`;
}

function tables(
  results: Results, workloads: Workload[],
): { medians: Table; ratios: Table; accuracy: Table; grad: Table; evaluator: Table } {
  const head = ['', ...workloads.map((w) => w.id)];
  const names = [...results.keys()];
  const subject = results.get(SUBJECT);
  const isGrad = (n: string) => GRAD_OF.some(([g]) => g === n) || EVAL_OF.some(([g]) => g === n);
  return {
    medians: { head, rows: names.map((n) => [n, ...workloads.map((w) => timing(results.get(n)!.get(w.id)))]) },
    ratios: {
      head: ['xent wasm vs', ...workloads.map((w) => w.id)],
      rows: names.filter((n) => n !== SUBJECT && !isGrad(n)).map((n) => [
        n, ...workloads.map((w) => ratio(subject?.get(w.id), results.get(n)!.get(w.id), n.startsWith('floor')))]),
    },
    grad: {
      head: ['loss+grad ÷ loss', ...workloads.map((w) => w.id)],
      rows: GRAD_OF.filter(([g]) => results.has(g)).map(([g, l]) => [
        `${g} ÷ ${l}`, ...workloads.map((w) => gradCost(results.get(g)!.get(w.id)))]),
    },
    evaluator: {
      head: ['Evaluator ÷ loss', ...workloads.map((w) => w.id)],
      rows: EVAL_OF.filter(([g]) => results.has(g)).map(([g, l]) => [
        `${g} ÷ ${l}`, ...workloads.map((w) => gradCost(results.get(g)!.get(w.id)))]),
    },
    accuracy: {
      head,
      rows: names.filter((n) => !n.startsWith('floor')).map((n) => [n, ...workloads.map((w) => accuracy(results.get(n)!.get(w.id)))]),
    },
  };
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

/** Errors, and xent means that are NaN or off: the things a reader must not miss. */
export function problems(results: Results, workloads: Workload[]): string[] {
  const out: string[] = [];
  for (const [name, cells] of results) {
    for (const w of workloads) {
      const c = cells.get(w.id);
      if (c?.error) out.push(`${name} on ${w.id}: ${c.error}`);
      else if (name.startsWith('xent') && c && !c.na && c.relErr !== undefined) {
        const tol = w.f32 ? XENT_TOLERANCE.f32 : XENT_TOLERANCE.f64;
        if (!(c.relErr <= tol)) out.push(`${name} on ${w.id}: mean ${c.value} vs reference ${w.reference} (relative error ${accuracy(c)} > ${tol})`);
      }
    }
  }
  return out;
}

export function printTables(results: Results, workloads: Workload[]): void {
  const t = tables(results, workloads);
  console.log('\nMedian ns per element (tinybench p50 of latency ÷ elements)\n');
  console.log(text(t.medians));
  console.log('\nxent wasm against each peer\n');
  console.log(text(t.ratios));
  if (t.grad.rows.length) {
    console.log('\nLoss and gradient against the loss alone\n');
    console.log(text(t.grad));
  }
  if (t.evaluator.rows.length) {
    console.log('\nEvaluator against the loss alone\n');
    console.log(text(t.evaluator));
  }
  console.log('\nRelative error of the mean against the float64 reference\n');
  console.log(text(t.accuracy));
  const bad = problems(results, workloads);
  if (bad.length) console.log(`\nPROBLEMS\n${bad.map((b) => `- ${b}`).join('\n')}`);
}

export interface RunInfo {
  machine: string;
  node: string;
  date: string;
  mode: string;
  wallSeconds: number;
  /** 1-minute load average at the start and the end of the run: above ~1 on this machine, others shared the cores. */
  load: string;
}

export function resultsMarkdown(results: Results, workloads: Workload[], info: RunInfo): string {
  const t = tables(results, workloads);
  const bad = problems(results, workloads);
  const samples = [...results.values()].flatMap((m) => [...m.values()]).map((c) => c.samples).filter((s): s is number => !!s);
  return `# xent benchmark results

Written by \`npm run bench\` (bench/run.ts); do not edit by hand.

- Machine: ${info.machine}
- Node: ${info.node}
- Date: ${info.date}
- Load average (1 min) at start → end: ${info.load}
- Run: ${info.mode}; ${samples.length ? `${Math.min(...samples)}–${Math.max(...samples)} timed iterations per cell` : 'no timings'}; wall time ${info.wallSeconds.toFixed(0)} s

## Workloads

Float32 input unless marked float64; mean reduction; integer labels for softmax CE. Times are per element of the
problem: rows × classes, or the 4,000,000 elements of W3.

${workloads.map((w) => `- **${w.id}** ${w.title}: reference mean ${w.reference.toPrecision(10)}`).join('\n')}

## Median ns per element

${markdown(t.medians)}

## xent wasm against each peer

${markdown(t.ratios)}

## Loss and gradient against the loss alone

The fused \`softmaxCrossEntropyWithGrad\` / \`sigmoidCrossEntropyWithGrad\` (gradient written into a caller's \`out\`)
against the loss function alone on the same backend and input: the median over 21 rounds in which the two are
called one after the other, in one thread, so that both see the same state of the shared machine. W4 has none
(KL's gradient is taken with respect to logits, a different input).

${markdown(t.grad)}

## Evaluator against the loss alone

The streaming \`Evaluator\`'s \`reset()\` and \`update(logits, labels)\` (loss, rank and top-k, Brier, calibration bins,
per-class sums and the loss histogram) against \`softmaxCrossEntropy\` alone on the same backend and input,
measured the same way (median over 21 alternating rounds). Softmax workloads only.

${markdown(t.evaluator)}

## Accuracy

Relative error of each implementation's mean against a float64 reference (a plain float64 loop over the same input
values).

${markdown(t.accuracy)}
${bad.length ? `\n## Problems\n\n${bad.map((b) => `- ${b}`).join('\n')}\n` : ''}
## Implementations

${LEGEND.map(([n, d]) => `- **${n}**: ${d}`).join('\n')}

The floors bound what any kernel can do with these bytes: the SIMD sum is the memory/load floor, the copy is what
xent's wasm backend pays to bring a caller's array into wasm memory. TF.js has no float64 dtype, so it is n/a on the
float64 workloads. Data preparation (number[][] rows, tensors, one-hot labels) is outside the timed region.

Each cell (one implementation on one workload) runs in a worker thread of its own, so that no implementation's JIT
state, or the state of the vector registers it leaves behind, changes the timing of the next.
`;
}
