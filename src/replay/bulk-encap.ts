// Replay's second pass in bulk, for a classic Ethernet pcap written (if at all) as classic pcap: one
// core for every source VTEP. Its peer table has a row per (source VTEP, first hop) pair of the
// capture's flows, each row's outer template carrying its source's address (replayRetemplate), and each
// source keeps its own outer IPv4 identification sequence, so the frames come out as one Datapath per
// source VTEP wrote them (encap-pass.ts). Per batch: pcapIngest, replayKeys, replayEncapPlan (each
// memo hit's peer row and forced port into its descriptor, from per-flow tables written before the
// pass; its source and the runs of one source), TS for the rows left (the memo's misses take the VTEP
// map and one hash call), encapBatch over each run of one source, pcapEmit over the same runs into the
// output area, which goes to the writer by the megabyte. docs/replay.md, "Bulk path".
import { formatIPv4, statusName } from '../../bindings/index.js';
import { giveBackReplayCore, takeReplayCore } from './core-pool.js';
import {
  RK_SIZE, RK_FAMILY, DESC_SIZE, D_FORCE, D_PEER, D_STATUS, PC_STATUS_SLOTS, RC_FORCED, RC_RUNS, RR_FROM, RR_SIZE, RR_SRC, RR_TO,
  RF_FORCED_AT, RF_FORCED_LEN, RF_PEER, RF_SIZE, RF_SRC, RP_BIN, RP_PORT, RP_SIZE,
} from '../../bindings/layout.js';
import type { ReplayCore } from '../../bindings/replay-core.js';
import { bulkArenaFor } from '../pcap/bulk-records.js';
import type { ClassicLayout, PcapReader, PcapWriter } from '../pcap/index.js';
import { bulkRead } from '../pcap/bulk-read.js';
import { REPLAY_MEMO_SLOTS } from './bulk-scan.js';
import { MAX_REPLAY_FRAME, REPLAY_BATCH, REPLAY_SLOT } from './pass-types.js';
import type { EncapOptions, EncapResult } from './pass-types.js';

/**
 * encapCapture's pass over a classic Ethernet pcap (`layout`, header already read from `r`), writing
 * into `writer` (classic pcap) if given. Fills `res` as the general path does.
 */
