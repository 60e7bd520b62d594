// The fuzzer: batches of random and mutated frames through every Wasm kernel (hash, encap with the
// default choice and through each fast-path table, decap, table lookup, SipHash, the pcap record
// kernels, TCP retransmission marks, replay's keys, memo and retemplate kernels) and its TS twin.
// Per packet kernel and batch it counts
//   - traps: the Wasm call threw (an abort or a runtime trap); the lane is rebuilt;
//   - disagreements: any descriptor byte, slot byte, returned count or IPv4 id differs from the twin;
//   - out-of-bounds writes: a canary of the guarded arena changed (fuzz/guard.ts);
//   - out-of-bounds reads: the kernel is run a second time on the same frames with every byte it
//     may not read (slot bytes outside the frame, the canaries) refilled with other values; any
//     difference in its descriptors or output frames means it read (and used) such a byte.
// The kernels called with raw addresses (pcapIngest, pcapEmit: fuzz/records.ts; tcpRetransmits:
// fuzz/retransmits.ts; replayKeys, replayMemoInsert, replayRetemplate: fuzz/replay.ts; replayScanCount, replayEncapPlan: fuzz/replay-plan.ts) run in rigs of their own (fuzz/rig.ts) with the same four checks, every byte of
// every region compared with the twin's.
import { DESC_SIZE } from '../bindings/layout.js';
import { DEFAULT_HEADROOM, SipHashBatch } from '../bindings/index.js';
import {
  Prng, decapBatchRef, decodeDescriptor, encapBatchRef, encodeDescriptor, hashBatchRef, diffBatches,
  type RefBatch, type RefDescriptor,
} from '../src/reference/index.js';
import { sipHash24Into } from '../src/reference/siphash.js';
import { buildCorpus, generateFrame, mutate, writeVxlan, type Corpus } from './frames.js';
import { BATCH, LANE_CONFIGS, Lane, PEERS, SLOT } from './lane.js';
import { RecordsFuzz } from './records.js';
import { RetransmitsFuzz } from './retransmits.js';
import { ReplayFuzz } from './replay.js';
import { ReplayPlanFuzz } from './replay-plan.js';

export type FuzzKernel = 'hash' | 'encap' | 'decap' | 'lookup' | 'siphash' | 'pcapIngest' | 'pcapEmit' | 'tcpRetransmits'
  | 'replayKeys' | 'replayMemoInsert' | 'replayRetemplate' | 'replayScanCount' | 'replayEncapPlan';
export const FUZZ_KERNELS: readonly FuzzKernel[] = [
  'hash', 'encap', 'decap', 'lookup', 'siphash', 'pcapIngest', 'pcapEmit', 'tcpRetransmits', 'replayKeys', 'replayMemoInsert', 'replayRetemplate',
  'replayScanCount', 'replayEncapPlan',
];

export interface FuzzOptions {
  /** Frames through each kernel. */
  frames: number;
  seed?: number;
  /** Repository root (capture files are found from it). */
  root: string;
  /** Called after each batch with the frames done so far. */
  progress?: (done: number) => void;
}

export interface FuzzReport {
  /** Frames through each kernel (every frame went through all of them). */
  frames: number;
  framesPerSecond: number;
  traps: number;
  disagreements: number;
  outOfBoundsReads: number;
  outOfBoundsWrites: number;
  seed: number;
  seconds: number;
  /** Per kernel: frames, traps, disagreements (and, for packet kernels, out-of-bounds reads and writes). */
  kernels: Record<FuzzKernel, { frames: number; traps: number; disagreements: number; oobReads: number; oobWrites: number }>;
  /** Frames encapsulated per lane (the default choice and each table). */
  lanes: Record<string, number>;
  /**
   * Kernel status codes seen, and how often (`hash:0`, `encap:4`, `decap:17`, ...), and what the other
   * kernels did: `pcapIngest:stop:<full|need|end|error>`, `pcapIngest:error:<kind>`, records walked and
   * skipped (`pcapIngest:walked`, `pcapIngest:skipped:truncated|oversize`), `pcapEmit:records`,
   * `pcapEmit:stop:<done|output-full|seconds>`, `tcpRetransmits:marked`, `tcpRetransmits:evicted`,
   * `pcapIngest:keep-cut:streams|cut-records`, `replayKeys:hits|l4|collisions|binned|bin-saturated|family:<0|2|4|6>`,
   * `replayMemoInsert:written|skipped|evicted|full-memo`, `replayRetemplate:done|unconfigured|out-of-range`, `replayScanCount:todo|tallied|spills|max-bin-saturated`,
   * `replayEncapPlan:todo|planned|forced|runs`.
   */
  statuses: Record<string, number>;
  /** Capture files read, frames from them, of which VXLAN; generated frames; classic pcap files streamed as records; flows with captured TCP headers. */
  corpus: { files: string[]; captured: number; vxlan: number; generated: number; recordFiles: number; tcpFlows: number };
  /** The first few failures, enough to reproduce (seed and batch) and see what differed. */
  failures: string[];
}

