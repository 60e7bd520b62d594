// EncapBatcher: gathers frames as they arrive one at a time (libpcap's model) into a Wasm batch and
// encapsulates a whole batch with one call, when the batch is full or when the flush timer fires,
// so that light traffic is never held back longer than the timer. Knows nothing of cap or files:
// a frame source calls add(), a sink receives the encapsulated frames.
import { statusName, type Datapath, type PacketBatch, type ResultDropped, type ResultOk } from '../../bindings/index.js';
import { TxStatus, type PacketIo } from '../io/index.js';
import type { FrameBudget } from './frame-budget.js';

/** A capture timestamp: seconds and nanoseconds since the Unix epoch. */
export interface Timestamp { sec: number; nsec: number }

/** Where encapsulated frames go. `frame` is a view into Wasm memory, valid only during the call. */
export interface FrameSink {
  /** Deliver one frame; return false when it could not be delivered (counted as a drop). */
  put(frame: Uint8Array, ts: Timestamp): boolean;
  /** Reason name counted when put() returns false. */
  readonly failReason: string;
  /**
   * Deliver packets `indices[0..count-1]` of `batch` (their outputs) in one go, writing a TxStatus
   * per frame into `statuses`; returns how many were delivered. `stamps` holds each slot's capture
   * time (seconds at 2i, nanoseconds at 2i + 1). A sink that sends has it (one system call per
   * batch), and so does one that writes a file (one loop, no object per frame); without it, put() is
   * called per frame.
   */
  putBatch?(batch: PacketBatch, indices: Uint32Array, count: number, statuses: Uint8Array, stamps: Uint32Array): number;
}

/** The drop reason of a send status other than SENT. */
function txReason(st: number, fail: string): string {
  return st === TxStatus.RING_FULL ? 'tx_ring_full' : st === TxStatus.OVERSIZE ? 'tx_oversize' : st === TxStatus.BAD_DESC ? 'bad_desc' : fail;
}

/** The timer the batcher arms for a partly filled batch; injectable so tests can drive it. */
export interface FlushTimer {
  set(ms: number, fn: () => void): unknown;
  clear(handle: unknown): void;
}

