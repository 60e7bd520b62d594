// The simulator's clock: a binary heap of events in struct-of-arrays form, firing in time order and
// ties in the order they were set — the same order as the control plane's VirtualClock, so a run is
// the same run on either. It exists for speed: a region-scale zooroute run puts tens of millions of
// probe deliveries through the clock, and VirtualClock spends an object, a closure and a Set entry on
// each. Here a timer is a slot of typed arrays (reused), and a probe delivery is posted to a sink with
// its numbers and payload, so it allocates nothing.
//
// Posted events mostly have one of a few delays (a probe's path latency: a handful of distinct sums
// of link latencies), and events posted with one delay fall due in the order posted (the clock never
// goes back). So each such delay gets a lane, a FIFO ring that is already in (time, sequence) order,
// and only timers and posts of other delays go through the heap: a post is O(1), and the next event
// is the least of the heap's top and the lanes' heads (a short scan of a typed array). At region
// scale 9 in 10 events are posts, and the heap, now of timers only, is shallower.
import type { SimClock } from './engine.js';

/** Receives events posted with {@link EventQueue.post}: three numbers and one datum, as posted. */
export interface EventSink<T> {
  /** Called when the event falls due, with the values it was posted with. */
  fire(a: number, b: number, c: number, data: T): void;
}

// A timer id is gen x SLOT_SPACE + slot: the slot finds it, the generation tells a live timer from
// one that fired or was cleared (the slot's generation moves on when it is freed).
const SLOT_SPACE = 2 ** 24;
const KIND_FREE = 0, KIND_FN = 1, KIND_SINK = 2, KIND_CLEARED = 3;
/** Lanes at most: delays beyond these (while all hold events) go through the heap. */
const MAX_LANES = 8;
/** Numbers per lane record: time, sequence, a, b, c. */
const REC = 5;

/**
 * Posted events of one delay, in the order posted (so in time order): a ring of records (time,
 * sequence, the three numbers) with the sink and datum beside them. A lane's event needs no slot (a
 * post has no id to clear it by), and the ring is read in order, not at random as slots are.
 */
class Lane {
  /** Record i: [REC * i] time, then sequence, a, b, c. */
  rec = new Float64Array(REC * 64);
  sink: (EventSink<unknown> | undefined)[] = new Array<undefined>(64).fill(undefined);
  data: unknown[] = new Array<undefined>(64).fill(undefined);
  head = 0;
  size = 0;

  push(at: number, seq: number, sink: EventSink<unknown>, a: number, b: number, c: number, data: unknown): void {
    if (this.size === this.sink.length) this.#grow();
    const i = (this.head + this.size) & (this.sink.length - 1);
    const r = REC * i, rec = this.rec;
    rec[r] = at; rec[r + 1] = seq; rec[r + 2] = a; rec[r + 3] = b; rec[r + 4] = c;
    this.sink[i] = sink; this.data[i] = data;
    this.size++;
  }

  /** Time of the newest event (the lane is not empty). */
  lastAt(): number { return this.rec[REC * ((this.head + this.size - 1) & (this.sink.length - 1))]; }

  #grow(): void {
    const n = 2 * this.sink.length, old = this.sink.length;
    const rec = new Float64Array(REC * n);
    const sink = new Array<EventSink<unknown> | undefined>(n).fill(undefined);
    const data = new Array<unknown>(n).fill(undefined);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & (old - 1);
      rec.set(this.rec.subarray(REC * i, REC * i + REC), REC * k);
      sink[k] = this.sink[i]; data[k] = this.data[i];
    }
    this.rec = rec; this.sink = sink; this.data = data;
    this.head = 0;
  }
}

/**
 * A virtual clock for simulation runs: `setTimer` callbacks and `post`ed sink events fire in time
 * order, ties in the order they were set (as VirtualClock's do); `runUntil` fires what is due and
 * stops the clock there. Events set for "now" by a firing callback fire in the same `runUntil`.
 */