/** The lanes leave headroom at the datapath's default. */
const HEADROOM = DEFAULT_HEADROOM;
const MAX_FAILURES = 10;

interface Inputs { off: Int32Array; len: Int32Array; peer: Uint16Array; force: Uint16Array }

export function runFuzz(o: FuzzOptions): FuzzReport {
  const seed = (o.seed ?? 1) >>> 0;
  const r = new Prng(seed);
  const corpus: Corpus = buildCorpus(o.root, seed);
  const lanes = LANE_CONFIGS.map((c) => new Lane(c));
  for (const l of lanes) for (let k = 0; k < PEERS; k++) if (r.int(0, 7) !== 0) l.changePeer(r, k);
  const sip = new SipHashBatch({ capacity: BATCH, slotBytes: 128 });
  const records = new RecordsFuzz(corpus.recordFiles, BATCH, SLOT, r);
  const retransmits = new RetransmitsFuzz(corpus.frames.slice(0, corpus.captured), BATCH, SLOT, r.u32(), r);
  const replay = new ReplayFuzz(corpus.frames.slice(0, corpus.captured), BATCH, SLOT, r);
  const replayPlan = new ReplayPlanFuzz(BATCH);
  const kernels = Object.fromEntries(FUZZ_KERNELS.map((k) => [k, { frames: 0, traps: 0, disagreements: 0, oobReads: 0, oobWrites: 0 }])) as FuzzReport['kernels'];
  const laneFrames: Record<string, number> = Object.fromEntries(lanes.map((l) => [l.name, 0]));
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  const fail = (msg: string): void => { if (failures.length < MAX_FAILURES) failures.push(msg); };
  const tally = (key: string, n = 1): void => { statuses[key] = (statuses[key] ?? 0) + n; };
  const written = new Int32Array(BATCH);
  const inputs: Inputs = { off: new Int32Array(BATCH), len: new Int32Array(BATCH), peer: new Uint16Array(BATCH), force: new Uint16Array(BATCH) };
  const twinDesc = new Uint8Array(BATCH * DESC_SIZE);
  const frames = corpus.frames;
  const t0 = performance.now();
  let done = 0;

  for (let batchNo = 0; done < o.frames; batchNo++) {
    const li = batchNo % lanes.length;
    let lane = lanes[li]!;
    const count = Math.min(o.frames - done, r.int(0, 3) === 0 ? BATCH - r.int(1, 16) : BATCH);
    const where = `seed ${seed} batch ${batchNo} lane ${lane.name}`;
    if (r.int(0, 1) === 0) lane.changePeer(r, r.int(0, PEERS - 1));
    lane.changeHealth(r, r.int(0, 24));
    lane.ipId = r.int(0, 0xffff);
    const g = lane.guarded;
    const b = g.batch;
    const fill = r.u32() & 0xff;

    // ---- tenant frames into the slots ----
    g.arenaView(count).fill(fill);
    for (let i = 0; i < count; i++) {
      const slot = g.slot(i);
      const room = SLOT - HEADROOM;
      let len: number;
      const pick = r.int(0, 19);
      if (pick < 2) { len = r.int(0, r.int(0, 1) === 0 ? 80 : room); slot.set(r.bytes(len), HEADROOM); }
      else {
        const f = pick < 4 ? generateFrame(r) : frames[r.int(0, frames.length - 1)]!;
        len = Math.min(f.length, room);
        slot.set(f.subarray(0, len), HEADROOM);
        if (pick >= 8) len = mutate(r, slot, HEADROOM, len, room, frames);
      }
      written[i] = len;
      placeDescriptor(r, inputs, i, len);
    }
    const tenant = g.arenaView(count).slice(); // the frames as written, for decap, SipHash, the records and retransmits below
    const frame = (i: number): Uint8Array => tenant.subarray(i * SLOT + HEADROOM, i * SLOT + HEADROOM + written[i]!);
    let encapDesc = new Uint8Array(0), encapArena = new Uint8Array(0);
    const setInputs = (): void => { for (let i = 0; i < count; i++) b.setRaw(i, inputs.off[i]!, inputs.len[i]!, inputs.peer[i]!, inputs.force[i]!); b.length = count; };

    // ---- hash, then encap, on the same frames ----
    const hashes = new Uint32Array(count);
    for (const kernel of ['hash', 'encap'] as const) {
      setInputs();
      const ok = checkKernel(kernel, lane, count, r, fill, twinDesc, statuses, (m) => fail(`${where}: ${m}`));
      const k = kernels[kernel];
      k.frames += count;
      // The encap results (even after a trap: whatever the slots hold) are pcapEmit's input below.
      if (kernel === 'encap') { encapDesc = g.descView(count).slice(); encapArena = g.arenaView(count).slice(); }
      if (ok === 'trap') { k.traps++; lane = lanes[li] = new Lane(lane.config); continue; }
      k.disagreements += ok.disagreements; k.oobReads += ok.oobReads; k.oobWrites += ok.oobWrites;
      if (kernel === 'hash') for (let i = 0; i < count; i++) hashes[i] = b.hash(i);
      else laneFrames[lane.name]! += count;
    }

    // ---- table lookups: the batch's flow hashes and random ones, peers in and out of range ----
    const tl = lanes[2 + (batchNo % 4)]!; // flat, pbm, hi, redirect in turn
    {
      const k = kernels.lookup;
      const lb = tl.dp.lookupBatch();
      lb.length = count;
      const h = lb.hashes, p = lb.peers;
      for (let i = 0; i < count; i++) { h[i] = r.int(0, 1) === 0 ? hashes[i]! : r.u32(); p[i] = r.int(0, 15) === 0 ? r.int(0, 0xffff) : r.int(0, PEERS + 1); }
      k.frames += count;
      try {
        const got = tl.dp.lookup(lb);
        let want = 0, bad = 0;
        for (let i = 0; i < count; i++) {
          const peer = p[i]!;
          const expect = peer < PEERS ? tl.table!.select(peer, h[i]!) : 0xffff;
          if (peer < PEERS) want++;
          if (lb.out[i] !== expect) { bad++; if (bad === 1) fail(`${where}: lookup ${tl.name} peer ${peer} hash ${h[i]}: wasm ${lb.out[i]} twin ${expect}`); }
        }
        if (got !== want) { bad++; fail(`${where}: lookup ${tl.name} counted ${got}, twin ${want}`); }
        if (bad > 0) k.disagreements++;
      } catch (e) {
        k.traps++; fail(`${where}: lookup ${tl.name} trapped: ${(e as Error).message}`);
        lanes[2 + (batchNo % 4)] = new Lane(tl.config);
      }
    }

    // ---- decap: VXLAN around the (mutated) tenant frames, or captured VXLAN, mutated again ----
    lane = lanes[li]!;
    {
      const port = lane.dp.config.vxlanPort;
      const vni = lane.dp.config.decapVni ?? 42;
      const fill2 = r.u32() & 0xff;
      g.arenaView(count).fill(fill2);
      for (let i = 0; i < count; i++) {
        const slot = g.slot(i);
        const room = SLOT - HEADROOM;
        let len: number;
        if (corpus.vxlan.length > 0 && r.int(0, 7) === 0) {
          const f = corpus.vxlan[r.int(0, corpus.vxlan.length - 1)]!;
          len = Math.min(f.length, room);
          slot.set(f.subarray(0, len), HEADROOM);
        } else {
          const innerLen = Math.max(0, Math.min(inputs.len[i]! >= 0 && inputs.len[i]! <= room ? inputs.len[i]! : 64, room - 50));
          len = writeVxlan(r, slot, HEADROOM, tenant.subarray(i * SLOT + HEADROOM, i * SLOT + HEADROOM + innerLen), innerLen, port, vni);
        }
        if (r.int(0, 9) >= 4) len = mutate(r, slot, HEADROOM, len, room, corpus.vxlan.length > 0 ? corpus.vxlan : frames);
        placeDescriptor(r, inputs, i, len);
      }
      setInputs();
      const ok = checkKernel('decap', lane, count, r, fill2, twinDesc, statuses, (m) => fail(`${where}: ${m}`));
      const k = kernels.decap;
      k.frames += count;
      if (ok === 'trap') { k.traps++; lanes[li] = new Lane(lane.config); }
      else { k.disagreements += ok.disagreements; k.oobReads += ok.oobReads; k.oobWrites += ok.oobWrites; }
    }

    // ---- SipHash-2-4 over the frames' first bytes under a fresh key ----
    {
      const k = kernels.siphash;
      const key = r.bytes(16);
      sip.setKey(key);
      const lens = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        const s = sip.slot(i);
        const n = r.int(0, 128);
        s.set(tenant.subarray(i * SLOT + HEADROOM, i * SLOT + HEADROOM + n));
        sip.setLength(i, n);
        lens[i] = n;
      }
      k.frames += count;
      try {
        const tags = sip.run(count);
        const want = new Uint8Array(8);
        let bad = 0;
        for (let i = 0; i < count; i++) {
          sipHash24Into(key, sip.slot(i), 0, lens[i]!, want, 0);
          if (Buffer.compare(want, tags.subarray(8 * i, 8 * i + 8)) !== 0) { bad++; if (bad === 1) fail(`${where}: siphash message ${i} (${lens[i]} bytes) differs`); }
        }
        if (bad > 0) k.disagreements++;
      } catch (e) { k.traps++; fail(`${where}: siphash trapped: ${(e as Error).message}`); }
    }

    // ---- the pcap record kernels: the batch's frames as a record stream in; the encap results out ----
    kernels.pcapIngest.frames += count;
    records.ingest(r, count, frame, kernels.pcapIngest, tally, (m) => fail(`${where}: ${m}`));
    kernels.pcapEmit.frames += count;
    records.emit(r, encapDesc, encapArena, count, kernels.pcapEmit, tally, (m) => fail(`${where}: ${m}`));

    // ---- TCP retransmission marks: segments of a pool of flows, across batches ----
    kernels.tcpRetransmits.frames += count;
    retransmits.run(r, count, frame, frames, kernels.tcpRetransmits, tally, (m) => fail(`${where}: ${m}`));

    // ---- replay's bulk path: keys rows and the 5-tuple memo over the batch; peer templates re-pointed ----
    kernels.replayKeys.frames += count;
    kernels.replayMemoInsert.frames += count;
    replay.keys(r, count, frame, frames, kernels.replayKeys, kernels.replayMemoInsert, tally, (m) => fail(`${where}: ${m}`));
    kernels.replayRetemplate.frames += count;
    replay.retemplate(r, kernels.replayRetemplate, tally, (m) => fail(`${where}: ${m}`));
    kernels.replayScanCount.frames += count;
    kernels.replayEncapPlan.frames += count;
    replayPlan.run(r, count, kernels.replayScanCount, kernels.replayEncapPlan, tally, (m) => fail(`${where}: ${m}`));

    done += count;
    o.progress?.(done);
  }

  const seconds = (performance.now() - t0) / 1000;
  const sum = (f: 'traps' | 'disagreements' | 'oobReads' | 'oobWrites'): number => FUZZ_KERNELS.reduce((n, k) => n + kernels[k][f], 0);
  return {
    frames: done, framesPerSecond: Math.round(done / seconds), traps: sum('traps'), disagreements: sum('disagreements'),
    outOfBoundsReads: sum('oobReads'), outOfBoundsWrites: sum('oobWrites'), seed, seconds, kernels, lanes: laneFrames, statuses,
    corpus: {
      files: corpus.files, captured: corpus.captured, vxlan: corpus.vxlan.length, generated: corpus.frames.length - corpus.captured,
      recordFiles: corpus.recordFiles.length, tcpFlows: retransmits.capturedFlows,
    },
    failures,
  };
}

