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

/** `value ± se` (the error with two significant digits, the value to the same place). */
export function pm(e: Estimate, scale = 1): string {
  const v = e.value * scale;
  const s = e.standardError * scale;
  if (!Number.isFinite(s) || s === 0 || !Number.isFinite(v)) return `${sig(v, 5)}${Number.isNaN(s) ? '' : ` ± ${sig(s, 2)}`}`;
  const place = Math.floor(Math.log10(s)) - 1;
  if (place < -12 || Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0)) return `${sig(v, 4)} ± ${sig(s, 2)}`;
  const digits = Math.max(0, -place);
  return `${v.toFixed(digits)} ± ${s.toFixed(digits)}`;
}

const pct = (e: Estimate) => `${pm(e, 100)} %`;
const range = ([a, b]: [number, number], scale = 1) => `[${sig(a * scale)}, ${sig(b * scale)}]`;
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
  one(`loss difference (${u})`, `${pm(d)}   95% ${range(d.interval95)}${d.bootstrap ? `   bootstrap 95% ${range(d.bootstrap.interval95)}, p = ${sig(d.bootstrap.pValue, 3)}` : ''}`);
  one('perplexity ratio', `${pm(r.perplexityRatio)}   95% ${range(r.perplexityRatio.interval95)}`);
  one('loss correlation', sig(r.lossCorrelation, 5));
  const a = r.accuracyDifference;
  one('accuracy difference', `${pm(a, 100)} points${a.bootstrap ? `   bootstrap 95% ${range(a.bootstrap.interval95, 100)}, p = ${sig(a.bootstrap.pValue, 3)}` : ''}`);
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
