// The responder's per-source token buckets: one sender (a keyed VTEP misconfigured, or one whose key
// leaked) cannot take the whole responder's budget from the others. Only senders whose request was
// authentic get a bucket; the table is bounded, the oldest bucket dropped first when it is full (a
// dropped sender starts again with a full bucket, so the bound costs fairness, never availability).
import type { Clock } from './clock.js';
import { TokenBucket } from './token-bucket.js';
import { IpMap } from './ip-map.js';

export class SourceBuckets {
  readonly #clock: Clock;
  readonly #rate: number;
  readonly #burst: number;
  readonly #max: number;
  readonly #buckets = new IpMap<TokenBucket>();

  constructor(clock: Clock, ratePerSec: number, burst: number, maxSources: number) {
    this.#clock = clock;
    this.#rate = ratePerSec;
    this.#burst = burst;
    this.#max = Math.max(1, maxSources);
  }

  /** The bucket of source `ip` (created full on first use). */
  of(ip: number): TokenBucket {
    let b = this.#buckets.get(ip);
    if (b === undefined) {
      if (this.#buckets.size >= this.#max) this.#buckets.deleteOldest();
      b = new TokenBucket(this.#clock, this.#rate, this.#burst);
      this.#buckets.set(ip, b);
    }
    return b;
  }

  get size(): number { return this.#buckets.size; }
}
