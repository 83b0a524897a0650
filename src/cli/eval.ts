/** `xent eval PRED [TARGET] [options]`. */
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { COMPATS, type Compat } from '../core/compat.js';
import { Evaluator, type EvaluatorOptions, mergePacked } from '../eval/evaluator.js';
import { type OptionTable, UsageError, type Values, helpText, parse, read } from './args.js';
import { checkFile, checkOutput, writeAtomic } from './files.js';
import { terminal } from './terminal.js';
import { type Layout, layout } from './layout.js';
import { type Job, MAX_CLASSES, gridRows, probeClasses, runBlocks } from './pipeline.js';
import { progressBar } from './progress.js';
import { type Format, InputError, formatOf, isGzip } from './readers/index.js';
import { htmlReport } from './report/html.js';
import { inputSums, runMeta } from './report/meta.js';
import { type ReportInfo, csvReport, tableReport } from './report/text.js';
import { shardText } from './shard.js';
import { partsOf, runThreaded } from './threads.js';
import { lmHtmlReport, lmTableReport } from './report/lm.js';
import { type LmInfo, lmJob, lmReport, lmStateText, runLm } from './lm.js';
import type { LanguageModelEvaluator } from '../eval/lm.js';
import { evaluateLogprobs, logprobsJson, logprobsTable } from './logprobs.js';
import { gridOf } from './pipeline.js';

const USAGE = `Usage: xent eval PRED [TARGET] [options]
       xent eval LOGITS.npy TOKENS.npy --task lm [--shift] [options]
       xent eval RESPONSES.jsonl --from openai-logprobs

PRED: a row of logits or probabilities per example; TARGET: a label per row (an integer, a class name or
True/False), or with --multi-label a row of 0/1 targets. A file holding both (a label column beside the
predictions) may be given alone. Formats, by extension: CSV / TSV (delimiter sniffed, header optional, .gz too),
JSON Lines (arrays, numbers, or objects such as {"logits": [...], "label": 3}; .gz too), NumPy .npy, Apache Arrow
IPC / Feather (.arrow, .feather, .ipc; compressed, dictionaries, nulls) and Parquet (.parquet). Half-precision
predictions (float16 .npy and Arrow columns, bfloat16 with --dtype) go to the kernels as their bits. What is decided
from the files (a header, an index column skipped, probabilities, a binary task) is said on stderr.

--task lm: a language model's logits, .npy [N, T, V] or [N·T, V] (float16, bfloat16 with --dtype, float32,
float64), against token ids, .npy [N, T] or [N·T]: perplexity, bits per token and per byte, accuracy, entropy,
calibration and the loss by position. Long sequences are read in chunks of 16 MB: memory stays bounded. --from openai-logprobs: the logprobs of chat or completions responses, one
per line.`;

