/**
 * `npm run fuzz`: the CI properties at scale. Options (flags or env): --runs=N / FUZZ_RUNS (cases per function over
 * both backends, default 100,000), --seed=S / FUZZ_SEED (default: the CI seed), --only=fn1,fn2. Prints the count of
 * every outcome per function (value, each error code, known bugs, FAILED) and exits 1 on any failure.
 */
import { backend, init } from '../../src/index.js';
import { CI_SEED } from './ci-seed.js';
import { KNOWN_BUGS } from './known.js';
import { FUNCTIONS, type Failure, runFunction } from './runner.js';

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const runs = Number(arg('runs') ?? process.env.FUZZ_RUNS ?? 100_000);
const seed = Number(arg('seed') ?? process.env.FUZZ_SEED ?? CI_SEED);
const only = arg('only')?.split(',');
const fns = only ?? FUNCTIONS;

const table = new Map<string, Record<string, number>>();
const failures: Failure[] = [];
const t0 = performance.now();
for (const b of ['wasm', 'js'] as const) {
  await init({ backend: b });
  for (const fn of fns) {
    const r = runFunction(fn, Math.ceil(runs / 2), seed + (b === 'js' ? 1 : 0), KNOWN_BUGS);
    const row = table.get(fn) ?? { cases: 0 };
    row.cases += r.cases;
    for (const [k, n] of Object.entries(r.outcomes)) row[k] = (row[k] ?? 0) + n;
    table.set(fn, row);
    failures.push(...r.failures.map((f) => ({ ...f, fn: `${f.fn} [${backend()}]` })));
    process.stderr.write(`${b} ${fn}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s\n`);
  }
}

const keys = ['cases', 'value', 'empty-mean NaN', 'INVALID_TYPE', 'INVALID_OPTION', 'SHAPE_MISMATCH', 'EMPTY_INPUT',
  'NON_FINITE', 'INVALID_PROBABILITY', 'LABEL_OUT_OF_RANGE', 'OUT_OF_MEMORY', 'INTERNAL'];
const extra = [...new Set([...table.values()].flatMap((r) => Object.keys(r)))].filter((k) => !keys.includes(k)).sort();
const cols = [...keys, ...extra];
const head = ['function', ...cols];
const rows = [...table.entries()].map(([fn, r]) => [fn, ...cols.map((k) => String(r[k] ?? 0))]);
const totals = ['total', ...cols.map((k) => String([...table.values()].reduce((a, r) => a + (r[k] ?? 0), 0)))];
const all = [head, ...rows, totals];
const width = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join(' | ')} |`;
console.log(`xent fuzz: ${runs} cases per function (half per backend), seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(line(head));
console.log(`|${width.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of [...rows, totals]) console.log(line(r));
for (const f of failures.slice(0, 40)) console.log(`FAILED ${f.fn} [${f.note}]: ${f.problem}\n  args: ${f.args.slice(0, 800)}`);
process.exit(failures.length ? 1 : 0);
