/**
 * State files (`xent eval --state-out`, read by `xent merge`): the evaluation's grid blocks, each a state of sums and
 * counts, in file order, with the settings, the grid, the rows covered and what the report needs to name. Merging
 * adds the blocks of every file in row order, which is what one run over the whole input adds: the merged figures
 * are bit-identical to one run's when every file but the last covers a whole number of grid blocks (always so for
 * `--shard K/N`, which cuts on the grid).
 */
import { readFileSync } from 'node:fs';
import { Evaluator, mergePacked } from '../eval/evaluator.js';
import { XentError } from '../core/errors.js';
import { InputError } from './readers/index.js';
import type { InputSum } from './report/meta.js';
import type { ReportInfo } from './report/text.js';

export const SHARD_FORMAT = 'xent-eval-shard';
/**
 * The state file's version: its blocks are Evaluator states of the same version: 5 (with the averages' standard
 * errors' sums), 4 (with the per-class standard errors' sums), 3 (with the detail sums), 2 (per-class figures as columns over the classes seen), 1 (dense per-class
 * arrays); all are read.
 */
const SHARD_VERSION = 5;

/** What a state file holds besides its blocks. */
export interface ShardMeta {
  /** Rows per grid block, and the rows [first, end) of PRED it covers (ignored rows included). */
  grid: number;
  first: number;
  end: number;
  /** --shard K/N (1-based K), or null for a whole input. */
  shard: { index: number; count: number } | null;
  info: Pick<ReportInfo, 'pred' | 'target' | 'classNames' | 'binary' | 'inputs'>;
}

export interface Shard extends ShardMeta {
  path: string;
  /** An empty evaluator with the file's settings, and its blocks. */
  empty: Evaluator;
  blocks: Evaluator[];
}

/** An empty evaluator with these settings (as a state file or an Evaluator's `options` holds them). */
function emptyWith(settings: unknown): Evaluator {
  const { classes, perClass, bootstrap } = (settings ?? {}) as { classes?: unknown; perClass?: unknown; bootstrap?: { resamples?: unknown } };
  const sized = new Evaluator({
    classes: Number.isSafeInteger(classes) && (classes as number) > 0 && (classes as number) <= 1 << 20 ? classes as number : 1,
    perClass: perClass === true,
  });
  // The bootstrap's empty sums, as many as the settings ask for (fromJSON then checks the settings themselves).
  const B = bootstrap?.resamples;
  const zeros = Number.isSafeInteger(B) && (B as number) > 0 && (B as number) <= 100_000 ? new Array<number>(B as number).fill(0) : [];
  const boot = bootstrap ? { bootstrap: { weight: zeros, loss: zeros, correct: zeros, brier: zeros } } : {};
  // reset(): the sums the text above leaves out (the bootstrap's per-class ones), read as unknown, back to 0.
  return Evaluator.fromJSON({ ...sized.toJSON(), settings, ...boot }).reset();
}

/** The settings of a state or state file: version 1 kept per-class figures whatever the classes (it had no option). */
function settingsOf(j: Record<string, unknown>): unknown {
  return j.version === 1 && j.settings !== null && typeof j.settings === 'object' ? { ...j.settings, perClass: true } : j.settings;
}

/** The state file's text. */
export function shardText(options: Evaluator['options'], blocks: Float64Array[], meta: ShardMeta): string {
  const out = blocks.map((b) => {
    const one = emptyWith(options);
    mergePacked(one, b);
    const { format: _f, version: _v, settings: _s, ...sums } = one.toJSON();
    return sums;
  });
  return JSON.stringify({ format: SHARD_FORMAT, version: SHARD_VERSION, settings: options, ...meta, blocks: out }) + '\n';
}

const isInputSum = (v: unknown): v is InputSum =>
  v !== null && typeof v === 'object' && typeof (v as InputSum).file === 'string' && /^[0-9a-f]{64}$/.test(String((v as InputSum).sha256));

const bad = (path: string, what: string) => new InputError(path, `not an xent state file: ${what}`);

