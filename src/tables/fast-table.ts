// What every fast-path table shares: it follows a SlowPathTable incrementally, answers lookups with its
// TS twin, counts and forwards every register write, and mirrors itself into a Datapath's Wasm table.
import type { Datapath, TableArrayName, TableGeometry } from '../../bindings/index.js';
import type { SlowPathListener, SlowPathTable, PortState } from './slow-path.js';

/** The fast-path table designs (docs/tables.md): flat baseline, PBM bitmap, HI hierarchical index, redirect host table. */
export type TableKind = 'flat' | 'pbm' | 'hi' | 'redirect';

/** One register write: array, cell index, new cell value (unsigned, at most 32 bits). */
export interface RegisterWrite {
  /** The register array written. */
  array: TableArrayName;
  /** Cell index within the array. */
  index: number;
  /** The cell's new value. */
  value: number;
}

/** A register array of a table: what the Tofino layout and the byte accounting see. */
export interface TableArraySpec {
  /** The array's name, as Datapath.writeTable() takes it. */
  name: TableArrayName;
  /** Cell width in bits (8, 16 or 32). */
  cellBits: number;
  /** Cells allocated. */
  cells: number;
  /** Cells holding state for the current slow-path contents (the rest is free pool or unused peers). */
  cellsInUse: number;
}

/** Memory a fast table takes, allocated and in use, in bytes, with the arrays it sums. */
export interface TableFootprint {
  /** Bytes allocated by the table's arrays. */
  allocatedBytes: number;
  /** Bytes the current state occupies: cells in use times their width. */
  usedBytes: number;
  /** The arrays summed. */
  arrays: readonly TableArraySpec[];
}

/** The size every fast table has: peers covered and candidates per peer. */
export interface TableShape {
  /** Peer indexes the table covers (0..peers-1). */
  peers: number;
  /** Candidates per peer (1..64); every peer of the table has exactly this many. */
  candidates: number;
}

/** The typed array a table keeps its cells in (one width per table). */
export type TypedCells = Uint8Array | Uint16Array | Uint32Array;

/**
 * A fast-path table compiled from a SlowPathTable and kept in step with it by its change
 * notifications: a TS twin of the Wasm table that answers select() lookups, counts every register
 * write, reports them to onWrite() sinks and forwards them to every attached Datapath. Construction
 * throws a RangeError on a shape out of range. Call dispose() to stop following the slow path.
 */
export abstract class FastTable implements SlowPathListener {
  /** Which design this table is. */
  abstract readonly kind: TableKind;
  /** Peer indexes covered, 0..peers-1. */
  readonly peers: number;
  /** Candidates per peer. */
  readonly candidates: number;
  /** The slow-path table this one is compiled from. */
  protected readonly slow: SlowPathTable;
  #writes = 0;
  readonly #sinks = new Set<(w: RegisterWrite) => void>();
  readonly #mirrors = new Set<Datapath>();
  #unsubscribe: (() => void) | undefined;

  /** Check the shape (RangeError when out of range); subclasses then allocate cells and call follow(). */
  protected constructor(slow: SlowPathTable, shape: TableShape) {
    const { peers, candidates } = shape;
    if (!Number.isInteger(peers) || peers < 1 || peers > 65535) throw new RangeError(`peers must be 1..65535, got ${peers}`);
    if (!Number.isInteger(candidates) || candidates < 1 || candidates > 64) throw new RangeError(`candidates must be 1..64, got ${candidates}`);
    this.slow = slow;
    this.peers = peers;
    this.candidates = candidates;
  }

  /** Subscribe to the slow path and compile the peers it already holds (subclasses call this last). */
  protected follow(): void {
    for (const p of this.slow.peers()) this.peerAdded(p, this.slow.candidates(p));
    this.#unsubscribe = this.slow.subscribe(this);
  }

