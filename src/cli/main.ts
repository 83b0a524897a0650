import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XentError } from '../core/errors.js';
import { demo } from './demo.js';
import { EVAL_HELP, UsageError, evalCommand } from './eval.js';
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
      await demo((line) => out(line + '\n'), (pred, target) => evalCommand([pred, target, '--quiet'], out));
      return 0;
    }
    if (command === 'eval') {
      if (rest.includes('--help') || rest.includes('-h')) {
        out(EVAL_HELP);
        return 0;
      }
      await evalCommand(rest, out);
      return 0;
    }
    if (command === 'bench') return await bench();
  } catch (e) {
    if (e instanceof UsageError) process.stderr.write(`xent: ${e.message}\n\n${EVAL_HELP}`);
    else if (e instanceof InputError) process.stderr.write(`xent: error: ${e.message}\n`);
    else if (e instanceof XentError) process.stderr.write(`xent: error: ${e.code}: ${e.message}\n`);
    else throw e;
    return 2;
  }
  process.stderr.write(`xent: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  return 2;
}

declare const __XENT_VERSION__: string;
process.exitCode = await main(process.argv.slice(2));