/** The options of `xent eval`: one row each, grouped for the help. */
export const EVAL_OPTIONS: OptionTable = {
  from: { type: 'string', value: 'logits|probs|openai-logprobs', group: 'What the files hold', help: 'what PRED holds (default: found from its values or its column name, with a note); openai-logprobs: API responses' },
  task: { type: 'string', value: 'classify|lm', group: 'What the files hold', help: "classify (default), or lm: a language model's logits and token ids" },
  classes: { type: 'string', value: 'N', group: 'What the files hold', help: 'classes per row (default: the number of prediction columns)' },
  'multi-label': { type: 'boolean', group: 'What the files hold', help: 'independent binary labels per column (sigmoid / binary cross-entropy)' },
  columns: { type: 'string', value: 'LIST', multiple: true, group: 'What the files hold', help: "PRED's prediction columns: names, numbers from 1, ranges (2-11)" },
  'pred-key': { type: 'string', value: 'KEY', group: 'What the files hold', help: 'the JSON key or list column holding the predictions' },
  'label-column': { type: 'string', value: 'NAME', group: 'What the files hold', help: "the labels' column (in PRED when it holds them, else in TARGET)" },
  'label-key': { type: 'string', value: 'KEY', group: 'What the files hold', help: 'the same, for JSON Lines objects' },
  'id-column': { type: 'string', value: 'NAME', multiple: true, group: 'What the files hold', help: 'a column to skip (repeat, or separate with commas)' },
  'class-names': { type: 'string', value: 'A,B,…', multiple: true, group: 'What the files hold', help: "the classes' names in PRED's column order (for labels that are names)" },
  header: { type: 'boolean', group: 'What the files hold', help: 'a first line that may name columns does (default: decided from the files)' },
  'no-header': { type: 'boolean', group: 'What the files hold', help: "text files' first lines are rows" },
  delimiter: { type: 'string', value: 'C', group: 'What the files hold', help: 'the CSV delimiter (default: sniffed among , ; tab |)' },
  dtype: { type: 'string', value: 'bfloat16|float16', group: 'What the files hold', help: 'the type of 2-byte .npy values saved as bits (<u2, |V2; <f2 is float16)' },
  'pred-format': { type: 'string', value: 'F', group: 'What the files hold', help: 'force csv|tsv|jsonl|npy|arrow|parquet' },
  'target-format': { type: 'string', value: 'F', group: 'What the files hold', help: 'the same for TARGET' },
  base: { type: 'string', value: '2|e|10', group: 'The figures', help: 'unit of the losses (default e: nats)' },
  'ignore-index': { type: 'string', value: 'N', group: 'The figures', help: 'skip rows whose label is N' },
  'top-k': { type: 'string', value: 'K', group: 'The figures', help: 'k of the top-k accuracy (default 5)' },
  bootstrap: { type: 'string', value: 'B', group: 'The figures', help: 'a Poisson bootstrap with B resamples: 95% intervals (e.g. 1000)' },
  seed: { type: 'string', value: 'S', group: 'The figures', help: "the bootstrap's seed, an integer in [0, 2^32) (default 0)" },
  compat: { type: 'string', value: 'NAME', group: 'The figures', help: `per-row loss rules of ${COMPATS.join(', ')} (default exact)` },
  normalize: { type: 'boolean', group: 'The figures', help: 'rescale each probability row by its sum' },
  tolerance: { type: 'string', value: 'T', group: 'The figures', help: 'accept probability rows summing to within T of 1 (default 1e-6; float32 1e-4)' },
  format: { type: 'string', value: 'table|json|csv', group: 'Output', help: 'the report on stdout (default table)' },
  report: { type: 'string', value: 'FILE.html', group: 'Output', help: 'also write a self-contained HTML report' },
  'state-out': { type: 'string', value: 'FILE.json', group: 'Output', help: 'also write the state, for xent merge' },
  shard: { type: 'string', value: 'K/N', group: 'Output', help: 'evaluate the K-th of N parts of the input (cut on the grid: merges bit-identically)' },
  threads: { type: 'string', value: 'N', group: 'Output', help: 'worker threads (default: cores; inputs under 16 MB use one)' },
  quiet: { type: 'boolean', short: 'q', group: 'Output', help: 'no progress bar and no notes' },
  shift: { type: 'boolean', group: 'Language models (--task lm)', help: 'causal shift: position t is scored by the logits at t − 1 (Hugging Face labels)' },
  'sequence-length': { type: 'string', value: 'T', group: 'Language models (--task lm)', help: 'positions per sequence, for flat [N·T] files (default: their shapes, else one sequence)' },
  bytes: { type: 'string', value: 'N|FILE', group: 'Language models (--task lm)', help: 'UTF-8 bytes of the scored text, or the text file: bits per byte' },
};

/** Options that mean nothing to a language model's evaluation or to API logprobs. */
const CLASSIFIER_ONLY = [
  'classes', 'multi-label', 'columns', 'pred-key', 'label-column', 'label-key', 'id-column', 'class-names', 'header',
  'no-header', 'delimiter', 'pred-format', 'target-format', 'compat', 'normalize', 'tolerance',
];
const LM_ONLY = ['shift', 'sequence-length', 'bytes'];

