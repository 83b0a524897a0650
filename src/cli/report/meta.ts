/** What a report says about its run: the xent version, the date, the command line and the inputs' SHA-256. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface RunMeta {
  version: string;
  /** ISO 8601, UTC. */
  date: string;
  command: string;
  /** The evaluated files (for a merge: those its state files name) and their SHA-256, hex. */
  inputs: InputSum[];
}

export interface InputSum {
  file: string;
  sha256: string;
}

declare const __XENT_VERSION__: string;

/** SHA-256 of a file, streamed (hex). */
export async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The checksums of the input files (each once). */
export async function inputSums(paths: string[]): Promise<InputSum[]> {
  const files = [...new Set(paths)];
  return Promise.all(files.map(async (file) => ({ file, sha256: await sha256Of(file) })));
}

/** An argument as a POSIX shell word: bare when safe, else single-quoted. */
const word = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function runMeta(argv: string[], inputs: InputSum[]): RunMeta {
  return {
    // Defined by the build; a dev run from the sources has none.
    version: typeof __XENT_VERSION__ === 'string' ? __XENT_VERSION__ : 'dev',
    date: new Date().toISOString(),
    command: ['xent', ...argv].map(word).join(' '),
    inputs,
  };
}
