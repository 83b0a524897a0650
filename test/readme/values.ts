/**
 * The README's value comments: `expression; // 0.417 nats` states the value of the expression on its left. This
 * module parses such a comment and compares it with the value the code produced (encoded by the runner, runner.mjs).
 *
 * - A number is checked to the digits shown: `0.417` within half a unit of its last digit, `0.4504…` truncated
 *   (0.4504 ≤ v < 0.4505 in magnitude); an integer, an exponent without a fraction (`1e-7`), `Infinity` and `NaN`
 *   exactly; each with 1e-15 relative room for the last bit of a double.
 * - `'text'` and `"text"`, `true`, `false`, `null`, `undefined` exactly.
 * - `[a, b]` an array, `Float64Array [a, b]` a typed array of that type (a bare `Float64Array` checks the type only);
 *   a last item `…` checks a prefix (`[…]`: any items).
 * - `{ key: value, … }` an object's listed keys (`…`: others may follow).
 * Text after the value, past a space or a punctuation mark, is prose (units, remarks). A comment that does not
 * begin with a value is prose, not checked.
 */

export type Expected =
  | { kind: 'number'; value: number; unit: number; truncated: boolean; text: string }
  | { kind: 'exact'; value: string | boolean | null | undefined }
  | { kind: 'array'; typed: string | null; items: Expected[]; prefix: boolean }
  | { kind: 'typed'; typed: string }
  | { kind: 'object'; entries: [string, Expected][]; partial: boolean };

/** A value as the runner encodes it (JSON-safe: numbers as strings, so NaN and ±Infinity survive). */
export type Encoded =
  | { number: string }
  | { json: string | boolean | null }
  | { undefined: true }
  | { array: Encoded[] }
  | { typed: string; items: Encoded[] }
  | { object: Record<string, Encoded>; ctor: string }
  | { other: string };

const TYPED = /^((?:Float32|Float64|Int8|Uint8|Uint8Clamped|Int16|Uint16|Int32|Uint32|BigInt64|BigUint64)Array)\b/;
const NUMBER = /^([-−]?)(?:(Infinity|NaN)|(\d+)(?:\.(\d*))?(?:e([-+]?\d+))?)(…)?/;

class Reader {
  constructor(public s: string, public i = 0) {}
  rest(): string { return this.s.slice(this.i); }
  ws(): void { while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++; }
  eat(t: string): boolean {
    this.ws();
    if (!this.s.startsWith(t, this.i)) return false;
    this.i += t.length;
    return true;
  }
  fail(what: string): never {
    throw new Error(`value comment ${JSON.stringify(this.s)}: expected ${what} at ${JSON.stringify(this.rest())}`);
  }
}

function parseNumber(r: Reader): Expected | null {
  const m = NUMBER.exec(r.rest());
  if (!m) return null;
  const [text, minus, special, int, frac, exp, ellipsis] = m;
  r.i += text.length;
  const sign = minus ? -1 : 1;
  if (special) return { kind: 'number', value: sign * Number(special), unit: 0, truncated: false, text };
  const digits = `${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : `e${exp}`}`;
  const value = sign * Number(digits);
  // Integers and plain exponents are exact; a fraction shows its precision.
  const unit = frac === undefined ? 0 : 10 ** (Number(exp ?? 0) - frac.length);
  return { kind: 'number', value, unit, truncated: ellipsis !== undefined, text };
}

function parseItems(r: Reader, close: string): { items: Expected[]; prefix: boolean } {
  const items: Expected[] = [];
  if (r.eat(close)) return { items, prefix: false };
  for (;;) {
    if (r.eat('…')) {
      if (!r.eat(close)) r.fail(`'${close}' after '…'`);
      return { items, prefix: true };
    }
    items.push(parseValue(r, true)!);
    if (r.eat(close)) return { items, prefix: false };
    if (!r.eat(',')) r.fail(`',' or '${close}'`);
  }
}

