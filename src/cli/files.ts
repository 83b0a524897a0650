/**
 * The CLI's files: inputs checked before reading, outputs written whole or not at all (a temporary file beside the
 * target, renamed over it: a full disk or a file-size limit leaves the old file, or none, never half a report), an
 * output that would overwrite an input refused.
 */
import { type Stats, closeSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from './readers/index.js';

/** What a path is when it is not a regular file, for messages. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** The reason of a failed file system call, without Node's "ENOENT: ..., open 'path'" decoration. */
export function fsReason(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'a part of the path is not a directory';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'ENAMETOOLONG': return 'file name too long';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EFBIG': return 'file too large (over the file-size limit, ulimit -f)';
    case 'EROFS': return 'read-only file system';
    default: return e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  }
}

/**
 * PRED and TARGET must be readable regular files: the readers seek (a header probe, then the data; `--threads`
 * splits by byte offsets), which pipes and devices cannot do.
 */
export function checkFile(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw new InputError(path, fsReason(e as NodeJS.ErrnoException));
  }
  if (!st.isFile()) {
    const kind = kindOf(st);
    throw new InputError(path, `${kind === 'not a regular file' ? kind : `not a regular file but ${kind}`}; xent reads regular files`);
  }
  try {
    closeSync(openSync(path, 'r'));
  } catch (e) {
    throw new InputError(path, fsReason(e as NodeJS.ErrnoException));
  }
}

/** A file that cannot be written: exit 2 naming it. */
export class OutputError extends InputError {}

/** Whether two paths name the same file (the same inode, or the same real path; false if either does not exist). */
function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return (x.dev === y.dev && x.ino === y.ino) || realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Refuses an output that is one of the inputs (`--report pred.csv` must not destroy the predictions). */
export function checkOutput(path: string, flag: string, inputs: string[]): void {
  for (const input of inputs) {
    if (sameFile(path, input)) throw new OutputError(path, `${flag} would overwrite the input ${input}: choose another file name`);
  }
}

let tmpCount = 0;

/** Writes `data` to `path` through a temporary file in the same directory, renamed over it once complete. */
export function writeAtomic(path: string, data: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCount++}.tmp`);
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Not created, or already renamed.
    }
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string') throw new OutputError(path, fsReason(err));
    throw e;
  }
}
