// Unpacks the embedded kernels (scripts/embed-wasm.mjs writes them): raw DEFLATE (RFC 1951) streams, and the
// relaxed-SIMD build as a delta against the SIMD build, from which it differs in a few hundred places (the full
// builds likewise, against the core build). Synchronous, because the first call without init() compiles
// synchronously; plain loops, no tables beyond the Huffman codes.
// Corrupt input throws (an Error: the loader turns it into a fallback with its reason).
// Kept over fflate's inflateSync (bundled, the maintained alternative), measured on the embedded SIMD build:
// 1.37 KB gzip minified against fflate's 2.01 KB in the browser bundle, and as fast or faster (1.0-1.6x, medians
// of three runs of fresh processes, alternating) on the one inflate a process runs, before the JIT has compiled
// it; fflate is about 1.4x faster once warm, which start-up never is.

/** Length codes 257..285: base lengths and extra bits; distance codes 0..29 likewise (RFC 1951, 3.2.5). */
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which a dynamic block lists the code lengths of the code-length alphabet. */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * A Huffman code as a lookup table indexed by the next `bits` input bits (least significant first, as DEFLATE
 * packs them): each entry is symbol << 4 | code length. Codes longer than the table never occur (bits is the
 * longest length); entries no code reaches are 0 (length 0: corrupt input).
 */
interface Table {
  entry: Uint32Array;
  bits: number;
}

function table(lengths: ArrayLike<number>): Table {
  let bits = 0;
  const count = new Uint16Array(16);
  for (let i = 0; i < lengths.length; i++) {
    count[lengths[i]]++;
    bits = Math.max(bits, lengths[i]);
  }
  // Canonical codes (RFC 1951, 3.2.2): the first code of each length, then consecutive codes in symbol order.
  count[0] = 0;
  const next = new Uint32Array(16);
  for (let len = 1, c = 0; len < 16; len++) next[len] = c = (c + count[len - 1]) << 1;
  const entry = new Uint32Array(1 << bits);
  for (let sym = 0; sym < lengths.length; sym++) {
    const len = lengths[sym];
    if (!len) continue;
    const c = next[len]++;
    if (c >= 1 << len) throw corrupt('oversubscribed Huffman code');
    let rev = 0;
    for (let i = 0; i < len; i++) rev |= ((c >> i) & 1) << (len - 1 - i);
    for (let i = rev; i < entry.length; i += 1 << len) entry[i] = (sym << 4) | len;
  }
  return { entry, bits };
}

const corrupt = (what: string) => new Error(`corrupt embedded WebAssembly (${what})`);

let fixed: [Table, Table] | undefined;

/**
 * Inflates a raw DEFLATE stream whose output is known to be `size` bytes long. The symbol loop is written out in
 * one function, with the bit buffer in locals: it runs once per start-up, mostly before the JIT has compiled it.
 */
