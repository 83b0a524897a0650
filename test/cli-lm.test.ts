/**
 * `xent eval --task lm` and `xent merge` of its states, run as the built command on the .npy fixtures of
 * scripts/lm_cli_fixtures.py ([N, T, V] and [N·T, V] logits in float32, float16, bfloat16 and float64; token ids
 * [N, T] and [N·T]; shift, ignore index, top-k, bytes, a single token), every figure checked against the script's
 * float64 NumPy reference. A wider float16 input, written here, checks that two threads give one thread's report
 * bit for bit, and that states of its parts merge into it bit for bit. And `--from openai-logprobs`, and the .npy
 * reader's half-precision bits.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanguageModelEvaluator, fromLogprobs, init } from '../src/index.js';
import { CHILD_WASM } from './helpers.js';
import { NpyReader } from '../src/cli/readers/npy.js';
import { halfToNumber } from '../src/cli/readers/npy-dtypes.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const FIX = join(import.meta.dirname, 'fixtures', 'lm-cli');
const dir = mkdtempSync(join(tmpdir(), 'xent-lm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function xent(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: FIX, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Json = Record<string, unknown>;
interface Case { name: string; pred: string; target: string; args: string[]; expected: Json }
const { cases } = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as { cases: Case[] };

/**
 * Compares a report's figures with the reference, recursively: counts exactly, numbers within `rel` relative
 * (or 1e-12 absolute), a null reference (an undefined standard error) against null.
 */
function near(got: unknown, want: unknown, rel: number, path: string): void {
  if (want === null) return void expect(got, path).toBeNull();
  if (typeof want === 'number') {
    expect(typeof got, path).toBe('number');
    const g = got as number;
    if (Number.isInteger(want) && /tokens|positions|sequences|bytes|from|to|k$/.test(path)) return void expect(g, path).toBe(want);
    return void expect(Math.abs(g - want), `${path}: ${g} against ${want}`).toBeLessThanOrEqual(rel * Math.abs(want) + 1e-12);
  }
  if (Array.isArray(want)) {
    expect(Array.isArray(got) && got.length, path).toBe(want.length);
    want.forEach((w, i) => near((got as unknown[])[i], w, rel, `${path}[${i}]`));
    return;
  }
  for (const [k, w] of Object.entries(want as Json)) near((got as Json)[k], w, rel, `${path}.${k}`);
}

