/**
 * Apache Arrow IPC input: files written with the apache-arrow package (file and stream formats, several record
 * batches of different sizes, every supported column layout) are evaluated by the built CLI in a child process and
 * must give the library's numbers; bad files must give a clear message, exit code 2 and nothing on stdout. The
 * reader itself is also driven directly, with blocks smaller than and across record batches.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as lz4 from 'lz4js';
import { ArrowReader, arrowRows } from '../src/cli/readers/arrow.js';
import { InputError, type Range, type Source } from '../src/cli/readers/types.js';
import { NpyReader } from '../src/cli/readers/npy.js';
import { type Job, runBlocks } from '../src/cli/pipeline.js';
import { mergePacked } from '../src/eval/evaluator.js';
import { Evaluator, init } from '../src/index.js';
import { CHILD_WASM } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
// The library's numbers below come from the build the CLI's process runs, so that they agree to the last bits.
await init({ relaxedSimd: CHILD_WASM === 'wasm-relaxed-simd' });
const dir = mkdtempSync(join(tmpdir(), 'xent-arrow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function xent(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

// 1500 rows × 5 classes of logits with 3 decimals, labels mostly the argmax.
const R = 1500, C = 5;
let seed = 7;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const rows = Array.from({ length: R }, () => Array.from({ length: C }, () => Math.round((6 * rand() - 3) * 1000) / 1000));
const labels = rows.map((z) => (rand() < 0.7 ? z.indexOf(Math.max(...z)) : Math.floor(rand() * C)));
const f32 = Float32Array.from(rows.flat());
const want64 = new Evaluator({ classes: C }).update(rows, labels).result();
const want32 = new Evaluator({ classes: C }).update(f32, labels).result();

/** Record batches of these sizes (summing to R), so that blocks and thread ranges cross batch boundaries. */
const SIZES = [1, 599, 333, 567];
const LABEL_SIZES = [1000, 500];

/** A table of record batches of `sizes` rows; `columns(a, b)` builds the vectors of rows [a, b). */
function batched(sizes: number[], columns: (a: number, b: number) => Record<string, A.Vector>): A.Table {
  const batches: A.RecordBatch[] = [];
  let a = 0;
  for (const n of sizes) {
    batches.push(...new A.Table(columns(a, a + n)).batches);
    a += n;
  }
  return new A.Table(batches);
}

const field = (t: A.DataType) => new A.Field('item', t, false);
const fixed32 = (sizes: number[]) =>
  batched(sizes, (a, b) => ({ logits: A.vectorFromArray(rows.slice(a, b), new A.FixedSizeList(C, field(new A.Float32()))) }));
const labelTable = (type: A.DataType, sizes = LABEL_SIZES) =>
  batched(sizes, (a, b) => ({ label: A.vectorFromArray(type instanceof A.Int64 ? labels.slice(a, b).map(BigInt) : labels.slice(a, b), type) }));

const predFile = file('pred.arrow', A.tableToIPC(fixed32(SIZES), 'file'));
const predStream = file('pred-stream.arrow', A.tableToIPC(fixed32(SIZES), 'stream'));
const labelsI32 = file('labels-i32.arrow', A.tableToIPC(labelTable(new A.Int32()), 'file'));
const labelsI64 = file('labels-i64.ipc', A.tableToIPC(labelTable(new A.Int64()), 'stream'));
const labelsU8 = file('labels-u8.feather', A.tableToIPC(labelTable(new A.Uint8(), [R]), 'file'));

type Metrics = Record<string, number>;

function json(args: string[]): Metrics {
  const r = xent('eval', ...args, '--format', 'json', '--quiet');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Metrics;
}

function expectClose(got: Metrics, want: Metrics, rel: number) {
  expect(got.count).toBe(R);
  for (const k of ['nats', 'accuracy', 'brier', 'ece']) {
    expect(Math.abs(got[k] - want[k])).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want[k])));
  }
}

