// Capture writer: classic pcap (little-endian, microsecond or nanosecond magic) or pcapng (one
// interface). write() copies into a 1 MiB buffer; a full buffer of a file is written behind (up to
// three buffers in flight on libuv's pool, positional writes, while the next fills), of standard output
// or a device synchronously, so memory stays bounded however fast frames come. A file is written
// atomically (src/atomic-output.ts): close() waits for every write, then renames the complete capture
// over the path; abort() (or a failed close) leaves the path as it was. The path `-` is standard
// output, streamed.
import { write as writeCb, writeSync } from 'node:fs';
import { AtomicOutput } from '../atomic-output.js';
import { startWriteback } from '../io/writeback.js';
import { FILE_HEADER_LEN, MAGIC_MICRO, MAGIC_NANO } from './classic.js';
import { LINKTYPE_ETHERNET, MAX_BLOCK, MAX_NORMAL_CAPLEN } from './record.js';
import { encodeEpb, epbSize, pcapngHeader } from './pcapng-encode.js';
import { writeAll, STDIO_PATH } from './stdio.js';

/** A capture file's container: classic libpcap (`pcap`) or pcapng; both are written with one link type. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** How a capture file is written (PcapWriter.open(), encodePcap()). */
export interface WriterOptions {
  /** Default classic pcap. */
  format?: CaptureFormat;
  /** Nanosecond timestamps (classic magic a1b23c4d, pcapng if_tsresol 9); default microseconds. */
  nanos?: boolean;
  /**
   * The snap length the header declares. Default 262144; 0 (unlimited) only in pcapng. Frames longer
   * than it are cut (origLen keeps the length on the wire) unless `cut` is false.
   */
  snaplen?: number;
  /**
   * false: frames longer than the snaplen are written whole (libpcap and Wireshark read records above
   * the declared snaplen). For a transform that lengthens frames (encap) while keeping the input's
   * snaplen. Default true.
   */
  cut?: boolean;
  /** Default 1 (Ethernet). */
  linkType?: number;
}

/** One record to write. */
export interface WritableRecord {
  /** Timestamp, whole seconds since the epoch (0..2^32-1). */
  tsSec: number;
  /** Timestamp, nanoseconds within the second (0..999999999; cut to microseconds unless nanos). */
  tsNsec: number;
  /** The frame's bytes (cut to snaplen). */
  data: Uint8Array;
  /** Defaults to data.length; never written below the captured length. */
  origLen?: number;
}

const BUFFER = 1 << 20;

/**
 * Write buffers of closed writers, for the next writer in the process: a fresh 1 MiB buffer is
 * faulted in page by page (and collected after), which for a writer of a few tens of MB (a replay's
 * OUT, a bench call) costs milliseconds. Only buffers of a writer whose writes have all settled.
 */
const idleBuffers: Uint8Array[] = [];
/** Buffers kept at most: two writers' worth. */
const MAX_IDLE_BUFFERS = 8;

function takeBuffer(): Uint8Array {
  return idleBuffers.pop() ?? new Uint8Array(BUFFER);
}

function keepBuffer(b: Uint8Array): void {
  if (b.length === BUFFER && idleBuffers.length < MAX_IDLE_BUFFERS) idleBuffers.push(b);
}
const REC_HDR = 16;

/** The 24-byte classic file header. */
export function fileHeader(opts: WriterOptions = {}): Uint8Array {
  const b = new Uint8Array(FILE_HEADER_LEN);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, opts.nanos ? MAGIC_NANO : MAGIC_MICRO, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, checkedSnaplen(opts.snaplen), true);
  dv.setUint32(20, opts.linkType ?? LINKTYPE_ETHERNET, true);
  return b;
}

function checkedSnaplen(s: number | undefined, format: CaptureFormat = 'pcap'): number {
  const v = s ?? MAX_NORMAL_CAPLEN;
  const lo = format === 'pcapng' ? 0 : 1;
  if (!Number.isInteger(v) || v < lo || v > 0x7fffffff) throw new RangeError(`snaplen must be an integer in ${lo}..2147483647, got ${s}`);
  return v;
}

