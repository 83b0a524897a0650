// lz4js ships no declarations: the one function the Arrow reader uses.
declare module 'lz4js' {
  /** Decompresses an LZ4 frame (linked or independent blocks, with or without checksums). */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
