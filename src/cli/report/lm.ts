/**
 * The reports of a language model's evaluation (`xent eval --task lm`, `xent merge` of its states): the table, and
 * the HTML page with the loss by position in the sequence and the reliability of the top-1 probability.
 */
import type { EvalResult } from '../../eval/evaluator.js';
import type { Estimate } from '../../eval/estimate.js';
import type { LmInfo, LmReport } from '../lm.js';
import {
  CHART_CSS, type LegendItem, PAGE_CSS, type XLabel, dash, dot, empty, esc, f, fixed, frame, reliabilityChart, thin, wrap, zeroTicks,
} from './html.js';

const num = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
/** A mean and its standard error. */
const pm = (e: Estimate, d = 4) => `${num(e.value, d)} ± ${num(e.standardError, d)}`;
const pct = (e: Estimate) => `${num(100 * e.value, 2)} % ± ${num(100 * e.standardError, 2)}`;
const count = (n: number) => n.toLocaleString('en-US');
/** A position bin as text: "5", "8–9", "1048576+". */
const span = (b: { from: number; to: number }) => (b.to === b.from + 1 ? String(b.from) : Number.isFinite(b.to) ? `${b.from}–${b.to - 1}` : `${b.from}+`);

/** What was read, in one line. */
function shapeLine(r: LmReport, info: LmInfo, classes: number): string {
  const seqs = info.sequences > 0 ? `${count(info.sequences)} sequences × ${count(info.length)} positions` : `${count(r.positions)} positions`;
  return `${seqs}, vocabulary ${count(classes)}, ${info.dtype} logits${info.shift ? ', shifted (position t scored by the logits at t − 1)' : ''}`;
}

/** The figures as label / value / note rows, shared by the table and the page. */
function figures(r: LmReport): [string, string, string][] {
  const u = r.unit;
  const ppl = r.corpusPerplexity;
  const rows: [string, string, string][] = [
    ['corpus perplexity', pm(ppl, 3), `95% ${num(ppl.interval95[0], 3)} – ${num(ppl.interval95[1], 3)}; exp(Σ nll / Σ tokens)`],
    ['mean sequence perplexity', pm(r.meanSequencePerplexity, 3), `mean over ${count(r.sequences)} sequences of exp(their mean nll)`],
    ['mean nll per token', `${pm(r.loss)} ${u}`, u === 'bits' ? `${pm(r.nats)} nats` : `${pm(r.bitsPerToken)} bits`],
  ];
  if (r.bitsPerByte !== null) rows.push(['bits per byte', pm(r.bitsPerByte), `over ${count(r.bitsPerByte.bytes)} bytes of text`]);
  rows.push(
    ['top-1 accuracy', pct(r.accuracy), 'the target is the most likely token'],
    [`top-${r.topK.k} accuracy`, pct(r.topK), `among the ${r.topK.k} most likely`],
    ['mean entropy', `${pm(r.entropy)} ${u}`, 'of the predicted distribution'],
    ['ECE', num(r.ece), '15 bins of top-1 probability'],
  );
  if (r.bootstrap) {
    const b = r.bootstrap;
    const lo = (v: [number, number], d = 4, k = 1) => `${num(k * v[0], d)} – ${num(k * v[1], d)}`;
    rows.push([
      'bootstrap 95%', `perplexity ${lo(b.perplexity, 3)}`,
      `loss ${lo(b.loss)} ${u}, top-1 accuracy ${lo(b.accuracy, 2, 100)} %; ${count(b.resamples)} Poisson resamples of the tokens`,
    ]);
  }
  return rows;
}

export function lmTableReport(r: LmReport, info: LmInfo, classes: number): string {
  const out = [`xent eval --task lm  ${info.pred} against ${info.target}`, `  ${shapeLine(r, info, classes)}`];
  const ignored = r.positions - r.tokens;
  out.push(`  ${count(r.tokens)} tokens scored of ${count(r.positions)} positions${ignored ? ` (${count(ignored)} ignored or first of a shifted sequence)` : ''}${r.emptySequences ? `; ${count(r.emptySequences)} sequences with none` : ''}`, '');
  for (const [k, v, note] of figures(r)) out.push(`  ${k.padEnd(25)} ${v.padEnd(24)} ${note}`);
  out.push('', `  Loss by position in the sequence (${r.unit}, mean ± standard error):`);
  out.push(`  ${'positions'.padStart(15)} ${'tokens'.padStart(10)}  loss`);
  for (const b of r.byPosition) out.push(`  ${span(b).padStart(15)} ${count(b.tokens).padStart(10)}  ${pm(b.loss)}`);
  out.push('', '  Standard errors treat tokens (sequences, for the mean sequence perplexity) as independent, as llama.cpp does.');
  return out.join('\n') + '\n';
}