export const EVAL_HELP = helpText(USAGE, EVAL_OPTIONS);

/** --bootstrap B and --seed S as the library's option (undefined without --bootstrap). */
export function bootstrapArgs(v: Values, usage: string): { resamples: number; seed: number } | undefined {
  const resamples = read.integer(v.bootstrap, 'bootstrap', 1, 100_000);
  const seed = read.integer(v.seed, 'seed', 0, 2 ** 32 - 1);
  if (seed !== undefined && resamples === undefined) throw new UsageError("--seed is the bootstrap's: give --bootstrap B too", usage);
  return resamples === undefined ? undefined : { resamples, seed: seed ?? 0 };
}

const str = (v: Values[string]) => (v === undefined ? undefined : String(v));

export interface EvalArgs {
  kind: 'classify' | 'lm' | 'logprobs';
  pred: string;
  target: string | null;
  predFormat: Format;
  targetFormat: Format | null;
  values: Values;
  options: Omit<EvaluatorOptions, 'classes' | 'from' | 'multiLabel'> & { classes?: number };
  format: 'table' | 'json' | 'csv';
  report?: string;
  stateOut?: string;
  shard?: { index: number; count: number };
  threads?: number;
  quiet: boolean;
}

/** What kind of evaluation the command line asks for, its files counted and its options checked. */
function kindOf(v: Values, files: number): 'classify' | 'lm' | 'logprobs' {
  const task = read.choice(v.task, 'task', ['classify', 'lm'] as const) ?? 'classify';
  const kind = v.from === 'openai-logprobs' ? 'logprobs' : task;
  if (kind === 'logprobs' && task === 'lm') throw new UsageError('--from openai-logprobs reads API responses; --task lm reads logits: give one', EVAL_HELP);
  if (kind === 'lm' && v.from !== undefined && v.from !== 'logits') throw new UsageError(`--task lm reads logits, not --from ${String(v.from)}`, EVAL_HELP);
  const wrong = [...(kind === 'classify' ? [] : CLASSIFIER_ONLY), ...(kind === 'lm' ? [] : LM_ONLY)].find((k) => v[k] !== undefined);
  if (wrong !== undefined) {
    const what = kind === 'lm' ? '--task lm' : kind === 'logprobs' ? '--from openai-logprobs' : 'a classifier (it is for --task lm)';
    throw new UsageError(`--${wrong} does not apply to ${what}`, EVAL_HELP);
  }
  const want = kind === 'lm' ? 'LOGITS.npy and TOKENS.npy' : kind === 'logprobs' ? 'one file of responses' : null;
  if (want !== null && files !== (kind === 'lm' ? 2 : 1)) throw new UsageError(`expected ${want}, got ${files} files`, EVAL_HELP);
  if (files < 1 || files > 2) throw new UsageError(`expected PRED and TARGET (or PRED alone, holding the labels), got ${files} files`, EVAL_HELP);
  return kind;
}

