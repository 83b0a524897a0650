/**
 * Where the rows of a text file start, for `--threads`, which cuts PRED and TARGET into parts at row boundaries:
 * one scan of the file's newlines from its first data row, counting non-blank lines as rows (as the reader does).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const BUF = 1 << 20;
const NL = 10;

/** A row's byte offset and line number (1-based). */
export interface RowAt {
  offset: number;
  line: number;
}

/**
 * Calls visit(row, offset, line) for each row from `start` (row 0) on, until it returns false or the file ends;
 * returns the place just past the end of the file.
 */
function scanRows(path: string, start: RowAt, visit: (row: number, offset: number, line: number) => boolean): RowAt {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(BUF);
  let lineStart = start.offset;
  let line = start.line;
  let inLine = false;
  let row = 0;
  try {
    for (let pos = start.offset; pos < size; ) {
      const got = readSync(fd, buf, 0, Math.min(BUF, size - pos), pos);
      if (got === 0) break;
      for (let i = 0; i < got; ) {
        if (!inLine) {
          const c = buf[i];
          if (c === NL) {
            line++;
            lineStart = pos + i + 1;
            i++;
            continue;
          }
          if (c === 32 || c === 9 || c === 13) {
            i++;
            continue;
          }
          if (!visit(row++, lineStart, line)) return { offset: lineStart, line };
          inLine = true;
        }
        const nl = buf.indexOf(NL, i);
        if (nl < 0 || nl >= got) break;
        line++;
        lineStart = pos + nl + 1;
        inLine = false;
        i = nl + 1;
      }
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
  return { offset: size, line: inLine ? line + 1 : line };
}

/** Where rows 0, step, 2·step, … start: those that start at or before byte `end`, and the first one after it. */
export function gridRowOffsets(path: string, start: RowAt, step: number, end: number): RowAt[] {
  const out: RowAt[] = [];
  scanRows(path, start, (row, offset, line) => {
    if (row % step !== 0) return true;
    out.push({ offset, line });
    return offset <= end;
  });
  return out;
}

/** Where rows number `targets` (0-based from `start`, increasing) start; past the end of the file for rows beyond it. */
export function rowOffsets(path: string, start: RowAt, targets: number[]): RowAt[] {
  const out: RowAt[] = [];
  const end = scanRows(path, start, (row, offset, line) => {
    while (out.length < targets.length && targets[out.length] === row) out.push({ offset, line });
    return out.length < targets.length;
  });
  while (out.length < targets.length) out.push(end);
  return out;
}

/** Rows from `start` to the end of the file (non-blank lines). */
export function countRows(path: string, start: RowAt): number {
  let n = 0;
  scanRows(path, start, () => {
    n++;
    return true;
  });
  return n;
}
