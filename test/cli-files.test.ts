/**
 * `xent eval` on files as pandas, NumPy and pyarrow write them (test/fixtures/cli/, written by
 * scripts/cli_fixtures.py with the expected figures computed there in float64 by NumPy): each must give its exact
 * answer, and each formerly silent misread an exit-2 error that names the fix. Then the command line itself:
 * strict parsing, outputs written whole or not at all, --threads capped, file names escaped.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'cli');
const dir = mkdtempSync(join(tmpdir(), 'xent-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function xent(args: string[], cwd = FIXTURES) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Case {
  files: string[];
  args: string[];
  rel: number;
  count: number;
  nats: number;
  accuracy: number;
  brier: number;
}
const cases = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Case>;

function writeTo(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text + '\n');
  return p;
}

function json(args: string[], cwd?: string) {
  const r = xent(['eval', ...args, '--format', 'json'], cwd);
  expect(r.code, r.stderr).toBe(0);
  // The run's metadata aside: its date and command line differ between runs, the figures may not.
  const { run: _run, ...out } = JSON.parse(r.stdout) as Record<string, number>;
  return { out, stderr: r.stderr };
}

describe('files as pandas, NumPy and pyarrow write them: the figures NumPy computes', () => {
  it('the fixtures are all there', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(22);
    for (const c of Object.values(cases)) for (const f of c.files) expect(existsSync(join(FIXTURES, f)), f).toBe(true);
  });

  it.each(Object.entries(cases))('%s', (_, c) => {
    const { out } = json([...c.files, ...c.args]);
    expect(out.count).toBe(c.count);
    for (const k of ['nats', 'accuracy', 'brier'] as const) {
      expect(Math.abs(out[k] - c[k]), k).toBeLessThanOrEqual(c.rel * Math.max(1, Math.abs(c[k])));
    }
  });

  it('every decision made without being told is said on stderr (and --quiet silences it)', () => {
    const notes: [string[], RegExp][] = [
      [['pandas-index.csv', 'labels.csv'], /pandas-index\.csv: column 1 \(unnamed\) holds the row numbers 0, 1, 2, …: skipped/],
      [['pandas-numeric-header.csv', 'labels-numeric-header.csv'], /labels-numeric-header\.csv: the first line is read as a header/],
      [['probs.csv', 'labels.csv'], /probs\.csv: read as probabilities: every value of its first 60 rows is in \[0, 1\] and every row sums to 1 \(--from logits reads logits\)/],
      [['binary-p.csv', 'binary-bool.csv'], /binary-p\.csv: one column: a binary task, the column being P\(label = 1\) per row/],
      [['outputs-zstd.feather'], /the categories of column "label" name the prediction columns; column "weight" not read/],
      [['outputs-gzip.parquet'], /outputs-gzip\.parquet: column "id" holds integer ids: skipped/],
    ];
    for (const [args, note] of notes) {
      expect(json(args).stderr).toMatch(note);
      expect(json([...args, '--quiet']).stderr).toBe('');
    }
    // Nothing to say about files that say it all.
    expect(json(['named.csv', 'label-names.csv']).stderr).toBe('');
  });

  it('--threads 2 gives one thread\'s figures bit for bit (text, Feather, Parquet); gzip is read by one thread', () => {
    for (const files of [['pandas-index.csv', 'labels.csv'], ['outputs-lz4.feather'], ['outputs-snappy.parquet'], ['outputs.jsonl']]) {
      const one = json([...files, '--threads', '1', '--quiet']).out;
      expect(json([...files, '--threads', '2', '--quiet']).out).toEqual(one);
    }
    if (availableParallelism() > 1) expect(json(['logits.csv.gz', 'labels.csv', '--threads', '2']).stderr).toMatch(/gzip input is read by one thread/);
    expect(xent(['eval', 'logits.csv.gz', 'labels.csv', '--shard', '1/2']).stderr).toMatch(/logits\.csv\.gz: --shard cuts the input at byte offsets, which gzip does not have: decompress it first/);
  });

  it('the class names reach the report', () => {
    const r = xent(['eval', 'named.csv', 'label-names.csv']);
    expect(r.stdout).toMatch(/\n\s+cat\s+\d+/);
    expect(r.stdout).toMatch(/\n\s+fish\s+\d+/);
  });
});

describe('formerly silent misreads: exit 2, nothing on stdout, a message naming the fix', () => {
  const bad: [string, string[], RegExp][] = [
    ['rounded probabilities without --normalize or --tolerance', ['probs-rounded.csv', 'labels.csv'],
      /probs-rounded\.csv:\d+:1: this row sums to [\d.]+, not 1 \(tolerance 0\.000001\); --normalize rescales each row by its sum, --tolerance T accepts sums within T of 1/],
    ['a headerless file whose first column numbers the rows', ['headerless-index.csv', 'labels.csv'],
      /headerless-index\.csv: column 1 holds the row numbers 0, 1, 2, … \(an index\?\): pass --id-column 1 to skip it/],
    ['a null among the predictions', ['null-prediction.feather'], /null-prediction\.feather: row 18, column "dog": a null \(missing\) value/],
    ['class-name labels with nothing naming the classes', ['logits-f8.npy', 'labels-U10.npy'],
      /labels-U10\.npy: row 1: the labels are class names \("\w+", "\w+", "\w+", …\), but PRED's columns do not name the classes: pass --class-names/],
    ['PRED holding labels, and a TARGET as well', ['outputs.jsonl', 'labels.csv'],
      /outputs\.jsonl: PRED has a label column "label" and TARGET is given too: pass --columns to choose the prediction columns/],
    ['--normalize on logits', ['pandas-index.csv', 'labels.csv', '--normalize'], /--normalize rescales probability rows of a single-label task; PRED is read as logits/],
    ['PRED alone without a label column', ['pandas-index.csv'], /no TARGET given, and PRED has no label column/],
    ['probabilities of a wrong class count for the names', ['named.csv', 'label-names.csv', '--class-names', 'a,b,c'], /--class-names names 3 classes, but PRED has 4 per row/],
  ];
  it.each(bad)('%s', (_, args, message) => {
    const r = xent(['eval', ...args]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n').length, r.stderr).toBe(2);
    expect(r.code).toBe(2);
  });

  it('a label file one line longer than PRED, starting with 0: --header or --no-header, not a guess', () => {
    const pred = join(dir, 'two.csv');
    writeFileSync(pred, '0.5,1.5\n2,1\n');
    writeFileSync(join(dir, 'three.csv'), '0\n1\n0\n');
    const r = xent(['eval', pred, join(dir, 'three.csv')]);
    expect(r.stderr).toMatch(/three\.csv has one line more than .*two\.csv has rows, .* pass --header if the first line of .*three\.csv names the columns, --no-header if it is a row/);
    expect(r.code).toBe(2);
    expect(json([pred, join(dir, 'three.csv'), '--header']).out.count).toBe(2);
    const no = xent(['eval', pred, join(dir, 'three.csv'), '--no-header']);
    expect(no.stderr).toMatch(/three\.csv:3:1: TARGET has more rows than PRED/);
  });
});

describe('options that say what the files hold', () => {
  const npy = (descr: string, shape: number[], data: Uint8Array) => {
    let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
    h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    pre.writeUInt16LE(h.length, 8);
    return Buffer.concat([pre, Buffer.from(h, 'latin1'), data]);
  };
  const z = [[1.5, -0.25, 2], [0.125, 3, -1], [-2, 0.5, 0.75]];
  const y = [2, 1, 0];

  it('--dtype bfloat16 reads <u2 and |V2 as bfloat16 (the top half of a float32), --dtype float16 as IEEE half; |V2 alone is an error naming it', () => {
    // These values are exact in bfloat16: its bits are the top 16 bits of the float32's.
    const f32 = Float32Array.from(z.flat());
    const bits = Uint16Array.from(new Uint32Array(f32.buffer), (u) => u >>> 16);
    const labels = join(dir, 'bf-y.npy');
    writeFileSync(labels, npy('<i4', [3], new Uint8Array(Int32Array.from(y).buffer)));
    // The same values as text (float64 kernels; the .npy rows run the float32 kernels).
    const lib = json([writeTo('bf.csv', z.map((r) => r.join(',')).join('\n')), labels]).out;
    for (const descr of ['<u2', '|V2']) {
      const p = join(dir, `bf${descr.replace(/\W/g, '')}.npy`);
      writeFileSync(p, npy(descr, [3, 3], new Uint8Array(bits.buffer)));
      const got = json([p, labels, '--dtype', 'bfloat16']).out;
      expect(Math.abs(got.nats - lib.nats)).toBeLessThanOrEqual(1e-6 * lib.nats);
    }
    const r = xent(['eval', join(dir, 'bfV2.npy'), labels]);
    expect(r.stderr).toMatch(/dtype \|V2 \(raw 2-byte records\) is not a number type: for bfloat16 saved by ml_dtypes, pass --dtype bfloat16/);
    // IEEE half bits saved as <u2, with --dtype float16 (these values are normal and exact in half precision).
    const half = (v: number) => {
      if (v === 0) return 0;
      const e = Math.floor(Math.log2(Math.abs(v)));
      return (v < 0 ? 0x8000 : 0) | ((e + 15) << 10) | Math.round((Math.abs(v) / 2 ** e - 1) * 1024);
    };
    const p16 = join(dir, 'half-u2.npy');
    writeFileSync(p16, npy('<u2', [3, 3], new Uint8Array(Uint16Array.from(z.flat(), half).buffer)));
    expect(Math.abs(json([p16, labels, '--dtype', 'float16']).out.nats - lib.nats)).toBeLessThanOrEqual(1e-6 * lib.nats);
  });

  it('--pred-key and --label-key name JSON keys; --columns and --id-column name CSV columns; --delimiter', () => {
    const lines = z.map((r, i) => JSON.stringify({ out: r, gold: y[i], other: [0, 0] })).join('\n');
    const want = json([writeTo('plain.csv', z.map((r) => r.join(',')).join('\n')), writeTo('plain-y.csv', y.join('\n'))]).out;
    expect(json([writeTo('keys.jsonl', lines), '--pred-key', 'out', '--label-key', 'gold']).out).toEqual({ ...want, pred: expect.any(String), target: expect.any(String), state: expect.anything() });
    const wide = writeTo('wide.csv', ['name,x,a,b,c,y', ...z.map((r, i) => `row${i},9,${r.join(',')},${y[i]}`)].join('\n'));
    const cols = json([wide, '--columns', '3-5', '--label-column', 'y', '--id-column', 'name']).out;
    expect(cols.nats).toBe(want.nats);
    const bars = json([writeTo('bars.txt', z.map((r) => r.join(' | ')).join('\n')), writeTo('bars-y.csv', y.join('\n')), '--delimiter', '|', '--pred-format', 'csv']).out;
    expect(bars.nats).toBe(want.nats);
  });
});

describe('the command line', () => {
  it('options are parsed strictly: an option is never taken as a file name', () => {
    const r = xent(['eval', 'named.csv', 'label-names.csv', '--report', '--quiet'], dir.length > 0 ? FIXTURES : dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^xent: --report needs a value, got the option --quiet/);
    expect(existsSync(join(FIXTURES, '--quiet'))).toBe(false);
    expect(xent(['eval', 'named.csv', 'label-names.csv', '--frm', 'probs']).stderr).toMatch(/unknown option --frm \(did you mean --from\?\)/);
    expect(xent(['eval', 'named.csv', 'label-names.csv', '--threads']).stderr).toMatch(/--threads needs a value/);
    expect(xent(['eval', 'named.csv', 'label-names.csv', '--quiet=yes']).stderr).toMatch(/--quiet takes no value/);
    expect(xent(['eval', 'named.csv']).code).toBe(2);
    // A negative number is a value.
    expect(json(['named.csv', 'label-names.csv', '--ignore-index', '-100']).out.count).toBe(60);
  });

  it('--classes beyond what a row can hold is a usage error, not a crash', () => {
    for (const n of ['4294967296', '1048577', '0', '1e3']) {
      const r = xent(['eval', 'named.csv', 'label-names.csv', '--classes', n]);
      expect(r.code, n).toBe(2);
      expect(r.stderr, n).toMatch(/^xent: --classes must be an integer in \[1, 1048576\]/);
    }
  });

  it('--report and --state-out refuse to overwrite an input', () => {
    const pred = join(dir, 'keep.csv');
    copyFileSync(join(FIXTURES, 'named.csv'), pred);
    const before = readFileSync(pred, 'utf8');
    for (const flag of ['--report', '--state-out']) {
      const r = xent(['eval', pred, join(FIXTURES, 'label-names.csv'), flag, pred]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`keep\\.csv: ${flag} would overwrite the input .*keep\\.csv: choose another file name`));
      expect(readFileSync(pred, 'utf8')).toBe(before);
    }
  });

  it('a report that does not fit (a file-size limit) is exit 2, and no half-written file is left', (ctx) => {
    if (spawnSync('bash', ['-c', 'ulimit -f 16']).status !== 0) ctx.skip('no bash with ulimit');
    const out = join(dir, 'limited');
    rmSync(out, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', out]);
    const report = join(out, 'r.html');
    writeFileSync(report, 'the previous report\n');
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // 16 KiB: the HTML report is larger (its charts alone are tens of KB).
    const cmd = `ulimit -f 16; exec ${q(process.execPath)} ${q(CLI)} eval named.csv label-names.csv --report ${q(report)} --format csv`;
    const r = spawnSync('bash', ['-c', cmd], { cwd: FIXTURES, encoding: 'utf8' });
    expect(r.stderr).toBe(`xent: error: ${report}: file too large (over the file-size limit, ulimit -f)\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(readFileSync(report, 'utf8')).toBe('the previous report\n');
    expect(readdirSync(out)).toEqual(['r.html']);
  });

  it('--threads is capped at the cores available, with a note', () => {
    const r = xent(['eval', 'named.csv', 'label-names.csv', '--threads', '64', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`xent: note: --threads 64 capped at ${availableParallelism()}, the cores available\n`);
  });

  it('a file name with control characters is printed escaped', () => {
    const name = join(dir, 'evil\x1b[2J\x07\u202e.csv');
    const r = xent(['eval', name, 'labels.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('evil\\x1b[2J\\x07\\u202e.csv: no such file or directory');
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    copyFileSync(join(FIXTURES, 'named.csv'), name);
    const ok = xent(['eval', name, 'label-names.csv']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('evil\\x1b[2J\\x07\\u202e.csv against label-names.csv');
    expect(ok.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
  });
});
