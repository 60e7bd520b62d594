// Streaming capture reader: reads a file in chunks through one buffer, so memory stays bounded by the
// chunk size and the largest record the limits allow, whatever the file size. Records are views into
// that buffer (zero-copy), valid until the next iteration step. The path `-` is standard input.
import { open, type FileHandle } from 'node:fs/promises';
import { fileSource, streamSource, STDIO_PATH, type ByteSource } from './stdio.js';
import { InputError, asFileError } from '../errors.js';
import { decoderFor, type DecoderOptions } from './detect.js';
import type { PcapRecord } from './record.js';
import { RecordColumns } from './record-columns.js';
import { ClassicDecoder } from './classic.js';
import { newStepOutput, STEP_END, STEP_NEED, type FormatDecoder, type StepOutput, type Window } from './step.js';

/** A classic pcap's file header as PcapReader.classicHeader() decodes it: how its records are laid out. */
export interface ClassicLayout {
  /** Record headers are big-endian. */
  bigEndian: boolean;
  /** Fractions are nanoseconds (else microseconds). */
  nanos: boolean;
  /** Bytes of a record header (16, or 24 in the modified pcap). */
  recordHeaderLength: number;
  /** The snap length the header declares (0 = unlimited). */
  snaplen: number;
  /** The link type (LINKTYPE_*), the low 16 bits of the header's last field. */
  linkType: number;
  /** Largest capture length accepted; a larger one is broken input. */
  limit: number;
}

/** Options of PcapReader.open() and readPackets(). */
export interface ReaderOptions extends DecoderOptions {
  /** Bytes read per system call, default 1 MiB (at least 4096 are used). */
  chunkSize?: number;
}

const DEFAULT_CHUNK = 1 << 20;
/**
 * Bytes kept free in front of a chunk read ahead: the unfinished record at the end of the current
 * buffer is copied there, so the read-ahead buffer becomes the window without moving the chunk.
 */
