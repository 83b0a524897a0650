/**
 * The header of a NumPy .npy file (format versions 1–3): a Python dict literal with exactly the keys 'descr',
 * 'fortran_order' and 'shape', parsed strictly, as np.load's literal_eval and key check do, except that what NumPy
 * would read differently from the text is refused: a key given twice (NumPy keeps the last, so a second
 * 'fortran_order' silently transposes) and a shape that is not all integers (3.0).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from './types.js';

export interface NpyHeader {
  rows: number;
  cols: number;
  /** 1-D (one value per row), 2-D, or 3-D (a language model's [sequences, positions, vocabulary]: rows are positions). */
  dims: number;
  /** The shape as the header gives it. */
  shape: number[];
  descr: string;
  dataOffset: number;
  /** Byte offset of the header's 'shape' and 'descr' entries (for messages). */
  shapeAt: number;
  descrAt: number;
  /** The file's size. */
  size: number;
}

/** The longest .npy header read (NumPy writes a few hundred bytes, and reads at most 10,000 by default). */
const MAX_HEADER = 1 << 16;

type Value = string | boolean | number[] | 'list' | 'number';

/** Parses the dict literal; errors carry the index in `h` where they are. */
function parseDict(h: string): Map<string, { value: Value; at: number }> {
  let i = 0;
  const fail = (what: string, at = i): never => {
    throw Object.assign(new Error(what), { at });
  };
  const ws = () => {
    while (i < h.length && ' \t\r\n'.includes(h[i])) i++;
  };
  const str = (): string => {
    const q = h[i];
    if (q !== "'" && q !== '"') fail('expected a string');
    const end = h.indexOf(q, i + 1);
    if (end < 0) fail('an unterminated string');
    const s = h.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const value = (): Value => {
    ws();
    const ch = h[i];
    if (ch === "'" || ch === '"') return str();
    if (h.startsWith('True', i)) {
      i += 4;
      return true;
    }
    if (h.startsWith('False', i)) {
      i += 5;
      return false;
    }
    if (ch === '[') {
      // A structured dtype's field list: refused by the caller; skipped here to the matching bracket.
      for (let depth = 0; i < h.length; i++) {
        if (h[i] === '[') depth++;
        else if (h[i] === ']' && --depth === 0) {
          i++;
          return 'list';
        }
      }
      fail('an unterminated list');
    }
    if (ch === '(') {
      i++;
      const dims: number[] = [];
      for (;;) {
        ws();
        if (h[i] === ')') {
          i++;
          return dims;
        }
        const m = /^[0-9]+(?![0-9.eEjJxX_])/.exec(h.slice(i, i + 40));
        if (m === null) fail(`a shape entry that is not a non-negative integer: ${JSON.stringify(h.slice(i, i + 12).split(/[,)]/)[0].trim())}`);
        dims.push(Number(m![0]));
        i += m![0].length;
        ws();
        if (h[i] === ',') i++;
        else if (h[i] !== ')') fail('expected , or ) in the shape');
      }
    }
    const num = /^[+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?/.exec(h.slice(i, i + 40));
    if (num !== null) {
      i += num[0].length;
      return 'number';
    }
    return fail('a value that is not a string, a number, True, False or a tuple of integers');
  };
  const out = new Map<string, { value: Value; at: number }>();
  ws();
  if (h[i] !== '{') fail('expected {');
  i++;
  for (;;) {
    ws();
    if (h[i] === '}') break;
    const at = i;
    const key = str();
    ws();
    if (h[i] !== ':') fail('expected :');
    i++;
    const v = value();
    if (out.has(key)) fail(`the key '${key}' is given twice (NumPy would take the last, silently)`, at);
    out.set(key, { value: v, at });
    ws();
    if (h[i] === ',') i++;
    else if (h[i] !== '}') fail('expected , or }');
  }
  i++;
  ws();
  if (i < h.length) fail('text after the closing }');
  return out;
}

export function readNpyHeader(path: string): NpyHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const at = (offset: number) => `${path}: byte offset ${offset}`;
    if (size === 0) throw new InputError(at(0), 'an empty file (0 bytes), not a NumPy .npy file');
    const pre = Buffer.alloc(12);
    const got = readSync(fd, pre, 0, 12, 0);
    const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    const bad = pre.subarray(0, Math.min(got, 6)).findIndex((b, i) => b !== magic[i]);
    if (bad >= 0) throw new InputError(at(bad), 'not a NumPy .npy file (it does not start with \\x93NUMPY)');
    if (got < 10) throw new InputError(at(got), `truncated .npy header (the file ends after ${size} bytes)`);
    const major = pre[6];
    if (major < 1 || major > 3) throw new InputError(at(6), `.npy format version ${major}.${pre[7]} is not supported (1.0 to 3.0 are)`);
    const wide = major >= 2;
    if (wide && got < 12) throw new InputError(at(got), `truncated .npy header (the file ends after ${size} bytes)`);
    const len = wide ? pre.readUInt32LE(8) : pre.readUInt16LE(8);
    const start = wide ? 12 : 10;
    // NumPy itself refuses headers over 10,000 bytes (np.load's max_header_size); a huge one is not read into memory.
    if (len > MAX_HEADER) throw new InputError(at(8), `the header length says ${len} bytes; xent reads .npy headers of at most ${MAX_HEADER}`);
    if (start + len > size) throw new InputError(at(size), `truncated .npy header (${len} bytes promised, ${size - start} present)`);
    const hb = Buffer.alloc(len);
    readSync(fd, hb, 0, len, start);
    const enc = major >= 3 ? 'utf8' : 'latin1';
    const h = hb.toString(enc);
    /** Byte offset in the file of character `i` of the header text. */
    const pos = (i: number) => start + Buffer.byteLength(h.slice(0, Math.max(0, i)), enc);
    let dict: ReturnType<typeof parseDict>;
    try {
      dict = parseDict(h);
    } catch (e) {
      const where = (e as { at?: number }).at;
      if (where === undefined) throw e;
      throw new InputError(at(pos(where)), `unreadable .npy header: ${(e as Error).message}`);
    }
    const entry = (key: string) => {
      const v = dict.get(key);
      if (v === undefined) throw new InputError(at(start), `unreadable .npy header: no '${key}' in ${JSON.stringify(h.trim().slice(0, 120))}`);
      return v;
    };
    for (const [key, v] of dict) {
      if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
        throw new InputError(at(pos(v.at)), `unreadable .npy header: an unknown key '${key}' (NumPy refuses it too)`);
      }
    }
    const descr = entry('descr');
    const fortran = entry('fortran_order');
    const shape = entry('shape');
    if (descr.value === 'list') throw new InputError(at(pos(descr.at)), 'structured dtypes (records) are not supported');
    if (typeof descr.value !== 'string') throw new InputError(at(pos(descr.at)), "unreadable .npy header: 'descr' is not a string");
    if (typeof fortran.value !== 'boolean') throw new InputError(at(pos(fortran.at)), "unreadable .npy header: 'fortran_order' is not True or False");
    if (fortran.value) {
      throw new InputError(at(pos(fortran.at)), 'Fortran-order (column-major) arrays are not supported; save with np.ascontiguousarray');
    }
    const dims = shape.value;
    const shapeAt = pos(shape.at);
    if (!Array.isArray(dims)) throw new InputError(at(shapeAt), "unreadable .npy header: 'shape' is not a tuple");
    const rows = dims.length === 3 ? dims[0] * dims[1] : dims[0];
    if (dims.length === 0 || dims.length > 3 || dims.some((d) => !Number.isSafeInteger(d)) || dims[dims.length - 1] === 0 || !Number.isSafeInteger(rows)) {
      throw new InputError(at(shapeAt), `shape (${dims.join(', ')}${dims.length === 1 ? ',' : ''}) is not supported: expected (rows,), (rows, classes) or, with --task lm, (sequences, positions, vocabulary)`);
    }
    return {
      rows, cols: dims.length === 1 ? 1 : dims[dims.length - 1], dims: dims.length, shape: dims, descr: descr.value,
      dataOffset: start + len, shapeAt, descrAt: pos(descr.at), size,
    };
  } finally {
    closeSync(fd);
  }
}
