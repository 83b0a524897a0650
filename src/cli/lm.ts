/**
 * `xent eval PRED TARGET --task lm`: a language model's logits (.npy [N, T, V] or [N·T, V]: float16, bfloat16 with
 * --dtype, float32, float64) against its token ids (.npy [N, T] or [N·T]), streamed whole sequences at a time (a
 * sequence longer than a read chunk, a chunk at a time within it) through a LanguageModelEvaluator (half logits
 * handed to it as bits, widened in wasm), on the same grid of blocks and threads as the classifier's evaluation; and
 * the state files of such runs, for `xent merge`.
 */
import { readFileSync, statSync } from 'node:fs';
import { XentError } from '../core/errors.js';
import { type BitsPerByte } from '../eval/likelihood.js';
import { LanguageModelEvaluator, type LanguageModelEvaluatorOptions, type LanguageModelResult, type LanguageModelSettings, mergePackedLm } from '../eval/lm.js';
import { UsageError } from './args.js';
import { checkFile } from './files.js';
import { type Job, type LmSpec, runBlocks } from './pipeline.js';
import { progressBar } from './progress.js';
import { InputError, type Source } from './readers/index.js';
import { openNpy } from './readers/npy.js';
import { mergeOrder } from './shard.js';
import { runThreaded } from './threads.js';

/** What the command line says about a language model's run. */
export interface LmOptions {
  pred: string;
  target: string;
  half?: Source['half'];
  shift: boolean;
  /** --sequence-length: positions per sequence, for flat files. */
  length?: number;
  /** --bytes: a count, or a file whose size is the count. */
  bytes?: string;
  ignoreIndex?: number;
  topK?: number;
  base: number;
  /** --bootstrap B --seed S: the evaluator's Poisson bootstrap, keyed by the global position index. */
  bootstrap?: LanguageModelEvaluatorOptions['bootstrap'];
}

/** What the report says about the run besides the evaluator's figures. */
export interface LmInfo {
  pred: string;
  target: string;
  /** PRED's element type, as read. */
  dtype: string;
  /** Sequences and positions per sequence (sequences = 1 for a whole input read as one text). */
  sequences: number;
  length: number;
  shift: boolean;
  /** UTF-8 bytes of the scored text (--bytes), or null. */
  bytes: number | null;
}

/** A report's figures: the evaluator's result, with bits per byte over the whole text when --bytes gave its size. */
export type LmReport = LanguageModelResult & { bitsPerByte: BitsPerByte | null };

const DTYPE_NAMES: Record<string, string> = { f2: 'float16', f4: 'float32', f8: 'float64' };

/** Every column, in order: the readers then hand rows on as read (and half precision as bits). */
const allColumns = (n: number): Source['select'] => ({ columns: Array.from({ length: n }, (_, i) => i), names: null, bools: false });

