/**
 * The progress bar of `xent eval`: on a terminal (run under `script`, which gives the CLI a pseudo-terminal) a long
 * input shows percent, rows/s and ETA on stderr, and the bar is erased before the report; with --quiet, or when
 * stderr is not a terminal, nothing is drawn.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'xent-progress-'));
const ROWS = 20_000;
const CLASSES = 500; // 40 MB of float32 logits: over the bar's 32 MiB threshold

/** A .npy file (format 1.0) of `rows` × `cols` values of dtype `descr`, written in slices. */
function npy(path: string, descr: string, rows: number, cols: number, fill: (r: number) => ArrayBufferView): void {
  const shape = cols === 1 ? `(${rows},)` : `(${rows}, ${cols})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.writeUInt8(0x93, 0);
  pre.write('NUMPY', 1, 'latin1');
  pre.writeUInt8(1, 6);
  pre.writeUInt8(0, 7);
  pre.writeUInt16LE(header.length, 8);
  const fd = openSync(path, 'w');
  writeSync(fd, pre);
  writeSync(fd, header, null, 'latin1');
  for (let r = 0; r < rows; r += 1000) writeSync(fd, fill(r));
  closeSync(fd);
}

const pred = join(dir, 'logits.npy');
const target = join(dir, 'labels.npy');
const hasScript = spawnSync('script', ['--version']).status === 0;

beforeAll(() => {
  npy(pred, '<f4', ROWS, CLASSES, (r) => {
    const a = new Float32Array(1000 * CLASSES);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(r * 7 + i * 0.37) * 3;
    return a;
  });
  npy(target, '<i4', ROWS, 1, (r) => Int32Array.from({ length: 1000 }, (_, i) => (r + i) % CLASSES));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with stdout and stderr on a pseudo-terminal; returns everything written to it. */
function onTerminal(args: string[]): { code: number | null; out: string } {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout };
}

describe('progress bar', () => {
  it.skipIf(!hasScript)('on a terminal: percent, rows/s and ETA, erased before the report (1 and 2 threads)', () => {
    for (const threads of ['1', '2']) {
      const r = onTerminal(['eval', pred, target, '--threads', threads, '--format', 'json']);
      expect(r.code, r.out).toBe(0);
      const bars = r.out.match(/\r[█░]{28} +\d+ %  [\d.]+ [kMG]? ?rows\/s  ETA \d+ s /g) ?? [];
      expect(bars.length, r.out.slice(0, 400)).toBeGreaterThan(0);
      // the last bar is erased (carriage return + erase line) before the JSON report starts
      const erased = r.out.lastIndexOf('\r\x1b[K');
      expect(erased).toBeGreaterThan(r.out.lastIndexOf(bars.at(-1)!));
      expect(r.out.indexOf('{', erased)).toBeGreaterThan(erased);
      expect(JSON.parse(r.out.slice(r.out.indexOf('{', erased))).count).toBe(ROWS);
    }
  });

  it.skipIf(!hasScript)('--quiet draws nothing on a terminal', () => {
    const r = onTerminal(['eval', pred, target, '--threads', '1', '--format', 'json', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/rows\/s|█|░/);
  });

  it('stderr that is not a terminal gets no bar', () => {
    const r = spawnSync(process.execPath, [CLI, 'eval', pred, target, '--threads', '1', '--format', 'json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).count).toBe(ROWS);
  });
});
