/**
 * `--report report.html`: one self-contained page (inline SVG and CSS, no script, no network) with the per-class
 * loss bars, the reliability diagram, the histogram of per-row loss and the curve of cross-entropy against the
 * predicted probability of the true class.
 *
 * The four charts are exported one by one (each returns a `<figure>` holding an inline `<svg>`) with the CSS they
 * use, so that other pages (the browser playground) draw the same pictures; so are the pieces they are drawn with
 * (frame, ticks, legend marks), for the language model's report (report/lm.ts). Their layout is computed, not tuned by
 * hand: margins come from the widths of the tick labels, which are estimated from per-character advance widths
 * rounded up from DejaVu Sans (the widest of the usual sans-serif faces), so axis titles, tick labels and bars
 * never share space, and crowded tick labels are thinned.
 */
import type { EvalResult } from '../../eval/evaluator.js';
import { Z95 } from '../../eval/estimate.js';
import { TABLE_CSS, metaBlock, reportTables } from './tables.js';
import { type ReportInfo, isBinary, reading } from './text.js';

/** The size of every chart in CSS pixels (the SVG's width and height; the viewBox is the same). */
export const CHART_WIDTH = 460;
export const CHART_HEIGHT = 300;

/** Font sizes (px) of the text classes; CHART_CSS sets the same sizes. */
export const FONT = { tk: 11, lb: 12, lg: 11, note: 12 } as const;
/** Ascent and descent of a line of text, as fractions of the font size (DejaVu Sans's 0.928 and 0.236, rounded up). */
export const ASCENT = 0.95;
export const DESCENT = 0.25;

const W = CHART_WIDTH;
const H = CHART_HEIGHT;
/** Space between the SVG's edge and any text. */
const PAD = 4;
/** Space between an axis title and its tick labels, and between the y tick labels and the plot area. */
const GAP = 6;
/**
 * Space between the x axis and the x tick labels: the lowest y tick label is centred on the axis, so it reaches
 * (ASCENT + DESCENT) / 2 of its size below it; the x labels start under that.
 */
const X_GAP = 8;
/** Space between two neighbouring tick labels, at least. */
const LABEL_GAP = 6;
/** The same between class labels (a little more: they are many and alike). */
const CLASS_LABEL_GAP = 8;
/** One row of the legend (drawn above the plot area). */
const LEGEND_ROW = 16;
/** The reliability diagram's strip of bin weights, under the plot area. */
const STRIP_GAP = 16;
const STRIP_H = 36;
/** Bars shown in the per-class chart at most (the highest mean losses). */
export const MAX_CLASS_BARS = 100;
/** The largest marker's radius in the curve chart (the bin with the most rows). */
const MAX_R = 9;

/** The CSS of the charts: class names used in the SVG markup. */
export const CHART_CSS = [
  '.xent-chart{margin:0;break-inside:avoid;page-break-inside:avoid}',
  '.xent-chart figcaption{font-weight:600;font-size:13px;margin:0 0 4px}',
  '.xent-chart svg{display:block;max-width:100%;height:auto;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;'
    + '-webkit-print-color-adjust:exact;print-color-adjust:exact}',
  '.xent-chart .ax{stroke:#333;stroke-width:1}.xent-chart .grid{stroke:#e6e6e6;stroke-width:1}',
  `.xent-chart .tk{font-size:${FONT.tk}px;fill:#555}.xent-chart .lb{font-size:${FONT.lb}px;fill:#222}`,
  `.xent-chart .lg{font-size:${FONT.lg}px;fill:#444}.xent-chart .note{font-size:${FONT.note}px;fill:#777}`,
  '.xent-chart .bar{fill:#4c78a8}.xent-chart .bar2{fill:#9ecae9}.xent-chart .ref{stroke:#e45756;stroke-width:1.5;stroke-dasharray:5 3;fill:none}',
  '.xent-chart .ref2{stroke:#555;stroke-width:1.5;stroke-dasharray:2 2;fill:none}',
  '.xent-chart .dot{fill:#e45756}.xent-chart .pt{fill:#4c78a8;fill-opacity:.55;stroke:#2f5d8a;stroke-width:1}',
  '.xent-chart .curve{fill:none;stroke:#f58518;stroke-width:2}',
  '.xent-chart .err{stroke:#1f3550;stroke-width:1.2;fill:none}',
].join('');

/** Options of the chart functions. */
export interface ChartOptions {
  /** Names of the classes by class index (default: the index); long names are shortened, the full one is the tooltip. */
  classNames?: readonly string[];
  /** Prefix of the ids the SVG's <title> and <desc> get (default 'xent'); make it unique when a page shows two reports. */
  idPrefix?: string;
  /** What the reliability diagram counts per bin (default 'rows', or 'weight' for weighted rows): e.g. 'tokens'. */
  countWord?: string;
}

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** A coordinate, rounded to 0.1 px. */
export const f = (v: number) => (Math.round(v * 10) / 10).toString();
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
export const fixed = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

// ---- text metrics ----------------------------------------------------------------------------------------------

const NARROW = new Set([...'.,:;!|\'ijl ·']);
const SEMI = new Set([...'()[]{}/\\-frt"*`₀₁₂₃₄₅₆₇₈₉']);
const WIDE = new Set([...'mw%…−+=×÷<>~∝≈≤≥—MW@']);

