/** The table, CSV and JSON reports of `xent eval`. */
import { type EvalResult, PER_CLASS_LIMIT } from '../../eval/evaluator.js';
import type { AverageFigure } from '../../eval/averages.js';
import { terminal } from '../terminal.js';
import type { InputSum, RunMeta } from './meta.js';

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
  /** The inputs' checksums (kept in state files, for the report of a merge). */
  inputs?: InputSum[];
  /** The run: version, date, command line, inputs. */
  run?: RunMeta;
}

/** Whether the task is binary: two classes, one label, or one column of P(label = 1). */
export const isBinary = (info: ReportInfo) => info.binary === true || info.classes === (info.multiLabel ? 1 : 2);

/** Class k's name: from the files or --class-names, else its index. */
export const className = (info: Pick<ReportInfo, 'classNames'>, k: number) => info.classNames?.[k] ?? String(k);

/** Classes shown in a per-class table: all up to 30, else the 20 of highest mean loss. */
function shownClasses(r: EvalResult): EvalResult['perClass'] {
  const cs = r.perClass;
  return cs.length > 30 ? [...cs].sort((a, b) => b.loss - a.loss || a.class - b.class).slice(0, 20) : cs;
}

/** The run's metadata as lines of text. */
function metaLines(run: RunMeta): string[] {
  return [
    `xent ${run.version}, ${run.date}: ${run.command}`,
    ...run.inputs.map((i) => `sha256 ${i.sha256}  ${i.file}`),
  ];
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : 'n/a');
const num = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
/** A proportion as `78.0 ± 0.8 %` (the error alone is n/a when unknown). */
const pm = (v: number, se: number) => (Number.isFinite(se) ? `${(100 * v).toFixed(1)} ± ${(100 * se).toFixed(1)} %` : pct(v));

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
  const se = r.standardErrors;
  const rows: [string, string][] = [
    ['mean cross-entropy', `${num(r.loss)} ± ${num(se.loss)} ${u}${u === 'nats' ? '' : `   (${num(r.nats)} nats)`}${u === 'bits' ? '' : `   (${num(r.bits)} bits)`}`],
    ['perplexity', `${num(r.perplexity, 3)}   (95% ${num(r.perplexityInterval95[0], 3)} – ${num(r.perplexityInterval95[1], 3)})`],
    [info.multiLabel ? 'accuracy (per label)' : 'accuracy', pm(r.accuracy, se.accuracy)],
  ];
  if (r.topK) rows.push([`top-${r.topK.k} accuracy`, pm(r.topK.accuracy, se.topK!)]);
  rows.push(['Brier score', `${num(r.brier)} ± ${num(se.brier)}   (${info.multiLabel ? 'mean of (p − t)² per label' : 'Σ_j (p_j − y_j)², mean over rows'})`]);
  if (r.bootstrap) {
    const b = r.bootstrap;
    rows.push([`bootstrap 95% (${b.resamples})`, `loss ${num(b.loss[0])} – ${num(b.loss[1])}  perplexity ${num(b.perplexity[0], 3)} – ${num(b.perplexity[1], 3)}`]);
    const lines = [`accuracy ${pct(b.accuracy[0])} – ${pct(b.accuracy[1])}${b.brier ? `  Brier ${num(b.brier[0])} – ${num(b.brier[1])}` : ''}`];
    if (b.macroF1) lines.push(`macro F1 ${num(b.macroF1[0])} – ${num(b.macroF1[1])}`);
    lines[lines.length - 1] += `   (${info.multiLabel ? 'whole rows' : 'rows'} resampled)`;
    for (const l of lines) rows.push(['', l]);
  }
  rows.push(['ECE', `${num(r.ece)}   (15 bins of ${info.multiLabel ? 'p' : 'top-1 confidence'})`]);
  const q = r.quantiles.map((x) => `p${Math.round(x.q * 100)} ${num(x.loss, 3)}`).join('  ');
  rows.push([`per-row loss (${u})`, `${q}  max ${num(r.max, 3)}`]);
  for (const [k, v] of rows) out.push(`  ${k.padEnd(22)} ${v}`);
  const b = r.baselines;
  const base = (v: number | null) => (v === null ? 'n/a' : `${num(v)} ${u}`);
  out.push(`  ${'baselines'.padEnd(22)} label prior ${base(b.prior)}, uniform ${base(b.uniform)} (${info.multiLabel ? 'ln 2 per label' : `ln ${info.classes}`})`);
  out.push(`  ${'skill (D²)'.padEnd(22)} ${b.skill === null ? 'n/a' : num(b.skill)}   (1 − CE / CE_prior: 0 predicts the prior, 1 is perfect)`);
  if (r.curves) {
    const k = r.curves;
    const pooled = info.multiLabel && info.classes > 1 ? ', every label pooled (micro)' : '';
    out.push(`  ${'AUROC'.padEnd(22)} ${num(k.auroc)} ± ${bound(k.aurocError)}   average precision ${num(k.averagePrecision)} ± ${bound(k.averagePrecisionError)}`);
    out.push(`  ${''.padEnd(22)} (± the most binning the scores can change them${pooled})`);
  }
  if (isBinary(info)) {
    out.push('');
    out.push(`  Reading: ${num(r.nats, 3)} nats is "${reading(r.nats)}" on the scale for binary tasks, in nats (0.00 perfect, < 0.02`);
    out.push('  great, < 0.05 on track, < 0.20 fine, > 0.30 poor, > 1.00 terrible, > 2.00 broken).');
  }
  out.push('');
  if (r.perClass.length === 0) {
    out.push(`  No per-class figures: the evaluator keeps them up to ${PER_CLASS_LIMIT} classes (option perClass).`);
  } else {
    out.push(...classTable(r, info));
  }
  if (r.confusion && r.confusion.length <= 10) out.push('', ...matrixLines(r, info));
  if (r.confused?.pairs.length) {
    const sketch = r.confused.error > 0 ? `; estimates, each over by at most ${fmtCount(r.confused.error)} with 98 % confidence` : '';
    out.push('', `  Most confused (label → predicted, ${r.weight === r.count ? 'rows' : 'weight'}${sketch}):`);
    for (const p of r.confused.pairs) out.push(`    ${name(info, p.label)} → ${name(info, p.predicted)}  ${fmtCount(p.weight)}`);
  }
  if (r.worst?.length) {
    out.push('', `  Worst rows (row numbers from 0; loss in ${u}):`);
    const cells = r.worst.map((w) => `${String(w.row).padStart(9)}: ${num(w.loss, 3).padEnd(7)}`);
    for (let i = 0; i < cells.length; i += 5) out.push(`  ${cells.slice(i, i + 5).join(' ').trimEnd()}`);
  }
  if (info.run) out.push('', ...metaLines(info.run).map((l) => `  ${terminal(l)}`));
  return out.join('\n') + '\n';
}

