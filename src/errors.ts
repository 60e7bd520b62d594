// Errors a user causes (bad input, a command or configuration that cannot run). Below every layer, so each
// raises them without importing the CLI; the CLI maps them to one line and exit code 2.

/** Bad input data: a file that is not what it claims, with the byte offset where that was found. */
export class InputError extends Error {
  /**
   * An error whose message is `FILE: REASON at byte offset N`.
   *
   * @param file - the file (or `<memory>`) the bad data came from
   * @param offset - byte offset in it where the fault was found
   * @param reason - what is wrong, in a few words
   */
  constructor(readonly file: string, readonly offset: number, readonly reason: string) {
    super(`${file}: ${reason} at byte offset ${offset}`);
    this.name = 'InputError';
  }
}

/** A command line or configuration that cannot be run. */
export class UsageError extends Error {
  /** `message` is one line saying what cannot be run and why (the CLI prints it after `zooroute: `). */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A file that cannot be read or written (missing, a directory, no permission, disk full), by name. */
export class FileError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'FileError';
  }
}

/** What a system error code means to the user, in the words of strerror(3) without the code. */
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EEXIST: 'file exists',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  EXDEV: 'not on the same file system',
  EPIPE: 'broken pipe',
};

/**
 * A system error (an fs call failing) as a FileError naming `file`; anything else unchanged. Write
 * calls on a descriptor carry no path, so the caller names the file.
 */
export function asFileError(e: unknown, file: string): unknown {
  const err = e as NodeJS.ErrnoException | undefined;
  if (!err || typeof err.code !== 'string' || !/^E[A-Z0-9]+$/.test(err.code)) return e;
  return new FileError(file, ERRNO_WORDS[err.code] ?? err.code.toLowerCase());
}
