// A small seeded generator (mulberry32) for repeatable test and benchmark traffic.

export class Prng {
  #s: number;
  constructor(seed: number) { this.#s = seed >>> 0; }

  /** Next uniform u32. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + (this.u32() % (hi - lo + 1)); }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k++) b[k] = this.u32() & 0xff;
    return b;
  }
}
