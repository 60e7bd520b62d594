// HI, hierarchical indexing: every M candidates of a peer share one entry. Level 1 is a u16 per peer,
// 0 while the peer has nothing recorded; otherwise it points at a level-2 block from a pool, whose
// ceil(N/M) u8 entries are 0 (empty: the flow keeps its default candidate) or the recorded working
// candidate + 1 (used by every flow of that entry). docs/tables.md.
import type { TableArrayName, TableGeometry } from '../../bindings/index.js';
import { hiSelectRef } from '../reference/tables-hi.js';
import { FastTable, type TableArraySpec, type TableShape } from './fast-table.js';
import { preferredHealthy } from './preference.js';
import type { PortState, SlowPathTable } from './slow-path.js';

/** An HI table's shape: TableShape plus M and the level-2 pool size. */
export interface HiShape extends TableShape {
  /** Candidates per entry M, a power of two 1..64, default 8. */
  groupSize?: number;
  /** Level-2 pool in blocks, default `peers` (never exhausted). */
  blocks?: number;
}

/**
 * HI, hierarchical indexing: a u16 level-1 slot per peer, 0 while nothing is recorded, else a pointer
 * to a level-2 block of ceil(N/M) u8 entries, each 0 (flows keep their default candidate) or the
 * working candidate + 1 that every flow of those M candidates uses. Blocks come from a fixed pool;
 * peers that find it empty wait for a free block (counted in overflows).
 */
export class HiTable extends FastTable {
  /** Always 'hi'. */
  readonly kind = 'hi' as const;
  /** Candidates per entry M (a power of two). */
  readonly groupSize: number;
  /** Level-2 entries per block, ceil(N/M). */
  readonly entriesPerBlock: number;
  /** Level-2 blocks in the pool. */
  readonly blocks: number;
  readonly #l1: Uint16Array;
  readonly #l2: Uint8Array;
  readonly #filled: Uint8Array;   // non-empty entries per block
  readonly #free: number[];       // free blocks, all entries empty
  readonly #present: Uint8Array;
  /** Peers that needed a block while the pool was empty; retried when one is freed. */
  readonly #waiting = new Set<number>();
  #count = 0;
  #overflows = 0;

  /** Compile `slow` into a table of `shape` and follow it; throws a RangeError on a shape out of range. */
  constructor(slow: SlowPathTable, shape: HiShape) {
    super(slow, shape);
    const m = shape.groupSize ?? 8;
    if (!Number.isInteger(m) || m < 1 || m > 64 || (m & (m - 1)) !== 0) throw new RangeError(`HI group size M must be a power of two 1..64, got ${m}`);
    const blocks = shape.blocks ?? this.peers;
    if (!Number.isInteger(blocks) || blocks < 0 || blocks > 65535) throw new RangeError(`HI blocks must be 0..65535, got ${blocks}`);
    this.groupSize = m;
    this.entriesPerBlock = Math.ceil(this.candidates / m);
    this.blocks = blocks;
    this.#l1 = new Uint16Array(this.peers);
    this.#l2 = new Uint8Array(blocks * this.entriesPerBlock);
    this.#filled = new Uint8Array(blocks);
    this.#free = Array.from({ length: blocks }, (_, i) => blocks - 1 - i); // pop() hands out block 0 first
    this.#present = new Uint8Array(this.peers);
    this.follow();
  }

