/**
 * What every likelihood evaluation of a text corpus keeps, as sums and counts: per-token negative log-likelihoods
 * (nats) with their squares, per-sequence perplexities, the bytes the scored text spells, and the loss by position
 * in the sequence. Shared by LanguageModelEvaluator (logits) and fromLogprobs (an API's token log-probabilities).
 *
 * Standard errors treat tokens (sequences, for the mean of per-sequence perplexities) as independent draws, as
 * llama.cpp's `llama-perplexity` does; tokens of one text are correlated, so they understate the spread between
 * corpora of the same kind.
 */
import { type Estimate, estimate, Z95 } from './estimate.js';
import { XentError } from '../core/errors.js';
import { decCount, decSum, enc, expectState } from './json.js';

/**
 * Loss by position: bins of the position t of a token in its sequence (t tokens come before it, 0-based), one bin
 * for each t < 8, then four per octave ([8, 10), [10, 12), [12, 14), [14, 16), [16, 20), …) up to 2^20, and one bin
 * for t >= 2^20: 77 bins, whatever the sequence lengths.
 */
export const POSITION_BINS = 8 + 4 * 17 + 1;
const TOP = 1 << 20;

export function positionBin(t: number): number {
  if (t < 8) return t;
  if (t >= TOP) return POSITION_BINS - 1;
  const e = 31 - Math.clz32(t); // 3 ..= 19
  return 8 + 4 * (e - 3) + ((t - (1 << e)) >> (e - 2));
}

/** [from, to) of a position bin (to = Infinity for the last). */
export function positionBounds(b: number): [number, number] {
  if (b < 8) return [b, b + 1];
  if (b === POSITION_BINS - 1) return [TOP, Infinity];
  const e = 3 + ((b - 8) >> 2);
  const q = (b - 8) & 3;
  return [(1 << e) + q * (1 << (e - 2)), (1 << e) + (q + 1) * (1 << (e - 2))];
}

/** Sums over the scored tokens of a corpus (nll in nats). */
export class LikelihoodSums {
  /** Target positions seen (scored or not), tokens scored, sequences with at least one scored token, and without. */
  positions = 0;
  tokens = 0;
  sequences = 0;
  emptySequences = 0;
  /** Σ nll, Σ nll². */
  nll = 0;
  nll2 = 0;
  /** Σ and Σ² of each sequence's perplexity exp(Σ nll / tokens) (sequences with scored tokens). */
  seqPpl = 0;
  seqPpl2 = 0;
  /** UTF-8 bytes of the text whose tokens were scored, and Σ 1, Σ nll, Σ nll² over the tokens they cover. */
  bytes = 0;
  byteTokens = 0;
  byteNll = 0;
  byteNll2 = 0;
  /** Per position bin: tokens, Σ nll, Σ nll². */
  posTokens = new Float64Array(POSITION_BINS);
  posNll = new Float64Array(POSITION_BINS);
  posNll2 = new Float64Array(POSITION_BINS);

  /** Adds one scored token at position t of its sequence. */
  addToken(nll: number, t: number): void {
    const sq = nll * nll;
    this.tokens++;
    this.nll += nll;
    this.nll2 += sq;
    const b = positionBin(t);
    this.posTokens[b]++;
    this.posNll[b] += nll;
    this.posNll2[b] += sq;
  }

  /** Closes a sequence of `positions` positions, `tokens` of them scored with Σ nll = `nll`. */
  endSequence(positions: number, tokens: number, nll: number): void {
    this.positions += positions;
    if (tokens === 0) {
      this.emptySequences++;
      return;
    }
    const ppl = Math.exp(nll / tokens);
    this.sequences++;
    this.seqPpl += ppl;
    this.seqPpl2 += ppl * ppl;
  }

  /** Records that `bytes` bytes of text cover tokens with these sums. */
  addBytes(bytes: number, tokens: number, nll: number, nll2: number): void {
    this.bytes += bytes;
    this.byteTokens += tokens;
    this.byteNll += nll;
    this.byteNll2 += nll2;
  }

  /** Adds another corpus's sums (merge). */
  add(o: LikelihoodSums): void {
    for (const k of SCALARS) this[k] += o[k];
    for (const k of ARRAYS) {
      const a = this[k];
      const b = o[k];
      for (let i = 0; i < POSITION_BINS; i++) a[i] += b[i];
    }
  }

  /** Writes the sums into out from `at` (the CLI's worker threads send states so); returns where they end. */
  packInto(out: Float64Array, at: number): number {
    for (const k of SCALARS) out[at++] = this[k];
    for (const k of ARRAYS) {
      out.set(this[k], at);
      at += POSITION_BINS;
    }
    return at;
  }

  /** add() of sums packed by packInto at `at`: the same additions, so bit-identical; returns where they end. */
  addPacked(p: Float64Array, at: number): number {
    for (const k of SCALARS) this[k] += p[at++];
    for (const k of ARRAYS) {
      const a = this[k];
      for (let i = 0; i < POSITION_BINS; i++) a[i] += p[at++];
    }
    return at;
  }