/** Reads a state file of `xent eval --state-out` (or an Evaluator's toJSON, as one block). */
export function readShard(path: string): Shard {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== undefined) throw e;
    throw bad(path, `not valid JSON (${(e as Error).message})`);
  }
  if (j === null || typeof j !== 'object') throw bad(path, 'not a JSON object');
  try {
    if (j.format === 'xent-eval-state') {
      const ev = Evaluator.fromJSON(j);
      const r = ev.result();
      return { path, empty: emptyWith(settingsOf(j)), blocks: [ev], grid: 0, first: 0, end: r.count + r.ignored, shard: null, info: { pred: '?', target: '?', classNames: null, binary: false } };
    }
    if (j.format !== SHARD_FORMAT || ![1, 2, 3, 4, 5].includes(j.version as number)) throw bad(path, `format ${JSON.stringify(j.format)} version ${JSON.stringify(j.version)} (expected "${SHARD_FORMAT}" version 1 to 5)`);
    const int = (v: unknown, what: string) => {
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(path, `${what} must be an integer >= 0`);
      return v as number;
    };
    const grid = int(j.grid, 'grid');
    const first = int(j.first, 'first');
    const end = int(j.end, 'end');
    if (end < first) throw bad(path, 'end is before first');
    const s = j.shard as { index?: unknown; count?: unknown } | null;
    const shard = s === null || s === undefined ? null : { index: int(s.index, 'shard.index'), count: int(s.count, 'shard.count') };
    if (shard !== null && (shard.index < 1 || shard.index > shard.count)) throw bad(path, `shard ${shard.index}/${shard.count}`);
    const info = (j.info ?? {}) as Record<string, unknown>;
    if (!Array.isArray(j.blocks)) throw bad(path, 'blocks must be an array');
    const settings = settingsOf(j);
    const empty = emptyWith(settings);
    const blocks = j.blocks.map((b) => Evaluator.fromJSON({ ...(b as object), format: 'xent-eval-state', version: j.version, settings }));
    const rows = blocks.reduce((a, ev) => a + ev.result().count + ev.result().ignored, 0);
    if (rows !== end - first) throw bad(path, `its blocks hold ${rows} rows, but it says rows ${first} to ${end}`);
    return {
      path, empty, blocks, grid, first, end, shard,
      info: {
        pred: typeof info.pred === 'string' ? info.pred : '?',
        target: typeof info.target === 'string' ? info.target : '?',
        classNames: Array.isArray(info.classNames) && info.classNames.every((n) => typeof n === 'string') ? info.classNames as string[] : null,
        binary: info.binary === true,
        inputs: Array.isArray(info.inputs) ? info.inputs.filter(isInputSum) : [],
      },
    };
  } catch (e) {
    if (e instanceof XentError) throw new InputError(path, `${e.code}: ${e.message}`);
    throw e;
  }
}

/**
 * The order to merge in: shards of one input by their index (every K of N exactly once), other files as given.
 * Returns notes for merges that are not bit-identical to one run.
 */
export function mergeOrder<S extends Pick<Shard, 'path' | 'grid' | 'first' | 'end' | 'shard'> & { info: { pred: string } }>(
  shards: S[], unit = 'rows',
): { order: S[]; notes: string[] } {
  const notes: string[] = [];
  let order = shards;
  const counted = shards.filter((s) => s.shard !== null);
  if (counted.length > 0) {
    const n = counted[0].shard!.count;
    if (counted.length !== shards.length || counted.some((s) => s.shard!.count !== n || s.info.pred !== counted[0].info.pred)) {
      throw new InputError(counted[0].path, 'the files mix shards of different inputs (or of different counts) with other states: merge the shards of one input');
    }
    order = [...shards].sort((a, b) => a.shard!.index - b.shard!.index);
    for (let k = 1; k <= n; k++) {
      const have = order.filter((s) => s.shard!.index === k);
      if (have.length === 0) throw new InputError(counted[0].path, `shard ${k}/${n} is missing`);
      if (have.length > 1) throw new InputError(have[1].path, `shard ${k}/${n} is given twice (also ${have[0].path})`);
    }
    for (let k = 1; k < n; k++) {
      if (order[k].first !== order[k - 1].end) {
        const one = unit.replace(/s$/, '');
        throw new InputError(order[k].path, `shard ${k + 1}/${n} starts at ${one} ${order[k].first + 1}, but shard ${k}/${n} ends after ${one} ${order[k - 1].end}`);
      }
    }
  } else {
    order.slice(0, -1).forEach((s) => {
      const rows = s.end - s.first;
      if (s.grid === 0 || rows % s.grid !== 0) {
        notes.push(`${s.path}: ${rows} ${unit}${s.grid > 0 ? `, not a multiple of ${s.grid} (the grid)` : ''}: the merged figures equal one run over the inputs one after another up to float64 rounding, not bit for bit (cut files at multiples of the grid, or use --shard K/N on one file)`);
      }
    });
  }
  return { order, notes };
}

/** Merges the blocks of the files in order into one Evaluator. */
export function mergeShards(order: Shard[]): Evaluator {
  const total = emptyWith(order[0].empty.options);
  for (const s of order) {
    for (const b of [s.empty, ...s.blocks]) {
      try {
        total.merge(b);
      } catch (e) {
        if (e instanceof XentError) throw new InputError(s.path, `cannot merge with ${order[0].path}: ${e.message}`);
        throw e;
      }
    }
  }
  return total;
}
