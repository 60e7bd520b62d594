// The prober's event queue: a timing wheel of tickMs slots over one clock timer. Events are
// coalesced into ticks, so a live process wakes at most 1000/tickMs times a second however many
// ports it probes, and queueing or running an event costs O(1) (a binary heap cost a sixth of the
// control plane's CPU at 1000 peers). Events are never cancelled: handlers check whether they are stale.
import type { Clock, TimerId } from './clock.js';

const SLOTS = 1024; // a power of two; events further ahead wait in their slot for their round
/**
 * Numbers per node record: its tick, the next node in its list (-1: none), the time it was queued
 * for, a, b (one record: what walking a list and running an event read, in a line or two).
 */
const REC = 5;
const R_TICK = 0, R_NEXT = 1, R_AT = 2, R_A = 3, R_B = 4;
/**
 * Wheel.slots: one bit per slot (set while its list is not empty) in OCC words, then each slot's
 * head node at HEAD + slot and tail node at TAIL + slot (-1: none).
 */
const OCC = 0, HEAD = SLOTS / 32, TAIL = HEAD + SLOTS;

/**
 * The prober's event queue: events of type T run by `run` at the first tick (a multiple of tickMs ms)
 * at or after their time, in queue order, over a single clock timer. Queueing and running cost O(1);
 * events cannot be cancelled (handlers check for staleness). If a handler throws, the events after it
 * stay queued. An event may carry two numbers besides its value (`at`'s a and b), which `run` gets
 * with the time it was queued for: the control plane's events are a peer and numbers, so that
 * queueing one builds no object.
 */
export class TickScheduler<T> {
  readonly #clock: Clock;
  readonly #tickMs: number;
  readonly #run: (ev: T, atMs: number, a: number, b: number) => void;
  /** Reads what running an event will read (see the constructor's `warm`); its results are summed here. */
  readonly #warm: ((ev: T, a: number, b: number) => number) | undefined;
  #warmSum = 0;
  /** The timer's callback, made once (a closure per arm was an allocation per tick fired). */
  readonly #fireFn = (): void => this.#fire();
  // Queued events: each slot a singly linked list, in queue order, of nodes (a record of numbers and an event each) that
  // grow with the events queued at once and are reused through a free list. Memory follows the events,
  // not the slots: a simulation runs thousands of control planes, and per-slot arrays (which every slot
  // got as the wheel turned) made each scheduler about 100 KB and every tick a cache miss.
  #w: Wheel<T> = newWheel<T>();
  #count = 0;
  /** Next tick not yet processed. */
  #cur: number;
  #timer: TimerId | undefined;
  #armedTick = Infinity;
  /** The timer fired late and was put off by a tick (see #fire). */
  #deferred = false;
  /** Inside #fire: the timer is re-armed once, at the end, for the earliest queued tick. */
  #firing = false;

