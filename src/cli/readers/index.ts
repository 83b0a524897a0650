import { ArrowReader } from './arrow.js';
import { NpyReader } from './npy.js';
import { TextReader } from './text.js';
import { type Format, type Range, type Reader } from './types.js';

/** `stage`: rows per block that an .npy reader reads straight into the kernels' memory (see NpyReader). */
export function openReader(path: string, format: Format, range?: Range, stage = 0): Reader {
  if (format === 'npy') return new NpyReader(path, range, stage);
  if (format === 'arrow') return new ArrowReader(path, range);
  return new TextReader(path, format, range);
}

export { type Block, type Format, InputError, type Range, type Reader, formatOf } from './types.js';