function parseEvalArgs(argv: string[]): EvalArgs {
  const { values: v, positionals } = parse(argv, EVAL_OPTIONS, EVAL_HELP);
  const kind = kindOf(v, positionals.length);
  const baseText = str(v.base) ?? 'e';
  const base = baseText === 'e' ? Math.E : read.number(baseText, 'base', (n) => n > 1 && Number.isFinite(n), '2, e or 10 (or a number > 1)')!;
  const shardText = str(v.shard);
  let shard: EvalArgs['shard'];
  if (shardText !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(shardText);
    if (m === null || +m[1] < 1 || +m[1] > +m[2]) throw new UsageError(`--shard must be K/N with 1 <= K <= N, got ${JSON.stringify(shardText)}`, EVAL_HELP);
    shard = { index: +m[1], count: +m[2] };
  }
  if (v.header === true && v['no-header'] === true) throw new UsageError('--header and --no-header contradict each other', EVAL_HELP);
  const delimiter = str(v.delimiter);
  if (delimiter !== undefined && (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n')) {
    throw new UsageError(`--delimiter must be one character (not a quote or a newline), got ${JSON.stringify(delimiter)}`, EVAL_HELP);
  }
  const [pred, target = null] = positionals;
  const tolerance = read.number(v.tolerance, 'tolerance', (n) => n >= 0 && Number.isFinite(n), 'a number >= 0');
  const bootstrap = bootstrapArgs(v, EVAL_HELP);
  return {
    kind,
    pred,
    target,
    predFormat: formatOf(pred, str(v['pred-format'])),
    targetFormat: target === null ? null : formatOf(target, str(v['target-format'])),
    values: v,
    options: {
      classes: read.integer(v.classes, 'classes', 1, MAX_CLASSES),
      base,
      ignoreIndex: read.integer(v['ignore-index'], 'ignore-index', -Number.MAX_SAFE_INTEGER),
      topK: read.integer(v['top-k'], 'top-k', 1),
      compat: read.choice(v.compat, 'compat', COMPATS) as Compat | undefined,
      normalize: v.normalize === true ? true : undefined,
      tolerance,
      ...(bootstrap === undefined ? {} : { bootstrap }),
    },
    format: read.choice(v.format, 'format', ['table', 'json', 'csv'] as const) ?? 'table',
    report: str(v.report),
    stateOut: str(v['state-out']),
    shard,
    threads: read.integer(v.threads, 'threads', 1),
    quiet: v.quiet === true,
  };
}

/** The layout options of the command line. */
function layoutOptions(a: EvalArgs) {
  const v = a.values;
  const columns = (v.columns as string[] | undefined) ?? (str(v['pred-key']) === undefined ? undefined : [str(v['pred-key'])!]);
  return {
    columns,
    labelColumn: str(v['label-column']) ?? str(v['label-key']),
    idColumns: (v['id-column'] as string[] | undefined) ?? [],
    classNames: v['class-names'] as string[] | undefined,
    from: read.choice(v.from, 'from', ['logits', 'probs'] as const),
    multiLabel: v['multi-label'] === true,
    ignoreIndex: a.options.ignoreIndex,
    normalize: a.options.normalize === true,
    header: v.header === true ? true : v['no-header'] === true ? false : undefined,
    delimiter: str(v.delimiter),
    half: read.choice(v.dtype, 'dtype', ['float16', 'bfloat16'] as const),
  };
}

/**
 * A run's threads: as asked (capped at the cores), else the cores for a first input of 16 MB or more; one for gzip
 * or a shard.
 */
export function threadCount(asked: number | undefined, files: string[], notes: string[], shard = false): number {
  const cores = availableParallelism();
  if (files.some(isGzip)) {
    if ((asked ?? 1) > 1) notes.push('gzip input is read by one thread (--threads ignored)');
    return 1;
  }
  if (shard) return 1;
  if (asked === undefined) return statSync(files[0]).size < 16 << 20 ? 1 : cores;
  if (asked > cores) notes.push(`--threads ${asked} capped at ${cores}, the cores available`);
  return Math.min(asked, cores);
}

const threadsOf = (a: EvalArgs, notes: string[]) =>
  threadCount(a.threads, [a.pred, ...(a.target === null ? [] : [a.target])], notes, a.shard !== undefined);

export interface EvalRun {
  ev: Evaluator;
  blocks: Float64Array[];
  layout: Layout;
  first: number;
}

/** Runs an evaluation: the evaluator, its grid blocks, and the layout (errors: InputError, UsageError, XentError). */
export async function evaluateFiles(a: EvalArgs, note: (s: string) => void): Promise<EvalRun> {
  checkFile(a.pred);
  if (a.target !== null) checkFile(a.target);
  for (const [path, flag] of [[a.report, '--report'], [a.stateOut, '--state-out']] as const) {
    if (path !== undefined) checkOutput(path, flag, [a.pred, ...(a.target === null ? [] : [a.target])]);
  }
  const lay = await layout(a.pred, a.predFormat, a.target, a.targetFormat, layoutOptions(a));
  const notes = [...lay.notes];
  if (lay.classes > MAX_CLASSES) await probeClasses(lay.pred);
  const options: EvaluatorOptions = {
    ...a.options, classes: a.options.classes ?? lay.classes, from: lay.from, multiLabel: lay.multiLabel,
  };
  const threads = threadsOf(a, notes);
  let job: Job = { pred: lay.pred, target: lay.target, options };
  // Checked before any part is cut or any block allocated.
  new Evaluator(options);
  if (a.shard !== undefined) {
    const gz = [a.pred, a.target].find((p): p is string => p !== null && isGzip(p));
    if (gz !== undefined) throw new InputError(gz, '--shard cuts the input at byte offsets, which gzip does not have: decompress it first');
    job = (await partsOf(job, a.shard.count))[a.shard.index - 1];
  }
  const bar = progressBar(!a.quiet);
  try {
    let run: EvalRun;
    if (threads > 1) {
      const ev = new Evaluator(options);
      const empty = () => {
        const r = ev.result();
        return r.count + r.ignored === 0;
      };
      const total = { add: (b: Float64Array) => mergePacked(ev, b), empty };
      run = { ev, blocks: await runThreaded(job, threads, total, bar.update, a.stateOut !== undefined), layout: lay, first: 0 };
    } else {
      const blocks = await runBlocks(job, bar.update, a.shard !== undefined);
      const ev = new Evaluator(options);
      for (const b of blocks) mergePacked(ev, b);
      run = { ev, blocks, layout: lay, first: job.firstRow ?? 0 };
    }
    bar.end();
    // Said once the run has succeeded (an error is one line, and says what it needs to).
    for (const n of notes) note(n);
    return run;
  } finally {
    bar.end();
  }
}

/** The report's description of the run. */
export function infoOf(ev: Evaluator, info: Pick<ReportInfo, 'pred' | 'target' | 'classNames' | 'binary' | 'inputs' | 'run'>): ReportInfo {
  return { ...info, classes: ev.options.classes, from: ev.options.from, multiLabel: ev.options.multiLabel };
}

/** Writes the outputs of an evaluation or a merge: the HTML report and the state file, then stdout. */
export function writeOutputs(
  ev: Evaluator, info: ReportInfo, o: { format: EvalArgs['format']; report?: string; stateOut?: string; state?: () => string; firstRow?: number },
  out: (s: string) => void,
): void {
  const r = ev.result();
  // Row numbers in the input: a --shard K/N run's state counts from its first row.
  if (o.firstRow) r.worst = r.worst?.map((w) => ({ ...w, row: w.row + o.firstRow! })) ?? null;
  if (o.report !== undefined) writeAtomic(o.report, htmlReport(r, info, { classNames: info.classNames ?? undefined }));
  if (o.stateOut !== undefined) writeAtomic(o.stateOut, o.state!());
  if (o.format === 'json') out(JSON.stringify({ pred: info.pred, target: info.target, ...r, run: info.run, state: ev.toJSON() }, null, 2) + '\n');
  else if (o.format === 'csv') out(csvReport(r));
  else out(tableReport(r, { ...info, pred: terminal(info.pred), target: terminal(info.target) }));
}

/** `--task lm`: a language model's logits against its token ids. */
async function lmCommand(a: EvalArgs, note: (s: string) => void, out: (s: string) => void): Promise<void> {
  const v = a.values;
  if (a.format === 'csv') throw new UsageError('--format csv is for classifier reports: use table or json with --task lm', EVAL_HELP);
  for (const [path, flag] of [[a.report, '--report'], [a.stateOut, '--state-out']] as const) {
    if (path !== undefined) checkOutput(path, flag, [a.pred, a.target!]);
  }
  const notes: string[] = [];
  const { job, info } = lmJob({
    pred: a.pred, target: a.target!, half: read.choice(v.dtype, 'dtype', ['float16', 'bfloat16'] as const), shift: v.shift === true,
    length: read.integer(v['sequence-length'], 'sequence-length', 1), bytes: str(v.bytes),
    ignoreIndex: a.options.ignoreIndex, topK: a.options.topK, base: a.options.base!, bootstrap: a.options.bootstrap,
  }, notes);
  // --shard K/N: the K-th part of the input, cut on the grid of whole sequences, as the threads' parts are.
  const part = a.shard === undefined ? job : (await partsOf(job, a.shard.count))[a.shard.index - 1];
  const { ev, blocks } = await runLm(part, threadsOf(a, notes), a.quiet, a.stateOut !== undefined, a.shard !== undefined);
  const first = part.firstRow ?? 0;
  const end = first + ev.result().positions;
  // A shard's state counts its own sequences; bits per byte needs the whole text, so only the merge reports it.
  const own = { ...info, sequences: (end - first) / info.length };
  if (a.shard !== undefined && a.shard.count > 1 && info.bytes !== null) notes.push('--bytes: bits per byte is reported by xent merge of all the shards');
  for (const n of notes) note(n);
  const shown = a.shard !== undefined && a.shard.count > 1 ? { ...own, bytes: null } : own;
  const state = () => lmStateText(ev.options, blocks, gridOf(job), own, { first, end, shard: a.shard ?? null });
  writeLmOutputs(ev, shown, { format: a.format, report: a.report, stateOut: a.stateOut, state }, out);
}

/** Writes a language model's report (and state file): the HTML report and the state first, then stdout. */
export function writeLmOutputs(
  ev: LanguageModelEvaluator, info: LmInfo, o: { format: EvalArgs['format']; report?: string; stateOut?: string; state: () => string }, out: (s: string) => void,
): void {
  const r = lmReport(ev, info.bytes);
  const classes = ev.options.classes;
  if (o.report !== undefined) writeAtomic(o.report, lmHtmlReport(r, info, classes));
  if (o.stateOut !== undefined) writeAtomic(o.stateOut, o.state());
  if (o.format === 'json') out(JSON.stringify({ task: 'lm', ...info, classes, ...r, state: ev.toJSON() }, null, 2) + '\n');
  else out(lmTableReport(r, { ...info, pred: terminal(info.pred), target: terminal(info.target) }, classes));
}

/** `--from openai-logprobs`: API responses' token log-probabilities. */
function logprobsCommand(a: EvalArgs, out: (s: string) => void): void {
  if (a.format === 'csv' || a.report !== undefined || a.stateOut !== undefined || a.threads !== undefined) {
    throw new UsageError('--from openai-logprobs writes a table or JSON (--format table|json) only', EVAL_HELP);
  }
  const r = evaluateLogprobs(a.pred, a.options.base!);
  out(a.format === 'json' ? logprobsJson(r, a.pred) : logprobsTable(r, terminal(a.pred)));
}

export async function evalCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const a = parseEvalArgs(argv);
  const note = (s: string) => {
    if (!a.quiet) err(`xent: note: ${terminal(s)}\n`);
  };
  if (a.kind === 'logprobs') return logprobsCommand(a, out);
  if (a.kind === 'lm') return lmCommand(a, note, out);
  const { ev, blocks, layout: lay, first } = await evaluateFiles(a, note);
  const r = ev.result();
  const inputs = await inputSums([a.pred, ...(a.target === null ? [] : [a.target])]);
  const info = infoOf(ev, {
    pred: a.pred, target: a.target ?? a.pred, classNames: lay.classNames, binary: lay.binary, inputs, run: runMeta(['eval', ...argv], inputs),
  });
  writeOutputs(ev, info, {
    firstRow: first,
    format: a.format,
    report: a.report,
    stateOut: a.stateOut,
    state: () => shardText(ev.options, blocks, {
      grid: gridRows(ev.options.classes), first, end: first + r.count + r.ignored, shard: a.shard ?? null,
      info: { pred: info.pred, target: info.target, classNames: info.classNames, binary: info.binary, inputs },
    }),
  }, out);
}
