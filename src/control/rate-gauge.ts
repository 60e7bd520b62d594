// Packet and byte rates from successive counter snapshots, timed on the Vtep's clock.
import type { VtepCounters } from './vtep-counters.js';

/** Encap/decap packet and byte rates over the last update interval. */
export class RateGauge {
  #prev = [0, 0, 0, 0];
  #at: number;
  /** Per second: encap packets, encap bytes, decap packets, decap bytes. */
  rates = [0, 0, 0, 0];

  /** A gauge whose first interval starts at `nowMs`. */
  constructor(nowMs: number) { this.#at = nowMs; }

  /** Take a snapshot at `nowMs`: rates become the change since the previous one per second. */
  update(c: VtepCounters, nowMs: number): void {
    const cur = [c.encapPackets, c.encapBytes, c.decapPackets, c.decapBytes];
    const dt = (nowMs - this.#at) / 1000;
    if (dt > 0) this.rates = cur.map((v, i) => (v - this.#prev[i]) / dt);
    this.#prev = cur;
    this.#at = nowMs;
  }
}