/** Descriptor inputs of packet i: usually the headroom offset; sometimes another, or hostile; peer and forced port at random. */
function placeDescriptor(r: Prng, inputs: Inputs, i: number, len: number): void {
  let off = HEADROOM, l = len;
  const h = r.int(0, 31);
  if (h === 0) { off = r.int(0, 1) === 0 ? r.u32() | 0 : r.int(0, SLOT + 64); l = r.int(0, 1) === 0 ? r.u32() | 0 : r.int(0, SLOT + 64); }
  else if (h === 1) { off = r.int(HEADROOM - 16, HEADROOM); } // below the encap headroom (50) at times
  else if (h === 2) { l = Math.min(SLOT - HEADROOM, len + r.int(0, 40)); } // length past the frame, inside the slot
  inputs.off[i] = off;
  inputs.len[i] = l;
  inputs.peer[i] = r.int(0, 15) === 0 ? r.int(0, 0xffff) : r.int(0, PEERS - 1);
  inputs.force[i] = r.int(0, 8) === 0 ? r.int(1, 0xffff) : 0;
}

interface KernelOutcome { disagreements: number; oobReads: number; oobWrites: number }

/**
 * Run one packet kernel on the batch as it stands (descriptors set) in Wasm and in the twin; compare
 * everything; then run it again with the unreadable bytes changed. 'trap' when the Wasm call threw.
 */