function checkTimestamp(tsSec: number, tsNsec: number): void {
  if (!Number.isInteger(tsSec) || tsSec < 0 || tsSec > 0xffffffff) throw new RangeError(`timestamp seconds ${tsSec} do not fit a classic pcap record`);
  if (!Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec > 999_999_999) throw new RangeError(`timestamp nanoseconds ${tsNsec} outside 0..999999999`);
}

/**
 * Write one record header + frame at dv/u8 offset `at`; returns the bytes written. `room` must hold
 * REC_HDR + min(data.length, snaplen).
 */
export function encodeRecord(u8: Uint8Array, dv: DataView, at: number, rec: WritableRecord, nanos: boolean, snaplen: number): number {
  const { tsSec, tsNsec } = rec;
  checkTimestamp(tsSec, tsNsec);
  const caplen = Math.min(rec.data.length, snaplen);
  dv.setUint32(at, tsSec, true);
  dv.setUint32(at + 4, nanos ? tsNsec : Math.floor(tsNsec / 1000), true);
  dv.setUint32(at + 8, caplen, true);
  dv.setUint32(at + 12, Math.max(rec.origLen ?? rec.data.length, caplen), true);
  u8.set(caplen === rec.data.length ? rec.data : rec.data.subarray(0, caplen), at + REC_HDR);
  return REC_HDR + caplen;
}

/**
 * One classic little-endian record of src[start, start + caplen) at `at` of u8/dv (which must have
 * room), `origLen` its length on the wire; returns the bytes written. No checks: writeFrom's classic
 * path, and encoders that fill a buffer another thread's writer appends (writeEncoded).
 */
export function encodeClassicRecordFrom(
  u8: Uint8Array, dv: DataView, at: number, src: Uint8Array, start: number, caplen: number, origLen: number, tsSec: number, tsNsec: number, nanos: boolean,
): number {
  dv.setUint32(at, tsSec, true);
  dv.setUint32(at + 4, nanos ? tsNsec : Math.floor(tsNsec / 1000), true);
  dv.setUint32(at + 8, caplen, true);
  dv.setUint32(at + 12, Math.max(origLen, caplen), true);
  u8.set(src.subarray(start, start + caplen), at + REC_HDR);
  return REC_HDR + caplen;
}

/** Bytes of a classic record header (ts_sec, ts_frac, incl_len, orig_len). */
export const CLASSIC_RECORD_HEADER_BYTES = REC_HDR;

/**
 * A capture writer (classic pcap little-endian, or pcapng). write() copies into a 1 MiB buffer; a
 * full one is written behind (files) or synchronously (standard output, devices), so memory stays
 * bounded (4 MiB); close() waits for every write, then renames the complete, valid file over the path
 * (abort() discards it).
 * write() throws a RangeError for a timestamp a classic record cannot hold, an Error after close().
 */
export class PcapWriter {
  /** The file written. */
  readonly path: string;
  readonly format: CaptureFormat;
  readonly nanos: boolean;
  /** Bytes of a frame kept at most. */
  readonly snaplen: number;
  /** Records written so far. */
  count = 0;
  readonly #out: AtomicOutput | undefined;
  readonly #fd: number;
  /** Frames are cut at this length (the snaplen, or the block limit when cut is off or snaplen 0). */
  readonly #cutAt: number;
  #buf: Uint8Array;
  #dv: DataView;
  #used = 0;
  #closed = false;
  /** Full buffers are written behind, positionally: a regular file's temporary copy only. */
  readonly #behind: boolean;
  /** File offset the buffer's first byte goes to (write-behind only: every such write is positional). */
  #pos = 0;
  /** Buffers free for reuse while others are written behind. */
  readonly #spare: Uint8Array[] = [];
  /** Write-behind writes in flight. */
  readonly #inFlight = new Set<Promise<void>>();
  /** The first write-behind failure, thrown by the next write, flush or close. */
  #failure: unknown;