const KEEP = 64 * 1024;
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
  readonly #cols = new RecordColumns();
  #offset = 0;
  #closed = false;
  #failure: unknown;
  /** Size of the read buffers (chunk + KEEP); a buffer grown for one large block is larger. */
  readonly #bufSize: number;
  /** The next chunk, being read into the other buffer while this one's records are handled. */
  #ahead: { buf: Uint8Array; bytes: Promise<number> } | undefined;
  #aheadError: unknown;
  /** A read buffer not in use, for the next read ahead. */
  #spareBuf: Uint8Array | undefined;

  private constructor(path: string, fh: ByteSource, dec: FormatDecoder, w: Window) {
    this.path = path;
    this.#fh = fh;
    this.#dec = dec;
    this.#w = w;
    this.#bufSize = w.buf.length;
  }

  /** Open a capture and detect its format (classic or pcapng). Throws InputError on a bad start. */
  static async open(path: string, opts: ReaderOptions = {}): Promise<PcapReader> {
    const fh = path === STDIO_PATH ? streamSource(process.stdin) : fileSource(await openFile(path), path);
    try {
      const chunk = Math.max(4096, opts.chunkSize ?? DEFAULT_CHUNK);
      const buf = new Uint8Array(chunk + KEEP);
      const w: Window = { buf, dv: new DataView(buf.buffer), pos: 0, end: 0, base: 0, eof: false };
      // A first read of 64 KiB, not the whole chunk: enough to detect the format and decode the
      // header, and a bulk reader (readRaw) then reads the rest straight into its own memory, so the
      // reader's buffer is barely touched (a 1 MiB read faults in 256 fresh pages).
      while (w.end < 4 && !w.eof) await fill(fh, w, FIRST_READ);
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
    for await (const c of this.columns()) {
      for (let i = 0; i < c.length; i++) {
        this.#offset = c.offset[i];
        yield recordAt(c, i);
      }
    }
  }

  /**
   * The records in batches: every whole record the read buffer holds at once (thousands of small
   * frames per 1 MiB chunk), saving the per-record cost of an async step. The array and the views in
   * it are valid until the next step; `recordOffset` is that of the batch's last record.
   */
  async *batches(): AsyncGenerator<PcapRecord[]> {
    for await (const c of this.columns()) {
      const list: PcapRecord[] = new Array(c.length);
      for (let i = 0; i < c.length; i++) list[i] = recordAt(c, i);
      yield list;
    }
  }

  /**
   * The records of each read step as columns (no object per record): every whole record the read
   * buffer holds at once. The columns object is reused, valid until the next step; `recordOffset` is
   * that of the step's last record. The fastest way through a capture.
   */
  async *columns(): AsyncGenerator<RecordColumns> {
    const c = this.#cols;
    for (;;) {
      c.length = 0;
      const code = this.#drain(c);
      if (c.length > 0) {
        this.#offset = c.offset[c.length - 1];
        c.buf = this.#w.buf;
        yield c;
      }
      if (code === STEP_END) return;
      if (code === STEP_FAILED) throw this.#failure;
      await this.#advance(code);
    }
  }

  /**
   * A classic pcap: decode its file header now (its checks and errors as in columns()) and say how
   * its records are laid out; a pcapng: undefined. Call it before any other step. After it, either
   * the records (columns(), ...) or the raw record bytes (rawBytes()) may be read.
   */
  async classicHeader(): Promise<ClassicLayout | undefined> {
    const dec = this.#dec;
    if (!(dec instanceof ClassicDecoder)) return undefined;
    const w = this.#w, out = this.#out;
    while (!dec.headerDone) {
      const n = dec.step(w, out);
      if (n === STEP_NEED) await this.#more(out.need);
      else w.pos += n;
    }
    return { bigEndian: dec.bigEndian, nanos: dec.nanos, recordHeaderLength: dec.recordHeaderLength, snaplen: dec.snaplen, linkType: dec.linkType, limit: dec.limit };
  }

  /**
   * After classicHeader(): the bytes after the file header, undecoded, as they are read (a view per
   * read, valid until the next step; records straddle the views). For a bulk decoder walking the
   * records itself (Datapath.ingestRecords); `recordOffset` is then the file offset of the view's
   * first byte. Memory stays bounded as in columns().
   */
  async *rawBytes(): AsyncGenerator<Uint8Array> {
    const w = this.#w;
    for (;;) {
      if (w.end > w.pos) {
        this.#offset = w.base + w.pos;
        const view = w.buf.subarray(w.pos, w.end);
        w.pos = w.end;
        yield view;
      }
      if (w.eof) return;
      await this.#more(1);
    }
  }

  /**
   * After classicHeader(), like rawBytes() but into the caller's memory: the next bytes of the file
   * (those the reader holds first, then read straight into `dst`) go into dst[offset, offset + length);
   * returns how many, 0 at the end. A file is read on this thread, without a read ahead: for a bulk
   * decoder whose own buffer is the destination (a Wasm record arena), which saves the copy through
   * the reader's buffers and the hop to libuv's pool. `recordOffset` is then the file offset of the
   * first byte written. Do not mix with rawBytes() or the record iterators.
   */
  async readRaw(dst: Uint8Array, offset: number, length: number): Promise<number> {
    const w = this.#w;
    await this.#absorb();
    if (w.end > w.pos) {
      const k = Math.min(length, w.end - w.pos);
      dst.set(w.buf.subarray(w.pos, w.pos + k), offset);
      this.#offset = w.base + w.pos;
      w.pos += k;
      return k;
    }
    if (w.eof || length <= 0) return 0;
    const fh = this.#fh;
    const n = fh.readSync !== undefined ? fh.readSync(dst, offset, length) : await fh.read(dst, offset, length);
    // The window is empty (pos = end): its base moves past the bytes read around it.
    this.#offset = w.base + w.end;
    w.base += n;
    if (n === 0) w.eof = true;
    return n;
  }

  /**
   * Decode every whole record the window holds into `c`. Returns what stopped it: STEP_END,
   * STEP_NEED, the length of a block to skip, or STEP_FAILED when broken input follows the records
   * decoded (the error is thrown after them).
   */
  #drain(c: RecordColumns): number {
    const w = this.#w;
    const out = this.#out;
    const dec = this.#dec;
    for (;;) {
      let n: number;
      try {
        n = dec.step(w, out);
      } catch (e) {
        // The records before the fault are good: they go out first.
        if (c.length === 0) throw e;
        this.#failure = e;
        return STEP_FAILED;
      }
      if (n === STEP_END || n === STEP_NEED) return n;
      if (n > w.end - w.pos) return n;
      if (out.hasRecord) {
        if (c.length === c.capacity) c.grow();
        const i = c.length++;
        c.offset[i] = w.base + w.pos;
        c.tsSec[i] = out.tsSec;
        c.tsNsec[i] = out.tsNsec;
        c.dataStart[i] = out.dataStart;
        c.dataLen[i] = out.dataLen;
        c.origLen[i] = out.origLen;
        c.linkType[i] = out.linkType;
      }
      w.pos += n;
    }
  }

  /** Get past what stopped #drain: read more bytes, or skip a large block unread. */
  async #advance(code: number): Promise<void> {
    const w = this.#w;
    if (code === STEP_NEED) return this.#more(this.#out.need);
    await this.#absorb();
    const inWindow = w.end - w.pos;
    return this.#skip(code - inWindow, w.base + w.pos, code);
  }

  /**
   * Make `need` bytes available from pos. Usually the next chunk was read ahead into the other
   * buffer while the records of this one were handled: the tail of this one (the start of a record)
   * is copied in front of it, the buffers swap, and the next read ahead starts. Otherwise (a record
   * larger than the space kept in front, or no read ahead) compact, grow if one block is larger than
   * the buffer, and read.
   */
  async #more(need: number): Promise<void> {
    const w = this.#w;
    const have = w.end - w.pos;
    const ahead = this.#ahead;
    if (ahead && have <= KEEP && need <= ahead.buf.length - KEEP + have) {
      this.#ahead = undefined;
      const n = await ahead.bytes;
      if (n < 0) throw this.#aheadError;
      const nb = ahead.buf;
      nb.set(w.buf.subarray(w.pos, w.end), KEEP - have);
      const old = w.buf;
      w.base += w.pos - (KEEP - have);
      w.buf = nb;
      w.dv = new DataView(nb.buffer);
      w.pos = KEEP - have;
      w.end = KEEP + n;
      if (n === 0) w.eof = true;
      else this.#readAhead(old);
      return;
    }
    await this.#absorb();
    const h = w.end - w.pos;
    if (h >= need || w.eof) return;
    if (need > w.buf.length) {
      let size = w.buf.length;
      while (size < need) size *= 2;
      const nb = new Uint8Array(size);
      nb.set(w.buf.subarray(w.pos, w.end));
      w.buf = nb;
      w.dv = new DataView(nb.buffer);
      w.base += w.pos;
      w.end = h;
      w.pos = 0;
    } else if (w.pos + need > w.buf.length) {
      w.buf.copyWithin(0, w.pos, w.end);
      w.base += w.pos;
      w.end = h;
      w.pos = 0;
    }
    const before = w.end;
    await fill(this.#fh, w);
    if (w.end === before && !w.eof) throw new Error('read made no progress');
    if (!w.eof && this.#fh.readAhead) this.#readAhead(this.#spareBuf ?? new Uint8Array(this.#bufSize));
  }

  /** Start reading the next chunk into `buf` (after its first KEEP bytes) while records are handled. */
  #readAhead(buf: Uint8Array): void {
    if (buf.length !== this.#bufSize) return; // a grown buffer: the next #more reads in place
    if (buf === this.#spareBuf) this.#spareBuf = undefined;
    const bytes = this.#fh.read(buf, KEEP, buf.length - KEEP).then((n) => n, (e: unknown) => { this.#aheadError = e; return -1; });
    this.#ahead = { buf, bytes };
  }

  /** Wait for a read ahead in flight and move its bytes into the window (compacting, growing). */
  async #absorb(): Promise<void> {
    const ahead = this.#ahead;
    if (!ahead) return;
    this.#ahead = undefined;
    const n = await ahead.bytes;
    if (n < 0) throw this.#aheadError;
    const w = this.#w;
    this.#spareBuf = ahead.buf;
    if (n === 0) { w.eof = true; return; }
    const have = w.end - w.pos;
    if (have + n > w.buf.length) {
      const nb = new Uint8Array(Math.max(w.buf.length * 2, have + n));
      nb.set(w.buf.subarray(w.pos, w.end));
      w.buf = nb;
      w.dv = new DataView(nb.buffer);
      w.base += w.pos;
      w.pos = 0;
      w.end = have;
    } else if (w.end + n > w.buf.length) {
      w.buf.copyWithin(0, w.pos, w.end);
      w.base += w.pos;
      w.pos = 0;
      w.end = have;
    }
    w.buf.set(ahead.buf.subarray(KEEP, KEEP + n), w.end);
    w.end += n;
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
    // A read still in flight finishes before its file is closed (its failure no longer matters).
    await this.#ahead?.bytes;
    this.#ahead = undefined;
    await this.#fh.close();
  }
}

/** Record i of a step as an object (its data a view into the reader's buffer). */
function recordAt(c: RecordColumns, i: number): PcapRecord {
  const at = c.dataStart[i];
  return { tsSec: c.tsSec[i], tsNsec: c.tsNsec[i], data: c.buf.subarray(at, at + c.dataLen[i]), origLen: c.origLen[i], linkType: c.linkType[i] };
}

/** Bytes of a reader's first read (open()). */
const FIRST_READ = 64 * 1024;

/** Read into the free space after w.end (at most `max` bytes); sets eof when the file has no more bytes. */
async function fill(fh: ByteSource, w: Window, max = Infinity): Promise<void> {
  const bytesRead = await fh.read(w.buf, w.end, Math.min(max, w.buf.length - w.end));
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
