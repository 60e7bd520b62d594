// The prober's event queue: a timing wheel of tickMs slots over one clock timer. Events are
// coalesced into ticks, so a live process wakes at most 1000/tickMs times a second however many
// ports it probes, and queueing or running an event costs O(1) (a binary heap cost a sixth of the
// control plane's CPU at 1000 peers). Events are never cancelled: handlers check whether they are stale.
import type { Clock, TimerId } from './clock.js';

const SLOTS = 1024; // a power of two; events further ahead wait in their slot for their round

/**
 * The prober's event queue: events of type T run by `run` at the first tick (a multiple of tickMs ms)
 * at or after their time, in queue order, over a single clock timer. Queueing and running cost O(1);
 * events cannot be cancelled (handlers check for staleness). If a handler throws, the events after it
 * stay queued.
 */
export class TickScheduler<T> {
  readonly #clock: Clock;
  readonly #tickMs: number;
  readonly #run: (ev: T) => void;
  // Each slot's queued events as two parallel arrays and a length, reused for the life of the
  // scheduler (never shrunk): no object per event, and no storage that survives a scavenge only
  // to be promoted and swept later. A slot's arrays are made on its first event: a control plane
  // that probes few ports touches few slots, and a simulation builds thousands of control planes.
  #ticks: (number[] | undefined)[] = new Array<number[] | undefined>(SLOTS).fill(undefined);
  #evs: ((T | undefined)[] | undefined)[] = new Array<(T | undefined)[] | undefined>(SLOTS).fill(undefined);
  #lens = new Int32Array(SLOTS);
  #count = 0;
  /** Next tick not yet processed. */
  #cur: number;
  #timer: TimerId | undefined;
  #armedTick = Infinity;
  /** The timer fired late and was put off by a tick (see #fire). */
  #deferred = false;
  /** Inside #fire: the timer is re-armed once, at the end, for the earliest queued tick. */
  #firing = false;

  /** A queue over `clock` with ticks of `tickMs` ms (> 0, else a RangeError) calling `run` for each due event. */
  constructor(clock: Clock, tickMs: number, run: (ev: T) => void) {
    if (!(tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
    this.#clock = clock;
    this.#tickMs = tickMs;
    this.#run = run;
    this.#cur = Math.floor(clock.now() / tickMs);
  }

  /** Events queued and not yet run. */
  get size(): number { return this.#count; }

  /** Run ev at time atMs: at the first tick at or after it (now if it is past). */
  at(atMs: number, ev: T): void {
    const tick = Math.max(this.#cur, Math.ceil(atMs / this.#tickMs));
    const i = tick & (SLOTS - 1);
    const n = this.#lens[i];
    let ticks = this.#ticks[i], evs = this.#evs[i];
    if (ticks === undefined || evs === undefined) { this.#ticks[i] = ticks = []; this.#evs[i] = evs = []; }
    ticks[n] = tick;
    evs[n] = ev;
    this.#lens[i] = n + 1;
    this.#count++;
    if (!this.#firing && tick < this.#armedTick) this.#armAt(tick);
  }

  /**
   * Drop every queued event and the timer. New (empty, lazily filled) slot tables: a slot being run
   * when a handler clears keeps its own arrays to finish with, as before the clear.
   */
  clear(): void {
    this.#ticks = new Array<number[] | undefined>(SLOTS).fill(undefined);
    this.#evs = new Array<(T | undefined)[] | undefined>(SLOTS).fill(undefined);
    this.#lens = new Int32Array(SLOTS);
    this.#count = 0;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#armedTick = Infinity;
  }

  #armAt(tick: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#armedTick = tick;
    this.#timer = this.#clock.setTimer(tick * this.#tickMs - this.#clock.now(), () => this.#fire());
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
    this.#deferred = false;
    this.#firing = true;
    try {
      const nowTick = Math.floor(this.#clock.now() / this.#tickMs);
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
   */
  #runSlot(t: number): void {
    const i = t & (SLOTS - 1);
    const lens = this.#lens;
    if (lens[i] === 0) return; // nothing queued in the slot (its arrays may not exist yet)
    const ticks = this.#ticks[i]!, evs = this.#evs[i]!;
    let kept = 0, j = 0;
    try {
      for (; j < lens[i]; j++) { // re-read: handlers may append
        const tick = ticks[j];
        const ev = evs[j] as T;
        evs[j] = undefined;
        if (tick > t) { ticks[kept] = tick; evs[kept] = ev; kept++; continue; }
        this.#count--;
        this.#run(ev);
      }
    } finally {
      // j is the handler that threw, if one did: it ran; what follows it stays queued.
      const n = lens[i];
      if (j < n) j++;
      for (; j < n; j++) { ticks[kept] = ticks[j]; evs[kept] = evs[j]; evs[j] = undefined; kept++; }
      lens[i] = kept;
    }
  }

  /** Arm the timer for the earliest queued tick. */
  #armNext(): void {
    if (this.#count === 0 || this.#timer !== undefined) return;
    for (let t = this.#cur; t < this.#cur + SLOTS; t++) {
      const i = t & (SLOTS - 1), n = this.#lens[i];
      if (n === 0) continue;
      const ticks = this.#ticks[i]!;
      for (let j = 0; j < n; j++) if (ticks[j] === t) { this.#armAt(t); return; }
    }
    let min = Infinity; // everything queued is more than a round ahead
    for (let i = 0; i < SLOTS; i++) {
      const n = this.#lens[i];
      if (n === 0) continue;
      const ticks = this.#ticks[i]!;
      for (let j = 0; j < n; j++) if (ticks[j] < min) min = ticks[j];
    }
    this.#armAt(min);
  }
}
