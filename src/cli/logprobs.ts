/**
 * `xent eval --from openai-logprobs responses.jsonl`: the token log-probabilities an LLM API returned, one JSON
 * response per line (or one JSON document holding a response or an array of them), read by fromLogprobs. Values
 * that are not log-probabilities (-9999 fillers, a null first token, positive markers) are counted and named,
 * never averaged in.
 */
import { readFileSync } from 'node:fs';
import { XentError } from '../core/errors.js';
import { type LogprobsResult, fromLogprobs } from '../eval/logprobs.js';
import type { Estimate } from '../eval/estimate.js';
import { checkFile } from './files.js';
import { InputError } from './readers/index.js';

/** The responses of a JSON Lines file (blank lines skipped), or of a single JSON document. */
function responsesOf(path: string): unknown[] {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  try {
    const whole = JSON.parse(text) as unknown;
    return Array.isArray(whole) ? whole : [whole];
  } catch {
    // Not one document: JSON Lines.
  }
  const out: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      throw new InputError(`${path}:${i + 1}`, `not valid JSON: ${(e as Error).message}`);
    }
  });
  return out;
}

/** Evaluates the file; XentErrors name the response as `input[i]`, rewritten here to its line. */
export function evaluateLogprobs(path: string, base: number): LogprobsResult {
  checkFile(path);
  const responses = responsesOf(path);
  if (responses.length === 0) throw new InputError(path, 'no responses');
  try {
    return fromLogprobs(responses, { base });
  } catch (e) {
    if (!(e instanceof XentError)) throw e;
    const m = /\binput\[(\d+)\]/.exec(e.message);
    throw new InputError(m === null ? path : `${path}: response ${+m[1] + 1}`, `${e.code}: ${e.message}`);
  }
}

const num = (v: number | null, d = 4) => (v !== null && Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const pm = (e: Estimate, d = 4) => `${num(e.value, d)} ± ${num(e.standardError, d)}`;

/** The table: the corpus figures, the sentinels set aside, and each response's figures. */
export function logprobsTable(r: LogprobsResult, path: string): string {
  const out = [`xent eval --from openai-logprobs  ${path}`];
  out.push(`  ${r.responses} responses${r.withoutLogprobs ? ` (+${r.withoutLogprobs} without logprobs)` : ''}, ${r.tokens} tokens scored of ${r.positions} positions`, '');
  const ppl = r.corpusPerplexity;
  const rows: [string, string, string][] = [
    ['corpus perplexity', pm(ppl, 3), `95% ${num(ppl.interval95[0], 3)} – ${num(ppl.interval95[1], 3)}; exp(Σ nll / Σ tokens)`],
    ['mean response perplexity', pm(r.meanSequencePerplexity, 3), `mean over ${r.sequences} responses of exp(their mean nll)`],
    ['mean nll per token', `${pm(r.loss)} ${r.unit}`, `${pm(r.bitsPerToken)} bits`],
    ['bits per byte', r.bitsPerByte === null ? 'n/a' : pm(r.bitsPerByte), r.bitsPerByte === null ? 'no token carries bytes' : `over ${r.bitsPerByte.bytes} bytes of ${r.bitsPerByte.tokens} tokens`],
    ['entropy lower bound', `${pm(r.entropyLowerBound)} ${r.unit}`, `mean over ${r.entropyLowerBound.positions} positions with top logprobs`],
  ];
  for (const [k, v, note] of rows) out.push(`  ${k.padEnd(25)} ${v.padEnd(24)} ${note}`);
  const set = Object.entries(r.sentinels).filter(([, n]) => n > 0);
  out.push('', set.length === 0
    ? '  Sentinels: none (every logprob read is a log-probability).'
    : `  Set aside, not averaged in: ${set.map(([k, n]) => `${n} ${k}`).join(', ')} (filler: -9999; zero: -FLT_MAX or -Infinity; nullFirst / null: null; positive: > 0).`);
  if (r.topDropped) out.push(`  ${r.topDropped} top-list entries dropped for the same reasons.`);
  if (r.replacementBytes) out.push(`  ${r.replacementBytes} tokens carry the bytes of U+FFFD (part of a character): bits per byte counts 3 bytes for each.`);
  out.push('', `  ${'response'.padStart(9)} ${'choice'.padStart(6)} ${'tokens'.padStart(7)} ${'perplexity'.padStart(11)} ${'bits/byte'.padStart(10)} ${'H bound'.padStart(8)}  set aside`);
  const shown = r.perResponse.slice(0, 50);
  for (const p of shown) {
    const aside = p.sentinels.map((s) => `${s.kind}@${s.position}`).join(' ');
    out.push(`  ${String(p.input + 1).padStart(9)} ${String(p.choice).padStart(6)} ${String(p.tokens).padStart(7)} ${num(p.perplexity, 3).padStart(11)} ${num(p.bitsPerByte).padStart(10)} ${num(p.entropyLowerBound, 3).padStart(8)}  ${aside}`);
  }
  if (r.perResponse.length > shown.length) out.push(`  … ${r.perResponse.length - shown.length} more (all of them: --format json)`);
  return out.join('\n') + '\n';
}

/** The JSON report: the result, per-position arrays as plain arrays. */
export function logprobsJson(r: LogprobsResult, path: string): string {
  const perResponse = r.perResponse.map((p) => ({ ...p, logprob: Array.from(p.logprob), scored: Array.from(p.scored), entropyBound: Array.from(p.entropyBound) }));
  return JSON.stringify({ input: path, ...r, perResponse }, null, 2) + '\n';
}