  /** The sums as JSON (position bins sparse: [bin, tokens, Σ nll, Σ nll²] for the bins with tokens). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of SCALARS) out[k] = enc(this[k]);
    const bins: (number | string)[][] = [];
    for (let b = 0; b < POSITION_BINS; b++) {
      if (this.posTokens[b] > 0) bins.push([b, this.posTokens[b], enc(this.posNll[b]), enc(this.posNll2[b])]);
    }
    out.byPosition = bins;
    return out;
  }

  /** Reads the sums back from `j` (a state object), checking what they mean. */
  static fromJSON(j: Record<string, unknown>): LikelihoodSums {
    const L = new LikelihoodSums();
    for (const k of COUNTS) L[k] = decCount(j[k], k);
    for (const k of SUMS) L[k] = decSum(j[k], k);
    expectState(L.tokens <= L.positions, 'more scored tokens than positions');
    expectState(L.sequences <= L.tokens, 'more sequences with scored tokens than scored tokens');
    expectState(L.byteTokens <= L.tokens, 'more tokens covered by bytes than tokens');
    expectState(L.seqPpl >= L.sequences, 'a sequence perplexity below 1');
    expectState(L.bytes === 0 || L.byteTokens > 0, 'bytes without the tokens they cover');
    if (!Array.isArray(j.byPosition)) {
      throw new XentError('INVALID_TYPE', 'state.byPosition must be an array of [bin, tokens, Σ nll, Σ nll²]');
    }
    let tokens = 0;
    for (const e of j.byPosition as unknown[]) {
      const [b, n, s, s2] = Array.isArray(e) ? e : [];
      if (!Number.isInteger(b) || b < 0 || b >= POSITION_BINS || L.posTokens[b] > 0) {
        throw new XentError('INVALID_TYPE', `state.byPosition has a bad or repeated bin ${JSON.stringify(b)}`);
      }
      L.posTokens[b] = decCount(n, `byPosition[${b}] tokens`);
      L.posNll[b] = decSum(s, `byPosition[${b}] nll`);
      L.posNll2[b] = decSum(s2, `byPosition[${b}] nll2`);
      tokens += L.posTokens[b];
    }
    expectState(tokens === L.tokens, `the position bins hold ${tokens} tokens, not ${L.tokens}`);
    return L;
  }
}

const COUNTS = ['positions', 'tokens', 'sequences', 'emptySequences', 'byteTokens'] as const;
const SUMS = ['nll', 'nll2', 'seqPpl', 'seqPpl2', 'bytes', 'byteNll', 'byteNll2'] as const;
const SCALARS = [...COUNTS, ...SUMS] as const;
const ARRAYS = ['posTokens', 'posNll', 'posNll2'] as const;


/** Numbers in LikelihoodSums.packInto's layout. */
export const packedSumsLength = (): number => SCALARS.length + ARRAYS.length * POSITION_BINS;

/** Corpus perplexity with its standard error (delta method) and the 95% interval exp(mean ± 1.96·SE(mean)). */
export interface Perplexity extends Estimate {
  interval95: [number, number];
}

/** Bits per byte over the text whose bytes were given, with the bytes and the tokens they cover. */
export interface BitsPerByte extends Estimate {
  bytes: number;
  tokens: number;
}

/** The loss of the tokens at positions [from, to) of their sequences. */
export interface PositionBin {
  from: number;
  to: number;
  tokens: number;
  loss: Estimate;
}

/** The figures every likelihood evaluation reports (losses in `unit` = ln base, nats also given). */
export interface LikelihoodFigures {
  positions: number;
  tokens: number;
  sequences: number;
  emptySequences: number;
  /** Mean negative log-likelihood per token, in the evaluator's unit, in nats and in bits. */
  loss: Estimate;
  nats: Estimate;
  bitsPerToken: Estimate;
  /** exp(Σ nll / Σ tokens): token-weighted, as lm-evaluation-harness's weighted perplexity and llama.cpp report. */
  corpusPerplexity: Perplexity;
  /** The plain mean over sequences of exp(mean nll of the sequence): Hugging Face evaluate's `mean_perplexity`. */
  meanSequencePerplexity: Estimate;
  /**
   * Σ nll / (Σ bytes · ln 2), lm-evaluation-harness's bits_per_byte, over the tokens whose text's bytes were given;
   * null when none were.
   */
  bitsPerByte: BitsPerByte | null;
  /** Mean loss by position in the sequence (bins with tokens only), in the unit. */
  byPosition: PositionBin[];
}

export function likelihoodFigures(L: LikelihoodSums, unit: number): LikelihoodFigures {
  const nats = estimate(L.nll, L.nll2, L.tokens);
  const ppl = Math.exp(nats.value);
  const byPosition: PositionBin[] = [];
  for (let b = 0; b < POSITION_BINS; b++) {
    const n = L.posTokens[b];
    if (n === 0) continue;
    const [from, to] = positionBounds(b);
    byPosition.push({ from, to, tokens: n, loss: scaled(estimate(L.posNll[b], L.posNll2[b], n), unit) });
  }
  let bitsPerByte: BitsPerByte | null = null;
  if (L.byteTokens > 0) {
    const b = estimate(L.byteNll, L.byteNll2, L.byteTokens);
    const per = L.byteTokens / (L.bytes * Math.LN2);
    bitsPerByte = { value: b.value * per, standardError: b.standardError * per, bytes: L.bytes, tokens: L.byteTokens };
  }
  return {
    positions: L.positions,
    tokens: L.tokens,
    sequences: L.sequences,
    emptySequences: L.emptySequences,
    loss: scaled(nats, unit),
    nats,
    bitsPerToken: scaled(nats, Math.LN2),
    corpusPerplexity: {
      value: ppl,
      standardError: ppl * nats.standardError,
      interval95: [Math.exp(nats.value - Z95 * nats.standardError), Math.exp(nats.value + Z95 * nats.standardError)],
    },
    meanSequencePerplexity: estimate(L.seqPpl, L.seqPpl2, L.sequences),
    bitsPerByte,
    byPosition,
  };
}

/** An estimate in another unit: both numbers divided by u. */
export const scaled = (e: Estimate, u: number): Estimate => ({
  value: e.value / u,
  standardError: e.standardError / u,
});
