/**
 * JSON Lines: one JSON value per line, as Python's json module writes it (NaN, Infinity and -Infinity tokens
 * included), with the helpers that locate a problem in the line for messages. No Node API here.
 */
import { InputError } from './types.js';

/** What a NaN token becomes in pythonJson's output (a string no JSON writer produces). */
export const NAN_MARK = '\u0000NaN';

/** JSON with Python's NaN, Infinity and -Infinity tokens (outside strings) made parseable: NaN becomes NAN_MARK. */
export function pythonJson(text: string): string | null {
  let out = '';
  let from = 0;
  let str = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (str) {
      if (ch === '\\') i++;
      else if (ch === '"') str = false;
      continue;
    }
    if (ch === '"') str = true;
    else if (ch === 'N' && text.startsWith('NaN', i)) {
      out += text.slice(from, i) + JSON.stringify(NAN_MARK);
      from = i += 3;
      i--;
    } else if (ch === 'I' && text.startsWith('Infinity', i)) {
      out += text.slice(from, i) + '1e999';
      from = i += 8;
      i--;
    }
  }
  return from === 0 ? null : out + text.slice(from);
}

/**
 * Parses one line; an error names the column where JSON.parse fails. NaN tokens come back as NAN_MARK (see
 * fromJson), so that a NaN value is reported with its place by the evaluator rather than as bad JSON.
 */
export function parseJsonLine(text: string, at: (column: number) => string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const python = pythonJson(text);
    try {
      if (python === null) throw e;
      return JSON.parse(python);
    } catch {
      const reason = (e as Error).message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
      throw new InputError(at(jsonErrorAt(text) + 1), `not valid JSON: ${reason}`);
    }
  }
}

/** A parsed value with NAN_MARK read back as NaN. */
export const fromJson = (v: unknown): unknown => (v === NAN_MARK ? NaN : v);

/**
 * Index of the first character of `text` at which JSON.parse fails (V8's messages do not always say): a scanner of
 * the JSON grammar, iterative (a line of a million '[' must not overflow the stack), for messages only.
 */
function jsonErrorAt(text: string): number {
  let i = 0;
  const closers: string[] = [];
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const expect = (ch: string) => {
    if (text[i] !== ch) fail();
    i++;
  };
  const string = () => {
    expect('"');
    for (;;) {
      if (i >= text.length || text.charCodeAt(i) < 32) fail();
      const ch = text[i++];
      if (ch === '"') return;
      if (ch !== '\\') continue;
      if (text[i] === 'u') {
        i++;
        for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
      } else if (i < text.length && '"\\/bfnrt'.includes(text[i])) i++;
      else fail();
    }
  };
  const key = () => {
    ws();
    string();
    ws();
    expect(':');
  };
  const scalar = () => {
    const ch = text[i];
    if (ch === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (ch === word[0]) {
        for (const w of word) expect(w);
        return;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) fail();
    i += m![0].length;
  };
  try {
    for (;;) {
      // A value starts here.
      ws();
      const open = text[i];
      if (open === '[' || open === '{') {
        i++;
        ws();
        const close = open === '[' ? ']' : '}';
        if (text[i] !== close) {
          closers.push(close);
          if (close === '}') key();
          continue;
        }
        i++;
      } else scalar();
      // After a value: close containers, or a comma and the next value.
      for (;;) {
        ws();
        if (closers.length === 0) {
          if (i < text.length) fail();
          return 0;
        }
        const close = closers[closers.length - 1];
        if (text[i] === close) {
          i++;
          closers.pop();
        } else if (text[i] === ',') {
          i++;
          if (close === '}') key();
          break;
        } else fail();
      }
    }
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
}

/** A JSON value as text for a message, at most 40 characters (a nesting too deep for JSON.stringify is said so). */
export function short(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    s = Array.isArray(v) ? '[…] (nested too deep)' : '{…} (nested too deep)';
  }
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

/** What a JSON value is, for "expected a number, got …". */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  return `${typeof v === 'object' && !Array.isArray(v) ? 'an object ' : typeof v === 'string' ? 'a string ' : ''}${short(v)}`;
}

/** 1-based column of element k of a JSON array on one line (top-level commas only; for messages). */
export function jsonColumn(text: string, k: number): number {
  let depth = 0;
  let n = 0;
  let str = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (str) {
      if (ch === '\\') i++;
      else if (ch === '"') str = false;
      continue;
    }
    if (ch === '"') str = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1 && k === 0) return i + 2;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1 && ++n === k) return i + 2;
  }
  return 1;
}

/** 1-based column of the value of `key` in a JSON object on one line (top-level keys only; for messages). */
export function keyColumn(text: string, key: string): number {
  const quoted = JSON.stringify(key);
  let depth = 0;
  let str = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (str) {
      if (ch === '\\') i++;
      else if (ch === '"') str = false;
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === '"') {
      if (depth === 1 && text.startsWith(quoted, i)) {
        const colon = text.indexOf(':', i + quoted.length);
        if (colon < 0) return 1;
        let v = colon + 1;
        while (text[v] === ' ' || text[v] === '\t') v++;
        return v + 1;
      }
      str = true;
    }
  }
  return 1;
}