function checkKernel(
  kernel: 'hash' | 'encap' | 'decap', lane: Lane, count: number, r: Prng, fill: number, twinDesc: Uint8Array,
  statuses: Record<string, number>, fail: (m: string) => void,
): KernelOutcome | 'trap' {
  const g = lane.guarded, b = g.batch, dp = lane.dp;
  const out: KernelOutcome = { disagreements: 0, oobReads: 0, oobWrites: 0 };
  const descIn = g.descView(count).slice();
  const arenaIn = g.arenaView(count).slice();
  const ipId0 = dp.ipId;
  const call = (): number => (kernel === 'encap' ? dp.encap(b) : kernel === 'decap' ? dp.decap(b) : dp.hash(b));
  g.arm(r, count);
  let wasm: number;
  try { wasm = call(); } catch (e) { fail(`${kernel} trapped: ${(e as Error).message}`); return 'trap'; }
  const w1 = g.check();
  if (w1 > 0) { out.oobWrites++; fail(`${kernel}: ${w1} canary bytes overwritten`); }

  // The twin on the same inputs.
  const desc: RefDescriptor[] = [];
  for (let i = 0; i < count; i++) desc.push(decodeDescriptor(descIn.subarray(i * DESC_SIZE, (i + 1) * DESC_SIZE)));
  const twin: RefBatch = { slotSize: SLOT, arena: arenaIn.slice(), desc };
  lane.state.ipId = ipId0;
  let ref = -1;
  let twinError: string | undefined;
  try {
    ref = kernel === 'encap' ? encapBatchRef(twin, lane.state) : kernel === 'decap' ? decapBatchRef(twin, lane.state) : hashBatchRef(twin, lane.state);
  } catch (e) { twinError = (e as Error).message; }
  for (let i = 0; i < count; i++) twinDesc.set(encodeDescriptor(desc[i]!), i * DESC_SIZE);
  const descOk = Buffer.compare(g.descView(count), twinDesc.subarray(0, count * DESC_SIZE)) === 0;
  const arenaOk = Buffer.compare(g.arenaView(count), twin.arena) === 0;
  if (twinError !== undefined || !descOk || !arenaOk || wasm !== ref || dp.ipId !== lane.state.ipId) {
    out.disagreements++;
    const why = twinError !== undefined ? [`twin threw: ${twinError}`] : diffBatches(b, twin, 4);
    if (wasm !== ref) why.push(`count wasm ${wasm} twin ${ref}`);
    if (dp.ipId !== lane.state.ipId) why.push(`ip id wasm ${dp.ipId} twin ${lane.state.ipId}`);
    fail(`${kernel} on ${lane.name} differs from the twin: ${why.join('; ')}`);
  }
  for (let i = 0; i < count; i++) { const s = `${kernel}:${b.status(i)}`; statuses[s] = (statuses[s] ?? 0) + 1; }

  // Again, every byte the kernel may not read changed: the slots' bytes outside each frame, the canaries.
  const descOut = g.descView(count).slice();
  const outputs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) outputs.push(b.output(i).slice());
  const other = (fill ^ (1 + (r.u32() % 255))) & 0xff;
  g.arenaView(count).fill(other);
  const dv = new DataView(descIn.buffer, descIn.byteOffset, descIn.byteLength);
  for (let i = 0; i < count; i++) {
    const slot = g.slot(i);
    const o = dv.getUint32(i * DESC_SIZE, true), len = dv.getUint32(i * DESC_SIZE + 4, true); // the inputs dataOff, dataLen
    if (o <= SLOT && len <= SLOT - o) slot.set(arenaIn.subarray(i * SLOT + o, i * SLOT + o + len), o);
  }
  g.descView(count).set(descIn);
  dp.ipId = ipId0;
  g.arm(r, count);
  try { call(); } catch (e) { fail(`${kernel} trapped on the second run: ${(e as Error).message}`); return 'trap'; }
  const w2 = g.check();
  if (w2 > 0 && w1 === 0) { out.oobWrites++; fail(`${kernel}: ${w2} canary bytes overwritten (second run)`); }
  let readDiff = Buffer.compare(g.descView(count), descOut) !== 0;
  for (let i = 0; i < count && !readDiff; i++) if (Buffer.compare(b.output(i), outputs[i]!) !== 0) readDiff = true;
  if (readDiff) { out.oobReads++; fail(`${kernel} on ${lane.name}: result depends on bytes outside the frames`); }
  return out;
}
