// PacketBatch: a batch of descriptors over a slotted data arena inside Wasm memory. A caller writes
// frames into slots (copying once, or straight into `slotView`) and reads results as views.
import {
  DESC_SIZE, D_CAND, D_DATA_LEN, D_DATA_OFF, D_HASH, D_KEY, D_L3_OFF, D_L4_OFF, D_OUTER_DST, D_OUTER_SRC,
  D_FORCE, D_OUT_LEN, D_OUT_OFF, D_PEER, D_SPORT, D_STATUS, D_VNI, RT_STALLED, Status, type StatusCode,
} from './layout.js';

/** Called by PacketBatch.forEachResult() for a packet the kernel passed (Status.OK): its index and the batch. */
export type ResultOk = (i: number, batch: PacketBatch) => void;
/** Called by PacketBatch.forEachResult() for a packet the kernel dropped, with its status (see statusName()). */
export type ResultDropped = (i: number, status: StatusCode) => void;

/** Where a batch lives in Wasm memory; created by Datapath, never by users. */
export interface BatchRegion {
  readonly memory: WebAssembly.Memory;
  readonly desc: number;
  readonly arena: number;
  readonly capacity: number;
  readonly slotSize: number;
  readonly headroom: number;
  /** u8 per packet written by Datapath.markRetransmits(); 0 or absent when no flow table was reserved. */
  readonly marks?: number;
}

/**
 * A batch of packets in the Wasm memory of the Datapath that reserved it (Datapath.batch()): one
 * descriptor per packet and one fixed-size slot per packet holding the frame after `headroom` bytes,
 * where encapsulation prepends the outer headers in place. Fill it with push() or slotView() and
 * commit(), run a kernel (Datapath.encap/decap/hash), then read each packet's results. Views it
 * returns point into Wasm memory and are valid until the slot is rewritten; not safe to share across
 * threads (one Datapath per worker).
 */
export class PacketBatch {
  /** Number of packets in the batch. */
  length = 0;
  /** Most packets the batch holds (the Datapath's batchSize). */
  readonly capacity: number;
  /** Bytes per slot, headroom included. */
  readonly slotSize: number;
  /** Bytes reserved in front of each frame for the outer headers (at least OUTER_LEN). */
  readonly headroom: number;
  /** Largest frame a slot holds at the headroom offset. */
  readonly maxFrame: number;
  /** @internal */ readonly region: BatchRegion;
  #u8: Uint8Array;
  #dv: DataView;
  // The latest view handed out per slot by input(), output() and slotView(), handed out again while
  // the frame lies where it did: a loop over a batch (a send, a receive, a probe written in place)
  // then makes no view per packet for the GC to collect. Dropped when the memory is replaced.
  #inViews: (Uint8Array | undefined)[] = [];
  #outViews: (Uint8Array | undefined)[] = [];
  #slotViews: (Uint8Array | undefined)[] = [];

  /** @internal */
  constructor(region: BatchRegion) {
    this.region = region;
    this.capacity = region.capacity;
    this.slotSize = region.slotSize;
    this.headroom = region.headroom;
    this.maxFrame = region.slotSize - region.headroom;
    this.#u8 = new Uint8Array(region.memory.buffer);
    this.#dv = new DataView(region.memory.buffer);
  }

