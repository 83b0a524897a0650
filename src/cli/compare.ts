/** `xent compare BASE CANDIDATE TARGET [options]`: two models' logits for the same rows, compared (src/eval/compare.ts). */
import { COMPARISON_FORMAT, Comparison, type ComparisonOptions, type ComparisonStateJSON } from '../eval/compare.js';
import { XentError } from '../core/errors.js';
import { type OptionTable, UsageError, type Values, helpText, parse, read } from './args.js';
import { EVAL_OPTIONS, bootstrapArgs, threadCount } from './eval.js';
import { checkFile, checkOutput, writeAtomic } from './files.js';
import { layout } from './layout.js';
import { type Job, MAX_CLASSES, runBlocks } from './pipeline.js';
import { progressBar } from './progress.js';
import { InputError, formatOf } from './readers/index.js';
import { runThreaded } from './threads.js';
import { compareHtml } from './report/compare-html.js';
import { compareTable } from './report/compare-text.js';
import { terminal } from './terminal.js';

const USAGE = `Usage: xent compare BASE CANDIDATE TARGET [options]

BASE and CANDIDATE: the logits of two models for the same rows (one row of logits per example or token position,
in any format xent eval reads); TARGET: a label (class, token id) per row. Differences and ratios are candidate
minus / over base. The rows are read in lock-step and compared in one fused pass per row pair: both models' loss,
accuracy and perplexity ± standard error, the paired loss and accuracy differences (McNemar's exact test; with
--bootstrap, a paired Poisson bootstrap), the perplexity ratio, KL divergence both ways with percentiles,
Jensen-Shannon, Δp of the target, top-1 agreement and top-k overlap. --threads N splits the rows between threads on
a fixed grid of blocks and merges the blocks' states in file order, as xent eval does: the same bits for every N.`;

const pick = (...keys: string[]) => Object.fromEntries(keys.map((k) => [k, EVAL_OPTIONS[k]]));

export const COMPARE_OPTIONS: OptionTable = {
  ...pick('classes', 'columns', 'pred-key', 'label-column', 'label-key', 'id-column', 'header', 'no-header', 'delimiter', 'dtype'),
  'pred-format': { ...EVAL_OPTIONS['pred-format'], help: 'force csv|tsv|jsonl|npy|arrow|parquet for BASE and CANDIDATE' },
  'target-format': EVAL_OPTIONS['target-format'],
  base: EVAL_OPTIONS.base,
  'ignore-index': EVAL_OPTIONS['ignore-index'],
  'top-k': { ...EVAL_OPTIONS['top-k'], help: 'k of the top-k overlap (default 1)' },
  bootstrap: { ...EVAL_OPTIONS.bootstrap, help: 'a paired Poisson bootstrap with B resamples (e.g. 1000)' },
  seed: EVAL_OPTIONS.seed,
  offset: { type: 'string', value: 'N', group: 'The figures', help: "the global index of the files' first row (parts compared apart, then merged)" },
  format: { ...EVAL_OPTIONS.format, value: 'table|json' },
  report: EVAL_OPTIONS.report,
  'state-out': EVAL_OPTIONS['state-out'],
  threads: EVAL_OPTIONS.threads,
  quiet: EVAL_OPTIONS.quiet,
};

export const COMPARE_HELP = helpText(USAGE, COMPARE_OPTIONS);

const str = (v: Values[string]) => (v === undefined ? undefined : String(v));

/** The names of the files compared, for the reports. */
export interface CompareInfo {
  base: string;
  candidate: string;
  target: string;
}

/** Writes the outputs of a comparison or of a merge of comparisons: the HTML report and the state, then stdout. */
export function writeCompare(
  cmp: Comparison, info: CompareInfo, o: { format: 'table' | 'json'; report?: string; stateOut?: string }, out: (s: string) => void,
): void {
  const r = cmp.result();
  if (o.report !== undefined) writeAtomic(o.report, compareHtml(r, cmp, info));
  if (o.stateOut !== undefined) writeAtomic(o.stateOut, JSON.stringify({ ...cmp.toJSON(), info }) + '\n');
  if (o.format === 'json') out(JSON.stringify({ files: info, ...r, state: cmp.toJSON() }, null, 2) + '\n');
  else out(compareTable(r, { base: terminal(info.base), candidate: terminal(info.candidate), target: terminal(info.target) }));
}

/**
 * Whether a state file holds a Comparison's state (a state file of `xent compare` is one, with the files it came
 * from as `info`): `xent merge` sends those here. Anything else is left to the evaluator's reader and its errors.
 */
export function isComparisonState(text: string): boolean {
  try {
    return (JSON.parse(text) as { format?: unknown } | null)?.format === COMPARISON_FORMAT;
  } catch {
    return false;
  }
}