describe('xent eval on Apache Arrow IPC', () => {
  it('the test data is what it claims: several record batches, both IPC formats', () => {
    expect(A.tableFromIPC(readFileSync(predFile)).batches.map((b) => b.numRows)).toEqual(SIZES);
    expect(A.tableFromIPC(readFileSync(predStream)).batches.map((b) => b.numRows)).toEqual(SIZES);
    expect(readFileSync(predFile).subarray(0, 6).toString('latin1')).toBe('ARROW1');
    expect(readFileSync(predStream).readUInt32LE(0)).toBe(0xffffffff);
    expect(arrowRows(predFile)).toBe(R);
    expect(arrowRows(predStream)).toBe(R);
    expect(arrowRows(labelsI64)).toBe(R);
  });

  it('FixedSizeList<float32> rows, file and stream, int32 / int64 / uint8 labels: the float32 library numbers', () => {
    expectClose(json([predFile, labelsI32]), want32, 1e-6);
    expectClose(json([predStream, labelsI64]), want32, 1e-6);
    expectClose(json([predFile, labelsU8]), want32, 1e-6);
    // Against the same data as .csv labels, and an explicit --pred-format on an odd extension.
    const csvLabels = file('labels.csv', labels.join('\n') + '\n');
    expectClose(json([predFile, csvLabels]), want32, 1e-6);
    expectClose(json([file('pred.data', readFileSync(predFile)), csvLabels, '--pred-format', 'arrow']), want32, 1e-6);
  });

  it('one float64 column per class, and List / LargeList<float64> rows: the float64 library numbers', () => {
    const perClass = batched([700, 13, 787], (a, b) =>
      Object.fromEntries(Array.from({ length: C }, (_, j) => [`p${j}`, A.vectorFromArray(rows.slice(a, b).map((r) => r[j]), new A.Float64())])),
    );
    expectClose(json([file('cols.arrow', A.tableToIPC(perClass, 'file')), labelsI64]), want64, 1e-12);
    expectClose(json([file('cols-stream.arrow', A.tableToIPC(perClass, 'stream')), labelsI32]), want64, 1e-12);
    for (const T of [A.List, A.LargeList]) {
      const lists = batched(SIZES, (a, b) => ({ logits: A.vectorFromArray(rows.slice(a, b), new T(field(new A.Float64()))) }));
      expectClose(json([file(`list-${T.name}.arrow`, A.tableToIPC(lists, 'stream')), labelsI32]), want64, 1e-12);
    }
  });

  it('the legacy stream format (no continuation marker), float16 values and bool multi-label targets', () => {
    const legacy = A.RecordBatchStreamWriter.writeAll(fixed32(SIZES), { writeLegacyIpcFormat: true }).toUint8Array(true);
    expect(Buffer.from(legacy).readUInt32LE(0)).not.toBe(0xffffffff);
    expectClose(json([file('legacy.arrow', legacy), labelsI32]), want32, 1e-6);

    // float16 logits: multiples of 1/8 in [-3, 3] are exact in half precision; half input computes in float32.
    const halves = rows.map((r) => r.map((v) => Math.round(v * 8) / 8));
    const half = batched(SIZES, (a, b) => ({ z: A.vectorFromArray(halves.slice(a, b), new A.FixedSizeList(C, field(new A.Float16()))) }));
    const wantHalf = new Evaluator({ classes: C }).update(Float32Array.from(halves.flat()), labels).result();
    const got = json([file('half.arrow', A.tableToIPC(half, 'file')), labelsI32]);
    expectClose(got, wantHalf, 1e-12);

    // Multi-label: 0/1 targets as bool columns (bit-packed, batches not multiples of 8) and as FixedSizeList<bool>.
    const bits = rows.map((r) => r.map((v) => v >= 0.5));
    const wantMulti = new Evaluator({ classes: C, multiLabel: true }).update(rows, bits.map((r) => r.map(Number))).result();
    const boolCols = batched([3, 1100, 397], (a, b) =>
      Object.fromEntries(Array.from({ length: C }, (_, j) => [`y${j}`, A.vectorFromArray(bits.slice(a, b).map((r) => r[j]), new A.Bool())])),
    );
    const boolList = batched([9, 1491], (a, b) => ({ y: A.vectorFromArray(bits.slice(a, b), new A.FixedSizeList(C, field(new A.Bool()))) }));
    const pred64 = file('pred64.arrow', A.tableToIPC(batched(SIZES, (a, b) => ({
      z: A.vectorFromArray(rows.slice(a, b), new A.FixedSizeList(C, field(new A.Float64()))),
    })), 'file'));
    expectClose(json([pred64, file('bools.arrow', A.tableToIPC(boolCols, 'file')), '--multi-label']), wantMulti, 1e-12);
    expectClose(json([pred64, file('boollist.arrow', A.tableToIPC(boolList, 'stream')), '--multi-label']), wantMulti, 1e-12);
  });

  it('--threads 2 and 3 split Arrow inputs by rows and give the numbers of one thread', () => {
    const one = json([predFile, labelsI64]);
    for (const threads of ['2', '3']) {
      expectClose(json([predFile, labelsI64, '--threads', threads]), one, 1e-12);
      expectClose(json([predStream, labelsI32, '--threads', threads]), one, 1e-12);
    }
    // Arrow PRED with text TARGET and the other way round.
    const csvPred = file('pred.csv', rows.map((r) => r.join(',')).join('\n') + '\n');
    expectClose(json([csvPred, labelsI32, '--threads', '3']), want64, 1e-12);
    const csvLabels = file('labels3.csv', labels.join('\n') + '\n');
    expectClose(json([predStream, csvLabels, '--threads', '2']), want32, 1e-6);
  });

  it('LZ4-frame compressed bodies (written with lz4js), and a list column beside others (it holds the predictions)', () => {
    A.compressionRegistry.set(A.CompressionType.LZ4_FRAME, { encode: (d: Uint8Array) => lz4.compress(d) });
    const bytes = A.RecordBatchFileWriter.writeAll(fixed32(SIZES), { compressionType: A.CompressionType.LZ4_FRAME }).toUint8Array(true);
    expectClose(json([file('lz4.arrow', bytes), labelsI32]), want32, 1e-6);
    const mixed = batched(SIZES, (a, b) => ({
      id: A.vectorFromArray(Array.from({ length: b - a }, (_, i) => a + i), new A.Int32()),
      logits: A.vectorFromArray(rows.slice(a, b), new A.FixedSizeList(C, field(new A.Float32()))),
      label: A.vectorFromArray(labels.slice(a, b), new A.Int32()),
    }));
    const r = xent('eval', file('mixed.arrow', A.tableToIPC(mixed, 'file')), '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/column "id" holds the row numbers 0, 1, 2, …: skipped/);
    expect(r.stderr).toMatch(/column "logits" holds the predictions|^xent: note: .*skipped/m);
    expectClose(JSON.parse(r.stdout) as Metrics, want32, 1e-6);
  });

  it('an empty table has no rows', () => {
    const empty = file('empty.arrow', A.tableToIPC(new A.Table({ x: A.vectorFromArray([], new A.Float64()) }), 'file'));
    const r = xent('eval', empty, labelsI32);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/empty\.arrow: no rows/);
  });
});