  #views(): void {
    // Memory never grows after set-up; this guards against a future change that would make it. A
    // grown memory detaches the old buffer, and views of a detached buffer have length 0: testing
    // that is a field read, where reading memory.buffer costs ~40 ns a call (6 calls per packet).
    if (this.#u8.byteLength === 0) {
      this.#u8 = new Uint8Array(this.region.memory.buffer);
      this.#dv = new DataView(this.region.memory.buffer);
      this.#inViews = []; this.#outViews = []; this.#slotViews = [];
    }
  }

  /** bytes [start, start + len) as a view: slot i's kept one in `kept` when it still covers them, else a new one kept there. */
  #view(kept: (Uint8Array | undefined)[], i: number, start: number, len: number): Uint8Array {
    const v = kept[i];
    if (v !== undefined && v.byteOffset === start && v.length === len) return v;
    return (kept[i] = this.#u8.subarray(start, start + len));
  }

  #d(i: number): number {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`packet ${i} outside batch of ${this.length}`);
    return this.region.desc + i * DESC_SIZE;
  }

  /** True when the batch holds `capacity` packets and push() would return -1. */
  get full(): boolean { return this.length >= this.capacity; }

  /** Empty the batch (length = 0) so it can be refilled; slot contents are left as they are. */
  clear(): void { this.length = 0; }

  /**
   * Copy a frame into the next slot, after the headroom. `peer` indexes the peer table; `force`
   * forces the outer source port (0 lets the table choose; an input, kept across kernels). Returns
   * the packet's index, or -1 when the batch is full; throws when the frame does not fit a slot.
   */
  push(frame: Uint8Array, peer = 0, force = 0): number {
    if (this.length >= this.capacity) return -1;
    if (frame.length > this.maxFrame) throw new RangeError(`frame of ${frame.length} bytes exceeds slot capacity ${this.maxFrame}`);
    this.#views();
    const i = this.length++;
    this.#u8.set(frame, this.region.arena + i * this.slotSize + this.headroom);
    this.#setDesc(i, this.headroom, frame.length, peer, force);
    return i;
  }

  /**
   * Copy the frame `src[start, start + len)` into the next slot, like push(frame) without the caller
   * making a view per frame (for loops copying thousands of frames out of one read buffer). Returns
   * the packet's index, or -1 when the batch is full; throws when the frame does not fit a slot.
   */
  pushFrom(src: Uint8Array, start: number, len: number, peer = 0, force = 0): number {
    if (this.length >= this.capacity) return -1;
    if (len > this.maxFrame) throw new RangeError(`frame of ${len} bytes exceeds slot capacity ${this.maxFrame}`);
    if (!(start >= 0 && len >= 0 && start + len <= src.length)) throw new RangeError(`frame [${start}, ${start + len}) outside a source of ${src.length} bytes`);
    this.#views();
    const i = this.length++;
    this.#u8.set(src.subarray(start, start + len), this.region.arena + i * this.slotSize + this.headroom);
    this.#setDesc(i, this.headroom, len, peer, force);
    return i;
  }

  /** A writable view of slot i's frame area (after the headroom) for zero-copy fills; see commit(). */
  slotView(i: number): Uint8Array {
    if (!(i >= 0 && i < this.capacity)) throw new RangeError(`slot ${i} outside capacity ${this.capacity}`);
    this.#views();
    return this.#view(this.#slotViews, i, this.region.arena + i * this.slotSize + this.headroom, this.maxFrame);
  }

  /**
   * Append a frame of `len` bytes already written into slotView(length), with the same `peer` and
   * `force` inputs as push(). Returns the packet's index, or -1 when the batch is full; throws a
   * RangeError when len is outside 0..maxFrame.
   */
  commit(len: number, peer = 0, force = 0): number {
    if (this.length >= this.capacity) return -1;
    if (!(len >= 0 && len <= this.maxFrame)) throw new RangeError(`frame length ${len} outside 0..${this.maxFrame}`);
    this.#views();
    const i = this.length++;
    this.#setDesc(i, this.headroom, len, peer, force);
    return i;
  }

  #setDesc(i: number, off: number, len: number, peer: number, force: number): void {
    const d = this.region.desc + i * DESC_SIZE, dv = this.#dv;
    // Zeroed a word at a time: a fill() call (a builtin) cost about twice as much per descriptor.
    for (let k = 0; k < DESC_SIZE; k += 4) dv.setUint32(d + k, 0, true);
    this.#dv.setUint32(d + D_DATA_OFF, off, true);
    this.#dv.setUint32(d + D_DATA_LEN, len, true);
    this.#dv.setUint16(d + D_PEER, peer, true);
    this.#dv.setUint16(d + D_FORCE, force, true);
  }

  /** Change packet i's inputs (peer, forced port: 0 = choose) before running another kernel on it. */
  setPeer(i: number, peer: number, force = 0): void {
    const d = this.#d(i);
    this.#views();
    this.#dv.setUint16(d + D_PEER, peer, true);
    this.#dv.setUint16(d + D_FORCE, force, true);
  }

  #u32(i: number, f: number): number { const d = this.#d(i); this.#views(); return this.#dv.getUint32(d + f, true); }
  #u16(i: number, f: number): number { const d = this.#d(i); this.#views(); return this.#dv.getUint16(d + f, true); }

  /**
   * Drain the results of the kernel that just ran: for each packet in order, ok(i, this) when its
   * status is Status.OK, else dropped(i, status). Returns how many were OK. This is the one loop
   * every consumer of a batch needs (count drops by reason, hand on the rest); it reads the status
   * straight from the descriptors and allocates nothing, so pass callbacks made once (fields, or
   * closures built per run), not per batch. The batch is left as it is: read outputs in the
   * callbacks or afterwards, then clear(). A callback must not push into or clear this batch.
   */
  forEachResult(ok: ResultOk, dropped: ResultDropped): number {
    this.#views();
    const dv = this.#dv, desc = this.region.desc, n = this.length;
    let passed = 0;
    for (let i = 0; i < n; i++) {
      const st = dv.getUint16(desc + i * DESC_SIZE + D_STATUS, true) as StatusCode;
      if (st === Status.OK) { passed++; ok(i, this); } else dropped(i, st);
    }
    return passed;
  }

  /** Status code of packet i after a kernel ran: Status.OK (0), or why it was dropped (see statusName()). Throws a RangeError when i >= length. */
  status(i: number): number { return this.#u16(i, D_STATUS); }
  /** Inner flow hash (after encap or hash). */
  hash(i: number): number { return this.#u32(i, D_HASH); }
  /** Outer UDP source port used (encap: chosen or forced) or found (decap); 0 when dropped. */
  sport(i: number): number { return this.#u16(i, D_SPORT); }
  /** Index of the candidate the port came from, or -1 when it was forced or the packet dropped. */
  candidate(i: number): number { const c = this.#u16(i, D_CAND); return c === 0xffff ? -1 : c; }
  /** VXLAN network identifier of packet i found by decap (0 after encap, or when dropped). */
  vni(i: number): number { return this.#u32(i, D_VNI); }
  /** Outer IPv4 source of packet i found by decap, host order (format with formatIPv4()); 0 otherwise. */
  outerSrc(i: number): number { return this.#u32(i, D_OUTER_SRC); }
  /** Outer IPv4 destination of packet i found by decap, host order; 0 otherwise. */
  outerDst(i: number): number { return this.#u32(i, D_OUTER_DST); }
  /**
   * What the inner flow hash of packet i covered (encap, hash): KEY_L4 (addresses, protocol and ports
   * or ICMP echo id), KEY_L3 (addresses and protocol) or KEY_L2 (MACs and ethertype), with the
   * KEY_FRAGMENT bit set for an IP fragment.
   */
  keyKind(i: number): number { return this.#u16(i, D_KEY); }
  /** Offset in bytes of packet i's inner IP header within its frame (encap, hash); 0 when the key is L2. */
  l3Offset(i: number): number { return this.#u16(i, D_L3_OFF); }
  /** Offset in bytes of packet i's inner transport header within its frame (encap, hash); 0 unless the key is L4. */
  l4Offset(i: number): number { return this.#u16(i, D_L4_OFF); }

  /**
   * Whether Datapath.markRetransmits(), last run on this batch, found packet i to be a TCP segment
   * sent again (its data ends no later than its flow had reached). Read it after that call, before the
   * batch is refilled. Throws a RangeError when i >= length, or when the Datapath reserved no flow
   * table (DatapathConfig.retransmitFlows).
   */
  retransmitted(i: number): boolean {
    this.#d(i);
    const marks = this.region.marks ?? 0;
    if (marks === 0) throw new RangeError('no retransmission marks reserved (DatapathConfig.retransmitFlows)');
    this.#views();
    return this.#u8[marks + i] !== 0;
  }

  /**
   * Whether packet i is a retransmission (as retransmitted(i)) that came after its flow had shown no
   * new data for the stallMs given to Datapath.markRetransmits(): a timeout's, not a fast retransmit.
   * Throws as retransmitted(i) does.
   */
  retransmittedAfterStall(i: number): boolean {
    this.#d(i);
    const marks = this.region.marks ?? 0;
    if (marks === 0) throw new RangeError('no retransmission marks reserved (DatapathConfig.retransmitFlows)');
    this.#views();
    return this.#u8[marks + i] === RT_STALLED;
  }

  /**
   * The input frame of packet i as written (a view; valid until the slot is rewritten). The same view
   * object again while the frame lies where it did.
   */
  input(i: number): Uint8Array {
    const d = this.#d(i);
    this.#views();
    const base = this.region.arena + i * this.slotSize + this.#dv.getUint32(d + D_DATA_OFF, true);
    return this.#view(this.#inViews, i, base, this.#dv.getUint32(d + D_DATA_LEN, true));
  }

  /**
   * The result frame of packet i (encapsulated, or the inner frame after decap) as a view; empty when
   * dropped. The same view object again while the frame lies where it did.
   */
  output(i: number): Uint8Array {
    const d = this.#d(i);
    this.#views();
    const base = this.region.arena + i * this.slotSize + this.#dv.getUint32(d + D_OUT_OFF, true);
    return this.#view(this.#outViews, i, base, this.#dv.getUint32(d + D_OUT_LEN, true));
  }

  /**
   * The Wasm memory the slots lie in, as bytes: packet i's result frame is
   * `bytes()[outputStart(i), outputStart(i) + outputLength(i))`. With those, a loop writes results out
   * without a view per packet. Valid while the Datapath lives (its memory never grows).
   */
  bytes(): Uint8Array { this.#views(); return this.#u8; }
  /** Index in bytes() of packet i's result frame (see output()). */
  outputStart(i: number): number { return this.region.arena + i * this.slotSize + this.#u32(i, D_OUT_OFF); }
  /** Length of packet i's result frame; 0 when dropped. */
  outputLength(i: number): number { return this.#u32(i, D_OUT_LEN); }

  /** Raw descriptor bytes of packet i (a copy), for tests comparing kernels. */
  descriptor(i: number): Uint8Array {
    const d = this.#d(i);
    this.#views();
    return this.#u8.slice(d, d + DESC_SIZE);
  }

  /** @internal Set a raw descriptor input (offset relative to slot), used to test hostile descriptors. */
  setRaw(i: number, off: number, len: number, peer = 0, force = 0): void {
    if (!(i >= 0 && i < this.capacity)) throw new RangeError(`slot ${i} outside capacity ${this.capacity}`);
    this.#views();
    if (i >= this.length) this.length = i + 1;
    this.#setDesc(i, off >>> 0, len >>> 0, peer, force);
  }

  /** @internal The whole slot i (headroom included), for tests. */
  rawSlot(i: number): Uint8Array {
    this.#views();
    const base = this.region.arena + i * this.slotSize;
    return this.#u8.subarray(base, base + this.slotSize);
  }
}
