import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { MAX_FILE_BYTES, tooLarge } from './limits.js';

/**
 * Reads a regular file of at most `limit` bytes, or says why not. Opened non-blocking and without
 * following a final symlink, then checked on the open descriptor, so a FIFO never blocks and a
 * device (`/dev/zero`) swapped in after listing is never read; never reads more than `limit + 1`.
 */
export function readBounded(file: string, limit = MAX_FILE_BYTES): { bytes: Buffer } | { error: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    return { error: `cannot be read: ${describeErrno(error)}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { error: `${fileKind(st)}, not a regular file; not read` };
    if (st.size > limit) return { error: tooLarge(st.size) };
    const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, n)) > 0; ) n += r;
    if (n > limit) return { error: tooLarge(n) };
    return { bytes: buf.subarray(0, n) };
  } catch (error) {
    return { error: `cannot be read: ${describeErrno(error)}` };
  } finally {
    closeSync(fd);
  }
}

/** What kind of file system entry `st` is, for a message: `a FIFO (named pipe)`, `a folder`, … */
export function fileKind(st: Pick<Stats, 'isFile' | 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice' | 'isSymbolicLink'>): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'a special file';
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'it does not exist (removed while reading?)',
  ELOOP: 'it became a symlink while reading',
  EISDIR: 'it is a folder',
  EIO: 'input/output error',
};

/** `permission denied (EACCES)` from a Node file system error. */
export function describeErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code && ERRNO_TEXT[code]) return `${ERRNO_TEXT[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}