describe('xent eval --task lm against the NumPy reference', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = xent('eval', c.pred, c.target, '--task', 'lm', '--format', 'json', '--quiet', ...c.args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const got = JSON.parse(r.stdout) as Json;
      // Float64 logits are computed in float64; the rest in float32 arithmetic on exactly widened values, with
      // float64 sums. Standard errors are differences of sums: a looser bound.
      const f64 = c.pred.includes('f8');
      const { nats, corpusPerplexity, meanSequencePerplexity, entropy, ...rest } = c.expected;
      near(got, rest, f64 ? 1e-9 : 1e-5, 'result');
      near(got, { nats, corpusPerplexity, meanSequencePerplexity, entropy }, f64 ? 1e-9 : 1e-4, 'result');
    });
  }

  it('the table names the figures with their errors, and the HTML report holds the loss-by-position chart', () => {
    const report = join(dir, 'lm.html');
    const r = xent('eval', 'logits-f2.npy', 'tokens.npy', '--task', 'lm', '--shift', '--bytes', '1234', '--report', report);
    expect(r.code).toBe(0);
    const want = cases.find((c) => c.name === 'float16 [N,T,V], ids [N*T], shift')!.expected as { corpusPerplexity: { value: number; standardError: number } };
    expect(r.stdout).toContain(`corpus perplexity         ${want.corpusPerplexity.value.toFixed(3)} ± ${want.corpusPerplexity.standardError.toFixed(3)}`);
    expect(r.stdout).toMatch(/4 sequences × 9 positions, vocabulary 40, float16 logits, shifted/);
    expect(r.stdout).toMatch(/bits per byte +[\d.]+ ± [\d.]+ +over 1,234 bytes/);
    expect(r.stdout).toMatch(/mean sequence perplexity/);
    expect(r.stdout).toMatch(/^ +8–9 +\d+ +[\d.]+ ± /m);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('id="xent-position"');
    expect(html).toContain('Loss by position in the sequence');
    expect(html).toContain('id="xent-reliability"');
    expect(html).not.toMatch(/NaN|undefined/);
  });

  it('says what is wrong, where', () => {
    let r = xent('eval', 'logits-f4.npy', 'single-tokens.npy', '--task', 'lm');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/single-tokens\.npy: byte offset \d+: 1 token ids for the 36 positions of logits-f4\.npy/);
    r = xent('eval', 'logits-f4.npy', 'tokens.npy', '--task', 'lm', '--sequence-length', '6');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sequences of 9 positions by logits-f4\.npy's shape, of 6 by --sequence-length/);
    r = xent('eval', 'logits-f4.npy', 'tokens.npy');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shape \(4, 9, 40\) holds sequences of token positions: evaluate a language model's logits with --task lm/);
    r = xent('eval', 'logits-f4.npy', 'tokens.npy', '--task', 'lm', '--compat', 'torch');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--compat does not apply to --task lm/);
    r = xent('eval', 'logits-f4.npy', 'tokens.npy', '--shift');
    expect(r.stderr).toMatch(/--shift does not apply to a classifier/);
    r = xent('eval', 'logits-bf16.npy', 'tokens.npy', '--task', 'lm');
    expect(r.stderr).toMatch(/dtype <u2 is not logits/);
  });

  it('names the token id out of range by row and column of TARGET', () => {
    const ids = readFileSync(join(FIX, 'tokens.npy'));
    const bad = Buffer.from(ids);
    // int64 [4, 9]: row 2, column 4 (1-based) is element 1 * 9 + 3.
    bad.writeBigInt64LE(40n, bad.length - 36 * 8 + (9 + 3) * 8);
    const path = join(dir, 'bad-tokens.npy');
    writeFileSync(path, bad);
    const r = xent('eval', 'logits-f4.npy', path, '--task', 'lm');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path}: row 2, column 4: token id 40 is out of range: token ids are integers in [0, 40) or the ignore index -100`);
  });
});

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

describe('threads and merged states, bit for bit', () => {
  // One sequence of 32 × 32,768 float32 logits is 4 MB: one read block, so each sequence is a block of the grid.
  const N = 5;
  const T = 32;
  const V = 32768;
  const write = (name: string, first: number, count: number, ids: Int32Array, logits: Uint16Array) => {
    let fd = openSync(join(dir, `${name}.npy`), 'w');
    writeSync(fd, npyHeader('<f2', [count, T, V]));
    writeSync(fd, new Uint8Array(logits.buffer, first * T * V * 2, count * T * V * 2));
    closeSync(fd);
    fd = openSync(join(dir, `${name}-ids.npy`), 'w');
    writeSync(fd, npyHeader('<i4', [count, T]));
    writeSync(fd, new Uint8Array(ids.buffer, first * T * 4, count * T * 4));
    closeSync(fd);
  };
  beforeAll(() => {
    let s = 11;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const ids = Int32Array.from({ length: N * T }, (_, i) => (i % 17 === 5 ? -100 : Math.floor(rand() * V)));
    // float16 bits of values in [-8, 8): sign, exponent 0..17, mantissa.
    const logits = Uint16Array.from({ length: N * T * V }, () => (Math.floor(rand() * 2) << 15) | (Math.floor(rand() * 18) << 10) | Math.floor(rand() * 1024));
    write('all', 0, N, ids, logits);
    write('head', 0, 3, ids, logits);
    write('tail', 3, 2, ids, logits);
  });

  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'eval', ...args, '--task', 'lm', '--shift', '--quiet', '--format', 'json'], { encoding: 'utf8', cwd: dir });

  it('--threads 2 gives one thread\'s report', () => {
    const one = run('all.npy', 'all-ids.npy', '--threads', '1');
    const two = run('all.npy', 'all-ids.npy', '--threads', '2');
    expect(one.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    // Every position but each sequence's first (the shift) and the padding (every 17th from 5, none of them first).
    expect((JSON.parse(one.stdout) as { tokens: number }).tokens).toBe(N * T - N - 10);
  });

  it('xent merge of the states of its parts gives the whole run\'s report', () => {
    const whole = run('all.npy', 'all-ids.npy', '--state-out', 'all.json');
    expect(run('head.npy', 'head-ids.npy', '--state-out', 'head.json').status).toBe(0);
    expect(run('tail.npy', 'tail-ids.npy', '--state-out', 'tail.json').status).toBe(0);
    const merged = spawnSync(process.execPath, [CLI, 'merge', 'head.json', 'tail.json', '--format', 'json'], { encoding: 'utf8', cwd: dir });
    expect(merged.stderr).toBe('');
    const a = JSON.parse(whole.stdout) as Json;
    const b = JSON.parse(merged.stdout) as Json;
    for (const key of ['pred', 'target', 'sequences']) delete a[key], delete b[key];
    expect(b).toEqual(a);
    // A state file is small whatever the vocabulary.
    expect(readFileSync(join(dir, 'all.json'), 'utf8').length).toBeLessThan(64 * 1024);
  });

  // Each sequence is one grid block: 1, 2 and 3 shards cut the five blocks 5, 3 + 2 and 2 + 1 + 2 (or so).
  const extra = ['--bootstrap', '40', '--seed', '7', '--bytes', '12345'];
  for (const n of [1, 2, 3]) {
    it(`--shard K/${n} states merged (in any order) give one run's report, with the bootstrap and bits per byte`, () => {
      const whole = run('all.npy', 'all-ids.npy', ...extra);
      expect(whole.status).toBe(0);
      const files: string[] = [];
      for (let k = n; k >= 1; k--) {
        const f = `shard-${k}-of-${n}.json`;
        const r = run('all.npy', 'all-ids.npy', ...extra, '--shard', `${k}/${n}`, '--state-out', f);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        files.push(f);
      }
      // The shards cover the input once, each a part of it.
      const spans = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { first: number; end: number });
      expect(spans.reduce((t, p) => t + p.end - p.first, 0)).toBe(N * T);
      if (n > 1) expect(Math.max(...spans.map((p) => p.end - p.first))).toBeLessThan(N * T);
      const merged = spawnSync(process.execPath, [CLI, 'merge', ...files, '--format', 'json'], { encoding: 'utf8', cwd: dir });
      expect(merged.stderr).toBe('');
      const a = JSON.parse(whole.stdout) as Json;
      const b = JSON.parse(merged.stdout) as Json;
      expect(b).toEqual(a);
      expect((a.bootstrap as Json).loss).toBeDefined();
      expect((a.bitsPerByte as Json).bytes).toBe(12345);
      // Threads give the same bootstrap too.
      expect(run('all.npy', 'all-ids.npy', ...extra, '--threads', '2').stdout).toBe(whole.stdout);
      // The table shows the intervals of the JSON report.
      if (n === 1) {
        const table = spawnSync(process.execPath, [CLI, 'eval', 'all.npy', 'all-ids.npy', ...extra, '--task', 'lm', '--shift', '--quiet'], { encoding: 'utf8', cwd: dir });
        const bs = a.bootstrap as { perplexity: number[]; loss: number[]; accuracy: number[]; resamples: number };
        const line = table.stdout.split('\n').find((l) => l.trimStart().startsWith('bootstrap 95%'));
        expect(line).toBe(
          `  ${'bootstrap 95%'.padEnd(25)} ${`perplexity ${bs.perplexity[0].toFixed(3)} – ${bs.perplexity[1].toFixed(3)}`.padEnd(24)} `
            + `loss ${bs.loss[0].toFixed(4)} – ${bs.loss[1].toFixed(4)} nats, top-1 accuracy ${(100 * bs.accuracy[0]).toFixed(2)} – `
            + `${(100 * bs.accuracy[1]).toFixed(2)} %; ${bs.resamples} Poisson resamples of the tokens`,
        );
      }
    });
  }

  it('xent merge refuses a missing shard', () => {
    expect(run('all.npy', 'all-ids.npy', '--shard', '1/3', '--state-out', 'lone.json').status).toBe(0);
    const merged = spawnSync(process.execPath, [CLI, 'merge', 'lone.json'], { encoding: 'utf8', cwd: dir });
    expect(merged.status).not.toBe(0);
    expect(merged.stderr).toMatch(/shard 2\/3 is missing/);
  });
});