/** A value at r (null when the text there is not one; `strict`: it must be). */
function parseValue(r: Reader, strict: boolean): Expected | null {
  r.ws();
  const rest = r.rest();
  const quote = rest[0] === "'" || rest[0] === '"' ? rest[0] : null;
  if (quote) {
    const end = rest.indexOf(quote, 1);
    if (end < 0) r.fail('a closing quote');
    r.i += end + 1;
    return { kind: 'exact', value: rest.slice(1, end) };
  }
  const word = /^(true|false|null|undefined)\b/.exec(rest);
  if (word) {
    r.i += word[0].length;
    return { kind: 'exact', value: { true: true, false: false, null: null, undefined }[word[1]] };
  }
  const typed = TYPED.exec(rest);
  if (typed) {
    r.i += typed[0].length;
    if (!/^ ?\[/.test(r.rest())) return { kind: 'typed', typed: typed[1] };
    r.eat('[');
    return { kind: 'array', typed: typed[1], ...parseItems(r, ']') };
  }
  if (rest[0] === '[') {
    r.i++;
    return { kind: 'array', typed: null, ...parseItems(r, ']') };
  }
  if (rest[0] === '{') {
    r.i++;
    const entries: [string, Expected][] = [];
    if (r.eat('}')) return { kind: 'object', entries, partial: false };
    for (;;) {
      if (r.eat('…')) {
        if (!r.eat('}')) r.fail("'}' after '…'");
        return { kind: 'object', entries, partial: true };
      }
      r.ws();
      const key = /^[A-Za-z_$][\w$]*/.exec(r.rest());
      if (!key) r.fail('a key');
      r.i += key[0].length;
      if (!r.eat(':')) r.fail("':'");
      entries.push([key[0], parseValue(r, true)!]);
      if (r.eat('}')) return { kind: 'object', entries, partial: false };
      if (!r.eat(',')) r.fail("',' or '}'");
    }
  }
  const n = parseNumber(r);
  if (n === null && strict) r.fail('a value');
  return n;
}

/** The value a comment states, or null when the comment is prose. */
export function parseComment(comment: string): Expected | null {
  const r = new Reader(comment.trim());
  const v = parseValue(r, false);
  if (v === null) return null;
  const rest = r.rest();
  // A value is followed by nothing, or by prose after a space or a punctuation mark; '0.5x' or '[1, 2]3' is neither.
  if (rest !== '' && !/^[\s,;:)]/.test(rest)) {
    if (v.kind === 'number' || v.kind === 'exact') return null;
    r.fail('the end of the value');
  }
  return v;
}

const RELATIVE = 1e-15;

function numberMatches(e: Extract<Expected, { kind: 'number' }>, v: number): boolean {
  if (Number.isNaN(e.value)) return Number.isNaN(v);
  if (!Number.isFinite(e.value) || e.unit === 0) return v === e.value || Math.abs(v - e.value) <= RELATIVE * Math.abs(e.value);
  const slack = RELATIVE * Math.abs(e.value);
  if (!e.truncated) return Math.abs(v - e.value) <= e.unit / 2 + slack;
  // Truncated digits: the value lies between the digits shown and one unit further from zero.
  const a = Math.abs(v);
  const shown = Math.abs(e.value);
  return (e.value === 0 || Math.sign(v) === Math.sign(e.value)) && a >= shown - slack && a < shown + e.unit + slack;
}

/** Where `got` differs from `e`: a list of messages, empty when it matches. */
export function mismatches(e: Expected, got: Encoded, at = 'value'): string[] {
  const show = JSON.stringify(got);
  switch (e.kind) {
    case 'number': {
      if (!('number' in got)) return [`${at}: expected the number ${e.text}, got ${show}`];
      return numberMatches(e, Number(got.number)) ? [] : [`${at}: expected ${e.text}, got ${got.number}`];
    }
    case 'exact': {
      if (e.value === undefined) return 'undefined' in got ? [] : [`${at}: expected undefined, got ${show}`];
      return 'json' in got && got.json === e.value ? [] : [`${at}: expected ${JSON.stringify(e.value)}, got ${show}`];
    }
    case 'typed':
      return 'typed' in got && got.typed === e.typed ? [] : [`${at}: expected a ${e.typed}, got ${show.slice(0, 200)}`];
    case 'array': {
      const items = e.typed === null ? ('array' in got ? got.array : null) : 'typed' in got && got.typed === e.typed ? got.items : null;
      if (items === null) return [`${at}: expected ${e.typed ?? 'an array'} [${e.items.length} items], got ${show.slice(0, 200)}`];
      if (e.prefix ? items.length < e.items.length : items.length !== e.items.length) {
        return [`${at}: expected ${e.prefix ? 'at least ' : ''}${e.items.length} items, got ${items.length}`];
      }
      return e.items.flatMap((x, i) => mismatches(x, items[i], `${at}[${i}]`));
    }
    case 'object': {
      if (!('object' in got)) return [`${at}: expected an object, got ${show.slice(0, 200)}`];
      const out = e.entries.flatMap(([k, x]) =>
        k in got.object ? mismatches(x, got.object[k], `${at}.${k}`) : [`${at}: no key ${k}`]);
      const extra = Object.keys(got.object).filter((k) => !e.entries.some(([key]) => key === k));
      if (!e.partial && extra.length) out.push(`${at}: keys not stated: ${extra.join(', ')} (end the object with '…')`);
      return out;
    }
  }
}
