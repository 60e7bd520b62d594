// `-` as a capture path: standard input for readers, standard output for writers. Readers see bytes
// through ByteSource, so a file and a pipe are read the same way; stdin is read through Node's stream
// (which copes with a non-blocking pipe), stdout written with writeSync, retried when the pipe is full.
import { mkdtemp, rm, type FileHandle } from 'node:fs/promises';
import { createWriteStream, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { asFileError } from '../errors.js';

/** The capture path that means standard input (for a reader) or standard output (for a writer). */
export const STDIO_PATH = '-';

/** Sequential bytes: a file or a stream. read() returns 0 at the end. */
export interface ByteSource {
  read(buf: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
  /** Reading the next chunk while the last is parsed pays (a file on libuv's pool); a stream buffers itself. */
  readonly readAhead?: boolean;
  /** A file's read on this thread (PcapReader.readRaw); a stream has none. */
  readSync?(buf: Uint8Array, offset: number, length: number): number;
}

/** A file's bytes; a failed read (EISDIR for a directory, EIO) is a FileError naming `path`. */
export function fileSource(fh: FileHandle, path: string): ByteSource {
  return {
    read: async (buf, offset, length) => {
      try {
        return (await fh.read(buf, offset, length, null)).bytesRead;
      } catch (e) {
        throw asFileError(e, path);
      }
    },
    readSync: (buf, offset, length) => {
      try {
        return readSync(fh.fd, buf, offset, length, null);
      } catch (e) {
        throw asFileError(e, path);
      }
    },
    close: () => fh.close(),
    readAhead: true,
  };
}

/** A readable stream's chunks, copied out as asked; leftovers of a chunk wait for the next read. */
export function streamSource(stream: Readable): ByteSource {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let chunk: Uint8Array | undefined;
  let at = 0;
  return {
    async read(buf, offset, length) {
      let done = 0;
      while (done < length) {
        if (!chunk || at >= chunk.length) {
          // Only wait for the stream when nothing was copied yet: a partial read is fine.
          if (done > 0 && stream.readableLength === 0) break;
          const r = await it.next();
          if (r.done) break;
          chunk = r.value;
          at = 0;
        }
        const n = Math.min(length - done, chunk.length - at);
        buf.set(chunk.subarray(at, at + n), offset + done);
        at += n;
        done += n;
      }
      return done;
    },
    close: async () => { await it.return?.(); },
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Write all of buf[0, len) to fd; a full non-blocking pipe (EAGAIN) is waited out 1 ms at a time. */
export function writeAll(fd: number, buf: Uint8Array, len: number, path: string): void {
  let off = 0;
  while (off < len) {
    try {
      off += writeSync(fd, buf, off, len - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 1); continue; }
      // Name the output in the one-line error (`-` for standard output).
      if (code !== undefined) Object.assign(e as object, { path });
      throw e;
    }
  }
}

/** A temporary copy of a stream on disk; `remove()` deletes it. */
export interface SpooledInput {
  readonly path: string;
  remove(): Promise<void>;
}

/**
 * Copy a stream (standard input) into a file of a fresh temporary directory, for a reader that reads
 * its input more than once (replay's two passes). Memory stays bounded: the copy streams to disk.
 */
export async function spoolToFile(stream: Readable, name = 'stdin.cap'): Promise<SpooledInput> {
  const dir = await mkdtemp(join(tmpdir(), 'zooroute-spool-'));
  const path = join(dir, name);
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(stream, createWriteStream(path));
  } catch (e) {
    await remove();
    throw e;
  }
  return { path, remove };
}
