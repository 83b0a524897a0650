/**
 * The HTML report's tables: per class (support, loss, precision, recall, F1, each ± its standard error, with the
 * macro and weighted averages),
 * the confusion matrix (shaded by the share of each label's rows), the most confused pairs, the worst rows, and the
 * run's metadata.
 */
import type { AverageFigure } from '../../eval/averages.js';
import type { EvalResult } from '../../eval/evaluator.js';
import type { RunMeta } from './meta.js';
import { type ReportInfo, className } from './text.js';

/** Rows of the per-class table at most (the highest mean losses when there are more classes). */
export const MAX_CLASS_ROWS = 100;

export const TABLE_CSS = [
  'table.xent-t{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:0 0 8px}',
  '.xent-t th,.xent-t td{padding:2px 8px;text-align:right;border-bottom:1px solid #eaeef2}',
  '.xent-t th{font-weight:600;font-size:12px;color:#59636e}.xent-t th:first-child,.xent-t td:first-child{text-align:left}',
  '.xent-t tr.avg td{border-top:2px solid #d1d9e0;font-weight:600}.xent-t .se{color:#59636e;font-size:11px}',
  '.xent-cm td{min-width:34px;text-align:center}.xent-cm th{text-align:center}',
  'h2{font-size:16px;margin:24px 0 6px}.meta{color:#59636e;font-size:12px}.meta code{word-break:break-all}',
].join('');

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (v: number | null | undefined, d: number) => (v === null || v === undefined ? 'n/a' : Number.isFinite(v) ? v.toFixed(d) : String(v));
const count = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2));
/** A figure and, in small grey type, ± its standard error (±≤ for an upper bound of it; nothing when it has none). */
const withError = (v: number | null, se: number | null, d: number, bound = false) =>
  `${num(v, d)}${v !== null && se !== null && Number.isFinite(se) ? `<span class="se"> ±${bound ? '≤' : ''}${se.toFixed(d)}</span>` : ''}`;
const row = (cells: string[], cls = '') => `<tr${cls ? ` class="${cls}"` : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;

function classTable(r: EvalResult, info: ReportInfo): string {
  if (!r.perClass.length) return '';
  const many = r.perClass.length > MAX_CLASS_ROWS;
  const shown = many ? [...r.perClass].sort((a, b) => b.loss - a.loss || a.class - b.class).slice(0, MAX_CLASS_ROWS) : r.perClass;
  const what = info.multiLabel ? 'label' : 'class';
  const whats = info.multiLabel ? 'labels' : 'classes';
  const head = [what, 'support', `loss (${r.unit})`, 'precision', 'recall', 'F1', 'predicted'].map((h) => `<th>${esc(h)}</th>`).join('');
  const body = shown.map((c) => row([
    esc(className(info, c.class)), count(c.support), withError(c.loss, c.standardErrors.loss, 4),
    withError(c.precision, c.standardErrors.precision, 3), withError(c.recall, c.standardErrors.recall, 3),
    withError(c.f1, c.standardErrors.f1, 3), count(c.predicted),
  ]));
  const total = r.perClass.reduce((a, c) => a + c.support, 0);
  for (const k of ['macro', 'weighted'] as const) {
    const a = r.averages?.[k];
    const cell = (m: AverageFigure, d: number) => (a ? withError(a[m], a.standardErrors[m], d, a.bounds.includes(m)) : num(null, d));
    body.push(row([`${k} avg`, count(total), cell('loss', 4), cell('precision', 3), cell('recall', 3), cell('f1', 3), ''], 'avg'));
  }
  const bounds = r.averages?.macro.bounds.length || r.averages?.weighted.bounds.length
    ? ` ±≤: an upper bound of the standard error (too few sums kept for the delta method at ${r.perClass.length} ${whats}).` : '';
  const note = `<p class="meta">${many ? `The ${MAX_CLASS_ROWS} ${whats} of highest mean loss of ${r.perClass.length}; the averages are over all. Every ${what}: --format json or csv. ` : ''}`
    + `± one standard error (the loss over the ${what}'s rows; precision, recall, F1 and the averages by the delta method; none below two rows).${bounds}</p>`;
  return `<h2>Per ${what}</h2>${note}<table class="xent-t"><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

function confusionTable(r: EvalResult, info: ReportInfo): string {
  const m = r.confusion;
  if (!m) return '';
  const names = m.map((_, k) => esc(className(info, k)));
  const head = `<tr><th>label \\ predicted</th>${names.map((n) => `<th>${n}</th>`).join('')}</tr>`;
  const body = m.map((cells, y) => {
    const total = cells.reduce((a, b) => a + b, 0);
    return `<tr><th>${names[y]}</th>${cells.map((v, k) => {
      const share = total > 0 ? v / total : 0;
      // Shaded by the share of the label's rows: blue on the diagonal, red off it.
      const bg = v > 0 ? ` style="background:${k === y ? `rgba(76,120,168,${(0.1 + 0.6 * share).toFixed(2)})` : `rgba(228,87,86,${(0.1 + 0.8 * share).toFixed(2)})`}"` : '';
      return `<td${bg} title="${names[y]} predicted as ${names[k]}: ${count(v)} (${(100 * share).toFixed(1)} %)">${count(v)}</td>`;
    }).join('')}</tr>`;
  });
  return `<h2>Confusion matrix</h2><table class="xent-t xent-cm"><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

function pairsTable(r: EvalResult, info: ReportInfo): string {
  const pairs = r.confused?.pairs ?? [];
  if (!pairs.length) return '';
  const note = r.confused!.error > 0
    ? `<p class="meta">Estimated from a count-min sketch: each at least the true weight, and over it by at most ${count(r.confused!.error)} with 98 % confidence.</p>`
    : '';
  const body = pairs.map((p) => row([esc(className(info, p.label)), esc(className(info, p.predicted)), count(p.weight)]));
  return `<h2>Most confused pairs</h2>${note}<table class="xent-t"><thead><tr><th>label</th><th>predicted</th><th>${r.weight === r.count ? 'rows' : 'weight'}</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}

function worstTable(r: EvalResult): string {
  if (!r.worst?.length) return '';
  const body = r.worst.map((w) => row([String(w.row), num(w.loss, 4)]));
  return `<h2>Worst rows</h2><p class="meta">The rows of highest loss; row numbers count the input's rows from 0.</p>`
    + `<table class="xent-t"><thead><tr><th>row</th><th>loss (${esc(r.unit)})</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}

export function metaBlock(run: RunMeta | undefined): string {
  if (!run) return '';
  const inputs = run.inputs.map((i) => `<br>sha256 <code>${i.sha256}</code> <code>${esc(i.file)}</code>`).join('');
  return `<p class="meta">xent ${esc(run.version)}, ${esc(run.date)}: <code>${esc(run.command)}</code>${inputs}</p>`;
}

/** The tables after the charts. */
export function reportTables(r: EvalResult, info: ReportInfo): string {
  return [classTable(r, info), confusionTable(r, info), pairsTable(r, info), worstTable(r)].filter(Boolean).join('\n');
}
