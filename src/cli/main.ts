import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XentError } from '../core/errors.js';
import { UsageError } from './args.js';
import { demo } from './demo.js';
import { COMPARE_HELP, compareCommand } from './compare.js';
import { EVAL_HELP, evalCommand } from './eval.js';
import { fsReason } from './files.js';
import { MERGE_HELP, mergeCommand } from './merge.js';
import { clearProgress } from './progress.js';
import { InputError } from './readers/index.js';
import { speed } from './speed.js';
import { terminal } from './terminal.js';

const HELP = `xent — the cross-entropy family, on WebAssembly SIMD

Usage:
  xent eval PRED [TARGET] [options] evaluate a classifier's predictions, a language model's logits (--task lm)
                                    or API logprobs (--from openai-logprobs) (xent eval --help)
  xent compare BASE CANDIDATE TARGET two models' logits on the same rows (xent compare --help)
  xent merge STATE... [options]     one report from states evaluated apart (xent merge --help)
  xent demo                         worked examples, then an evaluation of the sample data shipped with xent
  xent bench                        the quick benchmark (npm run bench -- --quick in a source checkout)
  xent --help | --version
`;

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

// A reader that stops early (`xent eval … | head`) closes the pipe: end quietly, as a SIGPIPE would, not with a trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});

async function bench(): Promise<number> {
  const script = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));
  if (existsSync(script)) {
    const r = spawnSync(process.execPath, [script, '--quick'], { stdio: 'inherit' });
    return r.status ?? 1;
  }
  out('The full benchmark needs a source checkout: run `npm run bench -- --quick` there. The quick comparison:\n');
  await speed((line) => out(line + '\n'));
  return 0;
}

/** Set once the result is written: a SIGINT after that (handled after the synchronous writes) leaves it be. */
let finished = false;

/**
 * Ctrl-C during an evaluation: the progress bar is erased, stderr says so, and the process ends by SIGINT (exit
 * status 130 in a shell), as an uncaught SIGINT would, with nothing on stdout and no report file (results are
 * written only once the evaluation is complete). Worker threads end with the process.
 */
function onInterrupt(): void {
  if (finished) return;
  clearProgress();
  process.stderr.write('xent: interrupted\n');
  process.removeListener('SIGINT', onInterrupt);
  process.kill(process.pid, 'SIGINT');
  process.exit(130);
}

const isErrno = (e: unknown): e is NodeJS.ErrnoException & { path: string } =>
  e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).path === 'string';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(HELP);
    return 0;
  }
  if (command === '--version') {
    out(`${__XENT_VERSION__}\n`);
    return 0;
  }
  try {
    if (command === 'demo') {
      process.on('SIGINT', onInterrupt);
      await demo((line) => out(line + '\n'), (args) => evalCommand([...args, '--quiet'], out, err));
      return 0;
    }
    if (command === 'eval' || command === 'merge') {
      if (rest.includes('--help') || rest.includes('-h')) {
        out(command === 'eval' ? EVAL_HELP : MERGE_HELP);
        return 0;
      }
      process.on('SIGINT', onInterrupt);
      await (command === 'eval' ? evalCommand : mergeCommand)(rest, out, err);
      return 0;
    }
    if (command === 'compare') {
      if (rest.includes('--help') || rest.includes('-h')) {
        out(COMPARE_HELP);
        return 0;
      }
      process.on('SIGINT', onInterrupt);
      await compareCommand(rest, out, err);
      return 0;
    }
    if (command === 'bench') return await bench();
  } catch (e) {
    // One line on stderr, escaped: a file name or a cell must not drive the terminal.
    if (e instanceof UsageError) err(`xent: ${terminal(e.message)}\n\n${e.usage}`);
    else if (e instanceof InputError) err(`xent: error: ${terminal(e.message)}\n`);
    else if (e instanceof XentError) err(`xent: error: ${e.code}: ${terminal(e.message)}\n`);
    else if (isErrno(e)) err(`xent: error: ${terminal(e.path)}: ${fsReason(e)}\n`);
    else throw e;
    return 2;
  } finally {
    finished = true;
    process.removeListener('SIGINT', onInterrupt);
  }
  err(`xent: unknown command ${terminal(JSON.stringify(command))}\n\n${HELP}`);
  return 2;
}

declare const __XENT_VERSION__: string;
process.exitCode = await main(process.argv.slice(2));
