/**
 * Perplexity and the rest from the token log-probabilities that LLM APIs return: OpenAI-style chat completions
 * (`choices[].logprobs.content[].{token, logprob, bytes, top_logprobs}`), legacy completions (`choices[].logprobs.
 * {tokens, token_logprobs, top_logprobs}`), the Responses API (`output[].content[].logprobs`) and llama.cpp's
 * server (`completion_probabilities`, with `prob` / `top_probs` under post_sampling_probs).
 *
 * Values that are not log-probabilities are set aside on purpose, counted and located, never averaged in:
 * -9999 (OpenAI: the token is outside the top 20), -3.4e38 or -Infinity (llama.cpp's stand-in for probability 0),
 * null (the first token of an echoed prompt, which has no context), and positive values ("no logprob" markers).
 */
import { XentError, show } from '../core/errors.js';
import { checkKeys, unitName, unitOf } from '../core/options.js';
import { reading } from '../core/shape.js';
import { type Estimate, estimate } from './estimate.js';
import { type LikelihoodFigures, LikelihoodSums, likelihoodFigures, scaled } from './likelihood.js';

/** Why a position's log-probability was set aside. */
export type LogprobSentinel = 'filler' | 'zero' | 'nullFirst' | 'null' | 'positive';

export interface LogprobsOptions {
  /** Unit of `loss`, the entropy bound and the loss by position: Math.E (nats, default), 2 (bits), 10. */
  base?: number;
}

/** One response (one choice of one input): its figures and, per position, what was read. */
export interface LogprobsResponse {
  /** Which input and which of its choices (0 when it has none). */
  input: number;
  choice: number;
  /** Positions read, and those scored (not set aside). */
  positions: number;
  tokens: number;
  /** Σ -logprob over the scored tokens (nats), and exp of their mean. */
  nll: number;
  perplexity: number;
  /** UTF-8 bytes of the scored tokens that carry `bytes`, and bits per byte over those tokens (null: none). */
  bytes: number;
  bitsPerByte: number | null;
  /** Mean lower bound on the entropy (in the unit) over positions with top log-probabilities (null: none). */
  entropyLowerBound: number | null;
  /** Per position: the log-probability read (nats; 0 where set aside), 1 where scored, and the entropy bound. */
  logprob: Float64Array;
  scored: Uint8Array;
  entropyBound: Float64Array;
  /** Positions set aside, and why. */
  sentinels: { position: number; kind: LogprobSentinel }[];
}

export interface LogprobsResult extends LikelihoodFigures {
  /** 'nats', 'bits', 'bans' or 'log base b'. */
  unit: string;
  /** Responses read (with logprobs), and inputs or choices that carried none (`logprobs: null`). */
  responses: number;
  withoutLogprobs: number;
  /**
   * Mean over positions with top log-probabilities of a lower bound on the entropy of the predicted distribution
   * (in the unit): the listed tokens' terms, plus the leftover mass 1 - Σ p spread over as few tokens as it can
   * be (each at most the smallest listed probability), which is where -Σ p log p is least.
   */
  entropyLowerBound: Estimate & { positions: number };
  /** Positions set aside, by kind, and entries dropped from top lists for the same reasons. */
  sentinels: Record<LogprobSentinel, number>;
  topDropped: number;
  /**
   * Tokens whose `bytes` are those of U+FFFD: servers send them for a token that is part of a UTF-8 character
   * (vLLM, Ollama), so bits per byte counts 3 bytes for what may be 1.
   */
  replacementBytes: number;
  perResponse: LogprobsResponse[];
}

/** One position as read: the sampled token's log-probability (or null), its bytes, the top list. */
interface Position {
  token: string | null;
  logprob: unknown;
  bytes: number | null;
  replacement: boolean;
  top: { token: string | null; logprob: unknown }[] | null;
}

const FILLER = -9999;
/** At or below this a value is a stand-in for probability 0 (llama.cpp sends -FLT_MAX, -3.4e38). */
const ZERO = -1e30;