describe('bad Arrow files: exit 2, a clear message, nothing on stdout', () => {
  const withNull = (name: string, at: number, col: number, format: 'file' | 'stream') => {
    const t = batched(SIZES, (a, b) =>
      Object.fromEntries(Array.from({ length: C }, (_, j) => [
        `p${j}`,
        A.vectorFromArray(rows.slice(a, b).map((r, i) => (a + i === at && j === col ? null : r[j])), new A.Float64()),
      ])),
    );
    return file(name, A.tableToIPC(t, format));
  };
  const good = () => readFileSync(predFile);
  const truncated = (bytes: Uint8Array, keep: number) => bytes.subarray(0, keep);

  const bad: [string, () => string[], RegExp][] = [
    ['a null value', () => [withNull('null.arrow', 1234, 2, 'file'), labelsI32], /null\.arrow: row 1235, column "p2": a null \(missing\) value/],
    ['a null value (stream, first batch)', () => [withNull('null0.arrow', 0, 4, 'stream'), labelsI32], /null0\.arrow: row 1, column "p4": a null \(missing\) value/],
    ['a null inside a FixedSizeList', () => {
      const t = batched(SIZES, (a, b) => ({
        z: A.vectorFromArray(rows.slice(a, b).map((r, i) => (a + i === 700 ? [r[0], null, r[2], r[3], r[4]] : r)), new A.FixedSizeList(C, new A.Field('item', new A.Float32(), true))),
      }));
      return [file('nullfsl.arrow', A.tableToIPC(t, 'stream')), labelsI32];
    }, /nullfsl\.arrow: row 701, column "z"\[1\]: a null \(missing\) value/],
    ['a null label', () => {
      const t = new A.Table({ y: A.vectorFromArray(labels.map((y, i) => (i === 42 ? null : y)), new A.Int32()) });
      return [predFile, file('nulllabel.arrow', A.tableToIPC(t, 'file'))];
    }, /nulllabel\.arrow: row 43, column "y": a null \(missing\) value/],
    ['a truncated file', () => [file('trunc.arrow', truncated(good(), good().length - 100)), labelsI32], /trunc\.arrow: byte offset \d+: truncated Arrow IPC file: it does not end with ARROW1/],
    ['a truncated stream', () => {
      const s = readFileSync(predStream);
      return [file('trunc-stream.arrow', truncated(s, Math.floor(s.length * 0.7))), labelsI32];
    }, /trunc-stream\.arrow: byte offset \d+: truncated Arrow file: a message's body of \d+ bytes runs past the end of the file/],
    ['a stream cut in its schema', () => [file('cut.arrow', truncated(readFileSync(labelsI64), 10)), labelsI32], /cut\.arrow: byte offset 0: truncated or corrupt Arrow message/],
    ['bad magic', () => {
      const b = Buffer.from(good());
      b.write('ARROWX', 0, 'latin1');
      return [file('magic.arrow', b), labelsI32];
    }, /magic\.arrow: byte offset 0: not Arrow IPC data/],
    ['a file that is not Arrow at all', () => [file('text.arrow', '1,2,3\n4,5,6\n'), labelsI32], /text\.arrow: byte offset 0: not Arrow IPC data/],
    ['a Utf8 column among the predictions', () => {
      const t = new A.Table({ a: A.vectorFromArray([1.5, 2], new A.Float64()), b: A.vectorFromArray(['x', 'y'], new A.Utf8()) });
      return [file('utf8.arrow', A.tableToIPC(t, 'file')), labelsI32];
    }, /utf8\.arrow: PRED's column "b" holds text \("x"\), not predictions: pass --id-column b to skip it/],
    ['a ragged List', () => {
      const ragged = rows.map((r, i) => (i === 900 ? r.slice(0, 4) : r));
      const t = batched(SIZES, (a, b) => ({ z: A.vectorFromArray(ragged.slice(a, b), new A.List(field(new A.Float64()))) }));
      return [file('ragged.arrow', A.tableToIPC(t, 'file')), labelsI32];
    }, /ragged\.arrow: row 901, column "z": a list of 4 values, earlier rows have 5/],
    ['text labels without class names (TARGET)', () => {
      const t = new A.Table({ y: A.vectorFromArray(labels.map(String), new A.Utf8()) });
      return [predFile, file('ylab.arrow', A.tableToIPC(t, 'stream'))];
    }, /ylab\.arrow: row 1: the labels are class names \("\d", "\d", "\d", …\), but PRED's columns do not name the classes: pass --class-names/],
  ];
  it.each(bad)('%s', (_, args, message) => {
    const r = xent('eval', ...args());
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('a null found by a worker (--threads 3) is reported the same way', () => {
    const p = withNull('null-threads.arrow', 1400, 1, 'stream');
    const r = xent('eval', p, labelsI32, '--threads', '3');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/null-threads\.arrow: row 1401, column "p1": a null \(missing\) value/);
  });
});

describe('ArrowReader', () => {
  const reader = (path: string, range?: Range) => new ArrowReader({ path, format: 'arrow', select: { columns: [0], names: null, bools: false }, range });

  it('reads blocks smaller than, and across, record batches, and row ranges', () => {
    for (const path of [predFile, predStream]) {
      const r = reader(path);
      const got: number[] = [];
      let blocks = 0;
      for (let b = r.next(37); b !== null; b = r.next(37)) {
        expect(b.data).toBeInstanceOf(Float32Array);
        expect(b.rows).toBe(Math.min(37, R - 37 * blocks));
        got.push(...b.data);
        blocks++;
      }
      expect(r.cols).toBe(C);
      expect(r.done).toBe(r.total);
      r.close();
      expect(got).toEqual(Array.from(f32));
      const part = reader(path, { rowStart: 590, rowEnd: 940 });
      const b = part.next(1000)!;
      expect(b.rows).toBe(350);
      expect(Array.from(b.data)).toEqual(Array.from(f32.subarray(590 * C, 940 * C)));
      expect(part.where(3, 1)).toMatch(/: row 594, column "logits"\[1\]$/);
      expect(part.next(1)).toBeNull();
      part.close();
    }
    const y = reader(labelsI64, { rowStart: 998, rowEnd: 1003 });
    const b = y.next(100)!;
    expect(b.data).toBeInstanceOf(Float64Array);
    expect(Array.from(b.data)).toEqual(labels.slice(998, 1003));
    y.close();
  });

  it('throws InputError, never a raw exception, on corrupt bytes', () => {
    // Flip bytes across the footer, the schema and the first record batches of a FixedSizeList file, a List stream
    // and a legacy stream of number columns: every outcome is a clean read or an InputError.
    const small = rows.slice(0, 300);
    const list = batched([100, 200], (a, b) => ({ z: A.vectorFromArray(small.slice(a, b), new A.List(field(new A.Float64()))) }));
    const cols = batched([13, 287], (a, b) => ({
      a: A.vectorFromArray(small.slice(a, b).map((r) => r[0] > 0), new A.Bool()),
      b: A.vectorFromArray(labels.slice(a, b).map(BigInt), new A.Int64()),
      c: A.vectorFromArray(small.slice(a, b).map((r) => r[1]), new A.Float16()),
    }));
    const bases = [
      readFileSync(predFile),
      A.tableToIPC(list, 'stream'),
      A.RecordBatchStreamWriter.writeAll(cols, { writeLegacyIpcFormat: true }).toUint8Array(true),
    ];
    let errors = 0;
    for (const base of bases) {
      for (let k = 0; k < 300; k++) {
        const b = Buffer.from(base);
        const at = k % 2 === 0 ? base.length - 1 - Math.floor(rand() * 600) : Math.floor(rand() * 1200);
        b[at] ^= 1 + Math.floor(rand() * 255);
        const p = file('fuzz.arrow', b);
        try {
          const r = reader(p);
          try {
            while (r.next(500) !== null);
          } finally {
            r.close();
          }
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          errors++;
        }
      }
    }
    expect(errors).toBeGreaterThan(100);
  });
});

describe('float16 columns written by pyarrow go to the library as their bits (scripts/cli_fixtures.py)', () => {
  const FIX = join(import.meta.dirname, 'fixtures', 'cli');
  const at = (name: string, columns: number[], halfBits: boolean): Source =>
    ({ path: join(FIX, name), format: 'arrow', select: { columns, names: null, bools: false }, halfBits });
  const all = (r: { next(n: number): unknown }) => {
    const b = r.next(1 << 20) as { data: ArrayLike<number>; half?: string };
    return { data: b.data, half: b.half };
  };
  // NumPy's float16 bits of the same logits, from the .npy fixture written with them.
  const npyBits = () => all(new NpyReader({ path: join(FIX, 'logits-f16.npy'), format: 'npy', select: { columns: [0, 1, 2, 3], names: null, bools: false }, halfBits: true }));

  it('predictions: a Uint16Array of the file\'s bits, per class or as a list; other reads are widened exactly', () => {
    const want = npyBits();
    expect(want.data).toBeInstanceOf(Uint16Array);
    for (const [name, cols] of [['half-columns.feather', [0, 1, 2, 3]], ['half-list.feather', [0]]] as const) {
      const got = all(new ArrowReader(at(name, [...cols], true)));
      expect(got.half, name).toBe('float16');
      expect(got.data, name).toBeInstanceOf(Uint16Array);
      expect(Array.from(got.data), name).toEqual(Array.from(want.data));
      // Without halfBits (not predictions), or beside a column that is not half: float32, the same values.
      const wide = all(new ArrowReader(at(name, [...cols], false)));
      expect(wide.half).toBeUndefined();
      expect(wide.data).toBeInstanceOf(Float32Array);
      const f32 = all(new ArrowReader(at('half-list-f32.feather', [0], false)));
      expect(Array.from(wide.data)).toEqual(Array.from(f32.data));
    }
    const mixed = all(new ArrowReader(at('half-columns.feather', [0, 4], true)));
    expect(mixed.half).toBeUndefined();
  });

  it('the evaluator receives the Uint16Array with dtype float16, and its state equals the float32 file\'s bit for bit', async () => {
    const job = (name: string, cols: number[], label: number): Job => ({
      pred: at(name, cols, true), target: at(name, [label], false), options: { classes: 4 },
    });
    const spy = vi.spyOn(Evaluator.prototype, 'update');
    try {
      const half = await runBlocks(job('half-list.feather', [0], 1));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0][0]).toBeInstanceOf(Uint16Array);
      expect(spy.mock.calls[0][2]).toMatchObject({ dtype: 'float16' });
      spy.mockClear();
      const single = await runBlocks(job('half-list-f32.feather', [0], 1));
      expect(spy.mock.calls[0][0]).toBeInstanceOf(Float32Array);
      const result = (blocks: Float64Array[]) => {
        const ev = new Evaluator({ classes: 4 });
        for (const b of blocks) mergePacked(ev, b);
        return ev.result();
      };
      expect(result(half)).toEqual(result(single));
      expect(result(half).count).toBe(60);
    } finally {
      spy.mockRestore();
    }
  });

  it('xent eval: the float16 files give the float32 file\'s report', () => {
    const report = (name: string) => {
      const r = xent('eval', join(FIX, name), '--format', 'json', '--quiet');
      expect(r.code, r.stderr).toBe(0);
      const { pred: _p, target: _t, run: _r, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
      return rest;
    };
    const single = report('half-list-f32.feather');
    expect(report('half-list.feather')).toEqual(single);
    expect(report('half-columns.feather')).toEqual(single);
  });
});

