// A Map keyed by IPv4 address, for the per-probe lookups (peer by address, responder bucket by
// source). Keys are stored as the address's int32 bit pattern: V8 keeps an int32 as a small integer,
// while an address above 127.255.255.255 as an unsigned number is a heap number, slower to hash and
// compare (the 1000-peer profile had these lookups among its top lines). Either form of an address
// finds the same entry.

/** Values by IPv4 address (host order, signed or unsigned 32-bit). */
export class IpMap<V> {
  readonly #m = new Map<number, V>();

  /** Entries held. */
  get size(): number { return this.#m.size; }

  /** The value of address ip, if any. */
  get(ip: number): V | undefined { return this.#m.get(ip | 0); }

  /** Set the value of address ip. */
  set(ip: number, v: V): void { this.#m.set(ip | 0, v); }

  /** Forget address ip; whether it was there. */
  delete(ip: number): boolean { return this.#m.delete(ip | 0); }

  /** Drop the oldest entry (insertion order); nothing when empty. */
  deleteOldest(): void {
    const k = this.#m.keys().next();
    if (k.done !== true) this.#m.delete(k.value);
  }

  /** The values, in insertion order. */
  values(): IterableIterator<V> { return this.#m.values(); }
}