describe('sequences longer than a read chunk: fed in chunks, bounded memory, one update\'s figures bit for bit', () => {
  // 262,144 logits per position: a chunk is 16 positions (16 MB of float32), so a sequence of 37 is read 16 + 16 + 5.
  const V = 262144;
  const T = 37;
  const N = 2;
  let ids: Int32Array;
  let logits: Uint16Array;
  const write = (name: string, x: Uint16Array, shape: number[]) => {
    const fd = openSync(join(dir, name), 'w');
    writeSync(fd, npyHeader('<f2', shape));
    writeSync(fd, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    closeSync(fd);
  };
  beforeAll(async () => {
    await init({ relaxedSimd: CHILD_WASM === 'wasm-relaxed-simd' });
    let s = 5;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    ids = Int32Array.from({ length: N * T }, (_, i) => (i % 11 === 7 ? -100 : Math.floor(rand() * V)));
    logits = Uint16Array.from({ length: N * T * V }, () => (Math.floor(rand() * 2) << 15) | (Math.floor(rand() * 18) << 10) | Math.floor(rand() * 1024));
    write('long.npy', logits, [N, T, V]);
    let fd = openSync(join(dir, 'long-ids.npy'), 'w');
    writeSync(fd, npyHeader('<i4', [N, T]));
    writeSync(fd, new Uint8Array(ids.buffer));
    closeSync(fd);
    // The same with a NaN at sequence 2, position 20 (its second chunk), class 7.
    const bad = logits.slice();
    bad[(T + 20) * V + 7] = 0x7e00;
    write('long-nan.npy', bad, [N, T, V]);
    fd = openSync(join(dir, 'long-flat-ids.npy'), 'w');
    writeSync(fd, npyHeader('<i4', [N * T]));
    writeSync(fd, new Uint8Array(ids.buffer));
    closeSync(fd);
  });
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'eval', ...args, '--task', 'lm', '--quiet', '--format', 'json'], { encoding: 'utf8', cwd: dir });

  for (const shift of [false, true]) {
    it(`equals the library's one update per sequence${shift ? ', under the shift' : ''}; threads and shards agree`, () => {
      const flag = shift ? ['--shift'] : [];
      const r = run('long.npy', 'long-ids.npy', ...flag, '--bootstrap', '30');
      expect(r.stderr).toBe('');
      const want = new LanguageModelEvaluator({ classes: V, bootstrap: { resamples: 30, seed: 0 } });
      for (let n = 0; n < N; n++) {
        const one = new LanguageModelEvaluator(want.options);
        one.update(logits.subarray(n * T * V, (n + 1) * T * V), ids.subarray(n * T, (n + 1) * T), { shift, dtype: 'float16', offset: n * T });
        want.merge(one);
      }
      const got = JSON.parse(r.stdout) as { state: unknown; tokens: number };
      expect(got.state).toEqual(want.toJSON());
      expect(got.tokens).toBe(want.result().tokens);
      // Flat token ids ([N·T] with --sequence-length), two threads, two shards merged: the same bits.
      expect(run('long.npy', 'long-flat-ids.npy', ...flag, '--bootstrap', '30').stdout).toBe(r.stdout.replace('long-ids.npy', 'long-flat-ids.npy'));
      expect(run('long.npy', 'long-ids.npy', ...flag, '--bootstrap', '30', '--threads', '2').stdout).toBe(r.stdout);
      for (const k of [1, 2]) expect(run('long.npy', 'long-ids.npy', ...flag, '--bootstrap', '30', '--shard', `${k}/2`, '--state-out', `long-${k}.json`).status).toBe(0);
      const merged = spawnSync(process.execPath, [CLI, 'merge', 'long-2.json', 'long-1.json', '--format', 'json'], { encoding: 'utf8', cwd: dir });
      expect(JSON.parse(merged.stdout)).toEqual(JSON.parse(r.stdout));
    });
  }

  it('locates a bad value in a later chunk by its row and column', () => {
    for (const shift of [[], ['--shift']]) {
      const r = run('long-nan.npy', 'long-ids.npy', ...shift);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`long-nan.npy: row ${T + 21}, column 8`);
    }
  });
});

