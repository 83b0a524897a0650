import { scoring } from '../backend/scoring.js';
import { XentError } from '../core/errors.js';
import {
  type HalfOptions, booleanOption, checkKeys, dtypeOf, integerOption, scaleOf, unitOf,
} from '../core/options.js';
import { type Batch, type Labels, type Matrix, asLabels, asMatrix, isFloat32 } from '../core/shape.js';
import { scoredTargets, sequenceStarts } from '../core/sequences.js';
import { type Named, checkInfiniteRows, explainNaN } from '../core/validate.js';

/**
 * The options that say how token positions are laid out, and how to read Uint16Array logits (`dtype`): shared by
 * scoreTokens and LanguageModelEvaluator.update.
 */
export interface SequenceOptions extends HalfOptions {
  /**
   * Causal shift (Hugging Face's `labels`): the target at position t is scored by the logits at position t - 1 of
   * the same sequence, so each sequence's first position is not scored. Default false: position t's logits score
   * position t's target.
   */
  shift?: boolean;
  /** Positions per sequence, for N sequences of T positions laid end to end (a [N, T, V] tensor flattened). */
  sequenceLength?: number;
  /** One id per position: a new sequence begins wherever the id changes (packed batches). */
  sequenceIds?: Labels;
}

/** Options of scoreTokens. */
export interface ScoreTokensOptions extends SequenceOptions {
  /** Vocabulary size: entries per row of logits when they come as one flat array. */
  classes?: number;
  /** Targets equal to this are not scored (padding, prompt tokens). Default -100, as Hugging Face and PyTorch. */
  ignoreIndex?: number;
  /** Also return the k most likely tokens at each position and their log-probabilities (k capped at classes). */
  topK?: number;
  /** Divide the logits by T first (default 1). */
  temperature?: number;
  /** Unit of logprob, entropy and topLogprobs: Math.E (nats, default), 2 (bits), 10. */
  base?: number;
}

/**
 * Per-position scores, aligned with the targets: entry t describes the prediction of the target at position t.
 * A position that is not scored (its target is the ignoreIndex, or it opens a sequence under `shift`) has rank -1,
 * logprob 0 and entropy 0 (so that sums over positions count only scored tokens), topIds -1 and topLogprobs 0.
 */
export interface TokenScores {
  /** log p(target): finite for every finite logit, however far below the max; -Infinity for a masked target. */
  logprob: Float64Array;
  /** How many tokens are strictly more likely than the target: 0 means a top choice (ties go to the target). */
  rank: Int32Array;
  /** Entropy of the predicted distribution. */
  entropy: Float64Array;
  /** With topK: k ids per position (flat), most likely first, ties in id order. */
  topIds?: Int32Array;
  /** With topK: their log-probabilities, k per position. */
  topLogprobs?: Float64Array;
  /** Positions scored. */
  count: number;
}

const KEYS = [
  'classes', 'shift', 'sequenceLength', 'sequenceIds', 'dtype', 'ignoreIndex', 'topK', 'temperature', 'base',
];

/** Hugging Face's and PyTorch's ignore_index. */
export const DEFAULT_IGNORE_INDEX = -100;

/** A batch of positions resolved: the logits, the target scored by each row, where the sequences begin. */
export interface Positions {
  X: Matrix;
  L: Named;
  /** Target per position (-1: ignored), as given. */
  labels: Int32Array;
  /** Target per row of logits (-1: none): labels, or the next position's under the shift. */
  scored: Int32Array;
  starts: Int32Array;
  shift: boolean;
}

/**
 * Resolves logits (half precision kept as bits: the kernel widens them), targets and the sequence options: the
 * first part of scoreTokens and of the evaluator's update.
 */
export function positionsOf(
  logits: unknown, targets: unknown, o: Record<string, unknown>, classes: unknown, ignoreIndex: number,
): Positions {
  const X = asMatrix(logits, 'logits', classes, isFloat32(logits), dtypeOf(o.dtype));
  if (X.cols === 0) throw new XentError('EMPTY_INPUT', 'logits has no classes');
  const shift = booleanOption(o.shift, 'shift');
  const starts = sequenceStarts(X.rows, o.sequenceLength, o.sequenceIds);
  const labels = asLabels(targets, 'targets', X.rows, X.cols, ignoreIndex);
  return { X, L: { name: 'logits', m: X }, labels, scored: scoredTargets(labels, starts, shift), starts, shift };
}

/** The kernel's outputs per position (topIds and topLogprobs k per position, or null). */
export interface Scored {
  logprob: Float64Array;
  rank: Int32Array;
  entropy: Float64Array;
  topIds: Int32Array | null;
  topLogprobs: Float64Array | null;
}