/** Advance width (em) of one character, rounded up from DejaVu Sans's. */
function charWidth(c: string): number {
  if (c >= '0' && c <= '9') return 0.64;
  if (NARROW.has(c)) return 0.33;
  if (SEMI.has(c)) return 0.43;
  if (WIDE.has(c)) return 1.0;
  if (c >= 'a' && c <= 'z') return 0.64;
  if (c >= 'A' && c <= 'Z') return 0.8;
  if (c.charCodeAt(0) < 0x2e80) return 0.8;
  return 1.05; // CJK and the like: full width
}

/** Estimated width in px of `s` set at `size` px (an upper bound for the usual sans-serif faces). */
export function textWidth(s: string, size: number): number {
  let em = 0;
  for (const c of s) em += charWidth(c);
  return em * size;
}

/** `s` cut (with an ellipsis) to fit `max` px at `size` px; `s` itself when it fits. */
export function fitText(s: string, size: number, max: number): string {
  if (textWidth(s, size) <= max) return s;
  const chars = [...s];
  let n = chars.length - 1;
  while (n > 0 && textWidth(chars.slice(0, n).join('') + '…', size) > max) n--;
  return n > 0 ? chars.slice(0, n).join('') + '…' : '';
}

// ---- ticks -----------------------------------------------------------------------------------------------------

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) giving at most about `count` intervals over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
}

