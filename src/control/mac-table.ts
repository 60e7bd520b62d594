// Tenant MAC -> peer: configured, then learned from decapsulated frames, like a VXLAN fdb.

/** A MAC as one number (48 bits fit a double exactly): the key of a MacTable. */
export function macKey(b: Uint8Array, o = 0): number {
  return (b[o] * 0x10000 + ((b[o + 1] << 8) | b[o + 2])) * 0x1000000 + ((b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]);
}

/** Which peer (datapath row) a tenant MAC sits behind. */
export class MacTable {
  readonly #rows = new Map<number, number>();

  /** The row of the peer behind `mac` (a macKey), or undefined when unknown. */
  get(mac: number): number | undefined { return this.#rows.get(mac); }

  /** `mac` (a macKey) sits behind the peer at `row`. */
  set(mac: number, row: number): void { this.#rows.set(mac, row); }

  /** Forget every MAC behind the peer at `row` (it was removed). */
  forgetRow(row: number): void { for (const [m, r] of this.#rows) if (r === row) this.#rows.delete(m); }
}