  /**
   * A queue over `clock` with ticks of `tickMs` ms (> 0, else a RangeError) calling `run` for each
   * due event, with the time it was queued for and its two numbers. `warm`, if given, is called for
   * every event due at a tick before the first of them runs, and must only read (no effects): the
   * state a tick's events touch is cold (a peer each, of 1000), and reads of it that do not depend on
   * each other are fetched from memory together, not one event after the other.
   */
  constructor(clock: Clock, tickMs: number, run: (ev: T, atMs: number, a: number, b: number) => void, warm?: (ev: T, a: number, b: number) => number) {
    if (!(tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
    this.#clock = clock;
    this.#tickMs = tickMs;
    this.#run = run;
    this.#warm = warm;
    this.#cur = Math.floor(clock.now() / tickMs);
  }

  /** Events queued and not yet run. */
  get size(): number { return this.#count; }

  /** Run ev (with a and b) at time atMs: at the first tick at or after it (now if it is past). */
  at(atMs: number, ev: T, a = 0, b = 0): void {
    const tick = Math.max(this.#cur, Math.ceil(atMs / this.#tickMs));
    const w = this.#w;
    let n = w.free;
    if (n >= 0) w.free = w.rec[n * REC + R_NEXT]!;
    else {
      n = w.used++;
      if (n === w.ev.length) growWheel(w);
    }
    const r = w.rec, o = n * REC, sl = w.slots;
    r[o + R_TICK] = tick; r[o + R_NEXT] = -1; r[o + R_AT] = atMs; r[o + R_A] = a; r[o + R_B] = b;
    w.ev[n] = ev;
    const i = tick & (SLOTS - 1);
    if (sl[HEAD + i]! < 0) { sl[HEAD + i] = n; sl[OCC + (i >>> 5)] |= 1 << (i & 31); } else r[sl[TAIL + i]! * REC + R_NEXT] = n;
    sl[TAIL + i] = n;
    this.#count++;
    if (!this.#firing && tick < this.#armedTick) this.#armAt(tick);
  }

  /**
   * Drop every queued event and the timer. A new (empty) wheel: a slot being run when a handler
   * clears finishes with the old one's events of its tick, as before the clear.
   */
  clear(): void {
    this.#w = newWheel<T>();
    this.#count = 0;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#armedTick = Infinity;
  }

  #armAt(tick: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#armedTick = tick;
    this.#timer = this.#clock.setTimer(tick * this.#tickMs - this.#clock.now(), this.#fireFn);
  }

  #fire(): void {
    this.#timer = undefined;
    const armed = this.#armedTick;
    this.#armedTick = Infinity;
    // Fired well after its tick (our own process stalled: a GC pause, a busy event loop): wait one
    // tick more, once, so that what arrived meanwhile and waits to be read (a live event loop runs due
    // timers before it reads sockets) is read before the due events judge it: a probe's reply before
    // its timeout, or the next probe of its port. A virtual clock never fires late.
    if (!this.#deferred && this.#clock.now() - armed * this.#tickMs > 2 * this.#tickMs) {
      this.#deferred = true;
      this.#armAt(Math.floor(this.#clock.now() / this.#tickMs) + 1);
      return;
    }
    // Nothing is queued before the armed tick (at() arms any earlier one, #armNext the earliest), unless
    // this is the deferred firing, armed after its due events: skip the idle ticks up to it unread.
    // Not past now (a live timer may fire a little early): what is queued meanwhile for now runs now.
    const skipTo = this.#deferred ? this.#cur : armed;
    this.#deferred = false;
    this.#firing = true;
    try {
      const nowTick = Math.floor(this.#clock.now() / this.#tickMs);
      if (skipTo > this.#cur) this.#cur = Math.min(skipTo, nowTick);
      while (this.#cur <= nowTick && this.#count > 0) {
        const t = this.#cur;
        this.#runSlot(t);
        this.#cur = t + 1;
      }
      if (this.#cur <= nowTick) this.#cur = nowTick + 1; // nothing queued: skip the idle ticks at once
    } finally {
      this.#firing = false;
      this.#armNext();
    }
  }

  /**
   * Run what is due at tick t in its slot, in queue order, including what running adds for t (it is
   * appended, so it runs after everything queued before it); keep later rounds' events, in order.
   * Each event leaves the list (its node freed) before its handler runs: if a handler throws, it has
   * run and what follows it stays queued.
   */
  #runSlot(t: number): void {
    const w = this.#w; // a handler that clears leaves this slot to finish on the old wheel
    const i = t & (SLOTS - 1), sl = w.slots;
    if ((sl[OCC + (i >>> 5)]! & (1 << (i & 31))) === 0) return; // an empty slot: its head is not read
    const warm = this.#warm;
    if (warm !== undefined) {
      const r = w.rec;
      let sum = 0;
      for (let n = sl[HEAD + i]!; n >= 0; n = r[n * REC + R_NEXT]!) if (r[n * REC + R_TICK] === t) sum += warm(w.ev[n] as T, r[n * REC + R_A]!, r[n * REC + R_B]!);
      this.#warmSum = sum; // kept, so that the reads are not dropped as unused
    }
    let prev = -1;
    let n = sl[HEAD + i]!;
    while (n >= 0) {
      // The records are read through w each time: a handler's queueing may have grown them.
      const r = w.rec, o = n * REC;
      if (r[o + R_TICK]! > t) { prev = n; n = r[o + R_NEXT]!; continue; } // a later round's: kept in place
      const after = r[o + R_NEXT]!;
      if (prev < 0) sl[HEAD + i] = after; else r[prev * REC + R_NEXT] = after;
      if (sl[TAIL + i] === n) sl[TAIL + i] = prev;
      const ev = w.ev[n] as T;
      const atMs = r[o + R_AT]!, a = r[o + R_A]!, b = r[o + R_B]!;
      w.ev[n] = undefined;
      r[o + R_NEXT] = w.free;
      w.free = n;
      this.#count--;
      this.#run(ev, atMs, a, b);
      // On from the last kept node: the handler may have appended (and reused n's node).
      n = prev < 0 ? sl[HEAD + i]! : w.rec[prev * REC + R_NEXT]!;
    }
    if (sl[HEAD + i]! < 0) sl[OCC + (i >>> 5)] &= ~(1 << (i & 31));
  }

  /** Arm the timer for the earliest queued tick. */
  #armNext(): void {
    if (this.#count === 0 || this.#timer !== undefined) return;
    const w = this.#w, sl = w.slots, rec = w.rec;
    // The occupied slots from #cur's on, in tick order (a round: back to #cur's slot, its later ticks last).
    const cur = this.#cur, c = cur & (SLOTS - 1);
    for (let d = 0; d < SLOTS;) {
      const i = (c + d) & (SLOTS - 1);
      const bits = sl[OCC + (i >>> 5)]! >>> (i & 31); // the slots from i to the end of its word
      if (bits === 0) { d += 32 - (i & 31); continue; }
      const z = 31 - Math.clz32(bits & -bits); // the next occupied slot is z after i
      d += z;
      if (d >= SLOTS) break;
      const t = cur + d;
      for (let n = sl[HEAD + (t & (SLOTS - 1))]!; n >= 0; n = rec[n * REC + R_NEXT]!) if (rec[n * REC + R_TICK] === t) { this.#armAt(t); return; }
      d++;
    }
    let min = Infinity; // everything queued is more than a round ahead
    for (let i = 0; i < SLOTS; i++) {
      if ((sl[OCC + (i >>> 5)]! & (1 << (i & 31))) === 0) continue;
      for (let n = sl[HEAD + i]!; n >= 0; n = rec[n * REC + R_NEXT]!) if (rec[n * REC + R_TICK]! < min) min = rec[n * REC + R_TICK]!;
    }
    this.#armAt(min);
  }
}

/** A TickScheduler's queued events: per slot a list of nodes, each node a record and an event. */
interface Wheel<T> {
  /**
   * The slots' occupied bits, heads and tails (OCC, HEAD, TAIL), in one array: finding the next
   * queued tick reads 128 bytes of bits, not a head per tick (a simulation's thousands of wheels are cold).
   */
  slots: Int32Array;
  /** Per node, REC numbers: tick, next node in its slot's list or in the free list (-1: end), time queued for, a, b. */
  rec: Float64Array;
  /** Per node, its event. */
  ev: (T | undefined)[];
  /** Nodes handed out so far; the first free node (-1: none). */
  used: number;
  free: number;
}

function newWheel<T>(): Wheel<T> {
  const slots = new Int32Array(TAIL + SLOTS);
  slots.fill(-1, HEAD);
  return { slots, rec: new Float64Array(8 * REC), ev: new Array<undefined>(8).fill(undefined), used: 0, free: -1 };
}

/** Double a wheel's nodes (all are in use). */
function growWheel<T>(w: Wheel<T>): void {
  const n = 2 * w.ev.length;
  const rec = new Float64Array(n * REC); rec.set(w.rec); w.rec = rec;
  for (let j = w.ev.length; j < n; j++) w.ev.push(undefined);
}
