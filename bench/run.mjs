// Entry of `npm run bench`: builds xent's wasm (npm run build:wasm) and the floor module (bench/floor.ts), bundles
// bench/run.ts with the current src/ into bench/build/, then runs it. Arguments pass through (--quick, --only=W1,
// --impl=tuned, --rebuild).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { newest } from './newest.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const out = join(here, 'build');
mkdirSync(out, { recursive: true });

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

// xent's kernels: `npm run build:wasm` unless src/backend/wasm-bytes.ts is newer than everything it is built from
// (it takes ~15 s; --rebuild forces it). If they do not build, the bench still runs the other implementations;
// xent's wasm backend is then given an empty module, so it reports an error instead of measuring stale bytes.
const bytesFile = join(root, 'src', 'backend', 'wasm-bytes.ts');
const sources = ['assembly', 'asconfig.json', 'scripts/embed-wasm.mjs', 'node_modules/assemblyscript/package.json'];
const fresh = !process.argv.includes('--rebuild') && newest(bytesFile) > Math.max(...sources.map((s) => newest(join(root, s))));
const wasm = fresh ? { ok: true } : run('npm', ['run', 'build:wasm', '--silent'], root);
if (fresh) console.log('xent wasm is up to date with assembly/ (--rebuild forces npm run build:wasm)');
if (!wasm.ok) {
  console.error(`npm run build:wasm failed; xent wasm will be reported as unavailable.\n${wasm.output.trim().split('\n').slice(-15).join('\n')}\n`);
}

// The floor: run from bench/ so that asc does not pick up the project's asconfig.json (it would add xent's entry).
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const floor = run(process.execPath, [asc, 'floor.ts', '--enable', 'simd', '--runtime', 'stub', '-O3', '-o', 'build/floor.wasm'], here);
if (!floor.ok) {
  console.error(`bench/floor.ts did not compile:\n${floor.output}`);
  process.exit(1);
}

const stubWasmBytes = {
  name: 'stub-wasm-bytes',
  setup(b) {
    b.onResolve({ filter: /\/wasm-bytes(\.js)?$/ }, () => ({ path: 'wasm-bytes', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: "export const WASM_BASE64 = '';", loader: 'js' }));
  },
};

const bundle = join(out, 'run.bundle.mjs');
await build({
  entryPoints: [join(here, 'run.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
  plugins: wasm.ok ? [] : [stubWasmBytes],
});

const { main } = await import(pathToFileURL(bundle).href);
await main(process.argv.slice(2), { floorWasm: join(out, 'floor.wasm'), results: join(here, 'RESULTS.md') });