/** The confusion matrix: a row per label, a column per predicted class. */
function matrixLines(r: EvalResult, info: ReportInfo): string[] {
  const m = r.confusion!;
  const names = m.map((_, k) => name(info, k).slice(0, 8));
  const w = Math.max(6, ...names.map((n) => n.length + 1), ...m.flat().map((v) => fmtCount(v).length + 1));
  const first = Math.max(8, ...names.map((n) => n.length));
  return [
    `  Confusion matrix (rows: label, columns: predicted; ${r.weight === r.count ? 'rows' : 'weight'}):`,
    `  ${''.padStart(first)}${names.map((n) => n.padStart(w)).join('')}`,
    ...m.map((row, y) => `  ${names[y].padStart(first)}${row.map((v) => fmtCount(v).padStart(w)).join('')}`),
  ];
}

const name = (info: ReportInfo, k: number) => terminal(className(info, k)).slice(0, 24);
/**
 * A figure with its standard error to the same decimals, `0.812 ±0.021` (`±≤0.021` for an upper bound of the
 * error); the figure alone when the error is null.
 */
export const withError = (v: number | null, se: number | null, d: number, bound = false) =>
  v === null ? 'n/a' : se === null || !Number.isFinite(se) ? num(v, d) : `${num(v, d)} ±${bound ? '≤' : ''}${se.toFixed(d)}`;

/**
 * The per-class table: support, loss, precision, recall, F1 (each ± one standard error), predicted; then the macro
 * and weighted averages.
 */