describe('xent eval --from openai-logprobs', () => {
  const responses = [
    { choices: [{ index: 0, logprobs: { content: [
      { token: 'Hi', logprob: -0.5, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.5 }, { token: 'Yo', logprob: -1.5 }] },
      { token: '!', logprob: -2.2, bytes: [33], top_logprobs: [{ token: '.', logprob: -0.6 }, { token: '?', logprob: -1.9 }] },
      { token: ' ok', logprob: -9999, bytes: [32, 111, 107], top_logprobs: [] },
    ] } }] },
    { choices: [{ index: 0, logprobs: { tokens: ['a', 'b', 'c'], token_logprobs: [null, -1.25, -0.75], top_logprobs: null } }] },
  ];
  const path = join(dir, 'responses.jsonl');
  beforeAll(() => writeFileSync(path, responses.map((r) => JSON.stringify(r)).join('\n') + '\n'));

  it('reports the library\'s figures, and the sentinels counted and named', () => {
    const want = fromLogprobs(responses);
    const json = spawnSync(process.execPath, [CLI, 'eval', path, '--from', 'openai-logprobs', '--format', 'json'], { encoding: 'utf8' });
    expect(json.status).toBe(0);
    const got = JSON.parse(json.stdout) as typeof want;
    expect(got.corpusPerplexity).toEqual(want.corpusPerplexity);
    expect(got.sentinels).toEqual({ filler: 1, zero: 0, nullFirst: 1, null: 0, positive: 0 });
    expect(got.perResponse[0].sentinels).toEqual([{ position: 2, kind: 'filler' }]);
    expect(got.tokens).toBe(4);
    const table = spawnSync(process.execPath, [CLI, 'eval', path, '--from', 'openai-logprobs'], { encoding: 'utf8' });
    expect(table.stdout).toContain('Set aside, not averaged in: 1 filler, 1 nullFirst');
    expect(table.stdout).toContain(`corpus perplexity         ${want.corpusPerplexity.value.toFixed(3)}`);
    expect(table.stdout).toMatch(/^ +1 +0 +2 +3\.857 .* filler@2$/m);
  });
});

