// Replay's first pass in bulk, for a classic Ethernet pcap: pcapIngest walks the records into a batch,
// replayKeys reads every packet's inner addresses, 5-tuple, bin and memo hit into keys rows, and
// replayScanCount tallies the memo's hits into their flows' open bins in Wasm (one call each per batch
// of 256); TS takes the finished bins (spill rows) and the rows left to it: only a miss takes the VTEP
// map and the batch's hash call, and opens or finds its flow.
// The result is the general path's (capture-scan.ts), frame for frame. docs/replay.md, "Bulk path".
import {
  RK_SIZE, RK_FAMILY, RK_PROTO, RK_L4, RK_SPORT, RK_DPORT, DESC_SIZE, D_DATA_LEN, RC_MAX_BIN, RC_REPLAYED, RC_SPILLS,
  RF_BIN, RF_BYTES, RF_COUNT, RF_SIZE, RS_BIN, RS_BYTES, RS_COUNT, RS_FLOW, RS_SIZE,
} from '../../bindings/layout.js';
import { giveBackReplayCore, takeReplayCore } from './core-pool.js';
import { bulkArenaFor } from '../pcap/bulk-records.js';
import type { ClassicLayout, PcapReader } from '../pcap/index.js';
import { firstTimestamp } from './bulk-ingest.js';
import { bulkRead } from '../pcap/bulk-read.js';
import { MAX_REPLAY_FRAME, REPLAY_BATCH, REPLAY_SLOT, countInto, countManyInto, flowFor, type CaptureFlow, type FrameCounts, type ScanOptions, type ScanResult } from './pass-types.js';

/** Slots of the bulk path's 5-tuple memo (a power of two): 20 bytes each. */
export const REPLAY_MEMO_SLOTS = 1 << 14;


/** The u64 at byte address `at` (8-aligned) of the memory `u32` views, as a number. */
function u64At(u32: Uint32Array, at: number): number {
  return u32[at >>> 2] + u32[(at >>> 2) + 1] * 2 ** 32;
}

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
  const todoBase = rc.todoAddr >>> 2, flowsAddr = rc.flowsAddr, spillAddr = rc.spillAddr, ctlBase = rc.ctlAddr >>> 2;
  // Per todo row: its VTEPs when the memo missed (pS = -1: local, or counted already).
  const pS = new Int32Array(REPLAY_BATCH), pD = new Int32Array(REPLAY_BATCH);

  const work = (): void => {
    rc.keys(t0!.sec, t0!.nsec);
    // The memo's hits are tallied in Wasm (replayScanCount): a count in their flow's open bin.
    const nTodo = rc.scanCount();
    const { keyI32, keyU32, keyU8, keyU16, descU32 } = rc.views;
    const spills = keyU32[ctlBase + (RC_SPILLS >>> 2)];
    for (let j = 0; j < spills; j++) {
      const sp = spillAddr + j * RS_SIZE;
      const w = sp >>> 2;
      countManyInto(flows[keyU32[w + (RS_FLOW >>> 2)]], keyU32[w + (RS_BIN >>> 2)], keyU32[w + (RS_COUNT >>> 2)], u64At(keyU32, sp + RS_BYTES));
    }
    frames.replayed += keyU32[ctlBase + (RC_REPLAYED >>> 2)];
    const mb = keyU32[ctlBase + (RC_MAX_BIN >>> 2)];
    if (mb > maxBin) maxBin = mb;
    if (nTodo === 0) return;
    // The rows left: memo misses (and flows past the core's flow rows), as the general path does them.
    const kb = rc.keyBase, db = rc.descBase + (D_DATA_LEN >>> 2);
    let misses = 0;
    for (let t = 0; t < nTodo; t++) {
      const i = keyU32[todoBase + t];
      const k = kb + i * W;
      const id = keyI32[k];
      pS[t] = -1;
      if (id >= 0) {
        const bin = keyU32[k + 5];
        frames.replayed++;
        if (bin > maxBin) maxBin = bin;
        countInto(flows[id], bin, descU32[db + i * DW]);
        continue;
      }
      const fam = keyU8[(k << 2) + RK_FAMILY];
      if (fam === 0) throw new Error('replay: bad descriptor from the record kernel'); // pcapIngest writes none
      const s = mapper.vtepOf(fam, keyU32[k + 1]), d = mapper.vtepOf(fam, keyU32[k + 2]);
      if (s === d) { frames.local++; continue; }
      frames.replayed++;
      pS[t] = s; pD[t] = d;
      misses++;
    }
    if (misses === 0) return;
    // One hash call for the batch; the misses, in order, find or open their flow (ids by first frame).
    rc.hashAll();
    for (let t = 0; t < nTodo; t++) {
      if (pS[t] < 0) continue;
      const i = keyU32[todoBase + t];
      const k = kb + i * W, kB = k << 2;
      const bin = keyU32[k + 5];
      if (bin > maxBin) maxBin = bin;
      const f = flowFor(flows, index, pS[t], pD[t], rc.hashOf(i), keyU8[kB + RK_FAMILY], keyU32[k + 1], keyU32[k + 2], keyU8[kB + RK_PROTO],
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
  // The flows' open bins, tallied in Wasm, into their counts; the flow rows left empty for the next pass.
  {
    const { keyU32, keyU8 } = rc.views;
    const rows = Math.min(flows.length, rc.flowRows);
    for (let id = 0; id < rows; id++) {
      const r = flowsAddr + id * RF_SIZE;
      const n = keyU32[(r + RF_COUNT) >>> 2];
      if (n !== 0) countManyInto(flows[id], keyU32[(r + RF_BIN) >>> 2], n, u64At(keyU32, r + RF_BYTES));
    }
    keyU8.fill(0, flowsAddr, flowsAddr + rows * RF_SIZE);
  }
  frames.total = walked.frames;
  frames.skipped = walked.oversize;
  // Shared: the encap pass works on it and replay gives it back after; else it is done with.
  if (o.share === undefined) giveBackReplayCore(rc);
  return { frames, flows, bins: maxBin + 1, t0Sec: t0?.sec ?? 0, t0Nsec: t0?.nsec ?? 0, core: o.share !== undefined ? rc : undefined };
}
