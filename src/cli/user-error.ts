// Which errors a user caused (bad input, a bad command line, a file that cannot be used) and the one
// line each is reported in; anything else is a bug and is reported as an internal error by main().
import { FileError, InputError, UsageError, asFileError } from '../errors.js';
import { STDIO_PATH } from '../pcap/stdio.js';

/** How a failed write to `-` (or to the process's stdout) is named in the one line. */
export const STDOUT_NAME = 'standard output';

/** The text after `zooroute: ` for an error the user caused (exit 2), undefined for a real bug. */
export function userErrorLine(e: unknown): string | undefined {
  if (e instanceof InputError || e instanceof UsageError || e instanceof FileError || e instanceof RangeError) return oneLine(e.message);
  const err = e as NodeJS.ErrnoException | undefined;
  // An fs call that names its path (open, stat, readFile, rename): the file and what is wrong with it.
  if (err && typeof err.code === 'string' && typeof err.path === 'string') {
    const f = asFileError(e, err.path === STDIO_PATH ? STDOUT_NAME : err.path);
    if (f instanceof FileError) return oneLine(f.message);
  }
  return undefined;
}

function oneLine(s: string): string {
  return s.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').join('; ');
}