/** The kind of a value that is not a usable log-probability, or null for one that is (NaN: an error). */
function sentinelOf(v: unknown, first: boolean, where: () => string): LogprobSentinel | null {
  if (v === null || v === undefined) return first ? 'nullFirst' : 'null';
  if (typeof v !== 'number') throw new XentError('INVALID_TYPE', `${where()} must be a number or null, got ${show(v)}`);
  if (Number.isNaN(v)) throw new XentError('NON_FINITE', `${where()} is NaN`);
  if (v > 0) return 'positive';
  if (v <= ZERO) return 'zero';
  if (v <= FILLER) return 'filler';
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isTokenEntry = (v: unknown) => isObject(v) && 'token' in v && ('logprob' in v || 'prob' in v);

/** A log-probability from an entry that has `logprob`, or `prob` (llama.cpp's post-sampling probabilities). */
function logprobOf(e: Record<string, unknown>): unknown {
  if ('logprob' in e) return e.logprob;
  const p = e.prob;
  return typeof p === 'number' && p >= 0 && p <= 1 ? Math.log(p) : p;
}

function bytesOf(b: unknown, where: () => string): number | null {
  if (b === null || b === undefined) return null;
  if (!Array.isArray(b)) {
    throw new XentError('INVALID_TYPE', `${where()} must be an array of bytes or null, got ${show(b)}`);
  }
  return b.length;
}

const REPLACEMENT = [0xef, 0xbf, 0xbd];
const isReplacement = (b: unknown) => Array.isArray(b) && b.length === 3 && b.every((v, i) => v === REPLACEMENT[i]);

/** Positions of a chat / Responses / llama.cpp token list. */
function fromContent(list: unknown[], path: string): Position[] {
  return list.map((e, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(e)) {
      throw new XentError('INVALID_TYPE', `${at} must be an object {token, logprob, …}, got ${show(e)}`);
    }
    const topRaw = e.top_logprobs ?? e.top_probs;
    if (topRaw !== undefined && topRaw !== null && !Array.isArray(topRaw)) {
      throw new XentError('INVALID_TYPE', `${at}.top_logprobs must be an array, got ${show(topRaw)}`);
    }
    const top = (topRaw as unknown[] | null | undefined)?.map((t, k) => {
      if (!isObject(t)) throw new XentError('INVALID_TYPE', `${at}.top_logprobs[${k}] must be an object: ${show(t)}`);
      return { token: typeof t.token === 'string' ? t.token : null, logprob: logprobOf(t) };
    }) ?? null;
    return {
      token: typeof e.token === 'string' ? e.token : null,
      logprob: logprobOf(e),
      bytes: bytesOf(e.bytes, () => `${at}.bytes`),
      replacement: isReplacement(e.bytes),
      top,
    };
  });
}

/** Positions of a legacy completions logprobs object: parallel arrays, top lists as {token: logprob} maps. */
function fromLegacy(lp: Record<string, unknown>, path: string): Position[] {
  const tokens = lp.tokens as unknown[];
  const values = lp.token_logprobs;
  if (!Array.isArray(values) || values.length !== tokens.length) {
    throw new XentError('SHAPE_MISMATCH', `${path}.token_logprobs must be an array of ${tokens.length}, as tokens`);
  }
  const tops = lp.top_logprobs;
  if (tops !== undefined && tops !== null && (!Array.isArray(tops) || tops.length !== tokens.length)) {
    throw new XentError('SHAPE_MISMATCH', `${path}.top_logprobs must be an array of ${tokens.length}, as tokens`);
  }
  return tokens.map((token, i) => {
    const t = (tops as unknown[] | null | undefined)?.[i];
    if (t !== undefined && t !== null && !isObject(t)) {
      throw new XentError('INVALID_TYPE', `${path}.top_logprobs[${i}] must be {token: logprob} or null: ${show(t)}`);
    }
    return {
      token: typeof token === 'string' ? token : null,
      logprob: values[i],
      bytes: null,
      replacement: false,
      top: t ? Object.entries(t).map(([k, v]) => ({ token: k, logprob: v })) : null,
    };
  });
}

/**
 * Throws INVALID_TYPE at the first hole of any array in a caller's input: a sparse array's length says nothing of
 * its size, and walking one of length 2^32 - 1 by index (as map and forEach do) would not end. JSON text has none.
 */
