// Builds the WebAssembly kernels (asconfig.json's targets: the SIMD, relaxed-SIMD and scalar builds of
// assembly/index.ts, the core builds of assembly/core.ts, the shared-memory builds of assembly/shared.ts), then
// embeds them (scripts/embed-wasm.mjs). The compiler is single-threaded and the builds are independent, so they run
// as parallel processes, one per core; each build's output is printed, in the order below, once all have ended.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const asc = fileURLToPath(new URL('../node_modules/assemblyscript/bin/asc.js', import.meta.url));
// The longest first, so that the last to start is a short one.
const builds = [
  ['assembly/index.ts', 'release'], ['assembly/index.ts', 'relaxed'], ['assembly/index.ts', 'scalar'],
  ['assembly/core.ts', 'core'], ['assembly/core.ts', 'core-relaxed'],
  ['assembly/shared.ts', 'shared'], ['assembly/shared.ts', 'shared-relaxed'],
];

/** Runs a node script to its end: its exit code, stdout and stderr. */
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => err.push(Buffer.from(`${e.message}\n`)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
  });
}

const print = ({ stdout, stderr }) => {
  process.stdout.write(stdout);
  process.stderr.write(stderr);
};

const results = new Array(builds.length);
let next = 0;
const worker = async () => {
  while (next < builds.length) {
    const i = next++;
    const [entry, target] = builds[i];
    results[i] = run([asc, entry, '--target', target]);
    await results[i];
  }
};
await Promise.all(Array.from({ length: Math.min(builds.length, Math.max(1, availableParallelism())) }, worker));

let failed = false;
for (const [i, [entry, target]] of builds.entries()) {
  const result = await results[i];
  print(result);
  if (result.code !== 0) {
    process.stderr.write(`asc ${entry} --target ${target} failed (exit code ${result.code})\n`);
    failed = true;
  }
}
if (failed) process.exit(1);
const embed = await run([fileURLToPath(new URL('./embed-wasm.mjs', import.meta.url))]);
print(embed);
process.exit(embed.code);
