import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode } from '../src/backend/load.js';
import { WASM_SCALAR_BASE64, WASM_SIMD_BASE64 } from '../src/backend/wasm-bytes.js';

describe('embedded wasm bytes', () => {
  it('decode gives back the built .wasm files byte for byte', () => {
    expect(Buffer.from(decode(WASM_SIMD_BASE64)).equals(readFileSync(new URL('../build/xent.wasm', import.meta.url)))).toBe(true);
    expect(Buffer.from(decode(WASM_SCALAR_BASE64)).equals(readFileSync(new URL('../build/xent-scalar.wasm', import.meta.url)))).toBe(true);
  });

  it('decode agrees with Buffer on every padding length and every alphabet character', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let n = 0; n <= 260; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => all[(i * 97 + n) % 256]);
      const b64 = Buffer.from(bytes).toString('base64');
      expect(Array.from(decode(b64)), `length ${n}`).toEqual(Array.from(bytes));
    }
  });
});
