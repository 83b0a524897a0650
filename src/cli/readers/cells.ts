/**
 * Cells of text files as numbers, booleans and names. Numbers are decimal only (sign, digits, fraction, exponent;
 * spaces around them allowed), plus inf / infinity / nan in any case: JavaScript's own `Number` would also take
 * `0x10` (16), `0b1`, `1_0` is refused only by luck, and a cell of spaces as 0. No Node API here.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A cell's text without the spaces and one pair of double quotes around it. */
export const unquote = (s: string): string => s.trim().replace(/^"(.*)"$/s, '$1').trim();

/** A cell as a number; NaN when it is not one (isNanText tells a spelled NaN apart). */
export function parseNumber(cell: string): number {
  const t = unquote(cell);
  if (DECIMAL.test(t)) return Number(t);
  const l = t.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return NaN;
}

/** A cell that spells NaN: read as NaN, for the evaluator to report with its row and column. */
export const isNanText = (cell: string): boolean => /^nan$/i.test(unquote(cell));

/** True / False (Python's and pandas' spelling, and lower and upper case): 1 / 0; undefined for anything else. */
export function parseBool(cell: string): 1 | 0 | undefined {
  const t = unquote(cell).toLowerCase();
  return t === 'true' ? 1 : t === 'false' ? 0 : undefined;
}

/** Why a text cell is not a number, for messages: empty, spaces, a decimal comma, another base. */
export function notANumber(cell: string): string {
  const t = unquote(cell);
  if (cell.length === 0) return 'an empty cell';
  if (t === '') return 'a cell of only spaces';
  const shown = JSON.stringify(t.slice(0, 30));
  if (/^[+-]?\d+,\d+$/.test(t)) return `${shown} is not a number (a decimal comma? xent reads decimal points)`;
  if (/^[+-]?0[xXbBoO]/.test(t)) return `${shown} is not a decimal number`;
  return `${shown} is not a number`;
}

const P10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Where fastNumber stopped reading. */
export let stop = 0;

/**
 * Parses the number starting at byte i of `b` (and ending before `end` or the first byte that cannot continue it,
 * left in `stop`) when it is plain decimal (sign, digits, fraction, exponent) with at most 15 significant digits and
 * a decimal exponent within ±22: then m / 10^k (or m · 10^k) is correctly rounded (Clinger's fast path), so the
 * result equals Number(text). Returns NaN for anything else (the caller falls back to parseNumber).
 */
export function fastNumber(b: Uint8Array, i: number, end: number): number {
  stop = i;
  let neg = false;
  let c = b[i];
  if (c === 45 || c === 43) {
    neg = c === 45;
    c = b[++i];
  }
  let m = 0;
  let digits = 0;
  let frac = 0;
  const start = i;
  while (c >= 48 && c <= 57 && i < end) {
    m = m * 10 + (c - 48);
    digits++;
    c = b[++i];
  }
  if (c === 46 && i < end) {
    c = b[++i];
    while (c >= 48 && c <= 57 && i < end) {
      m = m * 10 + (c - 48);
      digits++;
      frac++;
      c = b[++i];
    }
  }
  if (i === start || digits > 15 || digits === 0) return NaN;
  let e = -frac;
  if ((c === 101 || c === 69) && i < end) {
    c = b[++i];
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      c = b[++i];
    }
    let x = 0;
    const es = i;
    while (c >= 48 && c <= 57 && i < end) {
      x = x * 10 + (c - 48);
      c = b[++i];
    }
    if (i === es || x > 400) return NaN;
    e += eneg ? -x : x;
  }
  stop = i;
  if (e < -22 || e > 22) return NaN;
  const v = e < 0 ? m / P10[-e] : m * P10[e];
  return neg ? -v : v;
}
