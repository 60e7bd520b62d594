// The responder's receipt windows (docs/probe-format.md "Receipts"): per prober, the highest probe
// number received and which of the 63 before it arrived too. Every reply carries its prober's window,
// so one reply that gets back tells the prober about the forward path of every port it probed
// lately, whichever reverse path that reply took. Bounded like the source buckets: only senders of
// authentic requests get a window, the oldest dropped first when the table is full (a dropped
// prober's next reply reports only what arrived since).
import { IpMap } from './ip-map.js';

/** One prober's window: `high` and 64 bits as two 32-bit halves, bit i = probe number high - i arrived. */
export class ReceiptWindow {
  high = 0;
  lo = 0;
  hi = 0;

  /** Record probe number `num` (uint32) as received. */
  note(num: number): void {
    const d = (num - this.high) | 0;
    if (d > 0) {
      // Newer: slide the window up by d.
      if (d >= 64) { this.hi = 0; this.lo = 0; } else if (d >= 32) { this.hi = d === 32 ? this.lo : (this.lo << (d - 32)) >>> 0; this.lo = 0; } else {
        this.hi = ((this.hi << d) | (this.lo >>> (32 - d))) >>> 0;
        this.lo = (this.lo << d) >>> 0;
      }
      this.high = num >>> 0;
      this.lo = (this.lo | 1) >>> 0;
    } else if (d > -64) {
      const i = -d;
      if (i < 32) this.lo = (this.lo | (1 << i)) >>> 0; else this.hi = (this.hi | (1 << (i - 32))) >>> 0;
    } else {
      // Far behind: the prober started again (new numbering), or a very old request. Start over.
      this.high = num >>> 0; this.lo = 1; this.hi = 0;
    }
  }
}

/** Receipt windows by prober address, at most `max` of them. */
export class ReceiptWindows {
  readonly #m = new IpMap<ReceiptWindow>();
  readonly #max: number;

  constructor(maxProbers: number) { this.#max = Math.max(1, maxProbers); }

  /** Record that probe number `num` from `ip` arrived; returns that prober's window. */
  note(ip: number, num: number): ReceiptWindow {
    let w = this.#m.get(ip);
    if (w === undefined) {
      if (this.#m.size >= this.#max) this.#m.deleteOldest();
      w = new ReceiptWindow();
      w.high = num >>> 0; w.lo = 1; w.hi = 0;
      this.#m.set(ip, w);
    } else w.note(num);
    return w;
  }

  /** Windows held. */
  get size(): number { return this.#m.size; }
}
