// The responder's token bucket, and the CTL level it advertises as it drains (docs/probe-format.md).
import type { Clock } from './clock.js';
import { CTL_MAX } from './probe-codec.js';

/**
 * A token bucket on a Clock: `ratePerSec` tokens a second up to `burst`, starting full. The probe
 * responder takes one per request it answers and advertises ctlLevel() to senders as it drains.
 */
export class TokenBucket {
  readonly #clock: Clock;
  readonly #rate: number; // tokens per ms
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /** A full bucket of `burst` tokens refilling at `ratePerSec` tokens per second of `clock` time. */
  constructor(clock: Clock, ratePerSec: number, burst: number) {
    this.#clock = clock;
    this.#rate = ratePerSec / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = clock.now();
  }

  /** Refill to clock time `now` (not before the last refill's). */
  #refillAt(now: number): void {
    if (now > this.#at) this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#rate);
    this.#at = now;
  }

  /** Take one token; false when the bucket is empty. */
  take(): boolean { return this.takeAt(this.#clock.now()); }

  /**
   * take() with the clock already read: `now` must be the clock's time (a caller that reads it once
   * for several buckets and steps saves a reading per call on the responder's path).
   */
  takeAt(now: number): boolean {
    this.#refillAt(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Fill fraction 0..1. */
  fill(): number { this.#refillAt(this.#clock.now()); return this.#tokens / this.#burst; }

  /**
   * CTL to advertise: 0 while more than half full, then one more doubling of the senders' interval
   * for every halving of the fill (1 at <= 1/2, 2 at <= 1/4, ...): floor(-log2(fill)), at most maxLevel.
   */
  ctlLevel(maxLevel = CTL_MAX): number { return this.ctlLevelAt(this.#clock.now(), maxLevel); }

  /** ctlLevel() with the clock already read (`now`, as takeAt). */
  ctlLevelAt(now: number, maxLevel = CTL_MAX): number {
    this.#refillAt(now);
    const f = this.#tokens / this.#burst;
    if (f > 0.5) return 0;
    const level = f <= 0 ? CTL_MAX : Math.floor(-Math.log2(f));
    return Math.min(maxLevel, CTL_MAX, Math.max(1, level));
  }
}