  /** Stop following the slow path. */
  dispose(): void { this.#unsubscribe?.(); this.#unsubscribe = undefined; }

  /** Register writes made so far (initial compilation included; bulk mirroring excluded). */
  get registerWrites(): number { return this.#writes; }

  /** Hear of every register write as it is made; returns the function that stops it. */
  onWrite(sink: (w: RegisterWrite) => void): () => void {
    this.#sinks.add(sink);
    return () => { this.#sinks.delete(sink); };
  }

  /** The TS twin's lookup: candidate index for a flow hash towards `peer`; throws a RangeError for a peer outside the table. */
  abstract select(peer: number, hash: number): number;

  /** The table's register arrays with their widths, sizes and cells in use now. */
  abstract arrays(): readonly TableArraySpec[];

  /** The cells of one array, for mirroring and tests (read-only by contract). */
  protected abstract cells(array: TableArrayName): TypedCells;

  /** Bytes the arrays allocate and the bytes the current state uses (cells in use times their width). */
  footprint(): TableFootprint {
    const arrays = this.arrays();
    let allocatedBytes = 0, usedBytes = 0;
    for (const a of arrays) {
      allocatedBytes += (a.cells * a.cellBits) / 8;
      usedBytes += (a.cellsInUse * a.cellBits) / 8;
    }
    return { allocatedBytes, usedBytes, arrays };
  }

  /** Cell `index` of `array` as the twin holds it; throws a RangeError outside the array. */
  read(array: TableArrayName, index: number): number {
    const c = this.cells(array);
    const v = c[index];
    if (v === undefined) throw new RangeError(`${array}[${index}] outside the ${this.kind} table`);
    return v;
  }

  /**
   * Mirror into a Datapath whose reserved table has this kind and shape: copies every cell now, then
   * forwards each register write as it is made. Throws a RangeError when the Datapath reserves
   * another kind or shape of table.
   */
  attach(dp: Datapath): void {
    const g = dp.tableGeometry;
    if (g === undefined || g.kind !== this.kind) throw new RangeError(`datapath reserves ${g?.kind ?? 'no'} table, not ${this.kind}`);
    this.checkGeometry(g);
    for (const a of this.arrays()) {
      const c = this.cells(a.name);
      for (let i = 0; i < c.length; i++) dp.writeTable(a.name, i, c[i]!);
    }
    this.#mirrors.add(dp);
  }

  /** Stop forwarding register writes to `dp` (its table keeps the cells it has). */
  detach(dp: Datapath): void { this.#mirrors.delete(dp); }

  /** Throw when a Datapath's reserved table differs in shape from this one. */
  protected checkGeometry(g: TableGeometry): void {
    if (g.peers !== this.peers || g.candidates !== this.candidates) {
      throw new RangeError(`datapath table is ${g.peers} peers x ${g.candidates} candidates, this one ${this.peers} x ${this.candidates}`);
    }
  }

  /** One register write: the twin's cell, then every mirror and sink. */
  protected write(array: TableArrayName, index: number, value: number): void {
    this.cells(array)[index] = value;
    this.#writes++;
    for (const dp of this.#mirrors) dp.writeTable(array, index, value);
    if (this.#sinks.size > 0) {
      const w: RegisterWrite = { array, index, value };
      for (const s of this.#sinks) s(w);
    }
  }

  /** Throw a RangeError when `peer` is outside the table or does not have exactly `candidates` candidates. */
  protected checkPeer(peer: number, candidates: readonly number[]): void {
    if (!Number.isInteger(peer) || peer < 0 || peer >= this.peers) throw new RangeError(`peer ${peer} outside the ${this.kind} table's ${this.peers} peers`);
    if (candidates.length !== this.candidates) throw new RangeError(`the ${this.kind} table holds ${this.candidates} candidates per peer, peer ${peer} has ${candidates.length}`);
  }

  /** Compile a peer the slow path added (or re-added) into the table's cells. */
  abstract peerAdded(peer: number, candidates: readonly number[]): void;
  /** Clear a peer the slow path removed from the table's cells. */
  abstract peerRemoved(peer: number): void;
  /** Apply a change of one port's state (health, group, failure-free time) with the fewest register writes. */
  abstract portChanged(peer: number, cand: number, before: Readonly<PortState>, after: Readonly<PortState>): void;
}
