// Synchronous in-memory encoding and decoding of whole captures, for tests and small tools. They use
// the same decoders and record encoder as the streaming reader and writer.
import { InputError } from '../errors.js';
import { decoderFor, type DecoderOptions } from './detect.js';
import type { PcapRecord } from './record.js';
import { newStepOutput, STEP_END, STEP_NEED, type Window } from './step.js';
import { encodeRecord, fileHeader, type WritableRecord, type WriterOptions } from './writer.js';
import { MAX_NORMAL_CAPLEN } from './record.js';

/** A whole capture as bytes: classic pcap, little-endian. */
export function encodePcap(records: Iterable<WritableRecord>, opts: WriterOptions = {}): Uint8Array {
  const snaplen = opts.snaplen ?? MAX_NORMAL_CAPLEN;
  const list = [...records];
  const size = list.reduce((n, r) => n + 16 + Math.min(r.data.length, snaplen), 24);
  const u8 = new Uint8Array(size);
  const dv = new DataView(u8.buffer);
  u8.set(fileHeader(opts));
  let at = 24;
  for (const r of list) at += encodeRecord(u8, dv, at, r, opts.nanos ?? false, snaplen);
  return u8;
}

/** A whole capture decoded by decodeCapture(). */
export interface DecodedCapture {
  /** The file's format: classic pcap or pcapng. */
  format: 'pcap' | 'pcapng';
  /** Timestamps finer than microseconds were seen (classic ns magic, or a pcapng if_tsresol). */
  nanos: boolean;
  /** Largest snaplen declared (0 = unlimited). */
  snaplen: number;
  /** Records with their data copied, each with the file offset it started at. */
  records: (PcapRecord & {
    /** File offset in bytes of the record's header (classic) or block (pcapng). */
    offset: number;
  })[];
}

/** Decode a whole classic pcap or pcapng held in memory. Throws InputError(file, offset, reason). */
export function decodeCapture(bytes: Uint8Array, file = '<memory>', opts: DecoderOptions = {}): DecodedCapture {
  const dec = decoderFor(file, bytes.subarray(0, 4), true, opts);
  const w: Window = { buf: bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos: 0, end: bytes.length, base: 0, eof: true };
  // DataView offsets are relative to byteOffset; so are buf indices, so both agree.
  const out = newStepOutput();
  const records: DecodedCapture['records'] = [];
  for (;;) {
    const n = dec.step(w, out);
    if (n === STEP_END) break;
    if (n === STEP_NEED) throw new Error('decoder asked for bytes past the end of a complete buffer');
    // Only an unknown block too large to buffer is skipped unread; here it runs past the end.
    if (n > w.end - w.pos) throw new InputError(file, w.pos, `truncated block (${n} bytes announced, ${w.end - w.pos} present)`);
    if (out.hasRecord) {
      records.push({
        offset: w.pos,
        tsSec: out.tsSec,
        tsNsec: out.tsNsec,
        data: bytes.slice(out.dataStart, out.dataStart + out.dataLen),
        origLen: out.origLen,
        linkType: out.linkType,
      });
    }
    w.pos += n;
  }
  return { format: dec.format, nanos: dec.nanos, snaplen: dec.snaplen, records };
}
