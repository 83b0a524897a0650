/**
 * `xent compare`: the command's figures are the library's Comparison on the same rows (bit for bit: one read block
 * here), parts compared apart with --offset and merged by `xent merge` give the whole run's figures and the same
 * bootstrap draws, the table and the HTML report carry the errors, and bad input is one line naming the file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Comparison, init } from '../src/index.js';
import { CHILD_WASM, expectClose, prng } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
await init({ relaxedSimd: CHILD_WASM === 'wasm-relaxed-simd' });
const dir = mkdtempSync(join(tmpdir(), 'xent-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const C = 12;
const R = 900;

function xent(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function npy(path: string, a: Float32Array | Uint16Array, shape: number[]): void {
  let h = `{'descr': '${a instanceof Uint16Array ? '<f2' : '<f4'}', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(h.length, 8);
  writeFileSync(join(dir, path), Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.from(a.buffer)]));
}

const base = new Float32Array(R * C);
const cand = new Float32Array(R * C);
const labels: number[] = [];
beforeAll(() => {
  const rand = prng(17);
  for (let i = 0; i < R * C; i++) {
    base[i] = 6 * rand() - 3;
    cand[i] = base[i] + (rand() - 0.5);
  }
  for (let r = 0; r < R; r++) labels.push(Math.floor(rand() * C));
  npy('base.npy', base, [R, C]);
  npy('cand.npy', cand, [R, C]);
  npy('base-a.npy', base.slice(0, 400 * C), [400, C]);
  npy('base-b.npy', base.slice(400 * C), [R - 400, C]);
  npy('cand-a.npy', cand.slice(0, 400 * C), [400, C]);
  npy('cand-b.npy', cand.slice(400 * C), [R - 400, C]);
  writeFileSync(join(dir, 'labels.csv'), labels.join('\n') + '\n');
  writeFileSync(join(dir, 'labels-a.csv'), labels.slice(0, 400).join('\n') + '\n');
  writeFileSync(join(dir, 'labels-b.csv'), labels.slice(400).join('\n') + '\n');
});

const opts = ['--bootstrap', '300', '--seed', '11', '--top-k', '3'];
const lib = () => new Comparison({ classes: C, topK: 3, bootstrap: { resamples: 300, seed: 11 } });

describe('xent compare', () => {
  it('--format json: the library Comparison of the same rows', () => {
    const r = xent('compare', 'base.npy', 'cand.npy', 'labels.csv', ...opts, '--format', 'json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    const want = JSON.parse(JSON.stringify(lib().update(base, cand, labels).result()));
    for (const k of Object.keys(want)) expect(got[k], k).toEqual(want[k]);
    expect(got.files).toEqual({ base: 'base.npy', candidate: 'cand.npy', target: 'labels.csv' });
  });

  it('parts with --offset, merged by xent merge: the whole run within rounding, the same bootstrap draws', () => {
    for (const p of ['a', 'b']) {
      const off = p === 'a' ? '0' : '400';
      const r = xent('compare', `base-${p}.npy`, `cand-${p}.npy`, `labels-${p}.csv`, ...opts, '--offset', off,
        '--state-out', `part-${p}.json`, '--quiet');
      expect(r.code, r.stderr).toBe(0);
    }
    const m = xent('merge', 'part-a.json', 'part-b.json', '--format', 'json');
    expect(m.code, m.stderr).toBe(0);
    const got = JSON.parse(m.stdout);
    const whole = lib().update(base, cand, labels).result();
    expect(got.rows).toBe(R);
    expectClose(got.lossDifference.value, whole.lossDifference.value, 1e-12);
    expect(got.lossDifference.bootstrap.pValue).toBe(whole.lossDifference.bootstrap!.pValue);
    expectClose(got.lossDifference.bootstrap.interval95, whole.lossDifference.bootstrap!.interval95, 1e-12);
    expect(got.accuracyDifference.mcnemar).toEqual(whole.accuracyDifference.mcnemar);
    // Without the offset the second part would draw the first part's resamples again.
    const wrong = xent('compare', 'base-b.npy', 'cand-b.npy', 'labels-b.csv', ...opts, '--state-out', 'wrong.json', '--quiet');
    expect(wrong.code, wrong.stderr).toBe(0);
    const bad = JSON.parse(xent('merge', 'part-a.json', 'wrong.json', '--format', 'json').stdout);
    expect(bad.lossDifference.bootstrap.interval95).not.toEqual(got.lossDifference.bootstrap.interval95);
  });

  it('the table shows value ± error, the paired figures and the percentiles; --report writes the page', () => {
    const r = xent('compare', 'base.npy', 'cand.npy', 'labels.csv', ...opts, '--report', 'cmp.html');
    expect(r.code, r.stderr).toBe(0);
    for (const s of ['mean loss (nats)', ' ± ', 'perplexity ratio', "McNemar's exact test", 'KL(base ‖ candidate)',
      'KL(candidate ‖ base)', 'median', 'top-1 agreement', 'top-3 overlap', 'bootstrap 95%']) {
      expect(r.stdout).toContain(s);
    }
    const html = readFileSync(join(dir, 'cmp.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Rows where the models disagree most');
    expect(html).toContain('base.npy');
  });

  it('xent eval --bootstrap: shards (--shard K/N) merged give the one run\'s intervals bit for bit', () => {
    // 1000 classes: the grid is 4096 rows, so two shards each hold a part.
    const V = 1000;
    const n = 4096 + 300;
    const rand = prng(29);
    const x = Float32Array.from({ length: n * V }, () => 6 * rand() - 3);
    npy('wide.npy', x, [n, V]);
    writeFileSync(join(dir, 'wide.csv'), Array.from({ length: n }, () => Math.floor(rand() * V)).join('\n') + '\n');
    const b = ['--bootstrap', '60', '--seed', '5', '--quiet'];
    const one = xent('eval', 'wide.npy', 'wide.csv', ...b, '--threads', '1', '--format', 'json');
    expect(one.code, one.stderr).toBe(0);
    for (const k of ['1', '2']) {
      const r = xent('eval', 'wide.npy', 'wide.csv', ...b, '--shard', `${k}/2`, '--state-out', `wide-${k}.json`);
      expect(r.code, r.stderr).toBe(0);
    }
    const m = xent('merge', 'wide-2.json', 'wide-1.json', '--format', 'json');
    expect(m.code, m.stderr).toBe(0);
    const whole = JSON.parse(one.stdout);
    expect(whole.bootstrap.resamples).toBe(60);
    expect(JSON.parse(m.stdout).bootstrap).toEqual(whole.bootstrap);
    expect(JSON.parse(m.stdout).standardErrors).toEqual(whole.standardErrors);
  });

  it('--threads 2 gives --threads 1\'s report bit for bit (float16 .npy, labels in a CSV, the bootstrap)', () => {
    // 256 classes: the grid is 8192 rows, so 2.5 blocks are cut into parts on it.
    const V = 256;
    const n = 2 * 8192 + 4000;
    const rand = prng(31);
    // float16 bits of values in [-4, 4): sign, exponent 0..16, mantissa.
    const half = () => (Math.floor(rand() * 2) << 15) | (Math.floor(rand() * 17) << 10) | Math.floor(rand() * 1024);
    const a = Uint16Array.from({ length: n * V }, half);
    npy('th-base.npy', a, [n, V]);
    npy('th-cand.npy', a.map((x) => (rand() < 0.3 ? half() : x)), [n, V]);
    writeFileSync(join(dir, 'th.csv'), Array.from({ length: n }, () => Math.floor(rand() * V)).join('\n') + '\n');
    const b = ['th-base.npy', 'th-cand.npy', 'th.csv', '--bootstrap', '50', '--seed', '3', '--quiet', '--format', 'json'];
    const one = xent('compare', ...b, '--threads', '1');
    expect(one.code, one.stderr).toBe(0);
    const two = xent('compare', ...b, '--threads', '2');
    expect(two.code, two.stderr).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const r = JSON.parse(one.stdout) as { positions: number; lossDifference: { bootstrap: unknown } };
    expect(r.positions).toBe(n);
    expect(r.lossDifference.bootstrap).not.toBeNull();
    // More threads than cores are capped, with a note.
    const many = xent('compare', ...b.filter((x) => x !== '--quiet'), '--threads', '4096');
    expect(many.stdout).toBe(one.stdout);
    expect(many.stderr).toMatch(/--threads 4096 capped at \d+/);
  });

  it('bad input: one line naming the file', () => {
    let r = xent('compare', 'base.npy', 'cand-a.npy', 'labels.csv', '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^xent: error: .*rows/);
    r = xent('compare', 'base.npy', 'cand.npy', '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected BASE, CANDIDATE and TARGET');
    r = xent('compare', 'base.npy', 'cand.npy', 'labels.csv', '--seed', '3');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--bootstrap');
  });
});
