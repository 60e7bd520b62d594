// Output files written atomically: into a temporary file beside the target, fsynced, then renamed over
// it only when the run succeeded. A failed run (bad input, full disk, an interrupted capture that never
// finished) leaves no partial file and never destroys an existing one. Below every layer (like
// errors.ts): the pcap writer, the capture session, the replay report and the bench all write through it.
//
// A target that is not a regular file (a character device such as /dev/full or /dev/null, a FIFO, a
// socket) cannot be renamed over: those are opened and written directly, as a stream.
import {
  accessSync, close, closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, openSync, realpathSync,
  renameSync, statSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { FileError, asFileError } from './errors.js';

/** Temporary files not yet renamed or removed; removed at process exit as a last resort. */
const pending = new Set<string>();
let exitHook = false;

function removeQuietly(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw asFileError(e, path);
  }
}

/** The path writes really go to: a symbolic link's target (so the link is kept), else the path itself. */
function realTarget(path: string): string {
  try {
    return lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
  } catch {
    return path; // missing, or a dangling link: written (and renamed) at the path itself
  }
}

/**
 * Check that `path` can be written as an output before any work starts: not a directory, in a directory
 * that exists and may be written (a rename needs that), and, when it exists, writable itself. Throws a
 * FileError naming `path`. Does not create anything.
 */
export function checkOutputPath(path: string): void {
  const target = realTarget(path);
  const st = statOrUndefined(target);
  if (st?.isDirectory()) throw new FileError(path, 'is a directory');
  try {
    if (st !== undefined) accessSync(target, constants.W_OK);
    if (st !== undefined && !st.isFile()) return; // a device or FIFO: written in place
    const dir = dirname(resolve(target));
    const d = statOrUndefined(dir);
    // (A parent that is a file already failed the stat above: ENOTDIR.)
    if (d === undefined) throw new FileError(path, `no such directory ${dir}`);
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw asFileError(e, path);
  }
}

/**
 * One output being written. `fd` takes the bytes; `commit()` makes them the target's content,
 * `abort()` throws them away and leaves the target as it was.
 */
export class AtomicOutput {
  /** The output's name as the user gave it (errors name it). */
  readonly path: string;
  /** Descriptor to write to: the temporary file, or the device/FIFO itself. */
  readonly fd: number;
  /** The temporary file, or undefined when the target is written in place (not a regular file). */
  readonly #temp: string | undefined;
  readonly #target: string;
  #done = false;

  private constructor(path: string, target: string, fd: number, temp: string | undefined) {
    this.path = path;
    this.#target = target;
    this.fd = fd;
    this.#temp = temp;
  }

  /**
   * Start writing `path`: check it (checkOutputPath), then create a temporary file `.NAME.tmp-PID-RAND`
   * in the same directory (same file system, so the rename is atomic), with the mode of the file it
   * will replace. A device or FIFO is opened for writing directly. Throws a FileError naming `path`.
   */
  static open(path: string): AtomicOutput {
    checkOutputPath(path);
    const target = realTarget(path);
    const st = statOrUndefined(target);
    try {
      if (st !== undefined && !st.isFile()) return new AtomicOutput(path, target, openSync(target, 'w'), undefined);
      const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      const fd = openSync(temp, 'wx', 0o666);
      pending.add(temp);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => { for (const p of pending) removeQuietly(p); });
      }
      if (st !== undefined) {
        try { fchmodSync(fd, st.mode & 0o7777); } catch { /* keep the default mode */ }
      }
      return new AtomicOutput(path, target, fd, temp);
    } catch (e) {
      throw asFileError(e, path);
    }
  }

  /** Whether the bytes go to the target directly (a device or FIFO), not through a rename. */
  get inPlace(): boolean {
    return this.#temp === undefined;
  }

  /**
   * Make what was written the target's content: fsync, close, rename over the target. Once only.
   * The file it replaces is held open across the rename and closed on libuv's pool, so freeing its
   * blocks (milliseconds for tens of MB) happens there rather than in the rename, on this thread.
   */
  commit(): void {
    if (this.#done) return;
    this.#done = true;
    const temp = this.#temp;
    let replaced: number | undefined;
    try {
      if (temp === undefined) { closeSync(this.fd); return; }
      fsyncSync(this.fd);
      closeSync(this.fd);
      replaced = holdReplaced(this.#target);
      renameSync(temp, this.#target);
      pending.delete(temp);
    } catch (e) {
      if (temp !== undefined) { removeQuietly(temp); pending.delete(temp); }
      if (replaced !== undefined) closeSync(replaced);
      throw asFileError(e, this.path);
    }
    syncDirectory(dirname(this.#target));
    if (replaced !== undefined) close(replaced, () => { /* only the old file's last reference */ });
  }

  /**
   * Throw away what was written: remove the temporary file and close `fd`; the target is untouched.
   * With `settled` (asynchronous writes to `fd` still in flight), the file is removed now and `fd` is
   * closed only once they have settled, so a write never lands on a descriptor number reused meanwhile.
   */
  abort(settled?: Promise<unknown>): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#temp !== undefined) { removeQuietly(this.#temp); pending.delete(this.#temp); }
    const close = (): void => { try { closeSync(this.fd); } catch { /* already closed */ } };
    if (settled === undefined) close();
    else void settled.then(close, close);
  }
}

/**
 * A descriptor of the regular file at `target` (about to be renamed over), or undefined when there is
 * none (or it cannot be opened: then the rename frees it, as it would anyway). Never follows a link or
 * blocks on a FIFO put there meanwhile.
 */
function holdReplaced(target: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (fstatSync(fd).isFile()) return fd;
  } catch { /* nothing to hold */ }
  if (fd !== undefined) closeSync(fd);
  return undefined;
}

/** fsync a directory so the rename itself survives a crash; best effort (not every file system allows it). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    if (fstatSync(fd).isDirectory()) fsyncSync(fd);
  } catch { /* the data is already safe in the renamed file */ } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write `data` to `path` atomically (AtomicOutput); a write error is a FileError naming `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const out = AtomicOutput.open(path);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    writeAllSync(out.fd, bytes, path);
    out.commit();
  } catch (e) {
    out.abort();
    throw asFileError(e, path);
  }
}

function writeAllSync(fd: number, bytes: Uint8Array, path: string): void {
  let off = 0;
  try {
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } catch (e) {
    throw asFileError(e, path);
  }
}
