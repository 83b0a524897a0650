/** The table, CSV and JSON reports of `xent eval`. */
import { type EvalResult, PER_CLASS_LIMIT } from '../../eval/evaluator.js';
import { terminal } from '../terminal.js';

export interface ReportInfo {
  pred: string;
  target: string;
  classes: number;
  from: 'logits' | 'probs';
  multiLabel: boolean;
  /** The classes' names by index, when the files name them. */
  classNames?: readonly string[] | null;
  /** A binary task given as one column (P(label = 1) or its logit): evaluated as one independent label. */
  binary?: boolean;
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : 'n/a');
const num = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

/** The one-line reading of a mean loss in nats, on the source documents' scale for binary tasks. */
export function reading(nats: number): string {
  const level = nats === 0 ? 'perfect' : nats < 0.02 ? 'great' : nats < 0.05 ? 'on track' : nats < 0.2 ? 'fine'
    : nats <= 0.3 ? 'between fine and poor' : nats <= 1 ? 'poor' : nats <= 2 ? 'terrible' : 'broken';
  return level;
}

export function tableReport(r: EvalResult, info: ReportInfo): string {
  const out: string[] = [];
  const u = r.unit;
  out.push(`xent eval  ${info.pred} against ${info.target}`);
  const task = info.binary ? 'a binary task (one column: label 1)' : `${info.classes} ${info.multiLabel ? 'labels (multi-label)' : 'classes'}`;
  out.push(`  ${r.count} rows${r.ignored ? ` (+${r.ignored} ignored)` : ''}, ${task}, from ${info.from}`);
  out.push('');
  const rows: [string, string][] = [
    ['mean cross-entropy', `${num(r.loss)} ${u}${u === 'nats' ? '' : `   (${num(r.nats)} nats)`}${u === 'bits' ? '' : `   (${num(r.bits)} bits)`}`],
    ['perplexity', num(r.perplexity, 3)],
    [info.multiLabel ? 'accuracy (per label)' : 'accuracy', pct(r.accuracy)],
  ];
  if (r.topK) rows.push([`top-${r.topK.k} accuracy`, pct(r.topK.accuracy)]);
  rows.push(['Brier score', `${num(r.brier)}   (${info.multiLabel ? 'mean of (p − t)² per label' : 'Σ_j (p_j − y_j)², mean over rows'})`]);
  rows.push(['ECE', `${num(r.ece)}   (15 bins of ${info.multiLabel ? 'p' : 'top-1 confidence'})`]);
  const q = r.quantiles.map((x) => `p${Math.round(x.q * 100)} ${num(x.loss, 3)}`).join('  ');
  rows.push([`per-row loss (${u})`, `${q}  max ${num(r.max, 3)}`]);
  for (const [k, v] of rows) out.push(`  ${k.padEnd(22)} ${v}`);
  out.push('');
  const level = reading(r.nats);
  const uniform = info.multiLabel ? Math.LN2 : Math.log(info.classes);
  out.push(`  Reading: ${num(r.nats, 3)} nats is "${level}" on the scale for binary tasks, in nats (0.00 perfect, < 0.02 great,`);
  out.push(`  < 0.05 on track, < 0.20 fine, > 0.30 poor, > 1.00 terrible, > 2.00 broken). A uniform guess here scores`);
  out.push(`  ${num(uniform, 3)} nats${info.multiLabel || info.classes === 2 ? '.' : ` (ln ${info.classes}); the scale is only a rough guide for ${info.classes} classes.`}`);
  out.push('');
  let classes = r.perClass;
  if (classes.length === 0) {
    out.push(`  No per-class figures: the evaluator keeps them up to ${PER_CLASS_LIMIT} classes (option perClass).`);
    return out.join('\n') + '\n';
  }
  if (classes.length > 30) {
    classes = [...classes].sort((a, b) => b.loss - a.loss || a.class - b.class).slice(0, 20);
    out.push(`  The 20 classes with the highest mean loss (all ${r.perClass.length}: --format json or csv):`);
  }
  const pHead = info.multiLabel ? 'mean p' : 'mean p(true)';
  const name = (k: number) => terminal(info.classNames?.[k] ?? String(k)).slice(0, 24);
  const width = Math.max(6, ...classes.map((c) => name(c.class).length));
  out.push(`  ${'class'.padStart(width)} ${'support'.padStart(9)} ${`loss (${u})`.padStart(11)} ${'accuracy'.padStart(9)} ${pHead.padStart(13)} ${'predicted'.padStart(10)}`);
  for (const c of classes) {
    out.push(`  ${name(c.class).padStart(width)} ${fmtCount(c.support).padStart(9)} ${num(c.loss).padStart(11)} ${pct(c.accuracy).padStart(9)} ${num(c.meanProbability, 3).padStart(13)} ${fmtCount(c.predicted).padStart(10)}`);
  }
  return out.join('\n') + '\n';
}

const fmtCount = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

export function csvReport(r: EvalResult): string {
  const lines = ['metric,value'];
  const put = (k: string, v: number | string) => lines.push(`${k},${v}`);
  put('count', r.count);
  put('ignored', r.ignored);
  put('weight', r.weight);
  put('unit', r.unit);
  put('loss', r.loss);
  put('nats', r.nats);
  put('bits', r.bits);
  put('perplexity', r.perplexity);
  put('accuracy', r.accuracy);
  if (r.topK) put(`top${r.topK.k}_accuracy`, r.topK.accuracy);
  put('brier', r.brier);
  put('ece', r.ece);
  for (const q of r.quantiles) put(`loss_p${Math.round(q.q * 100)}`, q.loss);
  put('loss_min', r.min);
  put('loss_max', r.max);
  lines.push('', 'class,support,loss,accuracy,mean_probability,predicted');
  for (const c of r.perClass) lines.push([c.class, c.support, c.loss, c.accuracy, c.meanProbability, c.predicted].join(','));
  return lines.join('\n') + '\n';
}