export async function bulkEncap(o: EncapOptions, r: PcapReader, layout: ClassicLayout, writer: PcapWriter | undefined, res: EncapResult): Promise<void> {
  const { world, mapper, index, ports } = o;
  const V = world.vteps.length;
  // Peer rows: one per (source, first hop) pair of the flows, more made on demand (a frame whose flow
  // the index does not know goes to its destination VTEP, as on the general path).
  const rowOf = new Map<number, number>();
  for (let f = 0; f < o.srcOf.length; f++) { const key = o.srcOf[f] * V + o.firstHop[f]; if (!rowOf.has(key)) rowOf.set(key, rowOf.size); }
  // The scan's core when it reserved rows enough (it has every pair then), else a core of our own.
  const shared = o.core !== undefined && o.core.dp.config.maxPeers >= Math.min(V * V, rowOf.size + 1024) ? o.core : undefined;
  const rc = shared ?? takeReplayCore({
    localIp: '0.0.0.1', hashSeed: world.portSeed, portRange: world.portRange, candidates: world.candidateCount,
    batchSize: REPLAY_BATCH, slotSize: REPLAY_SLOT, maxPeers: Math.max(1, rowOf.size + Math.min(V * V, 1024)), records: bulkArenaFor(layout),
  }, REPLAY_MEMO_SLOTS);
  const dp = rc.dp;
  const configured = new Uint8Array(dp.config.maxPeers);
  const rowFor = (s: number, hop: number): number => {
    const key = s * V + hop;
    let row = rowOf.get(key);
    if (row === undefined) {
      if (rowOf.size >= configured.length) throw new Error(`replay: more than ${configured.length} VTEP pairs in the encap pass`);
      rowOf.set(key, (row = rowOf.size));
    }
    if (configured[row] === 0) {
      const ip = world.vteps[hop].ip;
      dp.setPeer(row, { remoteIp: formatIPv4(ip), vni: o.vni, candidates: [...world.candidates(ip)] });
      rc.retemplate(row, world.vteps[s].ip);
      configured[row] = 1;
    }
    return row;
  };
  // Each source VTEP's next outer IPv4 identification (each had a core of its own, starting at 0).
  const ipIdOf = new Int32Array(V);
  // Batches as the general path counts them: a batch per run of one source, split every REPLAY_BATCH.
  let cur = -1, inBatch = 0;
  const W = RK_SIZE >>> 2;
  const pD = new Int32Array(REPLAY_BATCH), pHop = new Int32Array(REPLAY_BATCH), pForced = new Uint16Array(REPLAY_BATCH);
  const arena = rc.arena;
  const byStatus = new Float64Array(PC_STATUS_SLOTS);
  const seen = new Uint8Array(PC_STATUS_SLOTS);
  const before = new Float64Array(PC_STATUS_SLOTS);

  /** Packet i of flow id (-1: unknown) with inner hash h, source s, destination d: its first hop and forced port. */
  const resolve = (i: number, id: number, h: number, d: number, bin: number): void => {
    let hop: number, port = 0, def: number;
    if (id >= 0) {
      hop = o.firstHop[id];
      const pa = ports[id];
      port = bin < pa.length ? pa[bin] : 0;
      def = o.defaultPortOf[id];
    } else {
      hop = d;
      const cands = world.candidates(world.vteps[hop].ip);
      def = cands[h % cands.length];
    }
    const forced = port !== 0 && port !== def ? port : 0;
    if (forced !== 0) res.forced++;
    pHop[i] = hop;
    pForced[i] = forced;
  };

  const takeOutput = (): void => {
    if (arena.outputUsed === 0) return;
    const ok = arena.ok;
    writer?.writeEncoded(arena.output(), ok);
    res.encapsulated += ok;
    arena.resetOutput();
  };

  /** Statuses dropped for the first time go into res.dropped in the order their first frame came. */
  const noteDrops = (n: number): void => {
    // Folded every batch: the u32 tallies never wrap.
    before.set(byStatus);
    arena.foldTallies(byStatus);
    let fresh = 0;
    for (let st = 1; st < PC_STATUS_SLOTS; st++) {
      if (byStatus[st] !== before[st] && seen[st] === 0) fresh++;
    }
    if (fresh > 0) {
      const u16 = rc.views.descU16, d0 = rc.batch.region.desc >>> 1;
      const src = rc.views.keyI32, sb = rc.srcAddr >>> 2;
      for (let i = 0; i < n && fresh > 0; i++) {
        if (src[sb + i] < 0) continue;
        const st = Math.min(u16[d0 + ((i * DESC_SIZE + D_STATUS) >>> 1)], PC_STATUS_SLOTS - 1);
        if (st !== 0 && seen[st] === 0 && byStatus[st] !== before[st]) { seen[st] = 1; fresh--; res.dropped[statusName(st)] = 0; }
      }
    }
    for (let st = 1; st < PC_STATUS_SLOTS; st++) if (byStatus[st] > 0) res.dropped[statusName(st)] = byStatus[st];
  };

  // Every flow's peer row, configured now: a memo hit needs no lookup.
  const flowRow = Int32Array.from(o.srcOf, (src, f) => rowFor(src, o.firstHop[f]));
  const d16 = rc.batch.region.desc >>> 1, DW16 = DESC_SIZE >>> 1, PEER16 = D_PEER >>> 1, FORCE16 = D_FORCE >>> 1;
  const srcOf = o.srcOf, defaultPortOf = o.defaultPortOf;
  writePlan(rc, srcOf, flowRow, defaultPortOf, ports);

  const todoBase = rc.todoAddr >>> 2, srcBase = rc.srcAddr >>> 2, runsBase = rc.runsAddr >>> 2, ctlBase = rc.ctlAddr >>> 2;
  /** Encapsulate batch 0's packets [a, b), all of source s, and emit them into the output area. */
  const encapRun = (s: number, a: number, b: number): void => {
    // Batches as the general path counts them: a new one when the source changes or 256 are in.
    if (s !== cur) { cur = s; inBatch = 0; }
    let len = b - a;
    if (inBatch > 0) { const take = Math.min(len, REPLAY_BATCH - inBatch); inBatch = (inBatch + take) % REPLAY_BATCH; len -= take; }
    if (len > 0) { res.batches += Math.ceil(len / REPLAY_BATCH); inBatch = len % REPLAY_BATCH; }
    rc.ipId = ipIdOf[s];
    rc.encapRange(a, b);
    ipIdOf[s] = rc.ipId;
    for (let i = a; ;) {
      i = rc.emitRange(i, b);
      if (arena.error !== 0) throw new RangeError(`timestamp seconds ${arena.tsSec(arena.argA)} do not fit a classic pcap record`);
      if (i >= b) break;
      takeOutput(); // the output area is full: to the writer, then on
    }
  };

  const work = (): void => {
    const n = rc.batch.length;
    rc.keys(o.t0Sec, o.t0Nsec);
    // The memo's hits are planned in Wasm (replayEncapPlan): each packet's peer row, the port zooroute's
    // run used in its bin when not the default, its source, and the runs of one source.
    const nTodo = rc.encapPlan();
    const { keyI32, keyU32, keyU8, descU16 } = rc.views;
    const pS = rc.views.keyI32; // sources at srcBase + i
    res.forced += keyU32[ctlBase + (RC_FORCED >>> 2)];
    if (nTodo === 0) {
      const runs = keyU32[ctlBase + (RC_RUNS >>> 2)];
      for (let j = 0; j < runs; j++) {
        const w = runsBase + j * (RR_SIZE >>> 2);
        encapRun(keyU32[w + (RR_SRC >>> 2)], keyU32[w + (RR_FROM >>> 2)], keyU32[w + (RR_TO >>> 2)]);
      }
      noteDrops(n);
      return;
    }
    // The rows left to TS: memo misses, and hits of flows the kernel does not serve.
    const kb = rc.keyBase;
    let misses = 0;
    for (let t = 0; t < nTodo; t++) {
      const i = keyU32[todoBase + t];
      const k = kb + i * W;
      const id = keyI32[k];
      if (id >= 0) {
        pS[srcBase + i] = srcOf[id];
        const pa = ports[id], bin = keyU32[k + 5];
        const port = bin < pa.length ? pa[bin] : 0;
        const forced = port !== 0 && port !== defaultPortOf[id] ? port : 0;
        if (forced !== 0) res.forced++;
        const d = d16 + i * DW16;
        descU16[d + PEER16] = flowRow[id];
        descU16[d + FORCE16] = forced;
        continue;
      }
      const fam = keyU8[(k << 2) + RK_FAMILY];
      if (fam === 0) throw new Error('replay: bad descriptor from the record kernel'); // pcapIngest writes none
      const s = mapper.vtepOf(fam, keyU32[k + 1]), d = mapper.vtepOf(fam, keyU32[k + 2]);
      pS[srcBase + i] = s === d ? -1 : s;
      pD[i] = d;
      if (s !== d) { misses++; keyI32[k] = -2; } // -2: resolve after the hash call
    }
    if (misses > 0) {
      // One hash call for the batch (it rewrites every descriptor's outputs, not peer and force).
      rc.hashAll();
      for (let t = 0; t < nTodo; t++) {
        const i = keyU32[todoBase + t];
        const k = kb + i * W;
        if (keyI32[k] !== -2) continue;
        const h = rc.hashOf(i);
        const id = index.get(pS[srcBase + i], pD[i], h);
        resolve(i, id === undefined ? -1 : id, h, pD[i], keyU32[k + 5]);
        const d = d16 + i * DW16;
        descU16[d + PEER16] = rowFor(pS[srcBase + i], pHop[i]);
        descU16[d + FORCE16] = pForced[i];
        keyI32[k] = id === undefined ? -1 : id;
      }
      rc.memoInsert();
    }
    // Runs of one source over the whole batch (the kernel's runs stop at rows left to TS).
    for (let a = 0; a < n;) {
      const s = pS[srcBase + a];
      if (s < 0) { a++; continue; }
      let b = a + 1;
      while (b < n && pS[srcBase + b] === s) b++;
      encapRun(s, a, b);
      a = b;
    }
    noteDrops(n);
  };

  await bulkRead({
    reader: r, layout, dp, maxFrame: MAX_REPLAY_FRAME, nanosOut: writer?.nanos ?? true, keepCut: true,
    batch: work,
    progress: (at) => o.progress?.('encap', at),
  });
  takeOutput();
  if (rc !== shared) giveBackReplayCore(rc);
}

