// The bulk path of transformCapture for classic Ethernet pcap in and classic pcap out: the file's bytes
// are copied into the datapath's record arena by the chunk, one Wasm call walks a chunk's records into
// the batch, one runs the kernel, one encodes the results as records into the output area, which goes
// to the writer by the megabyte. JS does a few calls per batch of 256 and nothing per frame, which is
// what takes encap past 5 M frames/s (docs/pcap.md, "Bulk path").
import { RecordFault, statusName, type Datapath, type PacketBatch, type ResultDropped, type ResultOk } from '../../bindings/index.js';
import { bulkRead } from './bulk-read.js';
import type { ClassicLayout, PcapReader } from './reader.js';
import type { PcapWriter } from './writer.js';

/** Bytes of the record arena's output area: what goes to the writer at a time. */
export const BULK_OUTPUT_BYTES = 1 << 20;
/** Input bytes read at a time beyond the largest record (bulkRead reads straight into the arena). */
const BULK_INPUT_CHUNK = (1 << 20) + 64 * 1024;

/** The record arena a capture of this layout needs (DatapathConfig.records). */
export function bulkArenaFor(layout: ClassicLayout): { inputBytes: number; outputBytes: number } {
  return { inputBytes: BULK_INPUT_CHUNK + layout.recordHeaderLength + layout.limit, outputBytes: BULK_OUTPUT_BYTES };
}

/** What the bulk path counted: transformCapture's CaptureRun figures. */
export interface BulkCounts {
  frames: number;
  ok: number;
  dropped: Record<string, number>;
}

/** What bulkTransform works with; the datapath was made with bulkArenaFor(layout). */
export interface BulkSpec {
  reader: PcapReader;
  layout: ClassicLayout;
  dp: Datapath;
  writer: PcapWriter;
  /** Frames longer are dropped as oversize. */
  maxFrame: number;
  /** Run the kernel over the whole batch (one Wasm call). */
  kernel(dp: Datapath, batch: PacketBatch): void;
  /** Called for every frame written, after its batch is encoded (slower: a JS call per frame). */
  onOk?(batch: PacketBatch, i: number): void;
  /** Frames written per outer source port, added to at the end. */
  ports?: Float64Array;
}

const noDrop: ResultDropped = () => {};


/** Fold the emit tallies (u32 in Wasm) before any could wrap. */
const FOLD_EVERY = 2 ** 31;

/**
 * Stream the reader's records (after classicHeader()) through the kernel into the writer, in bulk.
 * Throws the InputError the general path would at broken input, after the records before it went
 * through; the caller aborts the writer.
 */
export async function bulkTransform(s: BulkSpec): Promise<BulkCounts> {
  const { reader, layout, dp, writer } = s;
  const batch = dp.batch();
  const arena = dp.records(); // bulkRead configures it
  const counts: BulkCounts = { frames: 0, ok: 0, dropped: {} };
  const byStatus = new Float64Array(32);
  let folded = 0;
  const onOk: ResultOk | undefined = s.onOk ? (i, b) => s.onOk!(b, i) : undefined;

  const takeOutput = (): void => {
    if (arena.outputUsed === 0) return;
    const ok = arena.ok;
    writer.writeEncoded(arena.output(), ok);
    counts.ok += ok;
    arena.resetOutput();
    if (counts.ok - folded >= FOLD_EVERY) { arena.foldTallies(byStatus, s.ports); folded = counts.ok; }
  };
  // Each batch pcapIngest filled: the kernel, then its results encoded as records (emitting until
  // the whole batch is out, the output area going to the writer whenever it fills).
  const work = (): void => {
    s.kernel(dp, batch);
    for (let i = 0; ;) {
      i = dp.emitRecords(i);
      if (arena.error === RecordFault.SECONDS) {
        throw new RangeError(`timestamp seconds ${arena.tsSec(arena.argA)} do not fit a classic pcap record`);
      }
      if (i >= batch.length) break;
      takeOutput(); // the output area is full: to the writer, then on
    }
    if (onOk) batch.forEachResult(onOk, noDrop);
  };
  const walked = await bulkRead({ reader, layout, dp, maxFrame: s.maxFrame, nanosOut: writer.nanos, keepCut: false, batch: work });
  takeOutput();
  arena.foldTallies(byStatus, s.ports);
  counts.frames = walked.frames;
  if (walked.truncated > 0) counts.dropped.truncated = walked.truncated;
  if (walked.oversize > 0) counts.dropped.oversize = walked.oversize;
  for (let st = 1; st < byStatus.length; st++) if (byStatus[st] > 0) counts.dropped[statusName(st)] = byStatus[st];
  return counts;
}
