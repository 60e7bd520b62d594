// Replay's first pass in bulk, for a classic Ethernet pcap: pcapIngest walks the records into a batch,
// replayKeys reads every packet's inner addresses, 5-tuple, bin and memo hit into keys rows (one Wasm
// call each per batch of 256), and TS works the rows as typed arrays: a memo hit is a count in its
// flow's bins; only a miss takes the VTEP map and the batch's hash call, and opens or finds its flow.
// The result is the general path's (capture-scan.ts), frame for frame. docs/replay.md, "Bulk path".
import { RK_SIZE, RK_FAMILY, RK_PROTO, RK_L4, RK_SPORT, RK_DPORT, DESC_SIZE, D_DATA_LEN } from '../../bindings/layout.js';
import { giveBackReplayCore, takeReplayCore } from './core-pool.js';
import { bulkArenaFor } from '../pcap/bulk-records.js';
import type { ClassicLayout, PcapReader } from '../pcap/index.js';
import { firstTimestamp } from './bulk-ingest.js';
import { bulkRead } from '../pcap/bulk-read.js';
import { MAX_REPLAY_FRAME, REPLAY_BATCH, REPLAY_SLOT, countInto, flowFor, type CaptureFlow, type FrameCounts, type ScanOptions, type ScanResult } from './pass-types.js';

/** Slots of the bulk path's 5-tuple memo (a power of two): 20 bytes each. */
export const REPLAY_MEMO_SLOTS = 1 << 14;


export async function bulkScan(r: PcapReader, layout: ClassicLayout, o: ScanOptions): Promise<ScanResult> {
  const { mapper, index } = o;
  // A core of an earlier replay with the same geometry when one is idle (core-pool.ts).
  const rc = takeReplayCore({
    localIp: '0.0.0.1', hashSeed: o.hashSeed, batchSize: REPLAY_BATCH, slotSize: REPLAY_SLOT, records: bulkArenaFor(layout),
    maxPeers: Math.max(1, o.share?.peers ?? 0), portRange: o.share?.portRange, candidates: o.share?.candidates,
  }, REPLAY_MEMO_SLOTS);
  const dp = rc.dp;
  const frames: FrameCounts = { total: 0, skipped: 0, local: 0, replayed: 0 };
  const flows: CaptureFlow[] = [];
  let maxBin = 0;
  let t0: { sec: number; nsec: number } | undefined;
  const W = RK_SIZE >>> 2, DW = DESC_SIZE >>> 2;
  // Per packet of the batch: its VTEPs when the memo missed (pS = -1: local or a hit).
  const pS = new Int32Array(REPLAY_BATCH), pD = new Int32Array(REPLAY_BATCH);

  const work = (): void => {
    const n = rc.batch.length;
    rc.keys(t0!.sec, t0!.nsec);
    const { keyI32, keyU32, keyU8, keyU16, descU32 } = rc.views;
    const kb = rc.keyBase, db = rc.descBase + (D_DATA_LEN >>> 2);
    let misses = 0;
    for (let i = 0; i < n; i++) {
      const k = kb + i * W;
      const id = keyI32[k];
      pS[i] = -1;
      if (id >= 0) {
        const bin = keyU32[k + 5], len = descU32[db + i * DW];
        frames.replayed++;
        if (bin > maxBin) maxBin = bin;
        const f = flows[id];
        if (bin < f.counts.length) { f.counts[bin]++; f.packets++; f.bytes += len; } else countInto(f, bin, len);
        continue;
      }
      const fam = keyU8[(k << 2) + RK_FAMILY];
      if (fam === 0) throw new Error('replay: bad descriptor from the record kernel'); // pcapIngest writes none
      const s = mapper.vtepOf(fam, keyU32[k + 1]), d = mapper.vtepOf(fam, keyU32[k + 2]);
      if (s === d) { frames.local++; continue; }
      frames.replayed++;
      pS[i] = s; pD[i] = d;
      misses++;
    }
    if (misses === 0) return;
    // One hash call for the batch; the misses, in order, find or open their flow (ids by first frame).
    rc.hashAll();
    for (let i = 0; i < n; i++) {
      if (pS[i] < 0) continue;
      const k = kb + i * W, kB = k << 2;
      const bin = keyU32[k + 5];
      if (bin > maxBin) maxBin = bin;
      const f = flowFor(flows, index, pS[i], pD[i], rc.hashOf(i), keyU8[kB + RK_FAMILY], keyU32[k + 1], keyU32[k + 2], keyU8[kB + RK_PROTO],
        keyU16[(kB + RK_SPORT) >>> 1], keyU16[(kB + RK_DPORT) >>> 1], bin);
      if (keyU8[kB + RK_L4]) keyI32[k] = f.id;
      countInto(f, bin, descU32[db + i * DW]);
    }
    rc.memoInsert();
  };

  const walked = await bulkRead({
    reader: r, layout, dp, maxFrame: MAX_REPLAY_FRAME, nanosOut: true, keepCut: true,
    chunk: (bytes) => { t0 ??= firstTimestamp(bytes, layout); },
    batch: work,
    progress: (at) => o.progress?.('scan', at),
  });
  frames.total = walked.frames;
  frames.skipped = walked.oversize;
  // Shared: the encap pass works on it and replay gives it back after; else it is done with.
  if (o.share === undefined) giveBackReplayCore(rc);
  return { frames, flows, bins: maxBin + 1, t0Sec: t0?.sec ?? 0, t0Nsec: t0?.nsec ?? 0, core: o.share !== undefined ? rc : undefined };
}
