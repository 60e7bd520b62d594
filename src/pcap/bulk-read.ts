// The record walker of the bulk paths (encap/decap's bulkTransform, replay's two passes): a classic
// pcap's bytes go into the datapath's record arena by the chunk and pcapIngest walks them into batch 0;
// the caller's `batch` callback works each full batch with a few Wasm calls. A broken record stops the
// walk with the InputError the general path words, after the records before it were worked.
import { IngestStop, RecordFault, type Datapath, type RecordArena } from '../../bindings/index.js';
import { InputError } from '../errors.js';
import type { ClassicLayout, PcapReader } from './reader.js';

/** The error ingest stopped at, as the classic decoder words it (src/pcap/classic.ts); replay's bulk path throws it too. */
export function inputError(file: string, at: number, a: RecordArena, layout: ClassicLayout): InputError {
  switch (a.error) {
    case RecordFault.TRUNCATED_HEADER: return new InputError(file, at, `truncated record header (${a.argA} of ${a.argB} bytes)`);
    case RecordFault.TRUNCATED_DATA: return new InputError(file, at, `truncated record data (${a.argA} bytes announced, ${a.argB} present)`);
    case RecordFault.ABSURD_CAPLEN: return new InputError(file, at, `absurd capture length ${a.argA} (snaplen ${layout.snaplen}, limit ${layout.limit})`);
    default: return new InputError(file, at, `record kernel stopped with fault ${a.error}`);
  }
}

/** Records walked by a bulk read: all of them, and those skipped as longer than a slot. */
export interface BulkWalk { frames: number; truncated: number; oversize: number }

export interface BulkReadSpec {
  reader: PcapReader;
  layout: ClassicLayout;
  /** Made with records: bulkArenaFor(layout); its record arena is configured here. */
  dp: Datapath;
  /** Longer frames are skipped (counted as oversize). */
  maxFrame: number;
  /** Classic output written by pcapEmit: nanosecond fractions (else microseconds). */
  nanosOut: boolean;
  /** Records the capture cut short (captured < original length) are taken as captured (replay), else dropped as truncated. */
  keepCut: boolean;
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
    limit: layout.limit, maxFrame: Math.min(s.maxFrame, batch.maxFrame), keepCut: s.keepCut,
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
  // The file's bytes are read straight into the arena's free input (no copy through the reader's buffers).
  for (;;) {
    const room = arena.inputRoom();
    if (room.length === 0) throw new Error('record arena smaller than one record'); // bulkArenaFor rules it out
    const n = await reader.readRaw(room, 0, room.length);
    if (n === 0) break;
    if (base < 0) base = reader.recordOffset;
    s.chunk?.(room.subarray(0, n));
    arena.appended(n);
    drain(false);
    s.progress?.(reader.recordOffset + n);
  }
  if (base < 0) base = reader.recordOffset;
  drain(true);
  arena.foldWalked(walked);
  return walked;
}