describe('the .npy reader hands half-precision predictions on as bits', () => {
  const select = (n: number) => ({ columns: Array.from({ length: n }, (_, i) => i), names: null, bools: false });
  it('float16 and bfloat16 (--dtype) as Uint16Array bits with their format; labels and other readers widened', () => {
    const f16 = new NpyReader({ path: join(FIX, 'logits-f2.npy'), format: 'npy', select: select(40), halfBits: true });
    const bf16 = new NpyReader({ path: join(FIX, 'logits-bf16.npy'), format: 'npy', select: select(40), half: 'bfloat16', halfBits: true });
    const widened = new NpyReader({ path: join(FIX, 'logits-f2.npy'), format: 'npy', select: select(40) });
    try {
      const a = f16.next(36)!;
      const b = bf16.next(36)!;
      const w = widened.next(36)!;
      expect(a.data).toBeInstanceOf(Uint16Array);
      expect(a.half).toBe('float16');
      expect(b.data).toBeInstanceOf(Uint16Array);
      expect(b.half).toBe('bfloat16');
      expect(w.data).toBeInstanceOf(Float32Array);
      expect(w.half).toBeUndefined();
      // The same values: the bits decoded as IEEE half are what the widening reader gives.
      const bytes = readFileSync(join(FIX, 'logits-f2.npy'));
      const raw = new Uint16Array(bytes.buffer.slice(bytes.byteOffset + bytes.length - 36 * 40 * 2, bytes.byteOffset + bytes.length));
      expect(Array.from(a.data)).toEqual(Array.from(raw));
      expect(Array.from(w.data)).toEqual(Array.from(raw, halfToNumber));
    } finally {
      f16.close();
      bf16.close();
      widened.close();
    }
  });
});