/** `xent merge` of comparison states: merged in the order given (each part with its own --offset). */
export function mergeComparisons(texts: string[], paths: string[]): { cmp: Comparison; info: CompareInfo } {
  let cmp: Comparison | null = null;
  const names = { base: new Set<string>(), candidate: new Set<string>(), target: new Set<string>() };
  texts.forEach((t, i) => {
    let part: Comparison;
    try {
      part = Comparison.fromJSON(t);
    } catch (e) {
      if (e instanceof XentError) throw new InputError(paths[i], e.message);
      throw e;
    }
    const info = (JSON.parse(t) as { info?: Partial<CompareInfo> }).info ?? {};
    for (const k of ['base', 'candidate', 'target'] as const) names[k].add(String(info[k] ?? paths[i]));
    cmp = cmp === null ? part : cmp.merge(part);
  });
  const one = (s: Set<string>) => (s.size === 1 ? [...s][0] : `${s.size} files`);
  return { cmp: cmp!, info: { base: one(names.base), candidate: one(names.candidate), target: one(names.target) } };
}

/**
 * Compares the files on `threads` threads (threads.ts): one Comparison per grid block of rows, merged in file order,
 * so that every thread count gives the same bits.
 */
async function run(job: Job, options: ComparisonOptions, threads: number, quiet: boolean): Promise<Comparison> {
  const total = new Comparison(options);
  const add = (b: ComparisonStateJSON) => void total.merge(Comparison.fromJSON(b));
  const bar = progressBar(!quiet);
  try {
    if (threads > 1) await runThreaded(job, threads, { add, empty: () => total.result().positions === 0 }, bar.update);
    else for (const b of await runBlocks<ComparisonStateJSON>(job, bar.update, false)) add(b);
    return total;
  } finally {
    bar.end();
  }
}

export async function compareCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const { values: v, positionals } = parse(argv, COMPARE_OPTIONS, COMPARE_HELP);
  if (positionals.length !== 3) throw new UsageError(`expected BASE, CANDIDATE and TARGET, got ${positionals.length} files`, COMPARE_HELP);
  const [basePath, candPath, targetPath] = positionals;
  const quiet = v.quiet === true;
  const note = (s: string) => {
    if (!quiet) err(`xent: note: ${terminal(s)}\n`);
  };
  const baseText = str(v.base) ?? 'e';
  const unit = baseText === 'e' ? Math.E : read.number(baseText, 'base', (n) => n > 1 && Number.isFinite(n), '2, e or 10 (or a number > 1)')!;
  if (v.header === true && v['no-header'] === true) throw new UsageError('--header and --no-header contradict each other', COMPARE_HELP);
  const bootstrap = bootstrapArgs(v, COMPARE_HELP);
  const offset = read.integer(v.offset, 'offset', 0) ?? 0;
  const format = read.choice(v.format, 'format', ['table', 'json'] as const) ?? 'table';
  const report = str(v.report);
  const stateOut = str(v['state-out']);
  for (const p of positionals) checkFile(p);
  for (const [path, flag] of [[report, '--report'], [stateOut, '--state-out']] as const) {
    if (path !== undefined) checkOutput(path, flag, positionals);
  }
  const predFormat = str(v['pred-format']);
  const targetFormat = formatOf(targetPath, str(v['target-format']));
  const lay = {
    columns: (v.columns as string[] | undefined) ?? (str(v['pred-key']) === undefined ? undefined : [str(v['pred-key'])!]),
    labelColumn: str(v['label-column']) ?? str(v['label-key']),
    idColumns: (v['id-column'] as string[] | undefined) ?? [],
    from: 'logits' as const,
    multiLabel: false,
    ignoreIndex: read.integer(v['ignore-index'], 'ignore-index', -Number.MAX_SAFE_INTEGER),
    normalize: false,
    header: v.header === true ? true : v['no-header'] === true ? false : undefined,
    delimiter: str(v.delimiter),
    half: read.choice(v.dtype, 'dtype', ['float16', 'bfloat16'] as const),
  };
  const la = await layout(basePath, formatOf(basePath, predFormat), targetPath, targetFormat, lay);
  const lb = await layout(candPath, formatOf(candPath, predFormat), targetPath, targetFormat, lay);
  const classes = read.integer(v.classes, 'classes', 1, MAX_CLASSES) ?? la.classes;
  if (lb.classes !== la.classes) {
    throw new InputError(candPath, `${lb.classes} values per row, but BASE (${basePath}) has ${la.classes}`);
  }
  const options: ComparisonOptions = {
    classes,
    base: unit,
    ...(lay.ignoreIndex === undefined ? {} : { ignoreIndex: lay.ignoreIndex }),
    ...(v['top-k'] === undefined ? {} : { topK: read.integer(v['top-k'], 'top-k', 1) }),
    ...(bootstrap === undefined ? {} : { bootstrap }),
  };
  new Comparison(options); // checked before any file is read
  const notes = [...la.notes, ...lb.notes];
  const threads = threadCount(read.integer(v.threads, 'threads', 1), positionals, notes);
  const job: Job = { pred: la.pred, target: la.target, options: { classes }, compare: { candidate: lb.pred, options, offset } };
  const cmp = await run(job, options, threads, quiet);
  for (const n of new Set(notes)) note(n);
  writeCompare(cmp, { base: basePath, candidate: candPath, target: targetPath }, { format, report, stateOut }, out);
}