export class EventQueue implements SimClock {
  #now: number;
  #seq = 0;
  #live = 0;
  // The min-heap on (time, sequence number), by heap position: time, sequence and slot in parallel
  // arrays, so sifting compares and moves within the heap's own (hot, contiguous) memory instead of
  // reading each slot's key at random.
  #hAt: Float64Array = new Float64Array(1024);
  #hSeq: Float64Array = new Float64Array(1024);
  #hSlot: Int32Array = new Int32Array(1024);
  #size = 0;
  #gen: Float64Array = new Float64Array(1024).fill(1);
  #kind: Uint8Array = new Uint8Array(1024);
  #a: Float64Array = new Float64Array(1024);
  #b: Float64Array = new Float64Array(1024);
  #c: Float64Array = new Float64Array(1024);
  #fn: ((() => void) | EventSink<unknown> | undefined)[] = new Array<undefined>(1024).fill(undefined);
  #data: unknown[] = new Array<undefined>(1024).fill(undefined);
  /** Free slots (a stack), and slots never handed out from #fresh up. */
  #free: Int32Array = new Int32Array(1024);
  #freeCount = 0;
  #fresh = 0;
  /** The lanes, each one's delay, and its head's time and sequence (Infinity when empty) for the scan. */
  readonly #lanes: Lane[] = [];
  readonly #laneDelay = new Float64Array(MAX_LANES);
  readonly #laneAt = new Float64Array(MAX_LANES).fill(Infinity);
  readonly #laneSeq = new Float64Array(MAX_LANES);

