// Streaming capture reader: reads a file in chunks through one buffer, so memory stays bounded by the
// chunk size and the largest record the limits allow, whatever the file size. Records are views into
// that buffer (zero-copy), valid until the next iteration step. The path `-` is standard input.
import { open, type FileHandle } from 'node:fs/promises';
import { fileSource, streamSource, STDIO_PATH, type ByteSource } from './stdio.js';
import { InputError, asFileError } from '../errors.js';
import { decoderFor, type DecoderOptions } from './detect.js';
import type { PcapRecord } from './record.js';
import { newStepOutput, STEP_END, STEP_NEED, type FormatDecoder, type StepOutput, type Window } from './step.js';

/** Options of PcapReader.open() and readPackets(). */
export interface ReaderOptions extends DecoderOptions {
  /** Bytes read per system call, default 1 MiB (at least 4096 are used). */
  chunkSize?: number;
}

const DEFAULT_CHUNK = 1 << 20;
/** #drain stopped at broken input after decoding records: hand those out, then throw. */
const STEP_FAILED = -2;

/** Open a capture file for reading; a failure (missing, no permission) is a FileError naming it. */
async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    throw asFileError(e, path);
  }
}

/**
 * A streaming reader of one classic pcap or pcapng file: memory stays bounded by the chunk size and
 * the largest record, whatever the file's size. Records are views into its read buffer, valid until
 * the next iteration step; iteration throws an InputError (file, offset, reason) at broken input,
 * after handing out the good records before it. Close it when done.
 */
export class PcapReader {
  /** The file read. */
  readonly path: string;
  readonly #fh: ByteSource;
  readonly #dec: FormatDecoder;
  readonly #w: Window;
  readonly #out: StepOutput = newStepOutput();
  #offset = 0;
  #closed = false;
  #failure: unknown;

  private constructor(path: string, fh: ByteSource, dec: FormatDecoder, w: Window) {
    this.path = path;
    this.#fh = fh;
    this.#dec = dec;
    this.#w = w;
  }

