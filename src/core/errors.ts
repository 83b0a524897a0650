/**
 * Every failure xent reports is a XentError with a stable `code` (part of the public API) and a message that names
 * the argument, the index and the offending value.
 */
export type XentErrorCode =
  | 'SHAPE_MISMATCH'
  | 'LABEL_OUT_OF_RANGE'
  | 'INVALID_PROBABILITY'
  | 'NON_FINITE'
  | 'EMPTY_INPUT'
  | 'INVALID_OPTION'
  | 'INVALID_TYPE'
  | 'OUT_OF_MEMORY'
  | 'INVALID_STATE'
  | 'INTERNAL';

export class XentError extends Error {
  readonly code: XentErrorCode;

  constructor(code: XentErrorCode, message: string) {
    super(message);
    this.name = 'XentError';
    this.code = code;
  }
}

/**
 * An argument whose buffer is detached: a view of wasm memory taken before memory grew (growing detaches every
 * view, the caller's included, also across an `await` or a switch of backend). Refused rather than read as empty.
 */
export const detached = (name = 'an array argument'): XentError => new XentError(
  'INVALID_TYPE',
  `${name} is a view of WebAssembly memory that memory growth has detached: call view() again right before ` +
    "each call that reads it (never keep a view across calls), and allocate() the call's other large arrays too, " +
    'so that the call itself need not grow memory',
);

/** True for a view whose buffer is detached (an empty but live buffer can still be viewed; a detached one cannot). */
export function isDetached(a: ArrayBufferView): boolean {
  if (a.byteLength !== 0 || a.buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(a.buffer);
    return false;
  } catch {
    return true;
  }
}

/** Renders a value for an error message: short, and unambiguous for NaN, ±Infinity and -0. Never throws. */
export function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  try {
    if (Array.isArray(v)) return `an array of length ${v.length}`;
    if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  } catch {
    // a Proxy or a getter that throws: described by its type alone
  }
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** "x[3]" for a flat index into one row, "x[r][c]" for a batch element. */
export function at(name: string, index: number, cols: number, batch: boolean): string {
  if (!batch) return `${name}[${index}]`;
  return `${name}[${Math.floor(index / cols)}][${index % cols}]`;
}
