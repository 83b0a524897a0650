/** `xent eval PRED TARGET [options]`. */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { COMPATS, type Compat } from '../core/compat.js';
import type { Evaluator, EvaluatorOptions } from '../eval/evaluator.js';
import { type Job, checkFile, probeClasses, runJobAsync } from './pipeline.js';
import { progressBar } from './progress.js';
import { formatOf } from './readers/index.js';
import { htmlReport } from './report/html.js';
import { type ReportInfo, csvReport, tableReport } from './report/text.js';
import { runThreaded } from './threads.js';

export const EVAL_HELP = `Usage: xent eval PRED TARGET [options]

PRED: one row of logits (or probabilities) per example; TARGET: one integer label per row (or, with
--multi-label, one row of 0/1 targets). CSV / TSV (header optional), JSON Lines, NumPy .npy (float32, float64,
int; C order) or Apache Arrow IPC / Feather v2 (.arrow, .feather, .ipc: one list column, or one number column
per value), by extension.

Options:
  --from logits|probs       what PRED holds (default logits)
  --classes N               classes per row (default: PRED's column count)
  --multi-label             independent binary labels per column (sigmoid / binary cross-entropy)
  --base 2|e|10             unit of the losses (default e: nats)
  --ignore-index N          skip rows whose label is N
  --top-k K                 k of the top-k accuracy (default 5)
  --compat NAME             per-row loss rules of exact (default), torch, keras, tfjs, sklearn or scipy
  --format table|json|csv   the report on stdout (default table)
  --report FILE.html        also write a self-contained HTML report
  --threads N               worker threads (default: cores; inputs under 16 MB use one)
  --pred-format F, --target-format F   force csv|tsv|jsonl|npy|arrow
  --quiet                   no progress bar
`;

/** A bad command line: exit code 2 with a message and the usage. */
export class UsageError extends Error {}

interface Args {
  pred: string;
  target: string;
  options: EvaluatorOptions;
  format: 'table' | 'json' | 'csv';
  report?: string;
  threads?: number;
  predFormat?: string;
  targetFormat?: string;
  quiet: boolean;
}

const VALUED = ['--from', '--classes', '--base', '--ignore-index', '--top-k', '--compat', '--format', '--report', '--threads', '--pred-format', '--target-format'];

function intArg(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export function parseArgs(argv: string[]): Args {
  const pos: string[] = [];
  const flags: Record<string, string> = {};
  let multi = false;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '--multi-label') multi = true;
    else if (a === '--quiet' || a === '-q') quiet = true;
    else if (a.startsWith('--')) {
      let v: string | undefined;
      const eq = a.indexOf('=');
      if (eq > 0) [a, v] = [a.slice(0, eq), a.slice(eq + 1)];
      if (!VALUED.includes(a)) throw new UsageError(`unknown option ${a}`);
      v ??= argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      flags[a] = v;
    } else pos.push(a);
  }
  if (pos.length !== 2) throw new UsageError(`expected PRED and TARGET, got ${pos.length} file${pos.length === 1 ? '' : 's'}`);
  const from = flags['--from'] ?? 'logits';
  if (from !== 'logits' && from !== 'probs') throw new UsageError(`--from must be logits or probs, got ${JSON.stringify(from)}`);
  const baseText = flags['--base'] ?? 'e';
  const base = baseText === 'e' ? Math.E : Number(baseText);
  if (!(base > 1) || !Number.isFinite(base)) throw new UsageError(`--base must be 2, e or 10 (or a number > 1), got ${JSON.stringify(baseText)}`);
  const format = flags['--format'] ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv') throw new UsageError(`--format must be table, json or csv, got ${JSON.stringify(format)}`);
  const options: EvaluatorOptions = { classes: 0, from, multiLabel: multi, base };
  if (flags['--classes'] !== undefined) options.classes = intArg('--classes', flags['--classes'], 1);
  if (flags['--ignore-index'] !== undefined) {
    const n = Number(flags['--ignore-index']);
    if (!Number.isInteger(n)) throw new UsageError(`--ignore-index must be an integer, got ${JSON.stringify(flags['--ignore-index'])}`);
    options.ignoreIndex = n;
  }
  if (flags['--top-k'] !== undefined) options.topK = intArg('--top-k', flags['--top-k'], 1);
  if (flags['--compat'] !== undefined) {
    const c = flags['--compat'];
    if (!(COMPATS as readonly string[]).includes(c)) {
      throw new UsageError(`--compat must be one of ${COMPATS.join(', ')}, got ${JSON.stringify(c)}`);
    }
    options.compat = c as Compat;
  }
  return {
    pred: pos[0],
    target: pos[1],
    options,
    format,
    report: flags['--report'],
    threads: flags['--threads'] === undefined ? undefined : intArg('--threads', flags['--threads'], 1),
    predFormat: flags['--pred-format'],
    targetFormat: flags['--target-format'],
    quiet,
  };
}

/** Runs an evaluation and returns the evaluator (errors: InputError, UsageError, XentError). */
export async function evaluateFiles(a: Args): Promise<Evaluator> {
  checkFile(a.pred);
  checkFile(a.target);
  const pred = { path: a.pred, format: formatOf(a.pred, a.predFormat) };
  const target = { path: a.target, format: formatOf(a.target, a.targetFormat) };
  const options = { ...a.options };
  if (!options.classes) options.classes = probeClasses(pred);
  const job: Job = { pred, target, options };
  const size = statSync(a.pred).size;
  const threads = a.threads ?? (size < 16 << 20 ? 1 : availableParallelism());
  const bar = progressBar(!a.quiet);
  try {
    return threads > 1 ? await runThreaded(job, threads, bar.update) : await runJobAsync(job, bar.update);
  } finally {
    bar.end();
  }
}

export async function evalCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const a = parseArgs(argv);
  const ev = await evaluateFiles(a);
  const r = ev.result();
  const info: ReportInfo = { pred: a.pred, target: a.target, classes: ev.options.classes, from: ev.options.from, multiLabel: ev.options.multiLabel };
  if (a.report !== undefined) writeFileSync(a.report, htmlReport(r, info));
  if (a.format === 'json') out(JSON.stringify({ pred: a.pred, target: a.target, ...r, state: ev.toJSON() }, null, 2) + '\n');
  else if (a.format === 'csv') out(csvReport(r));
  else out(tableReport(r, info));
}
