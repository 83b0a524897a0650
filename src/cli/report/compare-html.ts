/**
 * `xent compare --report report.html`: one self-contained page (inline SVG and CSS, no script, no network) that puts
 * the two models side by side: their figures with errors, the per-row loss distributions overlaid, the distribution
 * of KL(base ‖ candidate) per row, and the rows where they disagree most.
 */
import type { Comparison, ComparisonResult } from '../../eval/compare.js';
import { SLOTS as LOSS_SLOTS, slotBounds as lossBounds } from '../../eval/quantiles.js';
import { SLOTS as KL_SLOTS, slotBounds as klBounds } from '../../eval/sketch.js';
import { interval, pm, sig } from './compare-text.js';

const W = 560;
const H = 260;
const M = { l: 52, r: 12, t: 14, b: 40 };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Counts regrouped into bins of 1/perDecade decade by the log10 of their slot's upper bound (finite slots > 0). */
function regroup(
  counts: Float64Array, bounds: (slot: number) => [number, number], perDecade: number,
): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    const [lo, hi] = bounds(i);
    const at = lo > 0 && Number.isFinite(hi) ? Math.floor(Math.log10(lo) * perDecade + 1e-9) : lo === 0 ? -Infinity : Infinity;
    out.set(at, (out.get(at) ?? 0) + counts[i]);
  }
  return out;
}