function holeless(v: unknown, where: () => string, seen: WeakSet<object>): void {
  if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) return;
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw new XentError('INVALID_TYPE', `${where()}[${i}] is missing (the array has holes)`);
      holeless(v[i], () => `${where()}[${i}]`, seen);
    }
  } else {
    for (const k of Object.keys(v)) holeless((v as Record<string, unknown>)[k], () => `${where()}.${k}`, seen);
  }
}

/** The responses in one input: a list of positions per choice (null: a choice without logprobs). */
function responsesOf(x: unknown, path: string): (Position[] | null)[] {
  if (Array.isArray(x) && (x.length === 0 || isTokenEntry(x[0]))) return [fromContent(x, path)];
  if (!isObject(x)) throw new XentError('INVALID_TYPE', `${path} must be a response object, got ${show(x)}`);
  if (Array.isArray(x.choices)) {
    const indexOf = (c: unknown) => (isObject(c) && typeof c.index === 'number' ? c.index : 0);
    const choices = [...x.choices].sort((a, b) => indexOf(a) - indexOf(b));
    return choices.map((c, i) => {
      if (!isObject(c)) throw new XentError('INVALID_TYPE', `${path}.choices[${i}] must be an object, got ${show(c)}`);
      const lp = c.logprobs;
      return lp === null || lp === undefined ? null : logprobsObject(lp, `${path}.choices[${i}].logprobs`);
    });
  }
  if (Array.isArray(x.output)) {
    const all: unknown[] = [];
    x.output.forEach((item) => {
      if (!isObject(item) || !Array.isArray(item.content)) return;
      for (const part of item.content) if (isObject(part) && Array.isArray(part.logprobs)) all.push(...part.logprobs);
    });
    return [fromContent(all, `${path}.output[].content[].logprobs`)];
  }
  if (Array.isArray(x.completion_probabilities)) {
    return [fromContent(x.completion_probabilities, `${path}.completion_probabilities`)];
  }
  if ('logprobs' in x) return [x.logprobs === null ? null : logprobsObject(x.logprobs, `${path}.logprobs`)];
  return [logprobsObject(x, path)];
}

function logprobsObject(lp: unknown, path: string): Position[] | null {
  if (isObject(lp)) {
    if ('content' in lp) {
      if (lp.content === null) return null;
      if (Array.isArray(lp.content)) return fromContent(lp.content, `${path}.content`);
    }
    if (Array.isArray(lp.tokens)) return fromLegacy(lp, path);
  }
  throw new XentError(
    'INVALID_TYPE',
    `${path} holds no logprobs: expected choices[].logprobs.content (chat), logprobs.tokens / token_logprobs (legacy ` +
      'completions), output[].content[].logprobs (Responses API) or completion_probabilities (llama.cpp)',
  );
}

/**
 * A lower bound on -Σ p log p from the listed top probabilities (the k largest) and, when the sampled token is not
 * among them, its probability `extra`: their terms, plus the least the leftover mass r = 1 - Σ p can add when each
 * unlisted token is at most the smallest listed probability c (which bounds the sampled one too, not the reverse):
 * floor(r / c) tokens at c and one with the remainder, since -p log p is concave.
 */
export function entropyBound(top: number[], extra: number): number {
  let h = extra > 0 ? -extra * Math.log(extra) : 0;
  let mass = extra;
  let cap = 1;
  for (const p of top) {
    if (p > 0) h -= p * Math.log(p);
    mass += p;
    cap = Math.min(cap, p);
  }
  const rest = Math.max(0, 1 - mass);
  if (rest === 0 || cap === 0) return h;
  const n = Math.floor(rest / cap);
  const q = n > 2 ** 52 ? 0 : rest - n * cap; // beyond 2^52 tokens the remainder's term is below rounding
  return h + (rest - q) * -Math.log(cap) + (q > 0 ? -q * Math.log(q) : 0);
}

/**
 * Figures from the log-probabilities of LLM API responses: one response, one choice or logprobs object, an array
 * of them, or its JSON text. Each choice is one sequence (one response).
 */
