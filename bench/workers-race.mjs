// xent/parallel on W5 (512 × 151,936 float32 logits) in one process, the contenders alternating round by round
// (the order reversed every other round): xent on one thread (with its copy, and zero-copy), pools of 1 and 2
// workers and of 1 worker beside the calling thread (logits in the pool's shared wasm memory, read in place:
// pool.allocate(); in a SharedArrayBuffer, copied block by block into each thread's memory: sharedArray(); and
// plain logits on 2 workers; and, where Float16Array exists, their float16 rounding in place on 2 workers), and
// onnxruntime-node on 1 and 2 threads. Prints per contender the median of the rounds' times (each round: the best
// of REPS calls) in ns per element, the process's CPU time per element (every thread), and the medians of the
// per-round ratios.
//   npm run build, then: node bench/workers-race.mjs [ROUNDS=9] [REPS=2]   (onnxruntime-node from bench/peers)
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';

const root = new URL('../', import.meta.url);
const xent = await import(new URL('dist/index.js', root).href);
const par = await import(new URL('dist/parallel.js', root).href);
const ROUNDS = Number(process.env.ROUNDS ?? 9), REPS = Number(process.env.REPS ?? 2);
const rows = 512, cols = 151936, n = rows * cols;
await xent.init();
let seed = 12345;
const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const plain = new Float32Array(n);
for (let i = 0; i < n; i++) plain[i] = 16 * rand() - 8;
const labels = Int32Array.from({ length: rows }, () => Math.floor(rand() * cols));
const shared = par.sharedArray(n);
shared.set(plain);
const inWasm = xent.allocate('float32', n);
inWasm.view().set(plain);
const options = { classes: cols };
const want = xent.softmaxCrossEntropy(plain, labels, options);

const contenders = {
  'xent, 1 thread (copy)': async () => xent.softmaxCrossEntropy(plain, labels, options),
  'xent, 1 thread, zero-copy': async () => xent.softmaxCrossEntropy(inWasm.view(), labels, options),
};
const pools = [];
const wantOf = {};
for (const [name, o] of [['xent, 1 worker', { workers: 1 }], ['xent, 2 workers', { workers: 2 }], ['xent, 1 worker + caller', { workers: 1, caller: true }]]) {
  const pool = await par.createPool(o);
  pools.push(pool);
  const inPlace = pool.allocate('float32', n);
  if (!pool.inPlace) throw new Error('the pool has no shared wasm memory here');
  inPlace.view().set(plain);
  contenders[`${name}, in place`] = () => pool.softmaxCrossEntropy(inPlace.view(), labels, options);
  contenders[`${name}, SharedArrayBuffer`] = () => pool.softmaxCrossEntropy(shared, labels, options);
  if (o.workers === 2) contenders[`${name}, plain logits`] = () => pool.softmaxCrossEntropy(plain, labels, options);
  if (o.workers === 2 && typeof Float16Array === 'function') {
    // The same logits rounded to float16, in place (checked against the one-thread call on the same bits below).
    const half = pool.allocate('float16', n);
    half.view().set(new Uint16Array(new Float16Array(plain).buffer));
    const halfOptions = { classes: cols, dtype: 'float16' };
    wantOf[`${name}, in place, float16`] = xent.softmaxCrossEntropy(half.view(), labels, halfOptions);
    contenders[`${name}, in place, float16`] = () => pool.softmaxCrossEntropy(half.view(), labels, halfOptions);
  }
}
let ort = null;
try {
  ort = createRequire(new URL('bench/peers/package.json', root))('onnxruntime-node');
} catch {
  console.log('onnxruntime-node is missing (cd bench/peers && npm ci --ignore-scripts): raced without it');
}
if (ort) {
  const int64 = BigInt64Array.from(labels, BigInt);
  for (const threads of [1, 2]) {
    const session = await ort.InferenceSession.create(new URL('bench/onnx/logsoftmax_gather_mean.float32.onnx', root).pathname, {
      intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    contenders[`onnxruntime-node, ${threads} thread${threads > 1 ? 's' : ''}`] = async () => {
      const out = await session.run({ logits: new ort.Tensor('float32', plain, [rows, cols]), labels: new ort.Tensor('int64', int64, [rows, 1]) });
      return -out.mean_logprob.data[0];
    };
  }
}

const names = Object.keys(contenders);
for (const name of names) {
  const got = await contenders[name]();
  if (name.startsWith('xent') && !Object.is(got, wantOf[name] ?? want)) throw new Error(`${name} gave ${got}, the one-thread call ${wantOf[name] ?? want}`);
}
const wall = Object.fromEntries(names.map((k) => [k, []]));
const cpu = Object.fromEntries(names.map((k) => [k, []]));
const before = loadavg();
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 ? [...names].reverse() : names) {
    let best = Infinity, bestCpu = Infinity;
    for (let k = 0; k < REPS; k++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await contenders[name]();
      best = Math.min(best, performance.now() - t0);
      const c = process.cpuUsage(c0);
      bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
    }
    wall[name].push((best * 1e6) / n);
    cpu[name].push((bestCpu * 1e6) / n);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const ratio = (num, den) => (wall[num] && wall[den] ? median(wall[num].map((t, i) => t / wall[den][i])).toFixed(2) + '×' : '—');
const load = (l) => l.map((v) => v.toFixed(2)).join(' ');
console.log(`Node ${process.version}, ${ROUNDS} rounds (best of ${REPS} calls each), load average ${load(before)} before, ${load(loadavg())} after`);
const one = 'xent, 1 worker, in place';
console.log('| contender | ns/element | CPU ns/element | 1 worker (in place) ÷ it | onnxruntime 2 threads ÷ it |');
console.log('|---|---:|---:|---:|---:|');
for (const name of names) {
  console.log(`| ${name} | ${median(wall[name]).toFixed(3)} | ${median(cpu[name]).toFixed(3)} | ${ratio(one, name)} | ${ratio('onnxruntime-node, 2 threads', name)} |`);
}
for (const pool of pools) await pool.close();
