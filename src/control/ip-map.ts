// A Map keyed by IPv4 address, for the per-probe lookups (peer by address, responder bucket by
// source). Keys are stored as the address's int32 bit pattern, so either form of an address (signed
// or unsigned) finds the same entry. Lookups go through an open-addressing index of typed keys
// (Fibonacci hashing, linear probing), not the Map: a Map.get of a number key hashes it in a builtin
// and chases its bucket chain, and the 1000-peer profile had these lookups among its top lines
// (three or four per probe exchange). The Map is kept for what needs insertion order: iteration and
// deleteOldest.

const MIN_CAP = 8;

/** Values by IPv4 address (host order, signed or unsigned 32-bit). */
export class IpMap<V> {
  /** Insertion order (values(), deleteOldest()); the index below answers get(). */
  readonly #m = new Map<number, V>();
  /** Open-addressing index: slot i holds key #keys[i] when #vals[i] is not undefined; load <= 1/2. */
  #keys = new Int32Array(MIN_CAP);
  #vals: (V | undefined)[] = new Array<V | undefined>(MIN_CAP).fill(undefined);
  /** 32 - log2(capacity): a key's home slot is the top bits of key * 2^32/phi. */
  #shift = 32 - Math.log2(MIN_CAP);

  /** Entries held. */
  get size(): number { return this.#m.size; }

  /** The value of address ip, if any. */
  get(ip: number): V | undefined {
    const key = ip | 0, keys = this.#keys, vals = this.#vals, mask = keys.length - 1;
    for (let i = Math.imul(key, 0x9e3779b1) >>> this.#shift; ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined || keys[i] === key) return v;
    }
  }

  /** Set the value of address ip. */
  set(ip: number, v: V): void {
    const key = ip | 0;
    this.#m.set(key, v);
    if (2 * this.#m.size > this.#keys.length) this.#grow();
    this.#put(key, v);
  }

  /** Forget address ip; whether it was there. */
  delete(ip: number): boolean {
    const key = ip | 0;
    if (!this.#m.delete(key)) return false;
    const keys = this.#keys, vals = this.#vals, mask = keys.length - 1;
    let i = Math.imul(key, 0x9e3779b1) >>> this.#shift;
    while (keys[i] !== key || vals[i] === undefined) i = (i + 1) & mask;
    // Backward-shift deletion: move up every later entry of the run whose home slot is not in (i, j].
    for (let j = (i + 1) & mask; vals[j] !== undefined; j = (j + 1) & mask) {
      const home = Math.imul(keys[j]!, 0x9e3779b1) >>> this.#shift;
      if (((j - home) & mask) >= ((j - i) & mask)) { keys[i] = keys[j]!; vals[i] = vals[j]; i = j; }
    }
    vals[i] = undefined;
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
    const keys = this.#keys, vals = this.#vals, mask = keys.length - 1;
    let i = Math.imul(key, 0x9e3779b1) >>> this.#shift;
    while (vals[i] !== undefined && keys[i] !== key) i = (i + 1) & mask;
    keys[i] = key;
    vals[i] = v;
  }

  /** Double the index and re-insert every entry. */
  #grow(): void {
    const cap = 2 * this.#keys.length;
    this.#keys = new Int32Array(cap);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
    this.#shift = 32 - Math.log2(cap);
    for (const [key, v] of this.#m) this.#put(key, v);
  }
}