  select(peer: number, hash: number): number {
    if (!(peer >= 0 && peer < this.peers)) throw new RangeError(`peer ${peer} outside the HI table`);
    return hiSelectRef(this.#l1, this.#l2, this.candidates, this.groupSize, peer, hash);
  }

  /** Level-2 blocks in use (peers with something recorded). */
  get blocksInUse(): number { return this.blocks - this.#free.length; }

  /** Times a peer needed a block and the pool had none (its failed flows then keep their default port). */
  get overflows(): number { return this.#overflows; }

  arrays(): readonly TableArraySpec[] {
    return [
      { name: 'hi.l1', cellBits: 16, cells: this.#l1.length, cellsInUse: this.#count },
      { name: 'hi.l2', cellBits: 8, cells: this.#l2.length, cellsInUse: this.blocksInUse * this.entriesPerBlock },
    ];
  }

  protected cells(array: TableArrayName): Uint16Array | Uint8Array {
    if (array === 'hi.l1') return this.#l1;
    if (array === 'hi.l2') return this.#l2;
    throw new RangeError(`the HI table has no array ${array}`);
  }

  protected override checkGeometry(g: TableGeometry): void {
    super.checkGeometry(g);
    if (g.hiGroupSize !== this.groupSize || g.hiBlocks !== this.blocks) {
      throw new RangeError(`datapath HI has M=${g.hiGroupSize} and ${g.hiBlocks} blocks, this one M=${this.groupSize} and ${this.blocks}`);
    }
  }

  peerAdded(peer: number, candidates: readonly number[]): void {
    this.checkPeer(peer, candidates);
    if (this.#present[peer] === 0) { this.#present[peer] = 1; this.#count++; }
    this.#compile(peer);
  }

  peerRemoved(peer: number): void {
    if (this.#present[peer] !== 1) return;
    const slot = this.#l1[peer]!;
    if (slot !== 0) {
      const base = (slot - 1) * this.entriesPerBlock;
      this.write('hi.l1', peer, 0); // unlink first: a lookup never sees a half-cleared block
      for (let e = 0; e < this.entriesPerBlock; e++) if (this.#l2[base + e] !== 0) this.write('hi.l2', base + e, 0);
      this.#release(slot - 1);
    }
    this.#waiting.delete(peer);
    this.#present[peer] = 0; this.#count--;
    this.#retryWaiting();
  }

  portChanged(peer: number, _cand: number, before: Readonly<PortState>, after: Readonly<PortState>): void {
    if (before.healthy === after.healthy || this.#present[peer] !== 1) return;
    this.#compile(peer);
    this.#retryWaiting();
  }

  /**
   * Bring every entry of the peer in line with the slow path. An entry stays as it is while it is
   * right (a recorded port that is still healthy is kept: its flows do not move again), so one port's
   * change writes its own entry, entries that recorded it, and the level-1 slot when the block comes
   * or goes: at most ceil(N/M) + 1 writes.
   */
  #compile(peer: number): void {
    const states = this.slow.ports(peer);
    const m = this.groupSize, n = this.candidates;
    for (let e = 0; e < this.entriesPerBlock; e++) {
      const slot = this.#l1[peer]!;
      const cur = slot === 0 ? 0 : this.#l2[(slot - 1) * this.entriesPerBlock + e]!;
      let firstBad = -1;
      for (let c = e * m; c < Math.min(n, e * m + m); c++) if (!states[c]!.healthy) { firstBad = c; break; }
      let want = 0;
      if (firstBad >= 0) {
        if (cur !== 0 && states[cur - 1]!.healthy) want = cur;
        else want = preferredHealthy(states, firstBad) + 1; // 0 when nothing is healthy: the default
      }
      if (want !== cur && !this.#setEntry(peer, e, want)) return;
    }
  }

  /** Write one entry, taking or giving back the peer's block; false when the pool is exhausted. */
  #setEntry(peer: number, e: number, value: number): boolean {
    const slot = this.#l1[peer]!;
    if (slot === 0) {
      const b = this.#free.pop();
      if (b === undefined) { this.#overflows++; this.#waiting.add(peer); return false; }
      this.write('hi.l2', b * this.entriesPerBlock + e, value); // fill first, then link
      this.#filled[b] = 1;
      this.write('hi.l1', peer, b + 1);
      return true;
    }
    const b = slot - 1;
    const i = b * this.entriesPerBlock + e;
    const old = this.#l2[i]!;
    if (old === 0 && value !== 0) this.#filled[b]!++;
    if (old !== 0 && value === 0) this.#filled[b]!--;
    if (this.#filled[b] === 0) {
      this.write('hi.l1', peer, 0); // unlink first, then clear
      this.write('hi.l2', i, 0);
      this.#release(b);
    } else {
      this.write('hi.l2', i, value);
    }
    return true;
  }

  #release(b: number): void {
    this.#filled[b] = 0;
    this.#free.push(b);
  }

  /** Give freed blocks to peers that found the pool empty, oldest first. */
  #retryWaiting(): void {
    for (const p of this.#waiting) {
      if (this.#free.length === 0) return;
      this.#waiting.delete(p);
      this.#compile(p);
    }
  }
}