export const realTimer: FlushTimer = {
  set: (ms, fn) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface BatcherStats {
  /** Frames offered to add(). */
  frames: number;
  /** Frames encapsulated and accepted by the sink. */
  encapsulated: number;
  /** Frames not delivered, by reason (datapath status names, `oversize`, the sink's failReason). */
  dropped: Record<string, number>;
  /** Batches encapsulated (Wasm calls). */
  batches: number;
}

export interface BatcherOptions {
  /** Peer-table index every frame is sent to. */
  peer: number;
  /** Flush a partly filled batch this long after its first frame, default 1 ms; 0 flushes on the next tick. */
  flushMs?: number;
  timer?: FlushTimer;
}

export class EncapBatcher {
  readonly #dp: Datapath;
  readonly #batch: PacketBatch;
  readonly #sink: FrameSink;
  readonly #peer: number;
  readonly #flushMs: number;
  readonly #timer: FlushTimer;
  #pending: unknown = undefined;
  // Capture time of each slot's frame, kept beside the batch (the descriptor has no room for it):
  // seconds at 2i, nanoseconds at 2i + 1 (the layout PacketIo.receive fills in).
  readonly #stamps: Uint32Array;
  /** Packets of the batch that came out of encap OK, and their send statuses (putBatch). */
  readonly #ok: Uint32Array;
  readonly #tx: Uint8Array;
  readonly stats: BatcherStats = { frames: 0, encapsulated: 0, dropped: {}, batches: 0 };
  // What flush() hands the sink and how it drains a batch: made once, so a flush allocates nothing.
  readonly #ts: Timestamp = { sec: 0, nsec: 0 };
  readonly #onOk: ResultOk = (i, b) => {
    this.#ts.sec = this.#stamps[2 * i];
    this.#ts.nsec = this.#stamps[2 * i + 1];
    if (this.#sink.put(b.output(i), this.#ts)) this.stats.encapsulated++;
    else this.#drop(this.#sink.failReason);
  };
  readonly #onDropped: ResultDropped = (_i, status) => { this.#drop(statusName(status)); };
  // For a sink that sends a whole batch (putBatch): the OK packets' indices, gathered in #ok.
  #okCount = 0;
  readonly #gatherOk: ResultOk = (i) => { this.#ok[this.#okCount++] = i; };

  constructor(dp: Datapath, sink: FrameSink, opts: BatcherOptions) {
    this.#dp = dp;
    this.#batch = dp.batch(0);
    this.#batch.clear();
    this.#sink = sink;
    this.#peer = opts.peer;
    this.#flushMs = opts.flushMs ?? 1;
    this.#timer = opts.timer ?? realTimer;
    this.#stamps = new Uint32Array(2 * this.#batch.capacity);
    this.#ok = new Uint32Array(this.#batch.capacity);
    this.#tx = new Uint8Array(this.#batch.capacity);
  }

  /** Largest frame a slot holds; longer frames are dropped as `oversize`. */
  get maxFrame(): number { return this.#batch.maxFrame; }

  /** Frames waiting in the current batch. */
  get pending(): number { return this.#batch.length; }

  #drop(reason: string): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }

  /**
   * Copy one frame into the next slot: the single copy between libpcap's buffer and Wasm memory.
   * (cap copies every frame into one fixed buffer of its own, so a frame cannot land in a slot
   * directly; push() copies without the view slotView() would allocate.) `ts` is read at once and
   * may be reused by the caller. `truncated` frames (longer than the snap length) are dropped:
   * encapsulating a cut frame would forward a corrupt packet.
   */
  add(frame: Uint8Array, ts: Timestamp, truncated = false): void {
    this.stats.frames++;
    if (truncated || frame.length > this.#batch.maxFrame) { this.#drop(truncated ? 'truncated' : 'oversize'); return; }
    const b = this.#batch;
    const i = b.push(frame, this.#peer);
    this.#stamps[2 * i] = ts.sec;
    this.#stamps[2 * i + 1] = ts.nsec;
    if (b.full) this.flush();
    else if (i === 0) this.#arm();
  }

  #arm(): void {
    this.#pending = this.#timer.set(this.#flushMs, () => { this.#pending = undefined; this.flush(); });
  }

  /**
   * Take what `io` has waiting straight into the batch (one native call copies a block of frames
   * into Wasm memory, with their kernel timestamps), encapsulating whenever the batch is full, until
   * nothing is waiting or `limit` frames were taken. Returns the number of frames taken.
   */
  receiveFrom(io: PacketIo, limit = Infinity): number {
    const b = this.#batch;
    let total = 0;
    while (total < limit) {
      const start = b.length;
      const n = io.receive(b, this.#stamps, limit - total);
      if (n === 0) break;
      if (this.#peer !== 0) for (let i = start; i < start + n; i++) b.setPeer(i, this.#peer);
      this.stats.frames += n;
      total += n;
      if (b.full) this.flush();
      else if (start === 0) this.#arm();
    }
    return total;
  }

  /**
   * Take what `io` has waiting, as much as `budget` allows: frames are claimed before each read, so
   * batchers on other threads sharing the budget never take the same ones (FrameBudget). Returns true
   * when the budget's limit is reached.
   */
  drain(io: PacketIo, budget: FrameBudget): boolean {
    for (;;) {
      const want = budget.claim();
      if (want === 0) return budget.taken >= budget.limit; // the rest is claimed by other batchers
      const got = this.receiveFrom(io, want);
      if (budget.settle(want, got)) return true;
      if (got < want || want === Infinity) return false;
    }
  }

  /** Encapsulate what the batch holds (one Wasm call) and hand every result to the sink. */
  flush(): void {
    if (this.#pending !== undefined) { this.#timer.clear(this.#pending); this.#pending = undefined; }
    const b = this.#batch;
    if (b.length === 0) return;
    this.#dp.encap(b);
    this.stats.batches++;
    const sink = this.#sink;
    if (sink.putBatch !== undefined) {
      this.#okCount = 0;
      b.forEachResult(this.#gatherOk, this.#onDropped);
      const k = this.#okCount;
      this.stats.encapsulated += k === 0 ? 0 : sink.putBatch(b, this.#ok, k, this.#tx, this.#stamps);
      for (let j = 0; j < k; j++) if (this.#tx[j] !== TxStatus.SENT) this.#drop(txReason(this.#tx[j], sink.failReason));
    } else {
      b.forEachResult(this.#onOk, this.#onDropped);
    }
    b.clear();
  }
}
