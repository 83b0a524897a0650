// The embedded kernels (scripts/embed-wasm.mjs → src/backend/wasm-bytes.ts, wasm-full.ts, wasm-scalar.ts) unpack to
// the built .wasm files byte for byte, and the decoders they go through agree with Node's own: base64 with Buffer,
// inflate with zlib's deflate at every level and strategy.
import { readFileSync } from 'node:fs';
import { constants, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decode, embedded, scalarBytes } from '../src/backend/load.js';
import { fullBytes } from '../src/backend/load-full.js';
import { inflate, patch } from '../src/backend/unpack.js';
import { prng } from './helpers.js';

const built = (name: string) => readFileSync(new URL(`../build/${name}`, import.meta.url));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

describe('embedded wasm bytes', () => {
  it('the SIMD, relaxed-SIMD and scalar builds, core and full, unpack to build/*.wasm byte for byte', async () => {
    expect(same(embedded('simd'), built('xent-core.wasm'))).toBe(true);
    expect(same(embedded('relaxed-simd'), built('xent-core-relaxed.wasm'))).toBe(true);
    expect(same(fullBytes('simd'), built('xent.wasm'))).toBe(true);
    expect(same(fullBytes('relaxed-simd'), built('xent-relaxed.wasm'))).toBe(true);
    expect(same(await scalarBytes(), built('xent-scalar.wasm'))).toBe(true);
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

describe('inflate', () => {
  const rnd = prng(7);
  const inputs: Record<string, Buffer> = {
    empty: Buffer.alloc(0),
    'one byte': Buffer.from([42]),
    text: Buffer.from('the cross-entropy family, the cross-entropy family: softmax, log-softmax, KL. '.repeat(300)),
    'random bytes': Buffer.from(Uint8Array.from({ length: 70_000 }, () => Math.floor(256 * rnd()))),
    'long runs': Buffer.concat([Buffer.alloc(100_000, 7), Buffer.alloc(3, 1), Buffer.alloc(40_000, 9)]),
    'skewed bytes': Buffer.from(Uint8Array.from({ length: 50_000 }, () => Math.floor(rnd() ** 6 * 256))),
    wasm: built('xent-scalar.wasm'),
  };
  const strategies = { default: constants.Z_DEFAULT_STRATEGY, fixed: constants.Z_FIXED, huffman: constants.Z_HUFFMAN_ONLY, rle: constants.Z_RLE };

  for (const [name, data] of Object.entries(inputs)) {
    it(`${name}: zlib's raw deflate at levels 0-9 and every strategy inflates back exactly`, () => {
      for (let level = 0; level <= 9; level++) {
        for (const [sname, strategy] of Object.entries(strategies)) {
          const z = deflateRawSync(data, { level, strategy });
          expect(same(inflate(z, data.length), data), `level ${level}, ${sname}`).toBe(true);
        }
      }
    });
  }

  it('a stream cut short, or a size that does not match, throws', () => {
    const data = inputs.text;
    const z = deflateRawSync(data, { level: 9 });
    expect(() => inflate(z.subarray(0, z.length >> 1), data.length)).toThrow(/corrupt/);
    expect(() => inflate(z, data.length - 1)).toThrow(/corrupt/);
    expect(() => inflate(z, data.length + 1)).toThrow(/corrupt/);
    const stored = deflateRawSync(data.subarray(0, 1000), { level: 0 });
    expect(() => inflate(stored.subarray(0, 500), 1000)).toThrow(/corrupt/);
    expect(() => inflate(Uint8Array.of(0xff), 1)).toThrow(/corrupt/); // block type 3
  });
});

describe('patch', () => {
  // A delta (format in src/backend/unpack.ts): size 11, then "AB", copy 4 from base[0] (d = 0), "C", copy 3 from
  // base[2] (d = 2 - 4 = -2, zigzag 3), then the final literal "Z".
  const base = Uint8Array.from('abcdefgh', (c) => c.charCodeAt(0));
  const delta = Uint8Array.of(11, 2, 65, 66, 0, 4, 1, 67, 3, 3, 1, 90);

  it('rebuilds the target from the base and the delta', () => {
    expect(new TextDecoder().decode(patch(base, delta))).toBe('ABabcdCcdeZ');
  });

  it('a delta that reads outside the base or ends early throws', () => {
    expect(() => patch(base, Uint8Array.of(12, 0, 20, 4))).toThrow(/corrupt/); // copy from base[10]
    expect(() => patch(base, delta.subarray(0, 6))).toThrow(/corrupt/);
    expect(() => patch(base, Uint8Array.of(3, 2, 65, 66))).toThrow(/corrupt/); // 2 bytes for a size of 3
  });
});
