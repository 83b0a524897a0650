// Writes data/sample/{logits.csv,labels.csv}, the sample `xent demo` evaluates: 3000 rows of 10-class logits from
// a plausible, slightly overconfident classifier. Each row's labels are drawn from softmax(logits / 1.25), so the
// model is calibrated at temperature 1.25 and a little overconfident as it stands. Seeded: the files never change.
// Run: node scripts/make-sample.mjs
import { mkdirSync, writeFileSync } from 'node:fs';

const ROWS = 3000;
const C = 10;
const TEMPERATURE = 1.25;

let seed = 20240611;
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

// Classes differ in prevalence and in how separable they are (class 7 and 9 are often confused, class 0 is easy).
const prior = [0.14, 0.12, 0.11, 0.1, 0.1, 0.1, 0.09, 0.09, 0.08, 0.07];
const signal = [7.5, 6.5, 6, 6, 5.5, 5.5, 5, 5, 5, 4.5];
const lines = [Array.from({ length: C }, (_, j) => `logit_${j}`).join(',')];
const labels = ['label'];
for (let r = 0; r < ROWS; r++) {
  let u = rand();
  let c = 0;
  while (c < C - 1 && u >= prior[c]) u -= prior[c++];
  const z = Array.from({ length: C }, () => normal());
  z[c] += signal[c] * (0.6 + 0.6 * rand());
  if (c === 7) z[9] += 2;
  if (c === 9) z[7] += 2;
  const row = z.map((v) => +v.toFixed(4));
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp((v - m) / TEMPERATURE));
  const s = e.reduce((a, b) => a + b, 0);
  let v = rand() * s;
  let y = 0;
  while (y < C - 1 && v >= e[y]) v -= e[y++];
  lines.push(row.join(','));
  labels.push(String(y));
}
const dir = new URL('../data/sample/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('logits.csv', dir), lines.join('\n') + '\n');
writeFileSync(new URL('labels.csv', dir), labels.join('\n') + '\n');
console.log(`wrote ${ROWS} rows × ${C} classes to data/sample/`);
