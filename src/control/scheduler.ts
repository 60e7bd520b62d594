// The prober's event queue: a timing wheel of tickMs slots over one clock timer. Events are
// coalesced into ticks, so a live process wakes at most 1000/tickMs times a second however many
// ports it probes, and queueing or running an event costs O(1) (a binary heap cost a sixth of the
// control plane's CPU at 1000 peers). Events are never cancelled: handlers check whether they are stale.
import type { Clock, TimerId } from './clock.js';

interface Entry<T> { tick: number; ev: T }

const SLOTS = 1024; // a power of two; events further ahead wait in their slot for their round

export class TickScheduler<T> {
  readonly #clock: Clock;
  readonly #tickMs: number;
  readonly #run: (ev: T) => void;
  #slots: Entry<T>[][] = Array.from({ length: SLOTS }, () => []);
  #count = 0;
  /** Next tick not yet processed. */
  #cur: number;
  #timer: TimerId | undefined;
  #armedTick = Infinity;
  /** Inside #fire: the timer is re-armed once, at the end, for the earliest queued tick. */
  #firing = false;

  constructor(clock: Clock, tickMs: number, run: (ev: T) => void) {
    if (!(tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
    this.#clock = clock;
    this.#tickMs = tickMs;
    this.#run = run;
    this.#cur = Math.floor(clock.now() / tickMs);
  }

  get size(): number { return this.#count; }

  /** Run ev at time atMs: at the first tick at or after it (now if it is past). */
  at(atMs: number, ev: T): void {
    const tick = Math.max(this.#cur, Math.ceil(atMs / this.#tickMs));
    this.#slots[tick & (SLOTS - 1)].push({ tick, ev });
    this.#count++;
    if (!this.#firing && tick < this.#armedTick) this.#armAt(tick);
  }

  /** Drop every queued event and the timer. */
  clear(): void {
    this.#slots = Array.from({ length: SLOTS }, () => []);
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
    this.#armedTick = Infinity;
    this.#firing = true;
    try {
      const nowTick = Math.floor(this.#clock.now() / this.#tickMs);
      while (this.#cur <= nowTick && this.#count > 0) {
        const t = this.#cur;
        const i = t & (SLOTS - 1);
        // Run what is due in this slot, again while running adds more for this tick; keep later rounds.
        let kept: Entry<T>[] | undefined;
        for (;;) {
          const slot = this.#slots[i];
          if (slot.length === 0) break;
          this.#slots[i] = [];
          for (const e of slot) {
            if (e.tick > t) { (kept ??= []).push(e); continue; }
            this.#count--;
            this.#run(e.ev);
          }
        }
        if (kept !== undefined) this.#slots[i].push(...kept);
        this.#cur = t + 1;
      }
      if (this.#cur <= nowTick) this.#cur = nowTick + 1; // nothing queued: skip the idle ticks at once
    } finally {
      this.#firing = false;
      this.#armNext();
    }
  }

  /** Arm the timer for the earliest queued tick. */
  #armNext(): void {
    if (this.#count === 0 || this.#timer !== undefined) return;
    for (let t = this.#cur; t < this.#cur + SLOTS; t++) {
      for (const e of this.#slots[t & (SLOTS - 1)]) if (e.tick === t) { this.#armAt(t); return; }
    }
    let min = Infinity; // everything queued is more than a round ahead
    for (const slot of this.#slots) for (const e of slot) if (e.tick < min) min = e.tick;
    this.#armAt(min);
  }
}
