// A Map keyed by IPv4 address, for the per-probe lookups (peer by address, responder bucket by
// source). Keys are stored as the address's int32 bit pattern, so either form of an address (signed
// or unsigned) finds the same entry. Lookups go through an open-addressing index of int32 keys and
// their values in one array (Fibonacci hashing, linear probing), not the Map: a Map.get of a number key hashes it in a builtin
// and chases its bucket chain, and the 1000-peer profile had these lookups among its top lines
// (three or four per probe exchange). The Map is kept for what needs insertion order: iteration and
// deleteOldest.

const MIN_CAP = 8;

/** Values by IPv4 address (host order, signed or unsigned 32-bit). */
export class IpMap<V> {
  /** Insertion order (values(), deleteOldest()); the index below answers get(). */
  readonly #m = new Map<number, V>();
  /**
   * Open-addressing index, keys and values interleaved: slot i holds key #slots[2i] (an int32) when
   * its value #slots[2i + 1] is not undefined; load <= 1/2. One array, so that a lookup in a cold map
   * (a simulation runs thousands) reads one object and one line for both, not a key array and a value array.
   */
  #slots: unknown[] = new Array<unknown>(2 * MIN_CAP).fill(undefined);
  /** Slots - 1 (a power of two). */
  #mask = MIN_CAP - 1;
  /** 32 - log2(slots): a key's home slot is the top bits of key * 2^32/phi. */
  #shift = 32 - Math.log2(MIN_CAP);

  /** Entries held. */
  get size(): number { return this.#m.size; }

  /** The value of address ip, if any. */
  get(ip: number): V | undefined {
    const key = ip | 0, s = this.#slots, mask = this.#mask;
    for (let i = Math.imul(key, 0x9e3779b1) >>> this.#shift; ; i = (i + 1) & mask) {
      const v = s[2 * i + 1];
      if (v === undefined || s[2 * i] === key) return v as V | undefined;
    }
  }

  /** Set the value of address ip. */
  set(ip: number, v: V): void {
    const key = ip | 0;
    this.#m.set(key, v);
    if (2 * this.#m.size > this.#mask + 1) this.#grow();
    this.#put(key, v);
  }

  /** Forget address ip; whether it was there. */
  delete(ip: number): boolean {
    const key = ip | 0;
    if (!this.#m.delete(key)) return false;
    const s = this.#slots, mask = this.#mask;
    let i = Math.imul(key, 0x9e3779b1) >>> this.#shift;
    while (s[2 * i] !== key || s[2 * i + 1] === undefined) i = (i + 1) & mask;
    // Backward-shift deletion: move up every later entry of the run whose home slot is not in (i, j].
    for (let j = (i + 1) & mask; s[2 * j + 1] !== undefined; j = (j + 1) & mask) {
      const home = Math.imul(s[2 * j] as number, 0x9e3779b1) >>> this.#shift;
      if (((j - home) & mask) >= ((j - i) & mask)) { s[2 * i] = s[2 * j]; s[2 * i + 1] = s[2 * j + 1]; i = j; }
    }
    s[2 * i + 1] = undefined;
    return true;
  }

  /** Drop the oldest entry (insertion order); nothing when empty. */
  deleteOldest(): void {
    const k = this.#m.keys().next();
    if (k.done !== true) this.delete(k.value);
  }

  /** The values, in insertion order. */
  values(): IterableIterator<V> { return this.#m.values(); }

  /** Insert or overwrite key in the index (there is room). */
  #put(key: number, v: V): void {
    const s = this.#slots, mask = this.#mask;
    let i = Math.imul(key, 0x9e3779b1) >>> this.#shift;
    while (s[2 * i + 1] !== undefined && s[2 * i] !== key) i = (i + 1) & mask;
    s[2 * i] = key;
    s[2 * i + 1] = v;
  }

  /** Double the index and re-insert every entry. */
  #grow(): void {
    const cap = 2 * (this.#mask + 1);
    this.#slots = new Array<unknown>(2 * cap).fill(undefined);
    this.#mask = cap - 1;
    this.#shift = 32 - Math.log2(cap);
    for (const [key, v] of this.#m) this.#put(key, v);
  }
}