function classTable(r: EvalResult, info: ReportInfo): string[] {
  const out: string[] = [];
  const classes = shownClasses(r);
  if (classes.length < r.perClass.length) {
    out.push(`  The ${classes.length} ${info.multiLabel ? 'labels' : 'classes'} with the highest mean loss (all ${r.perClass.length}: --format json or csv; averages over all):`);
  }
  const width = Math.max(12, ...classes.map((c) => name(info, c.class).length));
  const head = ['support', `loss (${r.unit})`, 'precision', 'recall', 'F1', 'predicted'];
  const widths = [9, 16, 14, 14, 14, 10];
  const line = (first: string, cells: string[]) => `  ${first.padStart(width)}${cells.map((c, i) => c.padStart(widths[i])).join('')}`;
  out.push(line(info.multiLabel ? 'label' : 'class', head));
  for (const c of classes) {
    const e = c.standardErrors;
    out.push(line(name(info, c.class), [
      fmtCount(c.support), withError(c.loss, e.loss, 4), withError(c.precision, e.precision, 3), withError(c.recall, e.recall, 3),
      withError(c.f1, e.f1, 3), fmtCount(c.predicted),
    ]));
  }
  const total = r.perClass.reduce((a, c) => a + c.support, 0);
  for (const k of ['macro', 'weighted'] as const) {
    const a = r.averages?.[k];
    const cell = (m: AverageFigure, d: number) => (a ? withError(a[m], a.standardErrors[m], d, a.bounds.includes(m)) : 'n/a');
    out.push(line(`${k} avg`, [fmtCount(total), cell('loss', 4), cell('precision', 3), cell('recall', 3), cell('f1', 3), '']));
  }
  out.push('  (± one standard error; precision, recall, F1 and the averages: delta method; none below two rows)');
  if (r.averages?.macro.bounds.length || r.averages?.weighted.bounds.length) {
    out.push(`  (±≤: an upper bound of the standard error: the state keeps too few sums at ${r.perClass.length} ${info.multiLabel ? 'labels' : 'classes'})`);
  }
  return out;
}

/** An error bound, to 2 significant digits. */
const bound = (v: number) => (v === 0 ? '0' : v.toPrecision(2));

const fmtCount = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

const SE_COLUMNS = ['loss', 'accuracy', 'meanProbability', 'precision', 'recall', 'f1'] as const;
const SE_NAMES = { loss: 'loss', accuracy: 'accuracy', meanProbability: 'mean_probability', precision: 'precision', recall: 'recall', f1: 'f1' };

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
  put('loss_se', r.standardErrors.loss);
  put('perplexity', r.perplexity);
  put('perplexity_lo95', r.perplexityInterval95[0]);
  put('perplexity_hi95', r.perplexityInterval95[1]);
  put('accuracy', r.accuracy);
  put('accuracy_se', r.standardErrors.accuracy);
  if (r.topK) put(`top${r.topK.k}_accuracy`, r.topK.accuracy);
  if (r.topK) put(`top${r.topK.k}_accuracy_se`, r.standardErrors.topK!);
  put('brier', r.brier);
  put('brier_se', r.standardErrors.brier);
  put('ece', r.ece);
  for (const q of r.quantiles) put(`loss_p${Math.round(q.q * 100)}`, q.loss);
  put('loss_min', r.min);
  put('loss_max', r.max);
  put('baseline_prior', r.baselines.prior ?? '');
  put('baseline_uniform', r.baselines.uniform);
  put('skill', r.baselines.skill ?? '');
  for (const k of ['macro', 'weighted'] as const) {
    const a = r.averages?.[k];
    for (const m of ['precision', 'recall', 'f1', 'loss'] as const) {
      put(`${k}_${m}`, a?.[m] ?? '');
      put(`${k}_${m}_se`, a?.standardErrors[m] ?? '');
    }
    // The figures whose _se is an upper bound of the standard error (space-separated; empty: none).
    put(`${k}_se_bounds`, a?.bounds.join(' ') ?? '');
  }
  if (r.bootstrap) {
    const b = r.bootstrap;
    put('bootstrap_resamples', b.resamples);
    for (const [k, v] of [['loss', b.loss], ['perplexity', b.perplexity], ['accuracy', b.accuracy], ['brier', b.brier], ['macro_f1', b.macroF1]] as const) {
      put(`bootstrap_${k}_lo95`, v?.[0] ?? '');
      put(`bootstrap_${k}_hi95`, v?.[1] ?? '');
    }
  }
  lines.push('', `class,support,loss,accuracy,mean_probability,predicted,precision,recall,f1,${SE_COLUMNS.map((k) => `${SE_NAMES[k]}_se`).join(',')}`);
  for (const c of r.perClass) {
    lines.push([
      c.class, c.support, c.loss, c.accuracy, c.meanProbability, c.predicted, c.precision ?? '', c.recall ?? '', c.f1 ?? '',
      ...SE_COLUMNS.map((k) => c.standardErrors[k] ?? ''),
    ].join(','));
  }
  if (r.curves) {
    const k = r.curves;
    lines.splice(lines.indexOf(''), 0, `auroc,${k.auroc}`, `auroc_error,${k.aurocError}`, `average_precision,${k.averagePrecision}`, `average_precision_error,${k.averagePrecisionError}`);
  }
  if (r.worst?.length) lines.push('', 'worst_row,loss', ...r.worst.map((w) => `${w.row},${w.loss}`));
  return lines.join('\n') + '\n';
}
