/**
 * `xent eval --state-out` and `xent merge`: shards evaluated apart combine into one run's report, bit for bit. The
 * same flow as docs/fan-out.sh (which runs the shards with GNU parallel), run here one shard after another: a
 * float32 .npy of 1000 classes over three grid blocks and a part (the grid is 4096 rows at 1000 classes).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Evaluator, init } from '../src/index.js';
import { CHILD_WASM } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
// The library's numbers below come from the build the CLI's process runs, so that they agree to the last bits.
await init({ relaxedSimd: CHILD_WASM === 'wasm-relaxed-simd' });
const dir = mkdtempSync(join(tmpdir(), 'xent-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const C = 1000;
const GRID = 4096;
const R = 3 * GRID + 700;

function xent(...args: string[]) {
  // JSON reports of 1000 classes hold the state's per-class columns: past spawnSync's default 1 MB of output.
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function npyHeader(descr: string, shape: number[]): Buffer {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(h.length, 8);
  return Buffer.concat([pre, Buffer.from(h, 'latin1')]);
}

let labels: Int32Array;
beforeAll(() => {
  let s = 3;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  labels = Int32Array.from({ length: R }, () => Math.floor(rand() * C));
  const fd = openSync(join(dir, 'pred.npy'), 'w');
  writeSync(fd, npyHeader('<f4', [R, C]));
  const row = new Float32Array(C);
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < C; j++) row[j] = 6 * rand() - 3;
    row[labels[r]] += 2;
    writeSync(fd, new Uint8Array(row.buffer));
  }
  closeSync(fd);
  writeFileSync(join(dir, 'labels.npy'), Buffer.concat([npyHeader('<i4', [R]), Buffer.from(labels.buffer)]));
});

/** A JSON report without its run metadata (date and command differ between runs; the figures may not). */
function report(r: { code: number | null; stdout: string; stderr: string }) {
  expect(r.code, r.stderr).toBe(0);
  const { run: _run, ...rest } = JSON.parse(r.stdout);
  return { ...r, stdout: JSON.stringify(rest) };
}

