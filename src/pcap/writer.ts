// Classic pcap writer (little-endian, microsecond or nanosecond magic). write() copies into a 1 MiB
// buffer and flushes it synchronously when full, so memory stays bounded however fast frames come;
// close() (or flush()) leaves a complete, valid file on disk.
import { open, type FileHandle } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { FILE_HEADER_LEN, MAGIC_MICRO, MAGIC_NANO } from './classic.js';
import { LINKTYPE_ETHERNET, MAX_NORMAL_CAPLEN } from './record.js';

/** How a classic pcap file is written (PcapWriter.open(), encodePcap()). */
export interface WriterOptions {
  /** Nanosecond timestamps (magic a1b23c4d); default microseconds. */
  nanos?: boolean;
  /** Frames longer than this many bytes are cut (origLen keeps the length on the wire), 1..2147483647. Default 262144. */
  snaplen?: number;
  /** The file's link type (LINKTYPE_*), default 1 (Ethernet). */
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

function checkedSnaplen(s: number | undefined): number {
  const v = s ?? MAX_NORMAL_CAPLEN;
  if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) throw new RangeError(`snaplen must be an integer in 1..2147483647, got ${s}`);
  return v;
}

/**
 * Write one record header + frame at dv/u8 offset `at`; returns the bytes written. `room` must hold
 * REC_HDR + min(data.length, snaplen).
 */
export function encodeRecord(u8: Uint8Array, dv: DataView, at: number, rec: WritableRecord, nanos: boolean, snaplen: number): number {
  const { tsSec, tsNsec } = rec;
  if (!Number.isInteger(tsSec) || tsSec < 0 || tsSec > 0xffffffff) throw new RangeError(`timestamp seconds ${tsSec} do not fit a classic pcap record`);
  if (!Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec > 999_999_999) throw new RangeError(`timestamp nanoseconds ${tsNsec} outside 0..999999999`);
  const caplen = Math.min(rec.data.length, snaplen);
  dv.setUint32(at, tsSec, true);
  dv.setUint32(at + 4, nanos ? tsNsec : Math.floor(tsNsec / 1000), true);
  dv.setUint32(at + 8, caplen, true);
  dv.setUint32(at + 12, Math.max(rec.origLen ?? rec.data.length, caplen), true);
  u8.set(caplen === rec.data.length ? rec.data : rec.data.subarray(0, caplen), at + REC_HDR);
  return REC_HDR + caplen;
}

/**
 * A classic pcap writer (little-endian). write() copies into a 1 MiB buffer flushed synchronously
 * when full, so memory stays bounded; flush() or close() leaves a complete, valid file on disk.
 * write() throws a RangeError for a timestamp a classic record cannot hold, an Error after close().
 */
export class PcapWriter {
  /** The file written. */
  readonly path: string;
  /** Whether timestamps are written in nanoseconds (magic a1b23c4d). */
  readonly nanos: boolean;
  /** Bytes of a frame kept at most. */
  readonly snaplen: number;
  /** Records written so far. */
  count = 0;
  readonly #fh: FileHandle;
  #buf: Uint8Array;
  #dv: DataView;
  #used = 0;
  #closed = false;

  private constructor(path: string, fh: FileHandle, opts: WriterOptions) {
    this.path = path;
    this.#fh = fh;
    this.nanos = opts.nanos ?? false;
    this.snaplen = checkedSnaplen(opts.snaplen);
    this.#buf = new Uint8Array(BUFFER);
    this.#dv = new DataView(this.#buf.buffer);
    this.#buf.set(fileHeader(opts));
    this.#used = FILE_HEADER_LEN;
  }

  /** Create (or truncate) `path` and write the file header. */
  static async open(path: string, opts: WriterOptions = {}): Promise<PcapWriter> {
    checkedSnaplen(opts.snaplen);
    const fh = await open(path, 'w');
    const w = new PcapWriter(path, fh, opts);
    w.flush(); // the file is a valid (empty) capture from the start
    return w;
  }

  /** Append a record (buffered). */
  write(rec: WritableRecord): void {
    if (this.#closed) throw new Error(`${this.path}: write after close`);
    const size = REC_HDR + Math.min(rec.data.length, this.snaplen);
    if (this.#used + size > this.#buf.length) {
      this.flush();
      if (size > this.#buf.length) {
        this.#buf = new Uint8Array(size);
        this.#dv = new DataView(this.#buf.buffer);
      }
    }
    this.#used += encodeRecord(this.#buf, this.#dv, this.#used, rec, this.nanos, this.snaplen);
    this.count++;
  }

  /** Write the buffered records to the file now. */
  flush(): void {
    let off = 0;
    while (off < this.#used) off += writeSync(this.#fh.fd, this.#buf, off, this.#used - off);
    this.#used = 0;
  }

  /** Flush and close the file; closing twice does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    await this.#fh.close();
  }
}