/** The byte count of --bytes: an integer, or a file (the scored text) whose size it is. */
function bytesOf(v: string | undefined): number | null {
  if (v === undefined) return null;
  if (/^\d+$/.test(v.trim())) {
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--bytes must be an integer >= 1 or a file, got ${JSON.stringify(v)}`);
    return n;
  }
  checkFile(v);
  const n = statSync(v).size;
  if (n === 0) throw new InputError(v, '--bytes names an empty file: it should be the scored text, whose UTF-8 bytes are counted');
  return n;
}

/** The job of a run: sources, shapes and settings, checked from the .npy headers before anything is read. */
export function lmJob(o: LmOptions, notes: string[]): { job: Job; info: LmInfo } {
  for (const p of [o.pred, o.target]) {
    checkFile(p);
    if (!/\.npy$/i.test(p)) throw new InputError(p, '--task lm reads .npy files: logits [N, T, V] or [N·T, V], token ids [N, T] or [N·T]');
  }
  const { h: ph, e: pe } = openNpy(o.pred, o.half);
  const { h: th, e: te } = openNpy(o.target);
  const at = (path: string, h: { shapeAt: number }) => `${path}: byte offset ${h.shapeAt}`;
  if (ph.dims === 1) throw new InputError(at(o.pred, ph), 'a 1-D array is not logits: expected [N, T, V] or [N·T, V] (one row of V logits per position)');
  const dt = pe.dt;
  const halfBits = o.half !== undefined && (ph.descr === '<u2' || ph.descr === '|V2');
  if (dt === null || !(halfBits || dt.f16 || dt.f32 || dt.f64)) {
    const hint = ph.descr.endsWith('u2') ? ' (bfloat16 saved as raw bits: --dtype bfloat16)' : '';
    throw new InputError(at(o.pred, ph), `dtype ${ph.descr} is not logits: expected float16, bfloat16 (--dtype), float32 or float64${hint}`);
  }
  if (th.dims === 3 || te.dt === null) {
    throw new InputError(at(o.target, th), `expected integer token ids of shape [N, T] or [N·T], got ${th.descr} of shape (${th.shape.join(', ')})`);
  }
  const positions = ph.rows;
  const targetCols = th.dims === 2 ? th.cols : 1;
  if (th.rows * targetCols !== positions) {
    throw new InputError(at(o.target, th), `${th.rows * targetCols} token ids for the ${positions} positions of ${o.pred}`);
  }
  // The sequence length, from whichever says it: PRED's [N, T, V], TARGET's [N, T], --sequence-length.
  const said = [
    ...(ph.dims === 3 ? [[ph.shape[1], `${o.pred}'s shape`] as const] : []),
    ...(th.dims === 2 ? [[th.cols, `${o.target}'s shape`] as const] : []),
    ...(o.length === undefined ? [] : [[o.length, '--sequence-length'] as const]),
  ];
  for (const [t, who] of said.slice(1)) {
    if (t !== said[0][0]) throw new InputError(o.target, `sequences of ${said[0][0]} positions by ${said[0][1]}, of ${t} by ${who}`);
  }
  if (positions === 0) throw new InputError(at(o.pred, ph), 'no positions');
  const length = said.length > 0 ? said[0][0] : positions;
  if (said.length === 0) notes.push(`${o.pred}: read as one sequence of ${positions} positions (--sequence-length T for sequences of T)`);
  if (length === 0 || positions % length !== 0) throw new InputError(o.pred, `${positions} positions are not whole sequences of ${length}`);
  let settings: LanguageModelSettings;
  try {
    settings = new LanguageModelEvaluator({ classes: ph.cols, ignoreIndex: o.ignoreIndex, topK: o.topK, base: o.base, bootstrap: o.bootstrap }).options;
  } catch (e) {
    if (e instanceof XentError) throw new UsageError(e.message);
    throw e;
  }
  const lm: LmSpec = { settings, length, shift: o.shift, targetCols };
  const dtype = halfBits ? o.half! : (DTYPE_NAMES[ph.descr.slice(1)] ?? ph.descr);
  const job: Job = {
    pred: { path: o.pred, format: 'npy', select: allColumns(ph.cols), half: o.half, halfBits: true },
    target: { path: o.target, format: 'npy', select: allColumns(targetCols) },
    options: { classes: ph.cols },
    lm,
  };
  return {
    job,
    info: { pred: o.pred, target: o.target, dtype, sequences: positions / length, length, shift: o.shift, bytes: bytesOf(o.bytes) },
  };
}

/** An empty evaluator of the job's settings and a Total (threads.ts) merging packed blocks into it. */
function totalOf(settings: LanguageModelSettings) {
  const ev = new LanguageModelEvaluator(settings);
  return { ev, add: (b: Float64Array) => mergePackedLm(ev, b), empty: () => ev.result().positions === 0 };
}

/** Runs the job on `threads` threads: the evaluator and its grid blocks' packed states, in file order. */
export async function runLm(job: Job, threads: number, quiet: boolean, keep: boolean, allowEmpty = false): Promise<{ ev: LanguageModelEvaluator; blocks: Float64Array[] }> {
  const total = totalOf(job.lm!.settings);
  const bar = progressBar(!quiet);
  try {
    let blocks: Float64Array[];
    if (threads > 1) blocks = await runThreaded(job, threads, total, bar.update, keep);
    else {
      blocks = await runBlocks(job, bar.update, allowEmpty);
      for (const b of blocks) total.add(b);
    }
    return { ev: total.ev, blocks };
  } finally {
    bar.end();
  }
}

/** The result, with bits per byte over all scored tokens when the text's size is known. */
export function lmReport(ev: LanguageModelEvaluator, bytes: number | null): LmReport {
  const r = ev.result();
  if (bytes === null || r.tokens === 0) return { ...r, bitsPerByte: null };
  // Σ nll / (bytes · ln 2) = mean nll · tokens / (bytes · ln 2); its standard error scales alike.
  const per = r.tokens / (bytes * Math.LN2);
  return { ...r, bitsPerByte: { value: r.nats.value * per, standardError: r.nats.standardError * per, bytes, tokens: r.tokens } };
}

export const LM_SHARD_FORMAT = 'xent-lm-eval-shard';

/** Where a state file's blocks lie in the input: positions [first, end), and --shard K/N (or null). */
export interface LmPart {
  first: number;
  end: number;
  shard: { index: number; count: number } | null;
}

/**
 * The state file of a run: its grid blocks' states in file order, with the settings, the positions it covers and
 * what the report names.
 */
export function lmStateText(settings: LanguageModelSettings, blocks: Float64Array[], grid: number, info: LmInfo, part: LmPart): string {
  const out = blocks.map((b) => {
    const one = new LanguageModelEvaluator(settings);
    mergePackedLm(one, b);
    const { format: _f, version: _v, settings: _s, ...sums } = one.toJSON();
    return sums;
  });
  return JSON.stringify({ format: LM_SHARD_FORMAT, version: 1, settings, grid, ...part, info, blocks: out }) + '\n';
}

