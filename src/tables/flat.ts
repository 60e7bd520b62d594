// The flat baseline: what a naive gateway stores, one 16-bit entry per (peer, candidate) holding the
// port when usable and 0 when not. The yardstick of the compression ratios. docs/tables.md.
import type { TableArrayName } from '../../bindings/index.js';
import { flatSelectRef } from '../reference/tables-flat.js';
import { FastTable, type TableArraySpec, type TableShape } from './fast-table.js';
import type { PortState, SlowPathTable } from './slow-path.js';

/**
 * The flat baseline: one 16-bit cell per (peer, candidate), the port when healthy, 0 when not; a
 * lookup takes the hashed candidate and falls back along the row when it is 0. 2 * peers * N bytes.
 */
export class FlatTable extends FastTable {
  /** Always 'flat'. */
  readonly kind = 'flat' as const;
  readonly #entries: Uint16Array;
  readonly #present: Uint8Array;
  #count = 0;

  /** Compile `slow` into a table of `shape` and follow it; throws a RangeError on a shape out of range. */
  constructor(slow: SlowPathTable, shape: TableShape) {
    super(slow, shape);
    this.#entries = new Uint16Array(this.peers * this.candidates);
    this.#present = new Uint8Array(this.peers);
    this.follow();
  }

  select(peer: number, hash: number): number {
    if (!(peer >= 0 && peer < this.peers)) throw new RangeError(`peer ${peer} outside the flat table`);
    return flatSelectRef(this.#entries, this.candidates, peer, hash);
  }

  arrays(): readonly TableArraySpec[] {
    return [{ name: 'flat', cellBits: 16, cells: this.#entries.length, cellsInUse: this.#count * this.candidates }];
  }

  protected cells(array: TableArrayName): Uint16Array {
    if (array !== 'flat') throw new RangeError(`the flat table has no array ${array}`);
    return this.#entries;
  }

  peerAdded(peer: number, candidates: readonly number[]): void {
    this.checkPeer(peer, candidates);
    const states = this.slow.ports(peer);
    for (let c = 0; c < candidates.length; c++) this.write('flat', peer * this.candidates + c, states[c]!.healthy ? candidates[c]! : 0);
    if (this.#present[peer] === 0) { this.#present[peer] = 1; this.#count++; }
  }

  peerRemoved(peer: number): void {
    if (this.#present[peer] !== 1) return;
    for (let c = 0; c < this.candidates; c++) this.write('flat', peer * this.candidates + c, 0);
    this.#present[peer] = 0; this.#count--;
  }

  portChanged(peer: number, cand: number, before: Readonly<PortState>, after: Readonly<PortState>): void {
    if (before.healthy === after.healthy || this.#present[peer] !== 1) return;
    this.write('flat', peer * this.candidates + cand, after.healthy ? this.slow.candidates(peer)[cand]! : 0);
  }
}
