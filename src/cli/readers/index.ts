import { NpyReader } from './npy.js';
import { TextReader } from './text.js';
import { type Format, InputError, type Range, type Reader } from './types.js';

export function openReader(path: string, format: Format, range?: Range): Reader {
  if (format === 'npy') return new NpyReader(path, range);
  if (format === 'arrow') {
    throw new InputError(path, 'Apache Arrow IPC input is not supported yet; convert to .npy, CSV or JSON Lines');
  }
  return new TextReader(path, format, range);
}

export { type Block, type Format, InputError, type Range, type Reader, formatOf } from './types.js';