  /** A clock reading `startMs` until run. */
  constructor(startMs = 0) { this.#now = startMs; }

  /** Simulated time, ms. */
  now(): number { return this.#now; }

  /** Timers and posted events still to fire. */
  pending(): number { return this.#live; }

  /** Run fn once, delayMs from now (negative or non-finite delays count as 0); returns an id for clearTimer. */
  setTimer(delayMs: number, fn: () => void): number {
    const s = this.#push(delayMs, KIND_FN);
    this.#fn[s] = fn;
    return this.#gen[s] * SLOT_SPACE + s;
  }

  /**
   * Call `sink.fire(a, b, c, data)` once, delayMs from now (as setTimer orders it): an event without a
   * closure, for the many small deliveries of a run.
   */
  post<T>(delayMs: number, sink: EventSink<T>, a: number, b: number, c: number, data: T): void {
    if (this.#postToLane(delayMs, sink as EventSink<unknown>, a, b, c, data)) return;
    const s = this.#push(delayMs, KIND_SINK);
    this.#fn[s] = sink as EventSink<unknown>;
    this.#a[s] = a; this.#b[s] = b; this.#c[s] = c;
    this.#data[s] = data;
  }

  /** Cancel a timer that has not fired yet; ids unknown, fired or cleared already are ignored. */
  clearTimer(id: number): void {
    const s = id % SLOT_SPACE;
    if (!(s >= 0 && s < this.#fresh) || this.#gen[s] * SLOT_SPACE + s !== id || this.#kind[s] !== KIND_FN) return;
    this.#kind[s] = KIND_CLEARED;
    this.#fn[s] = undefined;
    this.#live--;
  }

  /** Fire every event due at or before tMs in order, those they set included, and leave the clock at tMs. */
  runUntil(tMs: number): void {
    const laneAt = this.#laneAt, laneSeq = this.#laneSeq;
    for (;;) {
      // The next event: the heap's top or a lane's head, whichever is least in (time, sequence). Empty
      // lanes read Infinity; events are never due at Infinity (delays are finite).
      const heap = this.#size > 0;
      let t = heap ? this.#hAt[0] : Infinity; // re-read: a callback may have grown the arrays
      let seq = heap ? this.#hSeq[0] : 0;
      let from = -1;
      for (let k = 0, n = this.#lanes.length; k < n; k++) { // re-read: a callback may have added a lane
        const at = laneAt[k];
        if (at < t || (at === t && at !== Infinity && laneSeq[k] < seq)) { t = at; seq = laneSeq[k]; from = k; }
      }
      if (from < 0 && !heap) break; // nothing pending
      if (t > tMs) break;
      if (from >= 0) {
        // A lane's head: its record, then the lane's next head (or Infinity) for the scan.
        const lane = this.#lanes[from];
        const h = lane.head, r = REC * h, rec = lane.rec;
        const sink = lane.sink[h]!, data = lane.data[h];
        const a = rec[r + 2], b = rec[r + 3], c = rec[r + 4];
        lane.sink[h] = undefined; lane.data[h] = undefined;
        lane.head = (h + 1) & (lane.sink.length - 1);
        if (--lane.size > 0) { laneAt[from] = rec[REC * lane.head]; laneSeq[from] = rec[REC * lane.head + 1]; } else laneAt[from] = Infinity;
        this.#live--;
        if (t > this.#now) this.#now = t;
        sink.fire(a, b, c, data);
        continue;
      }
      const s = this.#hSlot[0];
      this.#pop();
      const kind = this.#kind[s], fn = this.#fn[s];
      const a = this.#a[s], b = this.#b[s], c = this.#c[s], data = this.#data[s];
      this.#release(s);
      if (kind === KIND_CLEARED) continue;
      this.#live--;
      if (t > this.#now) this.#now = t;
      if (kind === KIND_FN) (fn as () => void)();
      else (fn as EventSink<unknown>).fire(a, b, c, data);
    }
    if (tMs > this.#now) this.#now = tMs;
  }

  /** Queue a posted event in the lane of its delay; false when it must go through the heap. */
  #postToLane(delayMs: number, sink: EventSink<unknown>, a: number, b: number, c: number, data: unknown): boolean {
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const at = this.#now + d;
    const lanes = this.#lanes, delays = this.#laneDelay;
    let k = 0;
    while (k < lanes.length && !(delays[k] === d && lanes[k].size > 0)) k++;
    if (k === lanes.length) {
      // No lane holds this delay: an empty lane takes it (a new one while there are fewer than MAX_LANES).
      k = 0;
      while (k < lanes.length && lanes[k].size > 0) k++;
      if (k === lanes.length) {
        if (k === MAX_LANES) return false;
        lanes.push(new Lane());
      }
      delays[k] = d;
    }
    const lane = lanes[k];
    // In order by construction (the clock never goes back); kept safe should that ever not hold.
    if (lane.size > 0 && at < lane.lastAt()) return false;
    const seq = this.#seq++;
    this.#live++;
    if (lane.size === 0) { this.#laneAt[k] = at; this.#laneSeq[k] = seq; }
    lane.push(at, seq, sink, a, b, c, data);
    return true;
  }

  #push(delayMs: number, kind: number): number {
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const s = this.#take();
    const at = this.#now + d, seq = this.#seq++;
    this.#kind[s] = kind;
    this.#live++;
    if (this.#size === this.#hSlot.length) {
      const n = 2 * this.#size;
      this.#hAt = grow(this.#hAt, n) as Float64Array;
      this.#hSeq = grow(this.#hSeq, n) as Float64Array;
      this.#hSlot = grow(this.#hSlot, n) as Int32Array;
    }
    const hAt = this.#hAt, hSeq = this.#hSeq, hSlot = this.#hSlot;
    let i = this.#size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = hAt[p];
      if (pa < at || (pa === at && hSeq[p] < seq)) break; // the parent goes first
      hAt[i] = pa; hSeq[i] = hSeq[p]; hSlot[i] = hSlot[p];
      i = p;
    }
    hAt[i] = at; hSeq[i] = seq; hSlot[i] = s;
    return s;
  }

  #pop(): void {
    const n = --this.#size;
    if (n === 0) return;
    const hAt = this.#hAt, hSeq = this.#hSeq, hSlot = this.#hSlot;
    const at = hAt[n], seq = hSeq[n], slot = hSlot[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && (hAt[r] < hAt[l] || (hAt[r] === hAt[l] && hSeq[r] < hSeq[l])) ? r : l;
      if (!(hAt[m] < at || (hAt[m] === at && hSeq[m] < seq))) break; // the moved last one goes here
      hAt[i] = hAt[m]; hSeq[i] = hSeq[m]; hSlot[i] = hSlot[m];
      i = m;
    }
    hAt[i] = at; hSeq[i] = seq; hSlot[i] = slot;
  }

  #take(): number {
    if (this.#freeCount > 0) return this.#free[--this.#freeCount];
    const s = this.#fresh++;
    if (s >= SLOT_SPACE) throw new RangeError(`more than ${SLOT_SPACE} events pending`);
    if (s === this.#kind.length) {
      const n = s * 2;
      const gen = grow(this.#gen, n) as Float64Array;
      gen.fill(1, s);
      this.#gen = gen;
      this.#kind = grow(this.#kind, n) as Uint8Array;
      this.#a = grow(this.#a, n) as Float64Array;
      this.#b = grow(this.#b, n) as Float64Array;
      this.#c = grow(this.#c, n) as Float64Array;
      this.#free = grow(this.#free, n) as Int32Array;
      for (let i = s; i < n; i++) { this.#fn.push(undefined); this.#data.push(undefined); }
    }
    return s;
  }

  #release(s: number): void {
    this.#kind[s] = KIND_FREE;
    this.#fn[s] = undefined;
    this.#data[s] = undefined;
    this.#gen[s]++;
    this.#free[this.#freeCount++] = s;
  }
}

function grow(a: Float64Array | Int32Array | Uint8Array, n: number): Float64Array | Int32Array | Uint8Array {
  const b = new (a.constructor as new (n: number) => typeof a)(n);
  b.set(a);
  return b;
}
