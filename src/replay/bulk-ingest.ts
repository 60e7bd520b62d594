// Replay's bulk path reads a classic Ethernet pcap as bulkTransform does (src/pcap/bulk-records.ts):
// the file's bytes go into the datapath's record arena by the chunk and pcapIngest walks them into
// batch 0, records cut by the capture kept as captured (as replay's general path takes them). The
// caller's `batch` callback then works the whole batch with a few Wasm calls. docs/replay.md, "Bulk path".
import { IngestStop, type Datapath } from '../../bindings/index.js';
import { inputError } from '../pcap/bulk-records.js';
import type { ClassicLayout, PcapReader } from '../pcap/index.js';

/** Records walked by a bulk read: all of them, and those skipped as longer than a slot. */
export interface BulkWalk { frames: number; truncated: number; oversize: number }

/** The first record's timestamp as replay's general path decodes it (fraction carried into seconds), from the bytes after the file header. */
export function firstTimestamp(bytes: Uint8Array, layout: ClassicLayout): { sec: number; nsec: number } | undefined {
  if (bytes.length < 8) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  let sec = dv.getUint32(0, !layout.bigEndian);
  let frac = dv.getUint32(4, !layout.bigEndian);
  const unit = layout.nanos ? 1_000_000_000 : 1_000_000;
  if (frac >= unit) { sec += Math.floor(frac / unit); frac %= unit; }
  return { sec, nsec: layout.nanos ? frac : frac * 1000 };
}

export interface BulkReadSpec {
  reader: PcapReader;
  layout: ClassicLayout;
  /** Made with records: bulkArenaFor(layout); its record arena is configured here. */
  dp: Datapath;
  /** Longer frames are skipped (counted as oversize). */
  maxFrame: number;
  /** Classic output written by pcapEmit: nanosecond fractions (else microseconds). */
  nanosOut: boolean;
  /** Called with the bytes after the file header as they come, before they are walked (a view valid during the call). */
  chunk?(bytes: Uint8Array): void;
  /** Batch 0 holds the next records (at least one): work them, then clear the batch. */
  batch(): void;
  /** After each chunk of the file, with the file offset read so far. */
  progress?(offset: number): void;
}

/**
 * Walk every record of the capture into batch 0 and call spec.batch() for each batch. Throws the
 * InputError the general path would at broken input, after the records before it were worked.
 */
export async function bulkRead(s: BulkReadSpec): Promise<BulkWalk> {
  const { reader, layout, dp } = s;
  const batch = dp.batch();
  const arena = dp.records();
  arena.configure({
    bigEndian: layout.bigEndian, nanosIn: layout.nanos, modified: layout.recordHeaderLength === 24, nanosOut: s.nanosOut,
    limit: layout.limit, maxFrame: Math.min(s.maxFrame, batch.maxFrame), keepCut: true,
  }, batch.headroom);
  const walked: BulkWalk = { frames: 0, truncated: 0, oversize: 0 };
  const flush = (): void => {
    if (batch.length > 0) s.batch();
    batch.clear();
    arena.foldWalked(walked);
  };
  let base = -1;
  const drain = (eof: boolean): void => {
    for (;;) {
      const stop = dp.ingestRecords(eof);
      if (stop === IngestStop.FULL) { flush(); continue; }
      if (stop === IngestStop.NEED) { base += arena.compact(); return; }
      const fault = stop === IngestStop.END ? undefined : inputError(reader.path, base + arena.pos, arena, layout);
      flush();
      if (fault === undefined) return;
      throw fault;
    }
  };
  for await (const bytes of reader.rawBytes()) {
    if (base < 0) base = reader.recordOffset;
    s.chunk?.(bytes);
    for (let off = 0; off < bytes.length;) {
      const k = arena.append(bytes, off, bytes.length - off);
      if (k === 0) throw new Error('record arena smaller than one record'); // bulkArenaFor rules it out
      off += k;
      drain(false);
    }
    s.progress?.(reader.recordOffset + bytes.length);
  }
  if (base < 0) base = reader.recordOffset;
  drain(true);
  arena.foldWalked(walked);
  return walked;
}
