// Capture writer: classic pcap (little-endian, microsecond or nanosecond magic) or pcapng (one
// interface). write() copies into a 1 MiB buffer and flushes it synchronously when full, so memory
// stays bounded however fast frames come. A file is written atomically (src/atomic-output.ts): close()
// renames the complete capture over the path, abort() (or a failed close) leaves the path as it was.
// The path `-` is standard output, streamed.
import { AtomicOutput } from '../atomic-output.js';
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
 * A capture writer (classic pcap little-endian, or pcapng). write() copies into a 1 MiB buffer flushed synchronously
 * when full, so memory stays bounded; close() renames the complete, valid file over the path (abort() discards it).
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

  private constructor(path: string, out: AtomicOutput | undefined, opts: WriterOptions) {
    this.path = path;
    this.#out = out;
    this.#fd = out ? out.fd : 1;
    this.format = opts.format ?? 'pcap';
    this.nanos = opts.nanos ?? false;
    this.snaplen = checkedSnaplen(opts.snaplen, this.format);
    this.#cutAt = opts.cut === false || this.snaplen === 0 ? MAX_BLOCK : this.snaplen;
    this.#buf = new Uint8Array(BUFFER);
    this.#dv = new DataView(this.#buf.buffer);
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
    if (this.#closed) throw new Error(`${this.path}: write after close`);
    const caplen = Math.min(rec.data.length, this.#cutAt);
    const ng = this.format === 'pcapng';
    const size = ng ? epbSize(caplen) : REC_HDR + caplen;
    if (this.#used + size > this.#buf.length) {
      this.flush();
      if (size > this.#buf.length) {
        this.#buf = new Uint8Array(size);
        this.#dv = new DataView(this.#buf.buffer);
      }
    }
    if (ng) {
      checkTimestamp(rec.tsSec, rec.tsNsec);
      this.#used += encodeEpb(this.#buf, this.#dv, this.#used, rec.data, caplen, rec.origLen ?? rec.data.length, rec.tsSec, rec.tsNsec, this.nanos);
    } else {
      this.#used += encodeRecord(this.#buf, this.#dv, this.#used, rec, this.nanos, this.#cutAt);
    }
    this.count++;
  }

  /** Write the buffered records to the file now. */
  flush(): void {
    writeAll(this.#fd, this.#buf, this.#used, this.path);
    this.#used = 0;
  }

  /**
   * Flush and close; a file is then renamed over `path` (complete). If that fails (a full disk), nothing
   * is left at `path` that was not there before, and the error is thrown. Closing twice does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      this.flush();
    } catch (e) {
      this.abort();
      throw e;
    }
    this.#closed = true;
    this.#out?.commit();
  }

  /**
   * Give up the capture: a file's temporary copy is removed and `path` keeps what it held before
   * (standard output keeps what was already written). After close() or a second time it does nothing.
   */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out?.abort();
  }
}
