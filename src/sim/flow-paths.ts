// The links every flow segment's current path crosses, for the engine's per-bin loops, in one flat
// typed arena instead of an array of Int32Arrays per flow: at region scale (tens of thousands of
// flows) each bin's capacity and loss loops chased two pointers per segment, a cache miss each.
// Beside it, each link's offered load before any drop (an exact integer bound, kept as paths and
// rates change), which lets a bin in which no link can be overloaded skip the capacity rounds.

/** Per flow segment, the directed links of its current path; per link, the bound on what is offered to it. */
export class FlowPaths {
  /** Flow i's segments are slots segStart[i] .. segStart[i + 1]. */
  readonly segStart: Int32Array;
  /** Links in a slot's path. */
  readonly len: Int32Array;
  /** Slot s's links are links[s * stride .. s * stride + len[s]); the stride grows with the longest path. */
  links: Int32Array;
  stride = 8;
  /**
   * Per link, the bits offered to it this bin if no link upstream dropped any: the sum, over the
   * segments whose path crosses it, of their flow's bits (integers, so the sum is exact while it
   * stays below 2^53; `exact` says it did). The load the engine computes, thinned by drops, is never
   * more than this, so a link whose bound fits its capacity is not overloaded.
   */
  readonly bound: Float64Array;
  /** The bits each flow's segments add to `bound` now. */
  readonly bits: Float64Array;
  /** False once a flow's bits were not an integer or a bound passed 2^52: `bound` no longer proves anything. */
  exact = true;

  /** @param segments - segment count of each flow; @param linkCount - directed links of the graph */
  constructor(segments: ArrayLike<number>, linkCount: number) {
    this.segStart = new Int32Array(segments.length + 1);
    for (let i = 0; i < segments.length; i++) this.segStart[i + 1] = this.segStart[i] + segments[i];
    const slots = this.segStart[segments.length];
    this.len = new Int32Array(slots);
    this.links = new Int32Array(slots * this.stride);
    this.bound = new Float64Array(linkCount);
    this.bits = new Float64Array(segments.length);
  }

  /** Segment k of flow i now takes `path`: its links replace the old ones, in `bound` too. */
  setPath(i: number, k: number, path: Int32Array): void {
    const s = this.segStart[i] + k;
    const b = this.bits[i];
    if (b !== 0) this.#addSlot(s, -b);
    if (path.length > this.stride) this.#restride(path.length);
    this.links.set(path, s * this.stride);
    this.len[s] = path.length;
    if (b !== 0) this.#addSlot(s, b);
  }

  /** Flow i now sends `bits` (per bin) on its paths: `bound` follows. */
  setBits(i: number, bits: number): void {
    const old = this.bits[i];
    if (bits === old) return;
    if (!Number.isInteger(bits)) this.exact = false;
    this.bits[i] = bits;
    for (let s = this.segStart[i]; s < this.segStart[i + 1]; s++) this.#addSlot(s, bits - old);
  }

  /** Whether no link's bound exceeds its capacity (bits per bin), as far as `bound` proves it. */
  fits(capBits: Float64Array): boolean {
    if (!this.exact) return false;
    const u = this.bound;
    for (let l = 0; l < u.length; l++) if (!(u[l] <= capBits[l])) return false;
    return true;
  }

  #addSlot(s: number, delta: number): void {
    const links = this.links, u = this.bound;
    for (let j = s * this.stride, end = j + this.len[s]; j < end; j++) {
      const x = u[links[j]] + delta;
      u[links[j]] = x;
      if (x > 2 ** 52) this.exact = false;
    }
  }

  #restride(atLeast: number): void {
    let stride = this.stride;
    while (stride < atLeast) stride *= 2;
    const links = new Int32Array(this.len.length * stride);
    for (let s = 0; s < this.len.length; s++) links.set(this.links.subarray(s * this.stride, s * this.stride + this.len[s]), s * stride);
    this.links = links;
    this.stride = stride;
  }
}
