// The time of the agent's current turn: a Clock whose now() reads the underlying clock once and
// keeps that reading for at most USES_PER_READING calls, or until refresh(), which the agent calls
// wherever a turn of work begins after the thread may have been idle (a timer, a receive, the first
// frame of a burst, a wakeup after a coalesced sleep, a scrape); as nginx caches its time per
// event-loop pass. The bound on uses keeps a long turn's readings fresh: under load one pass of the
// event loop handled frames for up to 100 ms (measured in the 1000-peer test's worker).
// Why: on the real clock now() is performance.now(), 70-110 ns on the lab machine, and the control
// plane reads the time about eleven times per probe exchange (token buckets, schedule checks, RTT,
// the reply's timestamp); at 1000 peers that is several percent of the agent's CPU for one instant.
// Timers keep their meaning: setTimer takes its delay from the turn's time, so it is converted to a
// delay from the real time now (a timer due at a tick boundary stays due there, where the agent's
// moderated wakeup runs it: RealClock.runDue).
// (Expiring the reading from a microtask instead was tried: in the agent's worker thread the
// microtask queue was drained only a few times a second, and readings went up to a second stale.)
import type { Clock, TimerId } from '../control/index.js';

/** Calls of now() one reading serves: a few probe exchanges' worth (about eleven calls each). */
export const USES_PER_READING = 32;

export class TurnClock implements Clock {
  readonly #clock: Clock;
  /** The latest reading (NaN before the first). */
  #at = NaN;
  /** Calls the reading still serves. */
  #uses = 0;

  constructor(clock: Clock) { this.#clock = clock; }

  /** The underlying clock's time at the first of up to USES_PER_READING calls since the last refresh(). */
  now(): number {
    if (--this.#uses >= 0) return this.#at;
    this.#uses = USES_PER_READING - 1;
    return (this.#at = this.#clock.now());
  }

  /** A new turn begins (the thread may have been idle): the next now() reads the underlying clock. */
  refresh(): void { this.#uses = 0; }

  /** Run fn delayMs after the time now() last returned, on the underlying clock. */
  setTimer(delayMs: number, fn: () => void): TimerId {
    // The delay counts from the latest reading (what now() returned); the underlying clock counts
    // it from its own now: take off the time since the reading.
    const at = this.#at;
    const lag = at === at ? this.#clock.now() - at : 0;
    return this.#clock.setTimer(delayMs - lag, fn);
  }

  clearTimer(id: TimerId): void { this.#clock.clearTimer(id); }
}