export function inflate(src: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const n = src.length;
  // buf holds `have` unread bits (up to 32), least significant first; bytes past the end of src read as 0, and
  // reading them is caught by the test on pos at the end of each block.
  let pos = 0, buf = 0, have = 0, o = 0;
  const bits = (k: number) => {
    while (have < k) {
      buf |= (pos < n ? src[pos] : 0) << have;
      pos++;
      have += 8;
    }
    const v = buf & ((1 << k) - 1);
    buf >>>= k;
    have -= k;
    return v;
  };
  for (let last = 0; !last; ) {
    last = bits(1);
    const type = bits(2);
    if (type === 0) {
      // To the byte boundary: the partial byte in hand is dropped, the whole bytes in hand go back to the input.
      pos -= have >> 3;
      buf = have = 0;
      if (pos + 4 > n) throw corrupt('input ends early');
      const len = src[pos] | (src[pos + 1] << 8);
      if ((len ^ 0xffff) !== (src[pos + 2] | (src[pos + 3] << 8))) throw corrupt('stored block length');
      pos += 4;
      if (pos + len > n || o + len > size) throw corrupt('stored block too long');
      out.set(src.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    if (type === 3) throw corrupt('block type 3');
    let lit: Table, dist: Table;
    if (type === 1) {
      fixed ??= [table(new Uint8Array(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280)), table(new Uint8Array(30).fill(5))];
      [lit, dist] = fixed;
    } else {
      const nlen = bits(5) + 257, ndist = bits(5) + 1, ncode = bits(4) + 4;
      const cl = new Uint8Array(19);
      for (let i = 0; i < ncode; i++) cl[CL_ORDER[i]] = bits(3);
      const clTable = table(cl);
      const lengths = new Uint8Array(nlen + ndist);
      for (let i = 0; i < nlen + ndist; ) {
        while (have < 7) {
          buf |= (pos < n ? src[pos] : 0) << have;
          pos++;
          have += 8;
        }
        const e = clTable.entry[buf & ((1 << clTable.bits) - 1)];
        if (!(e & 15)) throw corrupt('bad Huffman code');
        buf >>>= e & 15;
        have -= e & 15;
        const sym = e >> 4;
        if (sym < 16) {
          lengths[i++] = sym;
          continue;
        }
        const [value, k] = sym === 16 ? [i ? lengths[i - 1] : -1, 3 + bits(2)] : [0, sym === 17 ? 3 + bits(3) : 11 + bits(7)];
        if (value < 0 || i + k > nlen + ndist) throw corrupt('bad code lengths');
        lengths.fill(value, i, i + k);
        i += k;
      }
      lit = table(lengths.subarray(0, nlen));
      dist = table(lengths.subarray(nlen));
    }
    const le = lit.entry, lm = (1 << lit.bits) - 1, de = dist.entry, dm = (1 << dist.bits) - 1;
    for (;;) {
      // 15 bits of code and 5 of length extra, then 15 of distance code, then 13 of distance extra.
      while (have < 20) {
        buf |= (pos < n ? src[pos] : 0) << have;
        pos++;
        have += 8;
      }
      let e = le[buf & lm];
      let k = e & 15;
      if (!k) throw corrupt('bad Huffman code');
      buf >>>= k;
      have -= k;
      const sym = e >> 4;
      if (sym < 256) {
        if (o >= size) throw corrupt('output too long');
        out[o++] = sym;
        continue;
      }
      if (sym === 256) break;
      const s = sym - 257;
      if (s >= 29) throw corrupt('bad length symbol');
      k = LEN_EXTRA[s];
      const len = LEN_BASE[s] + (buf & ((1 << k) - 1)); // the length's extra bits come before the distance code
      buf >>>= k;
      have -= k;
      while (have < 15) {
        buf |= (pos < n ? src[pos] : 0) << have;
        pos++;
        have += 8;
      }
      e = de[buf & dm];
      k = e & 15;
      if (!k || e >> 4 >= 30) throw corrupt('bad distance code');
      buf >>>= k;
      have -= k;
      const d = e >> 4;
      const back = DIST_BASE[d] + bits(DIST_EXTRA[d]);
      if (back > o || o + len > size) throw corrupt('bad distance or length');
      if (back >= len) out.copyWithin(o, o - back, o - back + len);
      else for (let i = 0; i < len; i++) out[o + i] = out[o + i - back];
      o += len;
    }
    if (pos - (have >> 3) > n) throw corrupt('input ends early');
  }
  if (o !== size) throw corrupt('output too short');
  return out;
}

/**
 * Rebuilds a file from `base` and a delta (written by scripts/embed-wasm.mjs): the output size, then records of
 * (n, n literal bytes, d, len): the literal bytes, then len bytes of base copied from the end of the previous copy
 * moved by d (zigzag-coded). Numbers are LEB128 varints; the last record stops after its literal bytes.
 */
export function patch(base: Uint8Array, delta: Uint8Array): Uint8Array<ArrayBuffer> {
  let i = 0;
  const varint = () => {
    let v = 0, scale = 1, b: number;
    do {
      if (i >= delta.length) throw corrupt('delta ends early');
      b = delta[i++];
      v += (b & 127) * scale;
      scale *= 128;
    } while (b & 128);
    return v;
  };
  const out = new Uint8Array(varint());
  let o = 0, from = 0;
  const copy = (src: Uint8Array, at: number, n: number) => {
    if (at < 0 || at + n > src.length || o + n > out.length) throw corrupt('delta out of range');
    out.set(src.subarray(at, at + n), o);
    o += n;
  };
  for (;;) {
    const n = varint();
    copy(delta, i, n);
    i += n;
    if (i >= delta.length) break;
    const z = varint();
    from += z & 1 ? -(z + 1) / 2 : z / 2;
    const len = varint();
    copy(base, from, len);
    from += len;
  }
  if (o !== out.length) throw corrupt('delta output too short');
  return out;
}
