/**
 * The CLI as a user runs it: `node dist/cli.js` in a child process (npm test builds dist/ first), on real files
 * written to a temp dir, each input format and each kind of bad file, numbers checked against the library.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Evaluator, init } from '../src/index.js';
import { CHILD_WASM } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
// The library's numbers below come from the build the CLI's process runs, so that they agree to the last bits.
await init({ relaxedSimd: CHILD_WASM === 'wasm-relaxed-simd' });
const dir = mkdtempSync(join(tmpdir(), 'xent-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function xent(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

function npy(descr: string, shape: number[], data: ArrayBufferView): Buffer {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(h.length, 8);
  return Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

// 1200 rows × 5 classes of logits with 3 decimals (exact in CSV), labels mostly the argmax.
const R = 1200, C = 5;
let seed = 11;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const rows = Array.from({ length: R }, () => Array.from({ length: C }, () => Math.round((6 * rand() - 3) * 1000) / 1000));
const labels = rows.map((z) => (rand() < 0.7 ? z.indexOf(Math.max(...z)) : Math.floor(rand() * C)));
const expected = new Evaluator({ classes: C }).update(rows, labels).result();

const csvPred = file('pred.csv', ['a,b,c,d,e', ...rows.map((r) => r.join(','))].join('\n') + '\n');
const csvLabels = file('labels.csv', ['label', ...labels].join('\n') + '\n');

function json(args: string[]) {
  const r = xent('eval', ...args, '--format', 'json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

function expectLikeLibrary(got: Record<string, unknown>, rel = 1e-12) {
  expect(got.count).toBe(R);
  for (const k of ['nats', 'accuracy', 'brier', 'ece'] as const) {
    expect(Math.abs((got[k] as number) - expected[k])).toBeLessThanOrEqual(rel * Math.max(1, expected[k]));
  }
}

describe('xent eval', () => {
  it('reads CSV with a header and TSV / JSON Lines without, giving the library numbers', () => {
    expectLikeLibrary(json([csvPred, csvLabels]));
    const tsv = file('pred.tsv', rows.map((r) => r.join('\t')).join('\n'));
    const tl = file('labels.tsv', labels.join('\n') + '\n\n');
    expectLikeLibrary(json([tsv, tl]));
    const jp = file('pred.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const jl = file('labels.jsonl', labels.map((y) => JSON.stringify(y)).join('\n') + '\n');
    expectLikeLibrary(json([jp, jl]));
    // A forced format, whatever the extension.
    const odd = file('pred.data', rows.map((r) => r.join(',')).join('\n'));
    expectLikeLibrary(json([odd, csvLabels, '--pred-format', 'csv']));
  });

  it('reads .npy float64, float32 and integer labels, and --threads 2 merges to the same numbers', () => {
    const p64 = file('pred64.npy', npy('<f8', [R, C], Float64Array.from(rows.flat())));
    const l32 = file('labels.npy', npy('<i4', [R], Int32Array.from(labels)));
    const l64 = file('labels64.npy', npy('<i8', [R], BigInt64Array.from(labels.map(BigInt))));
    expectLikeLibrary(json([p64, l32]));
    expectLikeLibrary(json([p64, l64, '--threads', '2']));
    const f32 = Float32Array.from(rows.flat());
    const p32 = file('pred32.npy', npy('<f4', [R, C], f32));
    const got = json([p32, l32, '--threads', '2']);
    const lib = new Evaluator({ classes: C }).update(f32, labels).result();
    expect(Math.abs(got.nats - lib.nats)).toBeLessThan(1e-12);
    // CSV split at line boundaries across workers.
    expectLikeLibrary(json([csvPred, csvLabels, '--threads', '2']));
  });

  it('options: base, from probs, ignore index, top-k, multi-label; csv and table output', () => {
    const bits = json([csvPred, csvLabels, '--base', '2']);
    expect(bits.unit).toBe('bits');
    expect(Math.abs(bits.loss - expected.bits)).toBeLessThan(1e-12);
    const probs = rows.map((z) => {
      const e = z.map(Math.exp);
      const s = e.reduce((a, b) => a + b);
      return e.map((v) => v / s);
    });
    const pp = file('probs.jsonl', probs.map((r) => JSON.stringify(r)).join('\n'));
    expect(Math.abs(json([pp, csvLabels, '--from', 'probs']).nats - expected.nats)).toBeLessThan(1e-10);
    const ign = file('ign.csv', labels.map((y, i) => (i < 200 ? -1 : y)).join('\n'));
    const ri = json([csvPred, ign, '--ignore-index', '-1', '--top-k', '2']);
    expect(ri.count).toBe(R - 200);
    expect(ri.topK.k).toBe(2);
    const t = file('multi.csv', rows.map((r) => r.map((v) => (v >= 0 ? 1 : 0)).join(',')).join('\n'));
    const rm = json([csvPred, t, '--multi-label']);
    expect(rm.accuracy).toBe(1);
    const csv = xent('eval', csvPred, csvLabels, '--format', 'csv');
    expect(csv.stdout).toMatch(/^metric,value\ncount,1200\n/);
    const table = xent('eval', csvPred, csvLabels);
    expect(table.stdout).toContain('mean cross-entropy');
    expect(table.stdout).toContain('skill (D²)');
    expect(table.stdout).not.toContain('Reading:'); // the binary-task scale is for binary tasks
    expect(table.stderr).toBe('');
  });

  it('--compat applies a preset to the per-row losses', () => {
    // Probability rows that do not sum to 1: exact mode rejects them (exit 2), Keras' rules renormalise.
    const probs = file('unnormalised.csv', '0.5,0.5,0.1\n0.2,0.2,0.2\n');
    const y = file('y.csv', '0\n2\n');
    const strict = xent('eval', probs, y, '--from', 'probs');
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
    const got = json([probs, y, '--from', 'probs', '--compat', 'keras']);
    const want = new Evaluator({ classes: 3, from: 'probs', compat: 'keras' })
      .update([[0.5, 0.5, 0.1], [0.2, 0.2, 0.2]], [0, 2]).result();
    expect(got.nats).toBe(want.nats);
    expect(xent('eval', probs, y, '--compat', 'pytorch').code).toBe(2);
  });

  it('--report writes one self-contained HTML file', () => {
    const out = join(dir, 'report.html');
    expect(xent('eval', csvPred, csvLabels, '--report', out, '--quiet').code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(4);
    expect(html).not.toMatch(/https?:|<script|<link/);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['a ragged row', () => [file('rag.csv', '1,2,3\n4,5\n1,1,1\n'), file('l3.csv', '0\n1\n2\n')], /rag\.csv:2:4: ragged row/],
    ['a non-numeric cell', () => [file('nn.csv', '1,2,3\n4,abc,5\n'), file('l2.csv', '0\n1\n')], /nn\.csv:2:3: "abc" is not a number/],
    ['bad JSON', () => [file('bad.jsonl', '[1,2]\n[1,"x"]\n'), file('l2b.csv', '0\n1\n')], /bad\.jsonl:2:4: element 2/],
    ['a truncated .npy', () => [file('t.npy', npy('<f4', [4, 3], new Float32Array(12)).subarray(0, 128 + 20)), file('l4.csv', '0\n1\n2\n0\n')], /t\.npy: row 2, column 3: truncated \.npy/],
    ['a label out of range', () => [file('ok.csv', '1,2,3\n4,1,5\n'), file('oor.csv', '0\n3\n')], /oor\.csv:2:1: label 3 is out of range/],
    ['more TARGET rows', () => [file('ok2.csv', '1,2,3\n4,1,5\n'), file('l3b.csv', '1\n0\n2\n')], /l3b\.csv:3:1: TARGET has more rows than PRED/],
    ['more PRED rows', () => [file('ok3.csv', '1,2,3\n4,1,5\n7,8,9\n'), file('l2c.csv', '0\n1\n')], /ok3\.csv:3:1: PRED has more rows than TARGET/],
    ['a NaN in a .npy', () => [file('nan.npy', npy('<f8', [2, 2], Float64Array.from([1, 2, 3, NaN]))), file('l2d.csv', '0\n1\n')], /nan\.npy: row 2, column 2: this value is NaN/],
    ['a missing file', () => [join(dir, 'nope.csv'), file('l2e.csv', '0\n')], /nope\.csv: no such file/],
    ['an unknown option', () => ['--frm', 'probs', 'a.csv', 'b.csv'], /unknown option --frm/],
  ];
  it.each(bad)('%s: exit 2, file:line:col on stderr, nothing on stdout', (_, args, message) => {
    const r = xent('eval', ...args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('errors found by a worker are reported the same way', () => {
    const big = Array.from({ length: 3000 }, (_, i) => (i === 2500 ? '1,x' : '1,2')).join('\n');
    const r = xent('eval', file('w.csv', big), file('wl.csv', Array(3000).fill(0).join('\n')), '--threads', '2');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/w\.csv:2501:3: "x" is not a number/);
  });
});

describe('xent demo and bench', () => {
  it('demo evaluates the shipped sample and prints the report', () => {
    const r = xent('demo');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3000 rows, 10 classes');
    expect(r.stdout).toContain('skill (D²)');
    expect(r.stdout).toMatch(/macro avg +3000 /);
    expect(r.stdout).toContain('7 sequences × 96 positions, vocabulary 42, float16 logits');
    expect(r.stdout).toMatch(/bits per byte +[\d.]+ ± [\d.]+ +over 672 bytes of text/);
  });
});