/** Mean loss by position bin, on a log scale of the position, with ±1.96 standard errors and the overall mean. */
export function positionChart(r: LmReport): string {
  const caption = 'Loss by position in the sequence';
  const bins = r.byPosition;
  if (!bins.length) return empty('position', caption, 'no tokens scored', {});
  // x: log2(position + 1) at the bin's middle, so that position 0 has a place.
  const mid = (b: { from: number; to: number }) => Math.log2(Number.isFinite(b.to) ? (b.from + b.to + 1) / 2 : b.from * 1.5);
  const x0 = 0;
  const x1 = Math.max(1, Math.ceil(mid(bins[bins.length - 1])));
  const hi = Math.max(...bins.map((b) => b.loss.value + (Number.isFinite(b.loss.standardError) ? 1.96 * b.loss.standardError : 0)));
  const y = zeroTicks(hi * 1.04);
  let px = (v: number) => v;
  const legend: LegendItem[] = [{ mark: dot('pt', 3.5), text: 'mean loss of the bin, ±1.96 SE' }, { mark: dash('ref'), text: `mean ${fixed(r.loss.value, 4)}` }];
  const fr = frame({
    y, yTitle: `loss (${r.unit} per token)`, xTitle: 'tokens before the position (log scale)', legend,
    xLabels: (left, right) => {
      px = (v: number) => left + ((v - x0) / (x1 - x0)) * (right - left);
      const ticks: XLabel[] = [];
      for (let e = 0; e <= x1; e++) ticks.push({ x: px(e), text: String(2 ** e - 1) });
      return thin(ticks);
    },
  });
  const ym = fr.py(r.loss.value);
  if (Number.isFinite(ym)) fr.parts.push(`<line x1="${fr.left}" y1="${f(ym)}" x2="${fr.right}" y2="${f(ym)}" class="ref"/>`);
  for (const b of bins) {
    const x = px(mid(b));
    const v = b.loss.value;
    const se = b.loss.standardError;
    if (Number.isFinite(se)) fr.parts.push(`<line x1="${f(x)}" y1="${f(fr.py(Math.max(0, v - 1.96 * se)))}" x2="${f(x)}" y2="${f(fr.py(v + 1.96 * se))}" class="ax"/>`);
    fr.parts.push(`<circle cx="${f(x)}" cy="${f(fr.py(v))}" r="3.5" class="pt"><title>positions ${span(b)}: ${count(b.tokens)} tokens, loss ${pm(b.loss)} ${r.unit}</title></circle>`);
  }
  fr.parts.push(`<line x1="${fr.left}" y1="${fr.bottom}" x2="${fr.right}" y2="${fr.bottom}" class="ax"/>`);
  const desc = `${bins.length} bins of the position in the sequence; mean loss per bin with 95% intervals; overall mean ${fixed(r.loss.value, 4)} ${r.unit}.`;
  return wrap('position', caption, desc, fr.parts, {});
}

export function lmHtmlReport(r: LmReport, info: LmInfo, classes: number): string {
  const summary = figures(r).map(([k, v, s]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}<small>${esc(s)}</small></dd></div>`).join('');
  // The reliability diagram reads an Evaluator's result: the same bins, counting tokens.
  const asRows = { ece: r.ece, reliability: r.reliability, weight: r.tokens, count: r.tokens } as unknown as EvalResult;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xent eval --task lm: ${esc(info.pred)} against ${esc(info.target)}</title>
<style>${PAGE_CSS}${CHART_CSS}</style></head><body>
<h1>xent eval report: language model</h1>
<p class="sub"><code>${esc(info.pred)}</code> against <code>${esc(info.target)}</code>: ${esc(shapeLine(r, info, classes))}; ${count(r.tokens)} tokens scored of ${count(r.positions)} positions.</p>
<dl class="summary">${summary}</dl>
<div class="charts">
${positionChart(r)}
${reliabilityChart(asRows, { countWord: 'tokens' })}
</div>
</body></html>
`;
}
