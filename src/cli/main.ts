import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XentError } from '../core/errors.js';
import { demo } from './demo.js';
import { EVAL_HELP, UsageError, evalCommand } from './eval.js';
import { fsReason } from './pipeline.js';
import { clearProgress } from './progress.js';
import { InputError } from './readers/index.js';
import { speed } from './speed.js';

const HELP = `xent — the cross-entropy family, on WebAssembly SIMD

Usage:
  xent eval PRED TARGET [options]   evaluate a classifier's predictions (xent eval --help)
  xent demo                         worked examples, then an evaluation of the sample data shipped with xent
  xent bench                        the quick benchmark (npm run bench -- --quick in a source checkout)
  xent --help | --version
`;

const out = (s: string) => process.stdout.write(s);

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
      await demo((line) => out(line + '\n'), (pred, target) => evalCommand([pred, target, '--quiet'], out));
      return 0;
    }
    if (command === 'eval') {
      if (rest.includes('--help') || rest.includes('-h')) {
        out(EVAL_HELP);
        return 0;
      }
      process.on('SIGINT', onInterrupt);
      await evalCommand(rest, out);
      return 0;
    }
    if (command === 'bench') return await bench();
  } catch (e) {
    if (e instanceof UsageError) process.stderr.write(`xent: ${e.message}\n\n${EVAL_HELP}`);
    else if (e instanceof InputError) process.stderr.write(`xent: error: ${e.message}\n`);
    else if (e instanceof XentError) process.stderr.write(`xent: error: ${e.code}: ${e.message}\n`);
    else if (isErrno(e)) process.stderr.write(`xent: error: ${e.path}: ${fsReason(e)}\n`);
    else throw e;
    return 2;
  } finally {
    finished = true;
    process.removeListener('SIGINT', onInterrupt);
  }
  process.stderr.write(`xent: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  return 2;
}

declare const __XENT_VERSION__: string;
process.exitCode = await main(process.argv.slice(2));