/** A state file of a language model's run, read back. */
export interface LmShard extends LmPart {
  path: string;
  settings: LanguageModelSettings;
  grid: number;
  info: LmInfo;
  blocks: LanguageModelEvaluator[];
}

/** Reads a state file (or a LanguageModelEvaluator's toJSON, as one block); its numbers are checked by fromJSON. */
export function readLmShard(path: string, j: Record<string, unknown>): LmShard {
  try {
    if (j.format === 'xent-lm-state') {
      const ev = LanguageModelEvaluator.fromJSON(j);
      const info: LmInfo = { pred: '?', target: '?', dtype: '?', sequences: 0, length: 0, shift: false, bytes: null };
      return { path, settings: ev.options, grid: 0, first: 0, end: ev.result().positions, shard: null, info, blocks: [ev] };
    }
    if (j.version !== 1 || !Array.isArray(j.blocks)) throw new InputError(path, `not an xent state file: ${LM_SHARD_FORMAT} version 1 with blocks expected`);
    const blocks = j.blocks.map((b) => LanguageModelEvaluator.fromJSON({ ...(b as object), format: 'xent-lm-state', version: 1, settings: j.settings }));
    const i = (j.info ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : '?');
    const count = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? v as number : 0);
    const bytes = Number.isSafeInteger(i.bytes) && (i.bytes as number) > 0 ? i.bytes as number : null;
    const info: LmInfo = {
      pred: text(i.pred), target: text(i.target), dtype: text(i.dtype), sequences: count(i.sequences), length: count(i.length), shift: i.shift === true, bytes,
    };
    const settings = blocks.length > 0 ? blocks[0].options : new LanguageModelEvaluator(j.settings as LanguageModelSettings).options;
    const positions = blocks.reduce((a, b) => a + b.result().positions, 0);
    // Files of runs without --shard may not say where they lie: from the start.
    const first = count(j.first);
    if (j.end !== undefined && count(j.end) !== first + positions) {
      throw new InputError(path, `not an xent state file: its blocks hold ${positions} positions, but it says positions ${first} to ${count(j.end)}`);
    }
    const sh = j.shard as { index?: unknown; count?: unknown } | null | undefined;
    const shard = sh === null || sh === undefined ? null : { index: count(sh.index), count: count(sh.count) };
    if (shard !== null && (shard.index < 1 || shard.index > shard.count)) throw new InputError(path, `not an xent state file: shard ${shard.index}/${shard.count}`);
    return { path, settings, grid: count(j.grid), first, end: first + positions, shard, info, blocks };
  } catch (e) {
    if (e instanceof XentError) throw new InputError(path, `${e.code}: ${e.message}`);
    throw e;
  }
}

/** The state file's JSON object, when it is a language model's (else null). */
export function lmStateObject(path: string): Record<string, unknown> | null {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return j !== null && typeof j === 'object' && (j.format === LM_SHARD_FORMAT || j.format === 'xent-lm-state') ? j : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== undefined) throw e;
    return null;
  }
}

/**
 * Merges the files' blocks into one evaluator (settings must agree): the shards of one input (--shard K/N) in their
 * order, every one of them there, other files in the order given. Bits per byte is kept when every file knows its
 * text's size (the sizes of separate files add up; shards share their input's). Notes: files that do not end on
 * their grid, whose merge is exact only up to float64 rounding.
 */
export function mergeLm(given: LmShard[], notes: string[]): { ev: LanguageModelEvaluator; info: LmInfo; blocks: LanguageModelEvaluator[]; first: number } {
  const { order: shards, notes: more } = mergeOrder(given, 'positions');
  notes.push(...more);
  const ev = new LanguageModelEvaluator(shards[0].settings);
  for (const s of shards) {
    for (const b of s.blocks) {
      try {
        ev.merge(b);
      } catch (e) {
        if (e instanceof XentError) throw new InputError(s.path, `cannot merge with ${shards[0].path}: ${e.message}`);
        throw e;
      }
    }
  }
  const names = (k: 'pred' | 'target') => {
    const set = [...new Set(shards.map((s) => s.info[k]))];
    return set.length === 1 ? set[0] : `${set.length} files`;
  };
  const same = <K extends keyof LmInfo>(k: K, none: LmInfo[K]) => (shards.every((s) => s.info[k] === shards[0].info[k]) ? shards[0].info[k] : none);
  const sharded = shards[0].shard !== null;
  const bytes = !shards.every((s) => s.info.bytes !== null) ? null : sharded ? shards[0].info.bytes : shards.reduce((a, s) => a + s.info.bytes!, 0);
  const info: LmInfo = {
    pred: names('pred'), target: names('target'), dtype: same('dtype', 'mixed'), length: same('length', 0),
    sequences: shards.reduce((a, s) => a + s.info.sequences, 0), shift: same('shift', false), bytes,
  };
  return { ev, info, blocks: shards.flatMap((s) => s.blocks), first: shards[0].first };
}
