// Replay's bulk path on one Datapath (made with a record arena): its 5-tuple memo, keys rows, flow rows,
// forced-port list and per-batch plan areas in the core's memory, and the kernels of assembly/replay.ts,
// plus encap and pcap emit over ranges of batch 0 (replay encapsulates a batch's runs of one source VTEP
// at a time). docs/replay.md, "Bulk path"; docs/memory-layout.md has the layouts.
import { coreOf, type Datapath } from './datapath.js';
import type { CoreExports } from './module.js';
import type { PacketBatch } from './batch.js';
import type { RecordArena } from './record-arena.js';
import { DESC_SIZE, D_FORCE, D_HASH, D_PEER, RC_SIZE, RF_SIZE, RK_SIZE, RM_SIZE, RP_SIZE, RR_SIZE, RS_SIZE } from './layout.js';

/** Typed views of a replay core's keys rows and batch descriptors (re-made if memory ever moved). */
export interface ReplayViews {
  /** Keys rows as 32-bit words (RK_* offsets / 4). */
  keyI32: Int32Array;
  keyU32: Uint32Array;
  keyU16: Uint16Array;
  keyU8: Uint8Array;
  /** Batch 0's descriptors as 16- and 32-bit words. */
  descU16: Uint16Array;
  descU32: Uint32Array;
}

/** Sizes of a replay core's per-flow areas (flow ids and forced-port entries the kernels serve; the rest are the caller's). */
export interface ReplayCoreCaps {
  /** Flow rows (RF_SIZE bytes each): flows with a larger id are left to the caller. Default 16384. */
  flowRows?: number;
  /** Forced-port entries (RP_SIZE bytes each) of all flows together. Default 65536. */
  forcedPorts?: number;
}

/**
 * Replay's kernels bound to a Datapath's batch 0 and record arena. Keys row i (RK_SIZE bytes) starts
 * at word `keyBase + i * RK_SIZE / 4` of the 32-bit views; descriptor i at word `descBase + i * DESC_SIZE / 4`.
 */
export class ReplayCore {
  readonly dp: Datapath;
  readonly batch: PacketBatch;
  readonly arena: RecordArena;
  readonly #core: CoreExports;
  /** Address of the memo (memoMask + 1 slots of RM_SIZE bytes) and of the keys rows (RK_SIZE bytes per batch packet). */
  readonly memoAddr: number;
  readonly memoMask: number;
  readonly keysAddr: number;
  /** Word index of keys row 0 in the 32-bit views (bytes / 4). */
  readonly keyBase: number;
  /** Word index of descriptor 0 in the 32-bit views. */
  readonly descBase: number;
  /** Flow rows (flowRows x RF_SIZE bytes) and forced-port entries (forcedPorts x RP_SIZE bytes). */
  readonly flowsAddr: number;
  readonly flowRows: number;
  readonly forcedAddr: number;
  readonly forcedPorts: number;
  /** Per batch packet: the todo list (u32), sources (i32), runs (RR_SIZE) and spill rows (RS_SIZE); then the control block (RC_SIZE). */
  readonly todoAddr: number;
  readonly srcAddr: number;
  readonly runsAddr: number;
  readonly spillAddr: number;
  readonly ctlAddr: number;
  #v: ReplayViews;

  /** `memoSlots`: a power of two. Reserves the memo and the keys rows (throws when memory cannot be had). */
  constructor(dp: Datapath, memoSlots: number, caps: ReplayCoreCaps = {}) {
    if (!Number.isInteger(memoSlots) || memoSlots < 1 || (memoSlots & (memoSlots - 1)) !== 0) throw new RangeError(`memo slots must be a power of two, got ${memoSlots}`);
    const flowRows = caps.flowRows ?? 16384, forcedPorts = caps.forcedPorts ?? 65536;
    for (const [name, v] of [['flow rows', flowRows], ['forced ports', forcedPorts]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 1 << 24) throw new RangeError(`${name} must be an integer in 0..2^24, got ${v}`);
    }
    this.dp = dp;
    this.#core = coreOf(dp);
    this.batch = dp.batch();
    this.arena = dp.records();
    const cap = this.batch.capacity;
    this.memoAddr = this.#core.reserve(memoSlots * RM_SIZE);
    this.keysAddr = this.#core.reserve(cap * RK_SIZE);
    this.flowsAddr = this.#core.reserve(flowRows * RF_SIZE);
    this.forcedAddr = this.#core.reserve(forcedPorts * RP_SIZE);
    this.todoAddr = this.#core.reserve(cap * 4);
    this.srcAddr = this.#core.reserve(cap * 4);
    this.runsAddr = this.#core.reserve(cap * RR_SIZE);
    this.spillAddr = this.#core.reserve(cap * RS_SIZE);
    this.ctlAddr = this.#core.reserve(RC_SIZE);
    this.flowRows = flowRows;
    this.forcedPorts = forcedPorts;
    if ([this.memoAddr, this.keysAddr, this.flowsAddr, this.forcedAddr, this.todoAddr, this.srcAddr, this.runsAddr, this.spillAddr, this.ctlAddr].includes(0)) {
      throw new Error('cannot reserve Wasm memory for the replay memo');
    }
    this.memoMask = memoSlots - 1;
    this.keyBase = this.keysAddr >>> 2;
    this.descBase = this.batch.region.desc >>> 2;
    this.#v = this.#makeViews();
  }