/** Step histograms over log10(x), one per series, as shares of each series' rows. */
function histogram(title: string, xLabel: string, series: { name: string; color: string; bins: Map<number, number> }[], perDecade: number): string {
  const finite = series.flatMap((s) => [...s.bins.keys()].filter(Number.isFinite));
  if (finite.length === 0) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite) + 1;
  const share = series.map((s) => {
    let total = 0;
    for (const c of s.bins.values()) total += c;
    return total;
  });
  let top = 0;
  series.forEach((s, k) => {
    for (const [b, c] of s.bins) if (Number.isFinite(b)) top = Math.max(top, c / share[k]);
  });
  const x = (b: number) => M.l + ((b - lo) / (hi - lo)) * (W - M.l - M.r);
  const y = (v: number) => H - M.b - (v / (top || 1)) * (H - M.t - M.b);
  const paths = series.map((s, k) => {
    let d = `M${x(lo).toFixed(1)},${y(0).toFixed(1)}`;
    for (let b = lo; b < hi; b++) {
      const v = (s.bins.get(b) ?? 0) / share[k];
      d += ` L${x(b).toFixed(1)},${y(v).toFixed(1)} L${x(b + 1).toFixed(1)},${y(v).toFixed(1)}`;
    }
    d += ` L${x(hi).toFixed(1)},${y(0).toFixed(1)}`;
    return `<path d="${d}" fill="${s.color}" fill-opacity="0.25" stroke="${s.color}" stroke-width="1.5"/>`;
  });
  const ticks: string[] = [];
  for (let e = Math.ceil(lo / perDecade); e <= Math.floor(hi / perDecade); e++) {
    const px = x(e * perDecade).toFixed(1);
    ticks.push(`<line x1="${px}" x2="${px}" y1="${H - M.b}" y2="${H - M.b + 4}" stroke="#555"/><text x="${px}" y="${H - M.b + 16}" text-anchor="middle">1e${e}</text>`);
  }
  const legend = series.map((s, k) => `<rect x="${M.l + 8 + 110 * k}" y="${M.t}" width="10" height="10" fill="${s.color}"/><text x="${M.l + 22 + 110 * k}" y="${M.t + 9}">${esc(s.name)}</text>`);
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">
<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#555"/>${paths.join('')}${ticks.join('')}${legend.join('')}
<text x="${(M.l + W - M.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>
<text transform="translate(14 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">share of rows</text></svg></figure>`;
}

const PER_DECADE = 10;

/** The sparse slot lists of a state's JSON as dense counts. */
function dense(pairs: unknown, slots: number): Float64Array {
  const a = new Float64Array(slots);
  for (const [i, c] of pairs as [number, number][]) a[i] = c;
  return a;
}

export function compareHtml(r: ComparisonResult, cmp: Comparison, info: { base: string; candidate: string; target: string }): string {
  const j = cmp.toJSON() as unknown as { lossHistogram: { base: unknown; candidate: unknown }; klBaseToCandidate: { pos: unknown } };
  const lossA = regroup(dense(j.lossHistogram.base, LOSS_SLOTS), lossBounds, PER_DECADE);
  const lossB = regroup(dense(j.lossHistogram.candidate, LOSS_SLOTS), lossBounds, PER_DECADE);
  const kl = regroup(dense(j.klBaseToCandidate.pos, KL_SLOTS), klBounds, PER_DECADE);
  const u = r.unit;
  const rows: [string, string, string][] = [
    [`mean loss (${u})`, pm(r.base.loss), pm(r.candidate.loss)],
    ['perplexity', pm(r.base.perplexity), pm(r.candidate.perplexity)],
    ['accuracy', `${pm(r.base.accuracy, 100)} %`, `${pm(r.candidate.accuracy, 100)} %`],
  ];
  const paired: [string, string][] = [
    [`loss difference (${u})`, `${pm(r.lossDifference)}; 95% ${interval(r.lossDifference, r.lossDifference.interval95)}${r.lossDifference.bootstrap ? `; bootstrap 95% ${interval(r.lossDifference, r.lossDifference.bootstrap.interval95)}, p = ${sig(r.lossDifference.bootstrap.pValue, 3)}` : ''}`],
    ['perplexity ratio', `${pm(r.perplexityRatio)} (95% ${interval(r.perplexityRatio, r.perplexityRatio.interval95)})`],
    ['accuracy difference', `${pm(r.accuracyDifference, 100)} points; McNemar p = ${sig(r.accuracyDifference.mcnemar.pValue, 3)} (${r.accuracyDifference.mcnemar.baseOnly} vs ${r.accuracyDifference.mcnemar.candidateOnly})`],
    [`KL(base ‖ candidate) (${u})`, `${pm(r.klDivergence.baseToCandidate)}; median ${sig(r.klDivergence.baseToCandidate.percentiles.median, 3)}, 99% ${sig(r.klDivergence.baseToCandidate.percentiles.p99, 3)}, max ${sig(r.klDivergence.baseToCandidate.percentiles.max, 3)}`],
    [`KL(candidate ‖ base) (${u})`, pm(r.klDivergence.candidateToBase)],
    [`Jensen–Shannon (${u})`, pm(r.jensenShannon)],
    ['Δp of the target', `${pm(r.deltaP, 100)} % (RMS ${sig(100 * r.deltaP.rms, 3)} %)`],
    ['top-1 agreement', `${pm(r.top1Agreement, 100)} %`],
  ];
  const worst = r.disagreements.map((x) => `<tr><td>${x.row}</td><td>${x.target}</td><td>${sig(x.kl, 3)}</td><td>${x.baseTop}</td><td>${x.candidateTop}</td><td>${sig(x.baseLoss, 3)}</td><td>${sig(x.candidateLoss, 3)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xent compare: ${esc(info.candidate)} against ${esc(info.base)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1180px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
td{font-variant-numeric:tabular-nums}figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-weight:600}
svg text{font-size:11px;fill:#333}</style></head><body>
<h1>xent compare report</h1>
<p><code>${esc(info.candidate)}</code> (candidate) against <code>${esc(info.base)}</code> (base), targets <code>${esc(info.target)}</code>:
${r.rows} rows${r.positions > r.rows ? ` (+${r.positions - r.rows} ignored)` : ''}. Differences and ratios are candidate − / ÷ base; ± one standard error.</p>
<table><tr><th></th><th>base</th><th>candidate</th></tr>${rows.map(([k, a, b]) => `<tr><th>${esc(k)}</th><td>${esc(a)}</td><td>${esc(b)}</td></tr>`).join('')}</table>
<table>${paired.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
${histogram(`Per-row loss (nats), both models`, 'loss (nats, log scale)', [
    { name: 'base', color: '#1f77b4', bins: lossA }, { name: 'candidate', color: '#d62728', bins: lossB },
  ], PER_DECADE)}
${histogram('KL(base ‖ candidate) per row (nats)', 'KL (nats, log scale)', [{ name: 'KL', color: '#2ca02c', bins: kl }], PER_DECADE)}
<h2>Rows where the models disagree most</h2>
<table><tr><th>row</th><th>target</th><th>KL (${esc(u)})</th><th>base top-1</th><th>candidate top-1</th><th>base loss</th><th>candidate loss</th></tr>${worst}</table>
</body></html>
`;
}