describe('--state-out and xent merge', () => {
  it('shards (--shard K/N, merged in any order) give one run\'s report bit for bit, with and without --threads', () => {
    const one = report(xent('eval', 'pred.npy', 'labels.npy', '--format', 'json', '--threads', '1'));
    const two = xent('eval', 'pred.npy', 'labels.npy', '--format', 'json', '--threads', '2', '--state-out', 'whole.json');
    expect(report(two).stdout).toBe(one.stdout);
    // The run's metadata: the command, and the inputs' checksums, which the state files keep for the merge.
    const run = JSON.parse(two.stdout).run;
    expect(run.command).toBe('xent eval pred.npy labels.npy --format json --threads 2 --state-out whole.json');
    expect(run.inputs.map((i: { file: string }) => i.file)).toEqual(['pred.npy', 'labels.npy']);
    expect(run.inputs[0].sha256).toBe(createHash('sha256').update(readFileSync(join(dir, 'pred.npy'))).digest('hex'));
    for (let k = 1; k <= 3; k++) {
      const r = xent('eval', 'pred.npy', 'labels.npy', '--shard', `${k}/3`, '--state-out', `shard-${k}.json`, '--format', 'csv');
      expect(r.code, r.stderr).toBe(0);
    }
    const shards = [1, 2, 3].map((k) => JSON.parse(readFileSync(join(dir, `shard-${k}.json`), 'utf8')));
    // Cut on the grid, contiguous, every row once.
    expect(shards.map((s) => [s.first, s.end])).toEqual([[0, GRID], [GRID, 2 * GRID], [2 * GRID, R]]);
    expect(shards.map((s) => s.grid)).toEqual([GRID, GRID, GRID]);
    for (const order of [['1', '2', '3'], ['3', '1', '2']]) {
      const merged = xent('merge', ...order.map((k) => `shard-${k}.json`), '--format', 'json');
      expect(merged.stderr).toBe('');
      expect(report(merged).stdout).toBe(one.stdout);
      expect(JSON.parse(merged.stdout).run.inputs).toEqual(run.inputs);
    }
    // A merge of a merge, and of the whole run's state.
    expect(xent('merge', 'shard-1.json', 'shard-2.json', 'shard-3.json', '--state-out', 'all.json', '--format', 'csv').code).toBe(0);
    expect(report(xent('merge', 'all.json', '--format', 'json')).stdout).toBe(one.stdout);
    expect(report(xent('merge', 'whole.json', '--format', 'json')).stdout).toBe(one.stdout);
    // A shard's own report numbers its worst rows in the whole input.
    const third = JSON.parse(xent('eval', 'pred.npy', 'labels.npy', '--shard', '3/3', '--format', 'json').stdout);
    const all = JSON.parse(one.stdout);
    expect(third.worst.every((w: { row: number }) => w.row >= 2 * GRID)).toBe(true);
    expect(all.worst.filter((w: { row: number }) => w.row >= 2 * GRID)).toEqual(third.worst.slice(0, all.worst.filter((w: { row: number }) => w.row >= 2 * GRID).length));
    // The figures are the library's on the same float32 rows (float32 kernels, float64 sums).
    const got = JSON.parse(one.stdout) as { count: number; nats: number };
    const data = new Float32Array(readFileSync(join(dir, 'pred.npy')).buffer.slice(128));
    const lib = new Evaluator({ classes: C }).update(data, labels).result();
    expect(got.count).toBe(R);
    expect(Math.abs(got.nats - lib.nats)).toBeLessThanOrEqual(1e-12 * lib.nats);
  });

  it('a missing or repeated shard, or states of different settings, are exit-2 errors', () => {
    const missing = xent('merge', 'shard-1.json', 'shard-3.json');
    expect(missing.stderr).toMatch(/shard 2\/3 is missing/);
    expect(missing.code).toBe(2);
    expect(xent('merge', 'shard-1.json', 'shard-2.json', 'shard-2.json', 'shard-3.json').stderr).toMatch(/shard-2\.json: shard 2\/3 is given twice/);
    expect(xent('eval', 'pred.npy', 'labels.npy', '--base', '2', '--state-out', 'bits.json', '--format', 'csv').code).toBe(0);
    const mixed = xent('merge', 'whole.json', 'bits.json');
    expect(mixed.stderr).toMatch(/bits\.json: cannot merge with whole\.json: cannot merge evaluators with different base/);
    expect(mixed.code).toBe(2);
    writeFileSync(join(dir, 'junk.json'), '{"format": "something else"}');
    expect(xent('merge', 'junk.json').stderr).toMatch(/junk\.json: not an xent state file/);
  });

  it('reads states and state files of version 1 (dense per-class arrays), at any class count', () => {
    // A version-1 state: the fixture written by that version (6 classes), and one of 2000 classes in its layout.
    const v1 = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'eval-state-v1.json'), 'utf8'));
    const wide = new Evaluator({ classes: 2000, perClass: true }).update([Array.from({ length: 2000 }, (_, j) => j % 7)], [3]);
    const { perClass: cols, ...v2 } = wide.toJSON() as Record<string, unknown> & { perClass: Record<string, number[]> };
    const dense = Object.fromEntries(['support', 'classLoss', 'classCorrect', 'classProb', 'predicted'].map((k) => {
      const a = new Array(2000).fill(0);
      cols.class.forEach((c, i) => (a[c] = cols[k][i]));
      return [k, a];
    }));
    const { perClass: _p, ...oldSettings } = v2.settings as Record<string, unknown>;
    const wideV1 = { ...v2, ...dense, version: 1, settings: oldSettings };
    for (const [name, state, count] of [['v1', v1.state, v1.result.count], ['wide-v1', wideV1, 1]] as const) {
      writeFileSync(join(dir, `${name}-state.json`), JSON.stringify(state));
      const { format: _f, version: _v, settings, ...block } = state as Record<string, unknown>;
      const r = block as { rows: number; ignored: number };
      const file = { format: 'xent-eval-shard', version: 1, settings, grid: 0, first: 0, end: r.rows + r.ignored, shard: null, info: {}, blocks: [block] };
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(file));
      for (const f of [`${name}-state.json`, `${name}.json`]) {
        const m = xent('merge', f, '--format', 'json');
        expect(m.stderr, f).toBe('');
        expect(JSON.parse(m.stdout).count, f).toBe(count);
      }
    }
  });

  it('files evaluated apart merge in the order given; a file not cut on the grid is said to merge up to rounding', () => {
    // Two files: rows [0, 5000) and the rest (5000 is not a multiple of the grid).
    const raw = readFileSync(join(dir, 'pred.npy'));
    const body = raw.subarray(128);
    const part = (name: string, a: number, b: number) => {
      writeFileSync(join(dir, `${name}.npy`), Buffer.concat([npyHeader('<f4', [b - a, C]), body.subarray(a * C * 4, b * C * 4)]));
      writeFileSync(join(dir, `${name}-y.npy`), Buffer.concat([npyHeader('<i4', [b - a]), Buffer.from(labels.slice(a, b).buffer)]));
      expect(xent('eval', `${name}.npy`, `${name}-y.npy`, '--state-out', `${name}.json`, '--format', 'csv').code).toBe(0);
    };
    part('a', 0, 5000);
    part('b', 5000, R);
    const one = JSON.parse(xent('eval', 'pred.npy', 'labels.npy', '--format', 'json').stdout) as { count: number; nats: number };
    const r = xent('merge', 'a.json', 'b.json', '--format', 'json');
    expect(r.stderr).toMatch(/a\.json: 5000 rows, not a multiple of 4096 \(the grid\): the merged figures equal one run over the inputs one after another up to float64 rounding/);
    const merged = JSON.parse(r.stdout) as { count: number; nats: number };
    expect(merged.count).toBe(R);
    expect(Math.abs(merged.nats - one.nats)).toBeLessThanOrEqual(1e-14 * one.nats);
    // Cut at a multiple of the grid: bit for bit, and nothing to say.
    part('c', 0, 2 * GRID);
    part('d', 2 * GRID, R);
    const exact = xent('merge', 'c.json', 'd.json', '--format', 'csv');
    expect(exact.stderr).toBe('');
    expect(exact.stdout).toBe(xent('eval', 'pred.npy', 'labels.npy', '--format', 'csv').stdout);
  });

  it('the bootstrap\'s macro F1 (32 classes): --threads 2 and shards merged give --threads 1\'s intervals bit for bit', () => {
    // 32 classes: the grid is 131,072 rows, so one grid block and a part; float16 logits keep the file small.
    const V = 32;
    const n = 131_072 + 3000;
    let s = 11;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const y = Int32Array.from({ length: n }, () => Math.floor(rand() * V));
    // float16 bits in [-4, 4) (sign, exponent 0..16, mantissa); the label's logit raised by 2 (0x4000) now and then.
    const x = new Uint16Array(n * V);
    for (let i = 0; i < n * V; i++) x[i] = (Math.floor(rand() * 2) << 15) | (Math.floor(rand() * 17) << 10) | Math.floor(rand() * 1024);
    for (let r = 0; r < n; r += 3) x[r * V + y[r]] = 0x4000;
    writeFileSync(join(dir, 'f1.npy'), Buffer.concat([npyHeader('<f2', [n, V]), Buffer.from(x.buffer)]));
    writeFileSync(join(dir, 'f1-y.npy'), Buffer.concat([npyHeader('<i4', [n]), Buffer.from(y.buffer)]));
    const b = ['--bootstrap', '40', '--seed', '9', '--format', 'json'];
    const one = JSON.parse(report(xent('eval', 'f1.npy', 'f1-y.npy', ...b, '--threads', '1')).stdout);
    const two = JSON.parse(report(xent('eval', 'f1.npy', 'f1-y.npy', ...b, '--threads', '2')).stdout);
    for (const k of ['1', '2']) expect(xent('eval', 'f1.npy', 'f1-y.npy', ...b, '--shard', `${k}/2`, '--state-out', `f1-${k}.json`).code).toBe(0);
    const merged = JSON.parse(report(xent('merge', 'f1-2.json', 'f1-1.json', '--format', 'json')).stdout);
    expect(one.bootstrap.macroF1[0]).toBeLessThan(one.averages.macro.f1);
    expect(one.bootstrap.macroF1[1]).toBeGreaterThan(one.averages.macro.f1);
    expect(two.bootstrap).toEqual(one.bootstrap);
    expect(merged.bootstrap).toEqual(one.bootstrap);
    expect(two.state.bootstrap.classHits).toEqual(one.state.bootstrap.classHits);
    expect(merged.state.bootstrap.classCounts).toEqual(one.state.bootstrap.classCounts);
  });
});
