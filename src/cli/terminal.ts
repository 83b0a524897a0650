// No Node API here: the reports (and the browser playground, which draws the same charts) use it.

/**
 * Text for the terminal: control characters (C0 but tab in tables, DEL, C1) and the bidirectional overrides written
 * as escapes (\x1b, \u202e), so that a file name cannot move the cursor, clear the screen or reorder the text.
 */
export function terminal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
