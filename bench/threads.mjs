// Entry of `npm run bench:threads`: how much `xent eval --threads 2` gains over one thread, on a 1 GB float32 .npy
// (262,144 × 1,000 logits, int32 labels) and a CSV of the same shape (--csv-rows, 40,000 rows by default: ~300 MB),
// both written to a temporary folder. Each round runs the built CLI (dist/cli.js; `npm run build` first when src/ is
// newer) with --threads 1 and 2, alternately, and checks that their reports are identical. Then a probe of the
// machine: the bare float32 softmax CE kernel on data that fits in L2, run by one process and by two at once, next
// to the TypeScript backend on the same data. Writes bench/THREADS.md. Options: --rounds=N (default 5), --keep.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newest } from './newest.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const arg = (name, dflt) => {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.slice(name.length + 3));
};
const rounds = arg('rounds', 5);
const csvRows = arg('csv-rows', 40000);
const keep = process.argv.includes('--keep');
const ROWS = 262144;
const COLS = 1000;

const cli = join(root, 'dist', 'cli.js');
if (newest(cli) < Math.max(newest(join(root, 'src')), newest(join(root, 'assembly')))) {
  console.log('building (npm run build)…');
  const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

/** A .npy file: header padded to 64 bytes, then the data written by `fill(chunk, firstRow)` in chunks of rows. */
function writeNpy(path, descr, shape, Ctor, perRow, fill) {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
  const fd = openSync(path, 'w');
  const head = Buffer.alloc(10 + h.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  head.writeUInt16LE(h.length, 8);
  head.write(h, 10, 'latin1');
  writeSync(fd, head);
  const step = 4096;
  for (let r = 0; r < shape[0]; r += step) {
    const chunk = new Ctor(Math.min(step, shape[0] - r) * perRow);
    fill(chunk, r);
    writeSync(fd, new Uint8Array(chunk.buffer));
  }
  closeSync(fd);
}

/** Deterministic pseudo-random numbers (xorshift32) in [0, 1). */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Logits of a plausible classifier: noise, with the label's logit raised. */
function logitsRow(out, at, label, u) {
  for (let j = 0; j < COLS; j++) out[at + j] = 4 * u() - 2;
  out[at + label] += 6 * u();
}

const dir = mkdtempSync(join(tmpdir(), 'xent-threads-'));
const files = {
  npy: [join(dir, 'pred.npy'), join(dir, 'labels.npy')],
  csv: [join(dir, 'pred.csv'), join(dir, 'labels.csv')],
};
const started = Date.now();
{
  const u = rng(7);
  const labels = Int32Array.from({ length: ROWS }, () => Math.floor(u() * COLS));
  writeNpy(files.npy[1], '<i4', [ROWS], Int32Array, 1, (c, r) => c.set(labels.subarray(r, r + c.length)));
  writeNpy(files.npy[0], '<f4', [ROWS, COLS], Float32Array, COLS, (c, r) => {
    for (let i = 0; i < c.length / COLS; i++) logitsRow(c, i * COLS, labels[r + i], u);
  });
  const fd = openSync(files.csv[0], 'w');
  const row = new Float64Array(COLS);
  let text = '';
  for (let r = 0; r < csvRows; r++) {
    logitsRow(row, 0, labels[r], u);
    text += Array.from(row, (v) => v.toFixed(4)).join(',') + '\n';
    if (text.length > 1 << 22) {
      writeSync(fd, text);
      text = '';
    }
  }
  writeSync(fd, text);
  closeSync(fd);
  writeFileSync(files.csv[1], Array.from(labels.subarray(0, csvRows)).join('\n') + '\n');
}
// Written back to disk now, not during the runs.
spawnSync('sync');
console.log(`inputs written to a temporary folder in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** One CLI run: wall seconds, peak RSS in MB (when /usr/bin/time exists) and the JSON report. */
function evalRun(pred, target, threads) {
  const args = [cli, 'eval', pred, target, '--threads', String(threads), '--quiet', '--format', 'json'];
  const cmd = timeBin ?? process.execPath;
  const full = timeBin ? ['-f', '%M', process.execPath, ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(cmd, full, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`xent eval failed: ${r.stderr}`);
  const rss = timeBin ? Number(r.stderr.trim().split('\n').at(-1)) / 1024 : NaN;
  const report = JSON.parse(r.stdout);
  delete report.pred;
  delete report.target;
  // The run's metadata (its date, and the command with its --threads) differ by design; the figures must not.
  delete report.run;
  return { wall, rss, report: JSON.stringify(report) };
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The fixed cost of a run (Node's start, loading the CLI and the wasm): a 100-row slice of each input.
const tiny = [join(dir, 'tiny.npy'), join(dir, 'tiny-labels.npy')];
{
  const u = rng(3);
  writeNpy(tiny[0], '<f4', [100, COLS], Float32Array, COLS, (c) => {
    for (let i = 0; i < 100; i++) logitsRow(c, i * COLS, i, u);
  });
  writeNpy(tiny[1], '<i4', [100], Int32Array, 1, (c) => c.set(Int32Array.from({ length: 100 }, (_, i) => i)));
}

const results = {};
for (const [name, [pred, target]] of Object.entries({ ...files, 'start-up': tiny })) {
  const runs = { 1: [], 2: [] };
  let same = true;
  for (let k = 0; k < rounds; k++) {
    const a = evalRun(pred, target, 1);
    const b = evalRun(pred, target, 2);
    runs[1].push(a);
    runs[2].push(b);
    same &&= a.report === b.report;
  }
  const t1 = median(runs[1].map((r) => r.wall));
  const t2 = median(runs[2].map((r) => r.wall));
  const rss1 = Math.max(...runs[1].map((r) => r.rss));
  const rss2 = Math.max(...runs[2].map((r) => r.rss));
  results[name] = { t1, t2, rss1, rss2, same, size: statSync(pred).size };
  console.log(`${name}: 1 thread ${t1.toFixed(2)} s, 2 threads ${t2.toFixed(2)} s, ${(t1 / t2).toFixed(2)}×; reports identical: ${same}`);
}

// The probe: the bare kernel on 32 rows (128 KB, in L2), by one process and by two at once.
const probeSrc = `
import { init, allocate, softmaxCrossEntropy } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
await init({ backend: process.argv[2] });
const rows = 32, cols = ${COLS};
const x = allocate('float32', rows * cols);
const v = x.view();
for (let i = 0; i < v.length; i++) v[i] = Math.sin(i) * 3;
const t = Int32Array.from({ length: rows }, (_, i) => (i * 7) % cols);
const reps = Number(process.argv[3]);
for (let k = 0; k < reps / 10; k++) softmaxCrossEntropy(x.view(), t, { classes: cols });
const t0 = performance.now();
for (let k = 0; k < reps; k++) softmaxCrossEntropy(x.view(), t, { classes: cols });
console.log((performance.now() - t0) * 1e6 / (reps * rows * cols));
`;
const probeFile = join(dir, 'probe.mjs');
writeFileSync(probeFile, probeSrc);
const probeOnce = (backend, reps) =>
  new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [probeFile, backend, String(reps)]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`probe exited with ${code}`))));
  });
const probe = {};
for (const [backend, reps] of [['wasm', 4000], ['js', 400]]) {
  const alone = [];
  const both = [];
  for (let k = 0; k < rounds; k++) {
    alone.push(await probeOnce(backend, reps));
    both.push(...(await Promise.all([probeOnce(backend, reps), probeOnce(backend, reps)])));
  }
  probe[backend] = { alone: median(alone), both: median(both) };
  console.log(`probe ${backend}: ${probe[backend].alone.toFixed(2)} ns/element alone, ${probe[backend].both.toFixed(2)} with two processes at once`);
}
if (!keep) rmSync(dir, { recursive: true, force: true });
else console.log(`inputs kept in ${dir}`);

const f = (x, d = 2) => x.toFixed(d);
/**
 * What the probe says: two processes share no memory and no cache lines, so a slow-down is the hardware's, unless
 * the scalar kernel slows as much: then the second core was not free (other tenants' load), whatever its SIMD units.
 */
function probeReading(p) {
  const w = p.wasm.both / p.wasm.alone;
  const j = p.js.both / p.js.alone;
  if (j >= 1.5) {
    return `Two processes share no memory and no cache lines, yet here both kernels run slower beside another copy of themselves: the SIMD one ${f(w)}×, the scalar TypeScript one ${f(j)}× too, so the second core was busy with other work (load average ${loadavg().map((x) => f(x)).join(' / ')} at the end) rather than shared SIMD units. On a host that loaded, a second thread can add at most ${f(2 / w)}×; the figures above say nothing of an idle machine.`;
  }
  if (w < 1.15) return 'Two processes share no memory and no cache lines; here the SIMD kernel runs about as fast beside another copy of itself as alone, so the cores do not limit what a second thread adds.';
  return `Two processes share no memory and no cache lines, so the slow-down is the hardware's: when both virtual cores run SIMD code, each runs it ${f(w)}× slower (as the two hyperthreads of one physical core do), while the scalar TypeScript kernel is ${j < 1.1 ? 'barely' : `${f(j)}×`} slowed. A second thread can add at most ${f(2 / w)}× to the SIMD part of an evaluation on this machine.`;
}
const mb = (x) => (Number.isNaN(x) ? '–' : `${Math.round(x)} MB`);
const rowOf = (label, r) => `| ${label} | ${f(r.t1)} s | ${f(r.t2)} s | ${f(r.t1 / r.t2)}× | ${mb(r.rss1)} / ${mb(r.rss2)} | ${r.same ? 'yes' : 'NO'} |`;
const s = results['start-up'];
const net = (r) => `${f(r.t1 - s.t1)} s → ${f(r.t2 - s.t1)} s: ${f((r.t1 - s.t1) / (r.t2 - s.t1))}×`;
const md = `# xent eval --threads: results

Written by \`npm run bench:threads\` (bench/threads.mjs); do not edit by hand.

- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB memory, ${process.platform} ${process.arch}
- Node: ${process.version}
- Date: ${new Date().toISOString()}; load average (1 / 5 / 15 min) at the end: ${loadavg().map((x) => f(x)).join(' / ')}
- Median of ${rounds} rounds, each running \`xent eval PRED TARGET --threads 1\` then \`--threads 2\` (wall time of the
  whole command, Node's start included; peak RSS from /usr/bin/time).

| input | 1 thread | 2 threads | speed-up | peak RSS (1 / 2 threads) | reports identical |
| --- | ---: | ---: | ---: | ---: | :---: |
${rowOf(`.npy float32, ${ROWS} × ${COLS} (${f(results.npy.size / 2 ** 30)} GiB)`, results.npy)}
${rowOf(`CSV, ${csvRows} × ${COLS} (${Math.round(results.csv.size / 2 ** 20)} MiB)`, results.csv)}
${rowOf('start-up: .npy, 100 × 1000', s)}

Without the start-up (the one-thread run on 100 rows: Node's start, loading the CLI, compiling the wasm), which no
thread count changes; starting the worker stays in the two-thread time: .npy ${net(results.npy)}; CSV ${net(results.csv)}.

## The machine: one kernel in one process, and in two at once

The float32 softmax CE kernel alone (\`softmaxCrossEntropy\`, 32 × ${COLS} float32 logits already in wasm memory,
128 KB: the data stays in each core's L2), timed in one process and in two processes at once:

| backend | one process | two at once | slow-down |
| --- | ---: | ---: | ---: |
| wasm (SIMD) | ${f(probe.wasm.alone)} ns/element | ${f(probe.wasm.both)} ns/element | ${f(probe.wasm.both / probe.wasm.alone)}× |
| js (TypeScript) | ${f(probe.js.alone, 1)} ns/element | ${f(probe.js.both, 1)} ns/element | ${f(probe.js.both / probe.js.alone)}× |

${probeReading(probe)}
`;
writeFileSync(join(here, 'THREADS.md'), md);
console.log('wrote bench/THREADS.md');
