/**
 * `--report report.html`: one self-contained page (inline SVG and CSS, no script, no network) with the per-class
 * loss bars, the reliability diagram, the histogram of per-row loss and the curve of cross-entropy against the
 * predicted probability of the true class.
 */
import type { EvalResult } from '../../eval/evaluator.js';
import { type ReportInfo, reading } from './text.js';

const W = 560;
const H = 300;
const M = { l: 52, r: 16, t: 16, b: 40 };
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const f = (v: number) => (Math.round(v * 100) / 100).toString();

interface Axes {
  x: (v: number) => number;
  y: (v: number) => number;
  svg: string[];
}

/** An SVG frame with linear (or log10 for x) axes, ticks and labels. */
function axes(x0: number, x1: number, y0: number, y1: number, xLabel: string, yLabel: string, logX = false): Axes {
  const tx = logX ? Math.log10 : (v: number) => v;
  const x = (v: number) => M.l + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0))) * (W - M.l - M.r);
  const y = (v: number) => H - M.b - ((v - y0) / (y1 - y0)) * (H - M.t - M.b);
  const svg = [`<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" class="ax"/>`,
    `<line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" class="ax"/>`];
  const ticks = (a: number, b: number, n: number) => Array.from({ length: n + 1 }, (_, i) => a + ((b - a) * i) / n);
  const xt = logX ? ticks(Math.ceil(Math.log10(x0)), Math.floor(Math.log10(x1)), Math.max(1, Math.floor(Math.log10(x1)) - Math.ceil(Math.log10(x0)))).map((e) => 10 ** e) : ticks(x0, x1, 5);
  for (const v of xt) svg.push(`<text x="${f(x(v))}" y="${H - M.b + 16}" class="tk" text-anchor="middle">${logX ? `1e${Math.round(Math.log10(v))}` : +v.toPrecision(3)}</text>`);
  for (const v of ticks(y0, y1, 4)) {
    svg.push(`<line x1="${M.l}" y1="${f(y(v))}" x2="${W - M.r}" y2="${f(y(v))}" class="grid"/>`);
    svg.push(`<text x="${M.l - 6}" y="${f(y(v) + 4)}" class="tk" text-anchor="end">${+v.toPrecision(3)}</text>`);
  }
  svg.push(`<text x="${(M.l + W - M.r) / 2}" y="${H - 6}" class="lb" text-anchor="middle">${esc(xLabel)}</text>`);
  svg.push(`<text x="14" y="${(M.t + H - M.b) / 2}" class="lb" text-anchor="middle" transform="rotate(-90 14 ${(M.t + H - M.b) / 2})">${esc(yLabel)}</text>`);
  return { x, y, svg };
}

const wrap = (title: string, body: string[]) =>
  `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${body.join('')}</svg></figure>`;

function classBars(r: EvalResult): string {
  let cs = r.perClass.filter((c) => Number.isFinite(c.loss));
  const title = cs.length > 100 ? 'Mean loss per class (the 100 highest)' : 'Mean loss per class';
  if (cs.length > 100) cs = [...cs].sort((a, b) => b.loss - a.loss).slice(0, 100);
  const top = Math.max(1e-9, ...cs.map((c) => c.loss)) * 1.1;
  const a = axes(0, cs.length, 0, top, 'class', `mean loss (${r.unit})`);
  const bw = (W - M.l - M.r) / Math.max(1, cs.length);
  cs.forEach((c, i) => {
    const y = a.y(c.loss);
    a.svg.push(`<rect x="${f(a.x(i) + bw * 0.1)}" y="${f(y)}" width="${f(bw * 0.8)}" height="${f(H - M.b - y)}" class="bar"><title>class ${c.class}: ${c.loss.toFixed(4)} ${r.unit}, support ${c.support}</title></rect>`);
    if (cs.length <= 30) a.svg.push(`<text x="${f(a.x(i) + bw / 2)}" y="${H - M.b + 28}" class="tk" text-anchor="middle">${c.class}</text>`);
  });
  const mean = a.y(r.loss);
  a.svg.push(`<line x1="${M.l}" y1="${f(mean)}" x2="${W - M.r}" y2="${f(mean)}" class="ref"/>`);
  return wrap(`${title}; dashed: overall mean ${r.loss.toFixed(4)}`, a.svg);
}

function reliabilityDiagram(r: EvalResult): string {
  const a = axes(0, 1, 0, 1, 'confidence', 'accuracy');
  a.svg.push(`<line x1="${a.x(0)}" y1="${a.y(0)}" x2="${a.x(1)}" y2="${a.y(1)}" class="ref"/>`);
  for (const b of r.reliability) {
    if (!(b.weight > 0)) continue;
    const y = a.y(b.accuracy);
    a.svg.push(`<rect x="${f(a.x(b.lo) + 1)}" y="${f(y)}" width="${f(a.x(b.hi) - a.x(b.lo) - 2)}" height="${f(H - M.b - y)}" class="bar"><title>${b.lo.toFixed(2)}–${b.hi.toFixed(2)}: accuracy ${b.accuracy.toFixed(3)}, confidence ${b.confidence.toFixed(3)}, weight ${b.weight}</title></rect>`);
    a.svg.push(`<circle cx="${f(a.x(b.confidence))}" cy="${f(a.y(b.confidence))}" r="2.5" class="dot"/>`);
  }
  return wrap(`Reliability diagram (15 bins; ECE ${r.ece.toFixed(4)}; dots: mean confidence)`, a.svg);
}