  #makeViews(): ReplayViews {
    const buf = this.#core.memory.buffer;
    return {
      keyI32: new Int32Array(buf), keyU32: new Uint32Array(buf), keyU16: new Uint16Array(buf), keyU8: new Uint8Array(buf),
      descU16: new Uint16Array(buf), descU32: new Uint32Array(buf)
    };
  }

  /** The views (valid until the next call into this core that could grow memory: none after set-up). */
  get views(): ReplayViews {
    if (this.#v.keyU8.byteLength === 0) this.#v = this.#makeViews();
    return this.#v;
  }

  /**
   * Make the core as it was made, for another capture: the memo and the flow rows emptied, every peer cleared, the
   * outer IPv4 identification back at 0, batch 0 empty. Its memory stays mapped, which is what a
   * fresh core would spend milliseconds faulting in again (the record arena is reset by
   * RecordArena.configure(), at the start of every walk).
   */
  reset(): void {
    this.views.keyU8.fill(0, this.memoAddr, this.memoAddr + (this.memoMask + 1) * RM_SIZE);
    this.views.keyU8.fill(0, this.flowsAddr, this.flowsAddr + this.flowRows * RF_SIZE);
    for (let i = 0; i < this.dp.config.maxPeers; i++) if (this.dp.peer(i) !== undefined) this.dp.removePeer(i);
    this.dp.ipId = 0;
    this.batch.clear();
  }

  /** Keys rows for batch 0's packets (replayKeys); returns the number the memo knew. */
  keys(t0Sec: number, t0Nsec: number): number {
    const r = this.batch.region;
    return this.#core.replayKeys(r.desc, r.arena, this.batch.length, r.slotSize, this.arena.region.ts, t0Sec, t0Nsec, this.memoAddr, this.memoMask, this.keysAddr);
  }

  /** Remember the flows written into the rows' RK_FLOW (L4 rows only); returns the number written. */
  memoInsert(): number {
    return this.#core.replayMemoInsert(this.memoAddr, this.memoMask, this.keysAddr, this.batch.length);
  }

  /**
   * The scan pass's tally of batch 0's keys rows (replayScanCount): rows of flows below flowRows are
   * counted into their flow rows, finished bins spilled; returns the rows left to the caller (todo list).
   */
  scanCount(): number {
    return this.#core.replayScanCount(this.keysAddr, this.batch.region.desc, this.batch.length, this.flowsAddr, this.flowRows, this.todoAddr, this.spillAddr, this.ctlAddr);
  }

  /**
   * The encap pass's plan for batch 0's keys rows (replayEncapPlan): peer row and forced port into the
   * descriptors of rows of flows below flowRows, sources and runs; returns the rows left to the caller.
   */
  encapPlan(): number {
    return this.#core.replayEncapPlan(this.keysAddr, this.batch.region.desc, this.batch.length, this.flowsAddr, this.flowRows,
      this.forcedAddr, this.forcedPorts, this.srcAddr, this.todoAddr, this.runsAddr, this.ctlAddr);
  }

  /** Flow-hash batch 0 (hashBatch); hashOf(i) then reads packet i's hash. */
  hashAll(): void { this.dp.hash(this.batch); }

  /** Packet i's flow hash after hashAll(). */
  hashOf(i: number): number { return this.views.descU32[this.descBase + ((i * DESC_SIZE + D_HASH) >>> 2)]; }

  /** Set packet i's peer and forced source port (0: the datapath's choice). */
  setPeer(i: number, peer: number, force: number): void {
    const u16 = this.views.descU16, d = (this.batch.region.desc + i * DESC_SIZE) >>> 1;
    u16[d + (D_PEER >>> 1)] = peer;
    u16[d + (D_FORCE >>> 1)] = force;
  }

  /** Encapsulate batch 0's packets [from, to) (one encapBatch call on the range); returns the number encapsulated. */
  encapRange(from: number, to: number): number {
    const r = this.batch.region;
    if (!(from >= 0 && from <= to && to <= this.batch.length)) throw new RangeError(`range ${from}..${to} outside the batch`);
    return this.#core.encapBatch(r.desc + from * DESC_SIZE, r.arena + from * r.slotSize, to - from, r.slotSize);
  }

  /**
   * Encode batch 0's results [from, to) as classic pcap records into the record arena's output (pcapEmit);
   * returns where it stopped (to when done, earlier when the output is full or at arena.error).
   */
  emitRange(from: number, to: number): number {
    const a = this.arena.region, r = this.batch.region;
    if (!(from >= 0 && from <= to && to <= this.batch.length)) throw new RangeError(`range ${from}..${to} outside the batch`);
    return this.#core.pcapEmit(a.ctl, r.desc, r.arena, to, r.slotSize, a.ts, from, a.output, a.outputCap, 0);
  }

  /** Point configured peer `index`'s outer source address at `localIp` (host order). */
  retemplate(index: number, localIp: number): void {
    if (!this.#core.replayRetemplate(index, localIp >>> 0)) throw new RangeError(`peer ${index} is not configured`);
  }

  /** The core's next outer IPv4 identification (Datapath.ipId). */
  get ipId(): number { return this.dp.ipId; }
  set ipId(v: number) { this.dp.ipId = v; }
}
