import { XentError, detached, isDetached, show } from './errors.js';
import { reading } from './shape.js';

/**
 * Where the sequences of a batch of token positions begin, as sorted offsets [0, …, positions] (n + 1 numbers for
 * n sequences): one sequence when neither option is given; with `sequenceLength` T, a new sequence every T positions
 * (a [N, T, V] tensor flattened); with `sequenceIds` (one id per position), a new sequence wherever the id changes.
 * Both together: the boundaries of either.
 */
export function sequenceStarts(positions: number, sequenceLength: unknown, sequenceIds: unknown): Int32Array {
  // sequenceIds may be a Proxy or hold getters: what reading it throws becomes a XentError
  return reading('sequenceIds', sequenceIds, () => starts(positions, sequenceLength, sequenceIds));
}

function starts(positions: number, sequenceLength: unknown, sequenceIds: unknown): Int32Array {
  let T = 0;
  if (sequenceLength !== undefined) {
    if (typeof sequenceLength !== 'number' || !Number.isInteger(sequenceLength) || sequenceLength < 1) {
      throw new XentError('INVALID_OPTION', `sequenceLength must be a positive integer, got ${show(sequenceLength)}`);
    }
    if (positions % sequenceLength !== 0) {
      throw new XentError(
        'SHAPE_MISMATCH',
        `sequenceLength ${sequenceLength} does not divide the ${positions} positions (N × T rows of logits)`,
      );
    }
    T = sequenceLength;
  }
  let ids: ArrayLike<unknown> | null = null;
  if (sequenceIds !== undefined) {
    if (!Array.isArray(sequenceIds) && !(ArrayBuffer.isView(sequenceIds) && !(sequenceIds instanceof DataView))) {
      throw new XentError('INVALID_TYPE', `sequenceIds must be an array of integers, got ${show(sequenceIds)}`);
    }
    if (ArrayBuffer.isView(sequenceIds) && isDetached(sequenceIds)) throw detached('sequenceIds');
    ids = sequenceIds as unknown as ArrayLike<unknown>;
    if (ids.length !== positions) {
      throw new XentError('SHAPE_MISMATCH', `sequenceIds has ${ids.length} ids but there are ${positions} positions`);
    }
  }
  if (T === 0 && ids === null) return positions > 0 ? Int32Array.of(0, positions) : Int32Array.of(0);
  const starts: number[] = [0];
  for (let i = 0; i < positions; i++) {
    let start = i > 0 && T > 0 && i % T === 0;
    if (ids !== null) {
      const v = ids[i];
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new XentError('INVALID_TYPE', `sequenceIds[${i}] must be an integer, got ${show(v)}`);
      }
      if (i > 0 && v !== ids[i - 1]) start = true;
    }
    if (start) starts.push(i);
  }
  if (positions > 0) starts.push(positions);
  return Int32Array.from(starts);
}

/**
 * The target each row of logits is scored against, from the targets per position (-1 for an ignored one): the
 * same position's, or with `shift` the next position's within the same sequence (-1 at a sequence's last row).
 */
export function scoredTargets(labels: Int32Array, starts: Int32Array, shift: boolean): Int32Array {
  if (!shift) return labels;
  const out = new Int32Array(labels.length);
  for (let s = 0; s + 1 < starts.length; s++) {
    const end = starts[s + 1];
    for (let i = starts[s]; i < end - 1; i++) out[i] = labels[i + 1];
    out[end - 1] = -1;
  }
  return out;
}