function lossHistogram(r: EvalResult): string {
  const bins = r.histogram.map((b) => ({ ...b, lo: Math.max(b.lo, 1e-8), hi: Number.isFinite(b.hi) ? b.hi : b.lo * 10 }));
  const lo = Math.min(...bins.map((b) => b.lo));
  const hi = Math.max(...bins.map((b) => b.hi));
  const x0 = 10 ** Math.floor(Math.log10(lo));
  const x1 = 10 ** Math.ceil(Math.log10(hi));
  const top = Math.max(...bins.map((b) => b.weight / r.weight)) * 1.1;
  const a = axes(x0, x1, 0, top, `per-row loss (${r.unit}, log scale)`, 'share of rows', true);
  for (const b of bins) {
    const y = a.y(b.weight / r.weight);
    a.svg.push(`<rect x="${f(a.x(b.lo))}" y="${f(y)}" width="${f(Math.max(1, a.x(b.hi) - a.x(b.lo) - 0.5))}" height="${f(H - M.b - y)}" class="bar"/>`);
  }
  return wrap('Distribution of per-row loss', a.svg);
}

function lossCurve(r: EvalResult): string {
  const u = Math.log(r.unit === 'bits' ? 2 : r.unit === 'bans' ? 10 : Math.E);
  const pMin = 0.01;
  const a = axes(0, 1, 0, -Math.log(pMin) / u, 'predicted probability of the true class', `cross-entropy (${r.unit})`);
  // The data: share of rows per probability bin, from the loss histogram (p = exp(-loss)), drawn under the curve.
  const share = new Float64Array(20);
  for (const b of r.histogram) {
    const p = Math.exp(-Math.sqrt(b.lo * (Number.isFinite(b.hi) ? b.hi : b.lo)) * u);
    share[Math.min(19, Math.floor(p * 20))] += b.weight / r.weight;
  }
  const scale = -Math.log(pMin) / u / Math.max(...share);
  share.forEach((s, i) => {
    const y = a.y(s * scale * 0.9);
    a.svg.push(`<rect x="${f(a.x(i / 20) + 1)}" y="${f(y)}" width="${f(a.x(0.05) - a.x(0) - 2)}" height="${f(H - M.b - y)}" class="bar2"><title>p in [${(i / 20).toFixed(2)}, ${((i + 1) / 20).toFixed(2)}): ${(100 * s).toFixed(1)} % of rows</title></rect>`);
  });
  const pts: string[] = [];
  for (let i = 0; i <= 200; i++) {
    const p = pMin + ((1 - pMin) * i) / 200;
    pts.push(`${f(a.x(p))},${f(a.y(-Math.log(p) / u))}`);
  }
  a.svg.push(`<polyline points="${pts.join(' ')}" class="curve"/>`);
  return wrap('Cross-entropy −log p against the predicted probability p of the true class (bars: share of rows)', a.svg);
}

export function htmlReport(r: EvalResult, info: ReportInfo): string {
  const rows: [string, string][] = [
    ['rows', String(r.count)],
    ['mean cross-entropy', `${r.loss.toFixed(4)} ${r.unit} (${r.nats.toFixed(4)} nats, ${r.bits.toFixed(4)} bits)`],
    ['perplexity', r.perplexity.toFixed(3)],
    ['accuracy', `${(100 * r.accuracy).toFixed(2)} %`],
    ...(r.topK ? [[`top-${r.topK.k} accuracy`, `${(100 * r.topK.accuracy).toFixed(2)} %`] as [string, string]] : []),
    ['Brier score', r.brier.toFixed(4)],
    ['ECE (15 bins)', r.ece.toFixed(4)],
    ['reading', `${reading(r.nats)} (binary-task scale, nats)`],
  ];
  const multi = info.multiLabel && r.perClass.length > 0;
  const charts = [classBars(r), reliabilityDiagram(r), lossHistogram(r), ...(multi ? [] : [lossCurve(r)])];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xent eval report</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}h1{font-size:20px}table{border-collapse:collapse}
td{padding:2px 12px 2px 0}figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-weight:600;margin-bottom:4px}
.ax{stroke:#333}.grid{stroke:#e4e4e4}.tk{font-size:11px;fill:#555}.lb{font-size:12px;fill:#333}
.bar{fill:#4c78a8}.bar2{fill:#c9d8ea}.ref{stroke:#e45756;stroke-dasharray:4 3}.dot{fill:#e45756}
.curve{fill:none;stroke:#f58518;stroke-width:2}
</style></head><body>
<h1>xent eval: ${esc(info.pred)} against ${esc(info.target)}</h1>
<p>${info.classes} ${info.multiLabel ? 'labels (multi-label)' : 'classes'}, predictions from ${info.from}.</p>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
${charts.join('\n')}
</body></html>
`;
}
