/** `xent merge STATE... [options]`: the report of shards evaluated apart (`xent eval --state-out`), as one run's. */
import { readFileSync } from 'node:fs';
import { packState } from '../eval/evaluator.js';
import { type OptionTable, UsageError, helpText, parse, read } from './args.js';
import { isComparisonState, mergeComparisons, writeCompare } from './compare.js';
import { EVAL_OPTIONS, infoOf, writeLmOutputs, writeOutputs } from './eval.js';
import { packLmState } from '../eval/lm.js';
import { lmStateObject, lmStateText, mergeLm, readLmShard } from './lm.js';
import { InputError } from './readers/index.js';
import { checkFile, checkOutput } from './files.js';
import { type Shard, mergeOrder, mergeShards, readShard, shardText } from './shard.js';
import { terminal } from './terminal.js';
import { type InputSum, runMeta } from './report/meta.js';

const USAGE = `Usage: xent merge STATE... [options]

STATE: state files written by xent eval --state-out (or an Evaluator's or a LanguageModelEvaluator's toJSON), or all by
xent compare --state-out (or a Comparison's toJSON: merged in the order given, each part compared with its own
--offset). Shards of one input (--shard K/N) are merged in their order, whatever the order given, and must all be there; other files are merged in the order
given. The report is bit-identical to one run over the whole input when the shards are cut on the evaluation's grid
(--shard always is).`;

export const MERGE_OPTIONS: OptionTable = {
  format: EVAL_OPTIONS.format,
  report: EVAL_OPTIONS.report,
  'state-out': { ...EVAL_OPTIONS['state-out'], help: 'also write the merged state' },
  quiet: { ...EVAL_OPTIONS.quiet, help: 'no notes' },
};

export const MERGE_HELP = helpText(USAGE, MERGE_OPTIONS);

/** The one name of the shards' inputs, or how many there are. */
function nameOf(shards: Shard[], key: 'pred' | 'target'): string {
  const names = [...new Set(shards.map((s) => s.info[key]))];
  return names.length === 1 ? names[0] : `${names.length} files`;
}

/** The evaluated files the shards name with their checksums, each once, in order. */
function inputsOf(shards: Shard[]): InputSum[] {
  const seen = new Map<string, InputSum>();
  for (const s of shards) for (const i of s.info.inputs ?? []) seen.set(`${i.file}\0${i.sha256}`, i);
  return [...seen.values()];
}

export async function mergeCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const { values, positionals } = parse(argv, MERGE_OPTIONS, MERGE_HELP);
  if (positionals.length === 0) throw new UsageError('expected state files to merge', MERGE_HELP);
  const quiet = values.quiet === true;
  const format = read.choice(values.format, 'format', ['table', 'json', 'csv'] as const) ?? 'table';
  const report = values.report === undefined ? undefined : String(values.report);
  const stateOut = values['state-out'] === undefined ? undefined : String(values['state-out']);
  for (const p of positionals) checkFile(p);
  for (const [path, flag] of [[report, '--report'], [stateOut, '--state-out']] as const) {
    if (path !== undefined) checkOutput(path, flag, positionals);
  }
  const texts = positionals.map((p) => readFileSync(p, 'utf8'));
  if (texts.every(isComparisonState)) {
    if (format === 'csv') throw new UsageError('--format csv: comparisons are reported as table or json', MERGE_HELP);
    const { cmp, info } = mergeComparisons(texts, positionals);
    writeCompare(cmp, info, { format, report, stateOut }, out);
    return;
  }
  const lm = positionals.map((p) => [p, lmStateObject(p)] as const);
  if (lm.some(([, j]) => j !== null)) {
    const other = lm.find(([, j]) => j === null);
    if (other !== undefined) throw new InputError(other[0], "not a language model's state file: a merge takes the states of one kind of evaluation");
    if (format === 'csv') throw new UsageError("--format csv is for classifier reports: use table or json for a language model's states", MERGE_HELP);
    const notes: string[] = [];
    const read = lm.map(([p, j]) => readLmShard(p, j!));
    const { ev, info, blocks, first } = mergeLm(read, notes);
    if (!quiet) for (const n of notes) err(`xent: note: ${terminal(n)}\n`);
    const part = { first, end: first + ev.result().positions, shard: null };
    writeLmOutputs(ev, info, { format, report, stateOut, state: () => lmStateText(ev.options, blocks.map(packLmState), read[0].grid, info, part) }, out);
    return;
  }
  const shards = positionals.map(readShard);
  const { order, notes } = mergeOrder(shards);
  if (!quiet) for (const n of notes) err(`xent: note: ${terminal(n)}\n`);
  const ev = mergeShards(order);
  const first = order[0].info;
  const inputs = inputsOf(order);
  const info = infoOf(ev, {
    pred: nameOf(order, 'pred'), target: nameOf(order, 'target'), classNames: first.classNames, binary: first.binary, inputs,
    run: runMeta(['merge', ...argv], inputs),
  });
  writeOutputs(ev, info, {
    firstRow: order[0].first,
    format,
    report,
    stateOut,
    state: () => shardText(ev.options, order.flatMap((s) => s.blocks.map(packState)), {
      grid: order[0].grid, first: order[0].first, end: order[0].first + order.reduce((a, s) => a + s.end - s.first, 0), shard: null,
      info: { pred: info.pred, target: info.target, classNames: info.classNames ?? null, binary: info.binary === true, inputs },
    }),
  }, out);
}