  private constructor(path: string, out: AtomicOutput | undefined, opts: WriterOptions) {
    this.path = path;
    this.#out = out;
    this.#fd = out ? out.fd : 1;
    this.#behind = out !== undefined && !out.inPlace;
    this.format = opts.format ?? 'pcap';
    this.nanos = opts.nanos ?? false;
    this.snaplen = checkedSnaplen(opts.snaplen, this.format);
    this.#cutAt = opts.cut === false || this.snaplen === 0 ? MAX_BLOCK : this.snaplen;
    this.#buf = takeBuffer();
    this.#dv = new DataView(this.#buf.buffer);
    if (this.#behind) for (let k = 1; k < WRITE_BEHIND_BUFFERS; k++) this.#spare.push(takeBuffer());
    const head = this.format === 'pcapng'
      ? pcapngHeader(opts.linkType ?? LINKTYPE_ETHERNET, this.snaplen, this.nanos)
      : fileHeader(opts);
    this.#buf.set(head);
    this.#used = head.length;
  }

  /**
   * Start writing `path` (`-`: standard output) and write the file header. A file is written into a
   * temporary file beside it (AtomicOutput) until close(); an existing file at `path` is untouched until then.
   */
  static async open(path: string, opts: WriterOptions = {}): Promise<PcapWriter> {
    checkedSnaplen(opts.snaplen, opts.format);
    const out = path === STDIO_PATH ? undefined : AtomicOutput.open(path);
    const w = new PcapWriter(path, out, opts);
    try {
      w.flush(); // a valid (empty) capture from the start
    } catch (e) {
      w.abort();
      throw e;
    }
    return w;
  }

  /** Append a record (buffered). */
  write(rec: WritableRecord): void {
    this.writeFrom(rec.data, 0, rec.data.length, rec.tsSec, rec.tsNsec, rec.origLen ?? rec.data.length);
  }

  /**
   * Append a record whose frame is `src[start, start + len)` (buffered), without a record object or a
   * view: for loops that write thousands of frames straight out of a larger buffer (a Wasm batch).
   * `origLen` is the length on the wire (never written below the captured length).
   */
  writeFrom(src: Uint8Array, start: number, len: number, tsSec: number, tsNsec: number, origLen: number = len): void {
    if (this.#closed) throw new Error(`${this.path}: write after close`);
    const caplen = Math.min(len, this.#cutAt);
    const ng = this.format === 'pcapng';
    const size = ng ? epbSize(caplen) : REC_HDR + caplen;
    if (this.#used + size > this.#buf.length) {
      this.#spill();
      if (size > this.#buf.length) {
        if (this.#behind && this.#buf.length === BUFFER) this.#spare.push(this.#buf);
        this.#buf = new Uint8Array(size);
        this.#dv = new DataView(this.#buf.buffer);
      }
    }
    checkTimestamp(tsSec, tsNsec);
    const at = this.#used;
    if (ng) {
      this.#used += encodeEpb(this.#buf, this.#dv, at, src.subarray(start, start + caplen), caplen, origLen, tsSec, tsNsec, this.nanos);
    } else {
      this.#used += encodeClassicRecordFrom(this.#buf, this.#dv, at, src, start, caplen, origLen, tsSec, tsNsec, this.nanos);
    }
    this.count++;
  }

  /**
   * Append `records` classic pcap records already encoded (little-endian, in this writer's timestamp
   * resolution, within its snaplen rules): `src` is copied as it is, in as few copies as the buffers
   * allow, or, from half a buffer up, written straight from `src` before this returns (after what is
   * buffered). For a bulk encoder (Datapath.emitRecords); classic pcap writers only.
   */
  writeEncoded(src: Uint8Array, records: number): void {
    if (this.#closed) throw new Error(`${this.path}: write after close`);
    if (this.format !== 'pcap') throw new Error(`${this.path}: encoded classic records written to a ${this.format} writer`);
    if (src.length >= DIRECT_WRITE) {
      // A bulk encoder's output area: written from where it is, now, after what is buffered. Measured
      // faster than copying it into the buffers and writing them behind (docs/pcap.md, "Bulk path").
      this.flush();
      if (this.#behind) {
        writePositional(this.#fd, src, src.length, this.#pos, this.path);
        // The disk starts on these pages now, not at the fsync before the rename (src/io/writeback.ts).
        startWriteback(this.#fd, this.#pos, src.length);
        this.#pos += src.length;
      } else {
        writeAll(this.#fd, src, src.length, this.path);
      }
      this.count += records;
      return;
    }
    let off = 0;
    while (off < src.length) {
      if (this.#used === this.#buf.length) this.#spill();
      const k = Math.min(src.length - off, this.#buf.length - this.#used);
      this.#buf.set(off === 0 && k === src.length ? src : src.subarray(off, off + k), this.#used);
      this.#used += k;
      off += k;
    }
    this.count += records;
  }

  /**
   * A full buffer goes out. To a file, it is written behind (libuv's thread pool, positional) while
   * the caller fills a spare buffer, so encoding and the write system call overlap; with no spare
   * free it is written synchronously. Standard output is always written synchronously, in order.
   */
  #spill(): void {
    this.#rethrow();
    const spare = this.#behind ? this.#spare.pop() : undefined;
    if (!spare || this.#used === 0) { if (spare) this.#spare.push(spare); this.flush(); return; }
    const buf = this.#buf, len = this.#used, pos = this.#pos;
    this.#pos += len;
    const p: Promise<void> = writeFully(this.#fd, buf, len, pos).then(
      () => { startWriteback(this.#fd, pos, len); if (buf.length === BUFFER) this.#spare.push(buf); },
      (e: unknown) => { this.#failure ??= Object.assign(e as object, { path: this.path }); },
    ).finally(() => { this.#inFlight.delete(p); });
    this.#inFlight.add(p);
    this.#buf = spare;
    this.#dv = new DataView(spare.buffer);
    this.#used = 0;
  }

  #rethrow(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /**
   * Write the buffered records to the file now (synchronously). Buffers written behind may still be
   * in flight; close() waits for them.
   */
  flush(): void {
    this.#rethrow();
    if (this.#behind) {
      writePositional(this.#fd, this.#buf, this.#used, this.#pos, this.path);
      startWriteback(this.#fd, this.#pos, this.#used);
      this.#pos += this.#used;
    } else {
      writeAll(this.#fd, this.#buf, this.#used, this.path);
    }
    this.#used = 0;
  }

  /**
   * Flush, wait for every write in flight, and close; a file is then renamed over `path` (complete).
   * If any write failed (a full disk), nothing is left at `path` that was not there before, and the
   * error is thrown. Closing twice does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let failure: unknown;
    try {
      this.flush();
    } catch (e) {
      failure = e;
    }
    // Nothing is committed (or closed) under a write still in flight; a failed one fails the close.
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    // Nothing is written from the buffers any more: the next writer may have them.
    keepBuffer(this.#buf);
    for (const b of this.#spare.splice(0)) keepBuffer(b);
    failure ??= this.#failure;
    if (failure !== undefined) {
      this.#out?.abort();
      throw failure;
    }
    this.#out?.commit();
  }

  /**
   * Give up the capture: a file's temporary copy is removed and `path` keeps what it held before
   * (standard output keeps what was already written); writes still in flight are left to finish into
   * the removed file, whose descriptor is closed after them. After close() or a second time it does nothing.
   */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out?.abort(this.#inFlight.size > 0 ? Promise.allSettled([...this.#inFlight]) : undefined);
  }
}

/** writeEncoded() writes sources of this size and up directly, synchronously, not through the buffers. */
const DIRECT_WRITE = BUFFER / 2;

/** Buffers per file writer: one being filled, the others written behind. */
const WRITE_BEHIND_BUFFERS = 4;

/** Write buf[off, off + len) at file offset pos on libuv's pool; resolves with the bytes written. */
function writeAt(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => {
    writeCb(fd, buf, off, len, pos, (err, n) => { if (err) reject(err); else resolve(n); });
  });
}

/** Write all of buf[0, len) at file offset pos, asynchronously. */
async function writeFully(fd: number, buf: Uint8Array, len: number, pos: number): Promise<void> {
  let off = 0;
  while (off < len) off += await writeAt(fd, buf, off, len - off, pos + off);
}

/** Write all of buf[0, len) at file offset pos, synchronously; errors name the file. */
function writePositional(fd: number, buf: Uint8Array, len: number, pos: number, path: string): void {
  let off = 0;
  try {
    while (off < len) off += writeSync(fd, buf, off, len - off, pos + off);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== undefined) Object.assign(e as object, { path });
    throw e;
  }
}