/** Decimals needed to print multiples of `step` exactly. */
function decimalsOf(step: number): number {
  for (let d = 0; d < 10; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 10;
}

export interface Ticks {
  top: number;
  values: number[];
  labels: string[];
}

/** Ticks from 0 to a nice top >= max (max > 0). */
export function zeroTicks(max: number, count = 5): Ticks {
  const hi = max > 0 && Number.isFinite(max) ? max : 1;
  const step = niceStep(hi, count);
  const n = Math.max(1, Math.ceil(hi / step - 1e-9));
  const d = decimalsOf(step);
  const values = Array.from({ length: n + 1 }, (_, i) => i * step);
  return { top: n * step, values, labels: values.map((v) => v.toFixed(d)) };
}

/** A power of ten as a tick label: 0.001 … 1000 written out, 1e-4 and 1e4 beyond. */
export function decadeLabel(e: number): string {
  if (e >= -3 && e <= 3) return e < 0 ? (10 ** e).toFixed(-e) : String(10 ** e);
  return `1e${e}`;
}

// ---- the frame of a chart --------------------------------------------------------------------------------------

export interface LegendItem {
  /** Marker drawn in a 16 × 10 box whose left edge is at x and vertical middle at y. */
  mark: (x: number, y: number) => string;
  text: string;
}

/** One label under the x axis: its centre in px and its text (full: the tooltip, when `text` is shortened). */
export interface XLabel {
  x: number;
  text: string;
  full?: string;
  /** 0: the first row of labels under the axis, 1: the second (staggered labels). */
  row?: number;
}

interface FrameSpec {
  /** y axis: data range [0, ticks.top] with its tick labels, and its title. */
  y: Ticks;
  yTitle: string;
  xTitle: string;
  legend?: LegendItem[];
  /** Extra space under the plot area, above the x tick labels (the reliability diagram's strip). */
  below?: number;
  /** Other labels drawn in the y tick labels' column (the strip's scale): the left margin makes room for them. */
  moreYLabels?: string[];
  /** Px between the x axis and y = 0 (room for markers drawn at y = 0). */
  inset?: number;
  /** The x tick labels, once the plot area's left and right edges (px) are known. */
  xLabels: (left: number, right: number) => XLabel[];
}

/** The plot area (px) and the markup drawn so far. */
interface Frame {
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Data y → px. */
  py: (v: number) => number;
  parts: string[];
}

const legendWidth = (it: LegendItem) => 20 + textWidth(it.text, FONT.lg);

/** Legend items laid out in rows within [left, right]; returns the rows' markup and the height taken. */
function legendRows(items: LegendItem[], left: number, right: number, top: number): { svg: string[]; height: number } {
  const svg: string[] = [];
  let x = left;
  let row = 0;
  for (const it of items) {
    const w = legendWidth(it);
    if (x > left && x + w > right) {
      row++;
      x = left;
    }
    const y = top + row * LEGEND_ROW + LEGEND_ROW / 2;
    svg.push(it.mark(x, y));
    svg.push(`<text x="${f(x + 20)}" y="${f(y + ((ASCENT - DESCENT) / 2) * FONT.lg)}" class="lg">${esc(it.text)}</text>`);
    x += w + 14;
  }
  return { svg, height: items.length ? (row + 1) * LEGEND_ROW : 0 };
}

/**
 * Margins from the text around the plot area: the y title (rotated) then the y tick labels on the left; the x tick
 * labels then the x title at the bottom; the legend on top.
 */
export function frame(spec: FrameSpec): Frame {
  const yLabelW = Math.max(...[...spec.y.labels, ...(spec.moreYLabels ?? [])].map((s) => textWidth(s, FONT.tk)));
  const titleBand = (ASCENT + DESCENT) * FONT.lb;
  const left = Math.ceil(PAD + titleBand + GAP + yLabelW + GAP);
  const right = W - 16;
  const legend = legendRows(spec.legend ?? [], left, right, PAD);
  // The top tick label is centred on the top of the plot area: half a line above it must be free.
  const top = Math.max(PAD + legend.height + 8, PAD + FONT.tk);
  const xLabels = spec.xLabels(left, right);
  const rows = 1 + Math.max(0, ...xLabels.map((l) => l.row ?? 0));
  const tickRow = (ASCENT + DESCENT) * FONT.tk;
  const bottom = Math.floor(H - PAD - titleBand - GAP - rows * tickRow - X_GAP - (spec.below ?? 0));
  const zero = bottom - (spec.inset ?? 0);
  const py = (v: number) => zero - (v / spec.y.top) * (zero - top);
  const parts: string[] = [...legend.svg];
  spec.y.values.forEach((v, i) => {
    const y = py(v);
    if (i > 0 || spec.inset) parts.push(`<line x1="${left}" y1="${f(y)}" x2="${right}" y2="${f(y)}" class="grid"/>`);
    parts.push(`<text x="${left - GAP}" y="${f(y + ((ASCENT - DESCENT) / 2) * FONT.tk)}" class="tk" text-anchor="end">${esc(spec.y.labels[i])}</text>`);
  });
  // x tick labels: rows of them under the plot (and the strip), each kept inside the SVG.
  const base = bottom + (spec.below ?? 0) + X_GAP + ASCENT * FONT.tk;
  for (const l of xLabels) {
    const half = textWidth(l.text, FONT.tk) / 2;
    const x = clamp(l.x, PAD + half, W - PAD - half);
    const tip = l.full && l.full !== l.text ? `<title>${esc(l.full)}</title>` : '';
    parts.push(`<text x="${f(x)}" y="${f(base + (l.row ?? 0) * tickRow)}" class="tk" text-anchor="middle">${tip}${esc(l.text)}</text>`);
  }
  // Axis titles: x centred under the plot, y rotated and centred beside it (within the plot's height).
  const xTitle = fitText(spec.xTitle, FONT.lb, W - 2 * PAD);
  parts.push(`<text x="${f((left + right) / 2)}" y="${f(H - PAD - DESCENT * FONT.lb)}" class="lb" text-anchor="middle">${esc(xTitle)}</text>`);
  const yTitle = fitText(spec.yTitle, FONT.lb, bottom - top);
  const tx = PAD + ASCENT * FONT.lb;
  const ty = (top + bottom) / 2;
  parts.push(`<text x="${f(tx)}" y="${f(ty)}" class="lb" text-anchor="middle" transform="rotate(-90 ${f(tx)} ${f(ty)})">${esc(yTitle)}</text>`);
  return { left, right, top, bottom, py, parts };
}

/** Keeps every k-th label, k the smallest of 1, 2, 5, 10, 20, 50, … (or 3, 4) at which neighbours do not touch. */
export function thin(labels: XLabel[]): XLabel[] {
  for (const k of [1, 2, 3, 4, 5, 10, 20, 25, 50, 100, 200, 500, 1000]) {
    const kept = labels.filter((_, i) => i % k === 0);
    let ok = true;
    for (let i = 1; i < kept.length && ok; i++) {
      const a = kept[i - 1];
      const b = kept[i];
      ok = b.x - a.x >= (textWidth(a.text, FONT.tk) + textWidth(b.text, FONT.tk)) / 2 + LABEL_GAP;
    }
    if (ok) return kept;
  }
  return labels.slice(0, 1);
}

/** The y ticks of [0, 1]. */
const UNIT_Y: Ticks = { top: 1, values: [0, 0.2, 0.4, 0.6, 0.8, 1], labels: ['0', '0.2', '0.4', '0.6', '0.8', '1'] };

/** Evenly spaced ticks of [0, 1] (a probability axis). */
const unitTicks = (px: (v: number) => number): XLabel[] =>
  [0, 0.2, 0.4, 0.6, 0.8, 1].map((v) => ({ x: px(v), text: v === 0 || v === 1 ? String(v) : v.toFixed(1) }));

export function wrap(kind: string, caption: string, desc: string, parts: string[], o: ChartOptions): string {
  const id = `${o.idPrefix ?? 'xent'}-${kind}`;
  return `<figure class="xent-chart" id="${esc(id)}"><figcaption>${esc(caption)}</figcaption>`
    + `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${esc(id)}-title ${esc(id)}-desc">`
    + `<title id="${esc(id)}-title">${esc(caption)}</title><desc id="${esc(id)}-desc">${esc(desc)}</desc>`
    + `${parts.join('')}</svg></figure>`;
}

export function empty(kind: string, caption: string, why: string, o: ChartOptions): string {
  return wrap(kind, caption, why, [`<text x="${W / 2}" y="${H / 2}" class="note" text-anchor="middle">${esc(why)}</text>`], o);
}

export const swatch = (cls: string) => (x: number, y: number) => `<rect x="${f(x + 2)}" y="${f(y - 5)}" width="12" height="10" class="${cls}"/>`;
export const dash = (cls: string) => (x: number, y: number) => `<line x1="${f(x)}" y1="${f(y)}" x2="${f(x + 16)}" y2="${f(y)}" class="${cls}"/>`;
export const dot = (cls: string, r = 3.5) => (x: number, y: number) => `<circle cx="${f(x + 8)}" cy="${f(y)}" r="${r}" class="${cls}"/>`;

/** The q-quantile of the per-row loss (q one of EvalResult's quantiles; NaN otherwise). */
const quantileOf = (r: EvalResult, q: number) => r.quantiles.find((x) => x.q === q)?.loss ?? NaN;
/** 'rows' when every row weighs 1, 'weight' otherwise. */
const rowsWord = (r: EvalResult) => (r.weight === r.count ? 'rows' : 'weight');
/** The loss as −log p in the report's unit. */
function logName(unit: string): string {
  if (unit === 'nats') return '−ln p';
  if (unit === 'bits') return '−log₂ p';
  if (unit === 'bans') return '−log₁₀ p';
  return '−log p';
}
/** ln of the base of `unit` ('log base b' included). */
function lnBase(unit: string): number {
  if (unit === 'bits') return Math.LN2;
  if (unit === 'bans') return Math.LN10;
  const b = /^log base (.+)$/.exec(unit);
  return b ? Math.log(Number(b[1])) : 1;
}

// ---- the charts ------------------------------------------------------------------------------------------------

/**
 * Bars of the mean loss per class (the 100 highest when there are more), thinned and shortened class labels, and
 * each bar's 95% interval (± 1.96 standard errors) as an error bar, its top cut at twice the highest bar.
 */
export function classLossChart(r: EvalResult, o: ChartOptions = {}, multiLabel = false): string {
  // Multi-label: every label has a mean over every row (support is the positives), so none is left out.
  const all = r.perClass.filter((c) => Number.isFinite(c.loss) && (multiLabel || c.support > 0));
  const many = all.length > MAX_CLASS_BARS;
  const cs = many ? [...all].sort((a, b) => b.loss - a.loss || a.class - b.class).slice(0, MAX_CLASS_BARS) : all;
  const what = multiLabel ? 'label' : 'class';
  const caption = `Mean ${multiLabel ? 'binary ' : ''}loss per ${what}${many ? ` (the ${MAX_CLASS_BARS} highest of ${all.length})` : ''}`;
  if (!cs.length) return empty('class-loss', caption, `no ${what} with rows`, o);
  const name = (c: number) => o.classNames?.[c] ?? String(c);
  const se = (c: (typeof cs)[number]) => c.standardErrors.loss;
  const highest = Math.max(...cs.map((c) => c.loss), Number.isFinite(r.loss) ? r.loss : 0);
  const reach = Math.max(highest, ...cs.map((c) => c.loss + Z95 * (se(c) ?? 0)).filter(Number.isFinite));
  const y = zeroTicks(Math.min(reach, 2 * highest) * 1.04);
  let bw = 0;
  let x0 = 0;
  const legend: LegendItem[] = Number.isFinite(r.loss) ? [{ mark: dash('ref'), text: `overall mean ${fixed(r.loss, 4)} ${r.unit}` }] : [];
  if (cs.some((c) => se(c) !== null)) legend.push({ mark: (x, yy) => `<path d="M${f(x + 8)} ${f(yy - 5)}V${f(yy + 5)}M${f(x + 5)} ${f(yy - 5)}H${f(x + 11)}M${f(x + 5)} ${f(yy + 5)}H${f(x + 11)}" class="err"/>`, text: '95 % interval (± 1.96 se)' });
  const fr = frame({
    y, yTitle: `mean loss (${r.unit})`, xTitle: many ? `${what} (by mean loss)` : what, legend,
    xLabels: (left, right) => {
      bw = (right - left) / cs.length;
      x0 = left;
      return classLabels(cs.map((c) => name(c.class)), left, bw);
    },
  });
  const clip = (v: number) => fr.py(Math.min(Math.max(0, v), y.top));
  cs.forEach((c, i) => {
    const top = fr.py(c.loss);
    const gap = bw >= 6 ? bw * 0.15 : bw >= 3 ? 0.5 : 0;
    const s = se(c);
    const pm = s === null ? '' : ` ± ${fixed(s, 4)}`;
    fr.parts.push(`<rect x="${f(x0 + i * bw + gap)}" y="${f(top)}" width="${f(Math.max(0.5, bw - 2 * gap))}" height="${f(fr.bottom - top)}" class="bar">`
      + `<title>${what} ${esc(name(c.class))}: ${fixed(c.loss, 4)}${pm} ${r.unit}, support ${c.support}, accuracy ${fixed(100 * c.accuracy, 1)} %</title></rect>`);
    if (s === null) return;
    const [lo, hi] = [c.loss - Z95 * s, c.loss + Z95 * s];
    const x = x0 + (i + 0.5) * bw;
    const cap = Math.min(4, bw * 0.3);
    fr.parts.push(`<path d="M${f(x)} ${f(clip(lo))}V${f(clip(hi))}M${f(x - cap)} ${f(clip(hi))}H${f(x + cap)}M${f(x - cap)} ${f(clip(lo))}H${f(x + cap)}" class="err" data-lo="${lo}" data-hi="${hi}">`
      + `<title>${what} ${esc(name(c.class))}: 95 % interval ${fixed(lo, 4)} – ${fixed(hi, 4)} ${r.unit}</title></path>`);
  });
  fr.parts.push(`<line x1="${fr.left}" y1="${fr.bottom}" x2="${fr.right}" y2="${fr.bottom}" class="ax"/>`);
  if (Number.isFinite(r.loss)) fr.parts.push(`<line x1="${fr.left}" y1="${f(fr.py(r.loss))}" x2="${fr.right}" y2="${f(fr.py(r.loss))}" class="ref"/>`);
  const worst = cs.reduce((a, b) => (b.loss > a.loss ? b : a));
  const desc = `${cs.length} bars with 95% intervals; highest: ${what} ${name(worst.class)} at ${fixed(worst.loss, 4)} ${r.unit}; overall mean ${fixed(r.loss, 4)} ${r.unit}.`;
  return wrap('class-loss', caption, desc, fr.parts, o);
}

/**
 * Labels under bars `bw` px wide from `left`: every label in one row, or every label in two staggered rows, or
 * every k-th label (k = 2, 5, 10, 20, …) in one row: the first of these in which each label, shortened to the room
 * it has, keeps at least 4 characters (all of it when shorter). Shortened labels carry the full name as tooltip.
 */
export function classLabels(names: readonly string[], left: number, bw: number): XLabel[] {
  const layouts: [k: number, rows: number][] = [[1, 1], [1, 2], ...[2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].map((k): [number, number] => [k, 1])];
  for (const [k, rows] of layouts) {
    const room = k * rows * bw - CLASS_LABEL_GAP;
    const shown: XLabel[] = [];
    let ok = room > 0;
    for (let i = 0; i < names.length && ok; i += k) {
      const text = fitText(names[i], FONT.tk, room);
      ok = [...text.replace(/…$/, '')].length >= Math.min(4, [...names[i]].length);
      shown.push({ x: left + (i + 0.5) * bw, text, full: names[i], row: (i / k) % rows });
    }
    if (ok) return shown;
  }
  return [];
}

/** Accuracy against confidence in 15 bins, the diagonal of perfect calibration, and the bins' weights in a strip. */
export function reliabilityChart(r: EvalResult, o: ChartOptions = {}, multiLabel = false): string {
  const what = multiLabel ? 'p' : 'top-1 confidence';
  const caption = `Reliability diagram (ECE ${fixed(r.ece, 4)})`;
  const bins = r.reliability.filter((b) => b.weight > 0);
  if (!bins.length) return empty('reliability', caption, 'no rows', o);
  const word = o.countWord ?? rowsWord(r);
  const y = UNIT_Y;
  const most = Math.max(...bins.map((b) => b.weight));
  const mostText = most >= 1e4 ? `${+(most / 1000).toPrecision(3)}k` : String(+most.toPrecision(4));
  let px = (v: number) => v;
  const fr = frame({
    y, yTitle: 'accuracy', xTitle: `confidence (${what}), ${r.reliability.length} bins`, below: STRIP_GAP + STRIP_H,
    moreYLabels: [mostText],
    legend: [
      { mark: swatch('bar'), text: 'accuracy' },
      { mark: dot('dot', 3), text: 'mean confidence' },
      { mark: dash('ref'), text: 'perfect calibration' },
      { mark: swatch('bar2'), text: `${word} per bin` },
    ],
    xLabels: (left, right) => {
      px = (v: number) => left + v * (right - left);
      return unitTicks(px);
    },
  });
  const { parts, bottom } = fr;
  for (const b of bins) {
    const top = fr.py(b.accuracy);
    parts.push(`<rect x="${f(px(b.lo) + 1)}" y="${f(top)}" width="${f(px(b.hi) - px(b.lo) - 2)}" height="${f(bottom - top)}" class="bar">`
      + `<title>${b.lo.toFixed(2)}–${b.hi.toFixed(2)}: accuracy ${b.accuracy.toFixed(3)}, mean confidence ${b.confidence.toFixed(3)}, ${word} ${+b.weight.toPrecision(6)}</title></rect>`);
  }
  parts.push(`<line x1="${fr.left}" y1="${bottom}" x2="${fr.right}" y2="${f(fr.top)}" class="ref"/>`);
  for (const b of bins) parts.push(`<circle cx="${f(px(b.confidence))}" cy="${f(fr.py(b.confidence))}" r="3" class="dot"/>`);
  parts.push(`<line x1="${fr.left}" y1="${bottom}" x2="${fr.right}" y2="${bottom}" class="ax"/>`);
  // The strip: bar heights ∝ weight, the largest labelled on the left.
  const s0 = bottom + STRIP_GAP;
  const s1 = s0 + STRIP_H;
  parts.push(`<line x1="${fr.left}" y1="${s0}" x2="${fr.right}" y2="${s0}" class="grid"/>`);
  for (const b of bins) {
    const h = (b.weight / most) * STRIP_H;
    parts.push(`<rect x="${f(px(b.lo) + 1)}" y="${f(s1 - h)}" width="${f(px(b.hi) - px(b.lo) - 2)}" height="${f(h)}" class="bar2">`
      + `<title>${b.lo.toFixed(2)}–${b.hi.toFixed(2)}: ${word} ${+b.weight.toPrecision(6)} (${fixed((100 * b.weight) / r.weight, 1)} %)</title></rect>`);
  }
  parts.push(`<line x1="${fr.left}" y1="${s1}" x2="${fr.right}" y2="${s1}" class="ax"/>`);
  // Its scale: the largest weight, level with the top of its bar.
  parts.push(`<text x="${fr.left - GAP}" y="${f(s0 + ((ASCENT - DESCENT) / 2) * FONT.tk)}" class="tk" text-anchor="end">${esc(mostText)}</text>`);
  const desc = `${bins.length} non-empty bins of ${what}; accuracy against mean confidence, ECE ${fixed(r.ece, 4)}.`;
  return wrap('reliability', caption, desc, parts, o);
}

/** The per-row loss histogram (log-spaced bins) with the mean and the median marked. */
export function lossHistogramChart(r: EvalResult, o: ChartOptions = {}): string {
  const caption = 'Distribution of per-row loss';
  if (!r.histogram.length || !(r.weight > 0)) return empty('loss-histogram', caption, 'no rows', o);
  const word = rowsWord(r);
  // Bounds: the underflow bin [0, lo) is drawn one bin wide under lo, the overflow bin [lo, ∞] one bin wide above.
  const step = 10 ** 0.1;
  const bins = r.histogram.map((b) => {
    const hi = Number.isFinite(b.hi) ? b.hi : b.lo * step;
    const lo = b.lo > 0 ? b.lo : hi / step;
    return { lo, hi, weight: b.weight, text: `${b.lo > 0 ? b.lo.toPrecision(3) : '0'}–${Number.isFinite(b.hi) ? b.hi.toPrecision(3) : '∞'}` };
  });
  let e0 = Math.floor(Math.log10(Math.min(...bins.map((b) => b.lo))) + 1e-9);
  let e1 = Math.ceil(Math.log10(Math.max(...bins.map((b) => b.hi))) - 1e-9);
  if (e1 <= e0) e1 = e0 + 1;
  if (e1 - e0 < 2) e0 = e1 - 2;
  const median = quantileOf(r, 0.5);
  const y = zeroTicks((100 * Math.max(...bins.map((b) => b.weight))) / r.weight * 1.04);
  let px = (v: number) => v;
  const legend: LegendItem[] = [];
  if (r.loss > 0 && Number.isFinite(r.loss)) legend.push({ mark: dash('ref'), text: `mean ${fixed(r.loss, 4)}` });
  if (median > 0) legend.push({ mark: dash('ref2'), text: `median ${fixed(median, 4)}` });
  const fr = frame({
    y, yTitle: `share of ${word} (%)`, xTitle: `per-row loss (${r.unit}, log scale)`, legend,
    xLabels: (left, right) => {
      px = (v: number) => left + ((Math.log10(v) - e0) / (e1 - e0)) * (right - left);
      return thin(Array.from({ length: e1 - e0 + 1 }, (_, i) => ({ x: left + (i / (e1 - e0)) * (right - left), text: decadeLabel(e0 + i) })));
    },
  });
  for (const b of bins) {
    const top = fr.py((100 * b.weight) / r.weight);
    const x = px(b.lo);
    fr.parts.push(`<rect x="${f(x)}" y="${f(top)}" width="${f(Math.max(0.5, px(b.hi) - x - 0.6))}" height="${f(fr.bottom - top)}" class="bar">`
      + `<title>loss ${b.text} ${r.unit}: ${fixed((100 * b.weight) / r.weight, 2)} % of ${word}</title></rect>`);
  }
  for (let e = e0; e <= e1; e++) fr.parts.push(`<line x1="${f(px(10 ** e))}" y1="${fr.bottom}" x2="${f(px(10 ** e))}" y2="${fr.bottom + 4}" class="ax"/>`);
  fr.parts.push(`<line x1="${fr.left}" y1="${fr.bottom}" x2="${fr.right}" y2="${fr.bottom}" class="ax"/>`);
  const mark = (v: number, cls: string) => {
    if (v > 0 && Number.isFinite(v)) {
      const x = clamp(px(v), fr.left, fr.right);
      fr.parts.push(`<line x1="${f(x)}" y1="${f(fr.top)}" x2="${f(x)}" y2="${fr.bottom}" class="${cls}"/>`);
    }
  };
  mark(r.loss, 'ref');
  mark(median, 'ref2');
  const desc = `${bins.length} log-spaced bins of per-row loss in ${r.unit} from ${decadeLabel(e0)} to ${decadeLabel(e1)}; mean ${fixed(r.loss, 4)}, median ${fixed(median, 4)}.`;
  return wrap('loss-histogram', caption, desc, fr.parts, o);
}

/** Mean probability and mean loss of the rows in each of `n` bins of p, from the per-row loss histogram. */
export function probabilityBins(r: EvalResult, n = 20): { lo: number; hi: number; p: number; loss: number; share: number }[] {
  const u = lnBase(r.unit);
  const acc = Array.from({ length: n }, () => ({ w: 0, p: 0, loss: 0 }));
  for (const b of r.histogram) {
    // A histogram bin's rows at its geometric middle (its bins are 1/10 decade wide), the open ends at their bound.
    const loss = b.lo > 0 && Number.isFinite(b.hi) ? Math.sqrt(b.lo * b.hi) : b.lo > 0 ? b.lo : b.hi / 2;
    const p = Math.exp(-loss * u);
    const a = acc[Math.min(n - 1, Math.floor(p * n))];
    a.w += b.weight;
    a.p += b.weight * p;
    a.loss += b.weight * loss;
  }
  return acc.flatMap((a, i) => (a.w > 0 ? [{ lo: i / n, hi: (i + 1) / n, p: a.p / a.w, loss: a.loss / a.w, share: a.w / r.weight }] : []));
}

/**
 * The curve −log p of the predicted probability p of the true class, from p = 0 to 1, with the rows on it: their
 * mean p and mean loss in 20 bins of p (marker area ∝ share of rows), and the overall mean loss.
 */
export function lossCurveChart(r: EvalResult, o: ChartOptions = {}): string {
  const caption = 'Cross-entropy against the probability of the true class';
  const pts = r.weight > 0 ? probabilityBins(r) : [];
  if (!pts.length) return empty('loss-curve', caption, 'no rows', o);
  const u = lnBase(r.unit);
  const word = rowsWord(r);
  const y = zeroTicks(Math.max(Math.log(100) / u, ...pts.map((p) => p.loss)) * 1.02);
  let px = (v: number) => v;
  const legend: LegendItem[] = [
    { mark: dash('curve'), text: logName(r.unit) },
    { mark: dot('pt', 4), text: `${word} in 20 bins of p (area: share)` },
  ];
  if (Number.isFinite(r.loss)) legend.push({ mark: dash('ref'), text: `mean ${fixed(r.loss, 4)}` });
  const fr = frame({
    y, yTitle: `cross-entropy ${logName(r.unit)} (${r.unit})`, xTitle: 'predicted probability of the true class, p', legend, inset: MAX_R,
    xLabels: (left, right) => {
      px = (v: number) => left + v * (right - left);
      return unitTicks(px);
    },
  });
  const pMin = Math.exp(-y.top * u);
  const curve: string[] = [];
  for (let i = 0; i <= 240; i++) {
    // Denser where the curve is steep: p = pMin^(1 − t) near 0, linear above.
    const t = i / 240;
    const p = t < 0.25 ? pMin ** (1 - t / 0.25) * 0.05 ** (t / 0.25) : 0.05 + ((t - 0.25) / 0.75) * 0.95;
    curve.push(`${f(px(p))},${f(fr.py(-Math.log(p) / u))}`);
  }
  fr.parts.push(`<polyline points="${curve.join(' ')}" class="curve"/>`);
  if (Number.isFinite(r.loss) && r.loss <= y.top) fr.parts.push(`<line x1="${fr.left}" y1="${f(fr.py(r.loss))}" x2="${fr.right}" y2="${f(fr.py(r.loss))}" class="ref"/>`);
  const most = Math.max(...pts.map((p) => p.share));
  for (const p of pts) {
    const rad = Math.max(1.5, MAX_R * Math.sqrt(p.share / most));
    fr.parts.push(`<circle cx="${f(px(p.p))}" cy="${f(fr.py(Math.min(p.loss, y.top)))}" r="${f(rad)}" class="pt">`
      + `<title>p in [${p.lo.toFixed(2)}, ${p.hi.toFixed(2)}): ${fixed(100 * p.share, 1)} % of ${word}, mean p ${p.p.toFixed(3)}, mean loss ${p.loss.toFixed(3)} ${r.unit}</title></circle>`);
  }
  fr.parts.push(`<line x1="${fr.left}" y1="${fr.bottom}" x2="${fr.right}" y2="${fr.bottom}" class="ax"/>`);
  const desc = `The curve ${logName(r.unit)} for p from 0 to 1, and ${pts.length} bins of rows by p at their mean p and mean loss; mean loss ${fixed(r.loss, 4)} ${r.unit}.`;
  return wrap('loss-curve', caption, desc, fr.parts, o);
}

/** A polyline through points given in [0, 1]², dropping points within half a pixel of the last one kept. */
function unitCurve(pts: [number, number][], px: (v: number) => number, py: (v: number) => number, cls: string): string {
  const kept: string[] = [];
  let last: [number, number] = [NaN, NaN];
  pts.forEach(([a, b], i) => {
    const x = px(a);
    const y = py(b);
    if (i === pts.length - 1 || !(Math.abs(x - last[0]) < 0.5 && Math.abs(y - last[1]) < 0.5)) {
      kept.push(`${f(x)},${f(y)}`);
      last = [x, y];
    }
  });
  return `<polyline points="${kept.join(' ')}" class="${cls}"/>`;
}

/** The ROC curve (true against false positive rate) with its AUROC, and the diagonal of a random score. */
export function rocChart(r: EvalResult, o: ChartOptions = {}): string {
  const k = r.curves;
  const caption = `ROC curve${k ? ` (AUROC ${fixed(k.auroc, 4)})` : ''}`;
  if (!k) return empty('roc', caption, 'no positives or no negatives', o);
  let px = (v: number) => v;
  const fr = frame({
    y: UNIT_Y, yTitle: 'true positive rate (recall)', xTitle: 'false positive rate',
    legend: [
      { mark: dash('curve'), text: `AUROC ${fixed(k.auroc, 4)} ± ${+k.aurocError.toPrecision(2)}` },
      { mark: dash('ref2'), text: 'random score' },
    ],
    xLabels: (left, right) => {
      px = (v: number) => left + v * (right - left);
      return unitTicks(px);
    },
  });
  fr.parts.push(`<line x1="${fr.left}" y1="${fr.bottom}" x2="${fr.right}" y2="${f(fr.top)}" class="ref2"/>`);
  fr.parts.push(unitCurve([[0, 0], ...k.points.map((p): [number, number] => [p.fpr, p.tpr])], px, fr.py, 'curve'));
  fr.parts.push(`<line x1="${fr.left}" y1="${fr.bottom}" x2="${fr.right}" y2="${fr.bottom}" class="ax"/>`);
  return wrap('roc', caption, `ROC curve of ${k.points.length} thresholds; AUROC ${fixed(k.auroc, 4)}.`, fr.parts, o);
}

/** The precision-recall curve with its average precision, and the precision of predicting every row positive. */
export function prChart(r: EvalResult, o: ChartOptions = {}): string {
  const k = r.curves;
  const caption = `Precision-recall curve${k ? ` (AP ${fixed(k.averagePrecision, 4)})` : ''}`;
  if (!k) return empty('pr', caption, 'no positives or no negatives', o);
  const prevalence = k.points[k.points.length - 1].precision;
  let px = (v: number) => v;
  const fr = frame({
    y: UNIT_Y, yTitle: 'precision', xTitle: 'recall',
    legend: [
      { mark: dash('curve'), text: `AP ${fixed(k.averagePrecision, 4)} ± ${+k.averagePrecisionError.toPrecision(2)}` },
      { mark: dash('ref2'), text: `all positive (${fixed(prevalence, 3)})` },
    ],
    xLabels: (left, right) => {
      px = (v: number) => left + v * (right - left);
      return unitTicks(px);
    },
  });
  fr.parts.push(`<line x1="${fr.left}" y1="${f(fr.py(prevalence))}" x2="${fr.right}" y2="${f(fr.py(prevalence))}" class="ref2"/>`);
  fr.parts.push(unitCurve([[0, k.points[0].precision], ...k.points.map((p): [number, number] => [p.tpr, p.precision])], px, fr.py, 'curve'));
  fr.parts.push(`<line x1="${fr.left}" y1="${fr.bottom}" x2="${fr.right}" y2="${fr.bottom}" class="ax"/>`);
  return wrap('pr', caption, `Precision against recall at ${k.points.length} thresholds; average precision ${fixed(k.averagePrecision, 4)}.`, fr.parts, o);
}

/**
 * The report's charts: per-class loss, reliability, loss histogram, (single-label) the loss curve, and (binary and
 * multi-label tasks) the ROC and precision-recall curves.
 */
export function reportCharts(r: EvalResult, info: Pick<ReportInfo, 'multiLabel'>, o: ChartOptions = {}): string[] {
  const multi = info.multiLabel;
  return [
    classLossChart(r, o, multi), reliabilityChart(r, o, multi), lossHistogramChart(r, o), ...(multi ? [] : [lossCurveChart(r, o)]),
    ...(r.curves ? [rocChart(r, o), prChart(r, o)] : []),
  ];
}

export const PAGE_CSS = [
  'body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:24px;max-width:960px}',
  'h1{font-size:20px;margin:0 0 2px}.sub{color:#59636e;margin:0 0 14px}code{font:12.5px ui-monospace,monospace}',
  '.summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:8px;margin:0 0 20px}',
  '.summary div{border:1px solid #d1d9e0;border-radius:6px;padding:6px 10px}',
  '.summary dt{font-size:12px;color:#59636e}.summary dd{margin:0;font-size:17px;font-weight:600;font-variant-numeric:tabular-nums}',
  '.summary dd small{display:block;font-size:12px;font-weight:400;color:#59636e}',
  `.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(${W}px,1fr));gap:20px 24px}`,
  '@media print{body{margin:0;max-width:none}.summary div{break-inside:avoid}}',
].join('');

/** The whole page: the summary figures and the charts. */
export function htmlReport(r: EvalResult, info: ReportInfo, o: ChartOptions = {}): string {
  const items: [string, string, string][] = [
    ['rows', r.count.toLocaleString('en-US'), `${info.classes} ${info.multiLabel ? 'labels' : 'classes'}${r.ignored ? `, ${r.ignored} ignored` : ''}`],
    ['mean cross-entropy', `${fixed(r.loss, 4)} ± ${fixed(r.standardErrors.loss, 4)} ${r.unit}`, r.unit === 'nats' ? `${fixed(r.bits, 4)} bits` : `${fixed(r.nats, 4)} nats`],
    ['perplexity', fixed(r.perplexity, 3), `exp(mean nats); 95% ${fixed(r.perplexityInterval95[0], 3)} – ${fixed(r.perplexityInterval95[1], 3)}`],
    [info.multiLabel ? 'accuracy (per label)' : 'accuracy', `${fixed(100 * r.accuracy, 2)} ± ${fixed(100 * r.standardErrors.accuracy, 2)} %`, r.topK ? `top-${r.topK.k}: ${fixed(100 * r.topK.accuracy, 2)} ± ${fixed(100 * r.standardErrors.topK!, 2)} %` : ''],
    ['Brier score', `${fixed(r.brier, 4)} ± ${fixed(r.standardErrors.brier, 4)}`, info.multiLabel ? 'mean (p − t)² per label' : 'mean of Σ (p − y)² per row'],
    ['ECE', fixed(r.ece, 4), `15 bins of ${info.multiLabel ? 'p' : 'top-1 confidence'}`],
    [`per-row loss (${r.unit})`, `median ${fixed(quantileOf(r, 0.5), 3)}`, `p90 ${fixed(quantileOf(r, 0.9), 3)}, max ${fixed(r.max, 3)}`],
    ['baselines', `prior ${r.baselines.prior === null ? 'n/a' : fixed(r.baselines.prior, 4)}`, `uniform ${fixed(r.baselines.uniform, 4)} ${r.unit}`],
    ['skill (D²)', r.baselines.skill === null ? 'n/a' : fixed(r.baselines.skill, 4), '1 − CE / CE_prior'],
  ];
  if (r.bootstrap) {
    const b = r.bootstrap;
    const span = (v: [number, number], d: number, k = 1) => `${fixed(k * v[0], d)} – ${fixed(k * v[1], d)}`;
    items.push([`bootstrap 95% (${b.resamples} resamples)`, `loss ${span(b.loss, 4)}`,
      `perplexity ${span(b.perplexity, 3)}; accuracy ${span(b.accuracy, 2, 100)} %${b.brier ? `; Brier ${span(b.brier, 4)}` : ''}${b.macroF1 ? `; macro F1 ${span(b.macroF1, 4)}` : ''}`]);
  }
  if (isBinary(info)) items.push(['reading', reading(r.nats), 'binary-task scale, nats']);
  const summary = items.map(([k, v, s]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}${s ? `<small>${esc(s)}</small>` : ''}</dd></div>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xent eval: ${esc(info.pred)} against ${esc(info.target)}</title>
<style>${PAGE_CSS}${CHART_CSS}${TABLE_CSS}</style></head><body>
<h1>xent eval report</h1>
<p class="sub"><code>${esc(info.pred)}</code> against <code>${esc(info.target)}</code>: ${info.classes} ${info.multiLabel ? 'labels (multi-label)' : 'classes'}, predictions from ${info.from}.</p>
<dl class="summary">${summary}</dl>
<div class="charts">
${reportCharts(r, info, o).join('\n')}
</div>
${reportTables(r, info)}
${metaBlock(info.run)}
</body></html>
`;
}