/**
 * The encap plan's per-flow tables in the core (replayEncapPlan): for each flow below the core's flow
 * rows, its source VTEP, peer row and the list of bins where zooroute's port was not the default, sorted
 * by bin. A flow whose list does not fit the forced-port area is marked (a length past the area) and
 * left to TS, as are flows past the flow rows.
 */
function writePlan(rc: ReplayCore, srcOf: Int32Array, flowRow: Int32Array, defaultPortOf: Uint16Array, ports: readonly Uint16Array[]): void {
  const { keyU32, keyU16 } = rc.views;
  const rows = Math.min(srcOf.length, rc.flowRows);
  let at = 0;
  for (let f = 0; f < rows; f++) {
    const r = rc.flowsAddr + f * RF_SIZE;
    keyU32[(r + RF_SRC) >>> 2] = srcOf[f];
    keyU16[(r + RF_PEER) >>> 1] = flowRow[f];
    keyU16[(r + RF_PEER + 2) >>> 1] = 0;
    const pa = ports[f], def = defaultPortOf[f];
    let len = 0;
    for (let b = 0; b < pa.length; b++) if (pa[b] !== 0 && pa[b] !== def) len++;
    if (at + len > rc.forcedPorts) {
      keyU32[(r + RF_FORCED_AT) >>> 2] = 0;
      keyU32[(r + RF_FORCED_LEN) >>> 2] = 0xffffffff; // outside the area: TS decides for this flow
      continue;
    }
    keyU32[(r + RF_FORCED_AT) >>> 2] = at;
    keyU32[(r + RF_FORCED_LEN) >>> 2] = len;
    for (let b = 0; b < pa.length; b++) {
      const p = pa[b];
      if (p === 0 || p === def) continue;
      const e = rc.forcedAddr + at * RP_SIZE;
      keyU32[(e + RP_BIN) >>> 2] = b;
      keyU32[(e + RP_PORT) >>> 2] = p; // the u16 port and its zero pad
      at++;
    }
  }
}
