/** The table report of `xent compare`. */
import type { ComparisonResult } from '../../eval/compare.js';
import type { Estimate } from '../../eval/estimate.js';
import type { Percentiles } from '../../eval/sketch.js';

/** A number with about `d` significant digits (fixed where that reads better, else exponent form). */
export function sig(v: number, d = 4): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'n/a' : String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? v.toFixed(Math.max(0, d - 1 - Math.floor(Math.log10(a)))) : v.toExponential(d - 1);
}

/** A formatter for numbers known to about ± se: to the place of the error's second significant digit. */
export function withError(se: number): (v: number) => string {
  const place = Number.isFinite(se) && se > 0 ? Math.floor(Math.log10(se)) - 1 : NaN;
  return (v) => {
    if (!Number.isFinite(place) || place < -12 || !Number.isFinite(v) || Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0)) {
      return sig(v, Number.isFinite(place) ? 4 : 5);
    }
    return v.toFixed(Math.max(0, -place));
  };
}

/** `value ± se` (the error with two significant digits, the value to the same place). */
export function pm(e: Estimate, scale = 1): string {
  const v = e.value * scale;
  const s = e.standardError * scale;
  if (Number.isNaN(s)) return sig(v, 5);
  const f = withError(s);
  return `${f(v)} ± ${s === 0 || s < 1e-3 || Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6 ? sig(s, 2) : f(s)}`;
}

/** A 95% interval written to the precision of its estimate's error. */
export function interval(e: Estimate, [a, b]: [number, number], scale = 1): string {
  const f = withError(e.standardError * scale);
  return `[${f(a * scale)}, ${f(b * scale)}]`;
}

const pct = (e: Estimate) => `${pm(e, 100)} %`;
const pctLine = (p: Percentiles, scale = 1) =>
  `max ${sig(p.max * scale, 3)}  99.9% ${sig(p.p99_9 * scale, 3)}  99% ${sig(p.p99 * scale, 3)}  95% ${sig(p.p95 * scale, 3)}  ` +
  `90% ${sig(p.p90 * scale, 3)}  median ${sig(p.median * scale, 3)}  10% ${sig(p.p10 * scale, 3)}  5% ${sig(p.p5 * scale, 3)}  ` +
  `1% ${sig(p.p1 * scale, 3)}  min ${sig(p.min * scale, 3)}`;

export function compareTable(r: ComparisonResult, info: { base: string; candidate: string; target: string }): string {
  const out: string[] = [];
  const u = r.unit;
  out.push(`xent compare  ${info.candidate} (candidate) against ${info.base} (base), targets ${info.target}`);
  out.push(`  ${r.rows} rows${r.positions > r.rows ? ` (+${r.positions - r.rows} ignored)` : ''}; differences and ratios are candidate − / ÷ base; ± one standard error`);
  out.push('');
  const w = 28;
  const col = 30;
  out.push(`  ${''.padEnd(w)} ${'base'.padEnd(col)} candidate`);
  const both = (k: string, a: string, b: string) => out.push(`  ${k.padEnd(w)} ${a.padEnd(col)} ${b}`);
  both(`mean loss (${u})`, pm(r.base.loss), pm(r.candidate.loss));
  both('perplexity', pm(r.base.perplexity), pm(r.candidate.perplexity));
  both('accuracy', pct(r.base.accuracy), pct(r.candidate.accuracy));
  out.push('');
  const one = (k: string, v: string) => out.push(`  ${k.padEnd(w)} ${v}`);
  const d = r.lossDifference;
  one(`loss difference (${u})`, `${pm(d)}   95% ${interval(d, d.interval95)}${d.bootstrap ? `   bootstrap 95% ${interval(d, d.bootstrap.interval95)}, p = ${sig(d.bootstrap.pValue, 3)}` : ''}`);
  one('perplexity ratio', `${pm(r.perplexityRatio)}   95% ${interval(r.perplexityRatio, r.perplexityRatio.interval95)}`);
  one('loss correlation', r.lossCorrelation > 0.999 ? r.lossCorrelation.toFixed(7) : sig(r.lossCorrelation, 5));
  const a = r.accuracyDifference;
  one('accuracy difference', `${pm(a, 100)} points${a.bootstrap ? `   bootstrap 95% ${interval(a, a.bootstrap.interval95, 100)}, p = ${sig(a.bootstrap.pValue, 3)}` : ''}`);
  one("McNemar's exact test", `base alone right ${a.mcnemar.baseOnly}, candidate alone ${a.mcnemar.candidateOnly}: p = ${sig(a.mcnemar.pValue, 3)}`);
  out.push('');
  const kl = r.klDivergence;
  one(`KL(base ‖ candidate) (${u})`, pm(kl.baseToCandidate));
  one('', pctLine(kl.baseToCandidate.percentiles));
  one(`KL(candidate ‖ base) (${u})`, pm(kl.candidateToBase));
  one('', pctLine(kl.candidateToBase.percentiles));
  one(`Jensen–Shannon (${u})`, pm(r.jensenShannon));
  one('Δp of the target (%)', `${pm(r.deltaP, 100)}   RMS ${sig(100 * r.deltaP.rms, 4)}`);
  one('', pctLine(r.deltaP.percentiles, 100));
  one('top-1 agreement', pct(r.top1Agreement));
  if (r.topKOverlap.k > 1) one(`top-${r.topKOverlap.k} overlap`, pct(r.topKOverlap));
  if (r.disagreements.length > 0) {
    out.push('');
    out.push(`  Rows where the models disagree most (largest KL(base ‖ candidate), ${u}):`);
    out.push(`  ${'row'.padStart(10)} ${'target'.padStart(8)} ${'KL'.padStart(10)} ${'base top'.padStart(9)} ${'cand top'.padStart(9)} ${'base loss'.padStart(10)} ${'cand loss'.padStart(10)}`);
    for (const x of r.disagreements.slice(0, 10)) {
      out.push(`  ${String(x.row).padStart(10)} ${String(x.target).padStart(8)} ${sig(x.kl, 3).padStart(10)} ${String(x.baseTop).padStart(9)} ${String(x.candidateTop).padStart(9)} ${sig(x.baseLoss, 3).padStart(10)} ${sig(x.candidateLoss, 3).padStart(10)}`);
    }
  }
  return out.join('\n') + '\n';
}