/** Output arrays kept from call to call for scorePositions' `keep` (at most 65,536 entries each). */
const kept: (Float64Array | Int32Array)[] = [];

/** A fresh array of n entries, or with `keep` a view of kept array i (grown as needed). */
function output<T extends Float64Array | Int32Array>(C: new (n: number) => T, n: number, keep: boolean, i: number): T {
  if (!keep || n > 1 << 16) return new C(n);
  if (!(kept[i]?.length >= n)) kept[i] = new C(n);
  return kept[i].subarray(0, n) as T;
}

/**
 * Runs the scoring kernel over a batch of positions and checks its results: NaN, +Infinity and all -Infinity rows
 * are NON_FINITE errors naming the entry (only rows that score a target are examined). Under the shift, the outputs
 * are written one position on (row t scores position t + 1) and position 0 gets the unscored marks. With `keep`,
 * the outputs (but topIds) are views of arrays kept for the next call: for a caller that reads them and lets go.
 */
export function scorePositions(
  P: Positions, s: number, cap: number, k: number, withIds: boolean, keep = false,
): Scored {
  const { X, L } = P;
  const n = X.rows;
  const logprob = output(Float64Array, n, keep, 0);
  const rank = output(Int32Array, n, keep, 1);
  const entropy = output(Float64Array, n, keep, 2);
  const topIds = withIds ? new Int32Array(n * k) : null;
  const topLogprobs = k > 0 ? output(Float64Array, n * k, keep, 3) : null;
  if (n === 0) return { logprob, rank, entropy, topIds, topLogprobs };
  // Under the shift, kernel row r writes position r + 1: views one position on, and the last row scores nothing.
  const o = P.shift ? 1 : 0;
  const rows = n - o;
  const lp = logprob.subarray(o);
  scoring().scoreTokens(
    X.data, rows, X.cols, s, P.scored, cap, lp, rank.subarray(o), entropy.subarray(o),
    k, topIds && topIds.subarray(o * k), topLogprobs && topLogprobs.subarray(o * k),
  );
  if (o === 1) {
    rank[0] = -1;
    logprob[0] = entropy[0] = 0;
    topIds?.fill(-1, 0, k);
    topLogprobs?.fill(0, 0, k);
  }
  // Rows to explain (NaN, or -Infinity: a masked target or an undefined softmax) are rare: checked only when seen.
  for (let r = 0; r < rows; r++) {
    if (lp[r] !== lp[r] || lp[r] === -Infinity) {
      const neg = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        if (lp[i] !== lp[i]) explainNaN(i, [L], L);
        neg[i] = -lp[i];
      }
      checkInfiniteRows(neg, L);
      break;
    }
  }
  return { logprob, rank, entropy, topIds, topLogprobs };
}

/**
 * Scores each position of a token sequence (or of a batch of sequences) against its target in one fused pass over
 * the logits: the target's log-probability, its rank among the vocabulary, the entropy of the predicted
 * distribution and, with `topK`, the most likely tokens. `logits`: one row of `classes` logits per position (rows,
 * or flat with `classes`); `targets`: one token id per position.
 */
export function scoreTokens(logits: Batch, targets: Labels, options?: ScoreTokensOptions): TokenScores {
  const o = checkKeys(options, KEYS, 'scoreTokens');
  const ignoreIndex = integerOption(o.ignoreIndex, 'ignoreIndex') ?? DEFAULT_IGNORE_INDEX;
  const s = scaleOf(o.temperature);
  const unit = unitOf(o.base);
  const topK = integerOption(o.topK, 'topK') ?? 0;
  if (topK < 0) throw new XentError('INVALID_OPTION', `topK must be an integer >= 0, got ${topK}`);
  const P = positionsOf(logits, targets, o, o.classes, ignoreIndex);
  const k = Math.min(topK, P.X.cols);
  const r = scorePositions(P, s, P.X.cols, k, k > 0);
  let count = 0;
  for (let i = 0; i < r.rank.length; i++) if (r.rank[i] >= 0) count++;
  if (unit !== 1) {
    for (const a of [r.logprob, r.entropy, r.topLogprobs]) if (a) for (let i = 0; i < a.length; i++) a[i] /= unit;
  }
  const out: TokenScores = { logprob: r.logprob, rank: r.rank, entropy: r.entropy, count };
  if (k > 0) {
    out.topIds = r.topIds!;
    out.topLogprobs = r.topLogprobs!;
  }
  return out;
}