export function fromLogprobs(input: unknown, options?: LogprobsOptions): LogprobsResult {
  const o = checkKeys(options, ['base'], 'fromLogprobs');
  const unit = unitOf(o.base);
  const base = (o.base as number | undefined) ?? Math.E;
  // the input may be a Proxy or hold getters: what reading it throws becomes a XentError
  return reading('input', input, () => figures(input, unit, base));
}

function figures(input: unknown, unit: number, base: number): LogprobsResult {
  let data = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (e) {
      throw new XentError('INVALID_TYPE', `input is not valid JSON: ${(e as Error).message}`);
    }
  } else {
    holeless(data, () => 'input', new WeakSet());
  }
  const inputs = Array.isArray(data) && !(data.length > 0 && isTokenEntry(data[0])) ? data : [data];
  const L = new LikelihoodSums();
  const sentinels: Record<LogprobSentinel, number> = { filler: 0, zero: 0, nullFirst: 0, null: 0, positive: 0 };
  let topDropped = 0;
  let replacementBytes = 0;
  let withoutLogprobs = 0;
  let hSum = 0;
  let hSum2 = 0;
  let hCount = 0;
  const perResponse: LogprobsResponse[] = [];
  inputs.forEach((x, i) => {
    responsesOf(x, `input[${i}]`).forEach((positions, choice) => {
      if (positions === null) {
        withoutLogprobs++;
        return;
      }
      const n = positions.length;
      const r: LogprobsResponse = {
        input: i, choice, positions: n, tokens: 0, nll: 0, perplexity: NaN, bytes: 0, bitsPerByte: null,
        entropyLowerBound: null, logprob: new Float64Array(n), scored: new Uint8Array(n),
        entropyBound: new Float64Array(n), sentinels: [],
      };
      const u = new LikelihoodSums();
      let covered = 0;
      let coveredNll = 0;
      let coveredNll2 = 0;
      let rh = 0;
      let rhCount = 0;
      positions.forEach((p, t) => {
        const where = () => `input[${i}] choice ${choice} position ${t}: logprob`;
        const kind = sentinelOf(p.logprob, t === 0, where);
        if (kind !== null) {
          sentinels[kind]++;
          r.sentinels.push({ position: t, kind });
          return;
        }
        const lp = p.logprob as number;
        const nll = -lp;
        r.logprob[t] = lp;
        r.scored[t] = 1;
        u.addToken(nll, t);
        if (p.bytes !== null) {
          r.bytes += p.bytes;
          covered++;
          coveredNll += nll;
          coveredNll2 += nll * nll;
        }
        if (p.replacement) replacementBytes++;
        if (p.top !== null && p.top.length > 0) {
          const probs: number[] = [];
          const seen = new Set<string | null>();
          p.top.forEach((e, k) => {
            if (sentinelOf(e.logprob, false, () => `${where()} top ${k}`) !== null) {
              topDropped++;
              return;
            }
            seen.add(e.token);
            probs.push(Math.exp(e.logprob as number));
          });
          if (probs.length > 0) {
            const h = entropyBound(probs, p.token === null || !seen.has(p.token) ? Math.exp(lp) : 0);
            r.entropyBound[t] = h;
            rh += h;
            rhCount++;
            hSum += h;
            hSum2 += h * h;
            hCount++;
          }
        }
      });
      r.tokens = u.tokens;
      r.nll = u.nll;
      r.perplexity = Math.exp(u.nll / u.tokens);
      r.bitsPerByte = r.bytes > 0 ? coveredNll / (r.bytes * Math.LN2) : null;
      r.entropyLowerBound = rhCount > 0 ? rh / rhCount / unit : null;
      u.endSequence(n, u.tokens, u.nll);
      if (r.bytes > 0) u.addBytes(r.bytes, covered, coveredNll, coveredNll2);
      L.add(u);
      perResponse.push(r);
    });
  });
  return {
    unit: unitName(base),
    ...likelihoodFigures(L, unit),
    responses: perResponse.length,
    withoutLogprobs,
    entropyLowerBound: { ...scaled(estimate(hSum, hSum2, hCount), unit), positions: hCount },
    sentinels,
    topDropped,
    replacementBytes,
    perResponse,
  };
}
