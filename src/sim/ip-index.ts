// Index of the world's VTEPs by underlay address, for the zooroute mode's transport: every probe packet
// a control plane sends names its peer by address, and at region scale a Map.get of the address (a
// number key: hashed in a builtin, its bucket chain chased, then the Vtep object read) was among the
// per-probe costs. Here a lookup is one slot of a typed open-addressing table (Fibonacci hashing,
// linear probing), key and index side by side.

/** VTEP indexes by IPv4 address (signed or unsigned 32-bit: the same entry), built once. */
export class IpIndex {
  /** Slot i: [2i] the key (address as int32), [2i + 1] index + 1 (0: empty). Load <= 1/2. */
  readonly #slots: Int32Array;
  readonly #shift: number;
  readonly #mask: number;

  /** Index `ips[i]` -> i; an address given twice keeps its first index. */
  constructor(ips: ArrayLike<number>) {
    let bits = 3;
    while (1 << bits < 2 * ips.length) bits++;
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
    this.#slots = new Int32Array(2 << bits);
    for (let i = 0; i < ips.length; i++) {
      const key = ips[i] | 0;
      let h = Math.imul(key, 0x9e3779b1) >>> this.#shift;
      while (this.#slots[2 * h + 1] !== 0 && this.#slots[2 * h] !== key) h = (h + 1) & this.#mask;
      if (this.#slots[2 * h + 1] !== 0) continue;
      this.#slots[2 * h] = key;
      this.#slots[2 * h + 1] = i + 1;
    }
  }

  /** The index of the address, or -1. */
  get(ip: number): number {
    const key = ip | 0, slots = this.#slots, mask = this.#mask;
    for (let h = Math.imul(key, 0x9e3779b1) >>> this.#shift; ; h = (h + 1) & mask) {
      const v = slots[2 * h + 1];
      if (v === 0 || slots[2 * h] === key) return v - 1;
    }
  }
}