  /** Open a capture and detect its format (classic or pcapng). Throws InputError on a bad start. */
  static async open(path: string, opts: ReaderOptions = {}): Promise<PcapReader> {
    const fh = path === STDIO_PATH ? streamSource(process.stdin) : fileSource(await openFile(path), path);
    try {
      const chunk = Math.max(4096, opts.chunkSize ?? DEFAULT_CHUNK);
      const buf = new Uint8Array(chunk);
      const w: Window = { buf, dv: new DataView(buf.buffer), pos: 0, end: 0, base: 0, eof: false };
      while (w.end < 4 && !w.eof) await fill(fh, w);
      const dec = decoderFor(path, buf.subarray(0, Math.min(w.end, 4)), w.eof, opts);
      return new PcapReader(path, fh, dec, w);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** The file's format: classic pcap or pcapng. */
  get format(): 'pcap' | 'pcapng' { return this.#dec.format; }
  /** Timestamps finer than microseconds were seen (classic ns magic, or a pcapng if_tsresol). */
  get nanos(): boolean { return this.#dec.nanos; }
  /** Largest snaplen declared so far (0 = unlimited). */
  get snaplen(): number { return this.#dec.snaplen; }
  /** File offset of the last record handed out (its record header or block). */
  get recordOffset(): number { return this.#offset; }

  /**
   * The records, in file order. The file header and any interface descriptions before a record are
   * decoded before it is handed out, so `snaplen` and `nanos` are up to date at each record.
   */
  async *records(): AsyncGenerator<PcapRecord> {
    const list: PcapRecord[] = [];
    const offsets: number[] = [];
    for (;;) {
      const code = this.#drain(list, offsets);
      for (let i = 0; i < list.length; i++) {
        this.#offset = offsets[i];
        yield list[i];
      }
      list.length = 0;
      offsets.length = 0;
      if (code === STEP_END) return;
      if (code === STEP_FAILED) throw this.#failure;
      await this.#advance(code);
    }
  }

  /**
   * The records in batches: every whole record the read buffer holds at once (thousands of small
   * frames per 1 MiB chunk), saving the per-record cost of an async step. The array and the views in
   * it are valid until the next step; `recordOffset` is that of the batch's last record.
   */
  async *batches(): AsyncGenerator<PcapRecord[]> {
    const offsets: number[] = [];
    for (;;) {
      const list: PcapRecord[] = [];
      const code = this.#drain(list, offsets);
      if (list.length > 0) {
        this.#offset = offsets[offsets.length - 1];
        offsets.length = 0;
        yield list;
      }
      if (code === STEP_END) return;
      if (code === STEP_FAILED) throw this.#failure;
      await this.#advance(code);
    }
  }

  /**
   * Decode every whole record the window holds into `list` (views) and their file offsets into
   * `offsets`. Returns what stopped it: STEP_END, STEP_NEED, the length of a block to skip, or
   * STEP_FAILED when broken input follows the records decoded (the error is thrown after them).
   */
  #drain(list: PcapRecord[], offsets: number[]): number {
    const w = this.#w;
    const out = this.#out;
    const dec = this.#dec;
    for (;;) {
      let n: number;
      try {
        n = dec.step(w, out);
      } catch (e) {
        // The records before the fault are good: they go out first.
        if (list.length === 0) throw e;
        this.#failure = e;
        return STEP_FAILED;
      }
      if (n === STEP_END || n === STEP_NEED) return n;
      if (n > w.end - w.pos) return n;
      if (out.hasRecord) {
        offsets.push(w.base + w.pos);
        list.push({
          tsSec: out.tsSec,
          tsNsec: out.tsNsec,
          data: w.buf.subarray(out.dataStart, out.dataStart + out.dataLen),
          origLen: out.origLen,
          linkType: out.linkType,
        });
      }
      w.pos += n;
    }
  }

  /** Get past what stopped #drain: read more bytes, or skip a large block unread. */
  async #advance(code: number): Promise<void> {
    const w = this.#w;
    if (code === STEP_NEED) return this.#more(this.#out.need);
    const inWindow = w.end - w.pos;
    return this.#skip(code - inWindow, w.base + w.pos, code);
  }

  /** Make `need` bytes available from pos: compact, grow if one block is larger than the buffer, read. */
  async #more(need: number): Promise<void> {
    const w = this.#w;
    const have = w.end - w.pos;
    if (need > w.buf.length) {
      let size = w.buf.length;
      while (size < need) size *= 2;
      const nb = new Uint8Array(size);
      nb.set(w.buf.subarray(w.pos, w.end));
      w.buf = nb;
      w.dv = new DataView(nb.buffer);
      w.base += w.pos;
      w.end = have;
      w.pos = 0;
    } else if (w.pos + need > w.buf.length) {
      w.buf.copyWithin(0, w.pos, w.end);
      w.base += w.pos;
      w.end = have;
      w.pos = 0;
    }
    const before = w.end;
    await fill(this.#fh, w);
    if (w.end === before && !w.eof) throw new Error('read made no progress');
  }

  /** Skip `rest` bytes beyond the window (the tail of a large block that is not read). */
  async #skip(rest: number, blockAt: number, blockLen: number): Promise<void> {
    const w = this.#w;
    w.base += w.end;
    w.pos = w.end = 0;
    while (rest > 0) {
      const bytesRead = await this.#fh.read(w.buf, 0, Math.min(rest, w.buf.length));
      if (bytesRead === 0) throw new InputError(this.path, blockAt, `truncated block (${blockLen} bytes announced, ${blockLen - rest} present)`);
      rest -= bytesRead;
      w.base += bytesRead;
    }
  }

  /** Close the file; closing twice does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#fh.close();
  }
}

/** Read into the free space after w.end; sets eof when the file has no more bytes. */
async function fill(fh: ByteSource, w: Window): Promise<void> {
  const bytesRead = await fh.read(w.buf, w.end, w.buf.length - w.end);
  if (bytesRead === 0) w.eof = true;
  w.end += bytesRead;
}

/** Every record of a classic pcap or pcapng file, streamed; `data` is valid until the next step. */
export async function* readPackets(path: string, opts: ReaderOptions = {}): AsyncGenerator<PcapRecord> {
  const r = await PcapReader.open(path, opts);
  try {
    yield* r.records();
  } finally {
    await r.close();
  }
}
