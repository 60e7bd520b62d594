// The health state file on disk: written atomically (a temporary file beside it, flushed, then
// renamed over it, then the folder flushed), so that a crash mid-write leaves the old file or the new
// one, never half of one; read back leniently, since a missing or damaged file only means a cold start.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeHealthState, encodeHealthState, type HealthSnapshot } from './health-state.js';

/** Write the snapshot to `path` atomically, readable by its owner only (mode 0600). */
export function writeHealthFile(path: string, s: HealthSnapshot): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, encodeHealthState(s));
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try { renameSync(tmp, path); } catch (e) { rmSync(tmp, { force: true }); throw e; }
  // The rename itself reaches the disk only when the folder is flushed.
  try { const d = openSync(dir, 'r'); try { fsyncSync(d); } finally { closeSync(d); } } catch { /* not every filesystem lets a folder be flushed */ }
}

/** What readHealthFile() found: a snapshot, no file, or why the file cannot be used. */
export type HealthFileRead =
  | {
    /** The snapshot the file holds. */
    snapshot: HealthSnapshot;
  }
  | {
    /** No file at the path: a cold start. */
    missing: true;
  }
  | {
    /** Why the file cannot be used (unreadable, not JSON, wrong format or version, bad field). */
    error: string;
  };

/** Read a state file: the snapshot, `missing`, or why it cannot be used (never throws). */
export function readHealthFile(path: string): HealthFileRead {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { missing: true } : { error: `cannot read (${code ?? String(e)})` };
  }
  try { return { snapshot: decodeHealthState(text) }; } catch (e) { return { error: (e as Error).message }; }
}
