// PBM, priority-based bitmap matching: per peer one N-bit bitmap (bit i = candidate i usable), and G
// priority groups, each a circular shift of the fallback scan. The shifts are shared by all peers,
// except that a peer's first failure gives it its own G starts, in a small preference table: absolute
// candidates, the ports the control plane prefers, shared by every later failure of the peer and
// rewritten only when a start itself fails. docs/tables.md.
import type { TableArrayName, TableGeometry } from '../../bindings/index.js';
import { PREF_WAYS, pbmSelectRef, prefBuckets, type PbmCells } from '../reference/tables-pbm.js';
import { FastTable, type TableArraySpec, type TableShape } from './fast-table.js';
import { takeoverTargets } from './preference.js';
import type { PortState, SlowPathTable } from './slow-path.js';

/** A PBM table's shape: TableShape plus G and the preference-table size. */
export interface PbmShape extends TableShape {
  /** Priority groups G, 1..64, default 4. */
  groups?: number;
  /** Preference slots (peers with a failure and their own shifts), rounded up to a multiple of 4; default `peers`. */
  prefSlots?: number;
}

/** Group g's shared shift: scans start 1 + g*N/G after the failed candidate, G evenly spaced points. */
export function defaultPbmShift(g: number, n: number, groups: number): number {
  return (1 + Math.floor((g * n) / groups)) % n;
}

/**
 * PBM, priority-based bitmap matching: per peer an N-bit bitmap of usable candidates, and G priority
 * groups whose circular shifts say where the fallback scan from a failed candidate starts. The shifts
 * are shared, except that a peer's first failure gives it its own G starts in a preference table.
 */
export class PbmTable extends FastTable {
  /** Always 'pbm'. */
  readonly kind = 'pbm' as const;
  /** Priority groups G. */
  readonly groups: number;
  /** u32 words per peer: 1 when N <= 32, else 2. */
  readonly wordsPerPeer: number;
  /** Preference slots, a multiple of 4. */
  readonly prefSlots: number;
  readonly #cells: PbmCells;
  readonly #present: Uint8Array;
  readonly #failures: Uint8Array;   // unhealthy candidates per peer
  readonly #slotOf: Int32Array;     // the peer's preference slot, -1 none
  #count = 0;
  #slotsInUse = 0;
  #prefOverflows = 0;

  /** Compile `slow` into a table of `shape` and follow it; throws a RangeError on a shape out of range. */
  constructor(slow: SlowPathTable, shape: PbmShape) {
    super(slow, shape);
    const g = shape.groups ?? 4;
    if (!Number.isInteger(g) || g < 1 || g > 64) throw new RangeError(`PBM groups must be 1..64, got ${g}`);
    const slots = shape.prefSlots ?? this.peers;
    if (!Number.isInteger(slots) || slots < 0 || slots > 65536) throw new RangeError(`PBM preference slots must be 0..65536, got ${slots}`);
    this.groups = g;
    this.wordsPerPeer = this.candidates <= 32 ? 1 : 2;
    this.prefSlots = Math.ceil(slots / PREF_WAYS) * PREF_WAYS;
    this.#cells = {
      bitmaps: new Uint32Array(this.peers * this.wordsPerPeer),
      wordsPerPeer: this.wordsPerPeer,
      shifts: Uint8Array.from({ length: g }, (_, i) => defaultPbmShift(i, this.candidates, g)),
      prefTags: new Uint16Array(this.prefSlots),
      prefShifts: new Uint8Array(this.prefSlots * g),
    };
    this.#present = new Uint8Array(this.peers);
    this.#failures = new Uint8Array(this.peers);
    this.#slotOf = new Int32Array(this.peers).fill(-1);
    this.follow();
  }

  select(peer: number, hash: number): number {
    if (!(peer >= 0 && peer < this.peers)) throw new RangeError(`peer ${peer} outside the PBM table`);
    return pbmSelectRef(this.#cells, this.candidates, peer, hash);
  }

  /** The shared shifts as written now. */
  shifts(): readonly number[] { return Array.from(this.#cells.shifts); }

  /** Peers whose first failure found no free preference slot (they use the shared shifts). */
  get prefOverflows(): number { return this.#prefOverflows; }

  /**
   * Write the G shared shifts (each 0..N-1): where each group's fallback scan starts relative to the
   * failed candidate, for peers without their own. G register writes.
   */
  setGroupShifts(shifts: readonly number[]): void {
    if (shifts.length !== this.groups) throw new RangeError(`need ${this.groups} shifts, got ${shifts.length}`);
    for (const s of shifts) if (!Number.isInteger(s) || s < 0 || s >= this.candidates) throw new RangeError(`shift must be 0..${this.candidates - 1}, got ${s}`);
    shifts.forEach((s, g) => { if (this.#cells.shifts[g] !== s) this.write('pbm.shift', g, s); });
  }

  arrays(): readonly TableArraySpec[] {
    const c = this.#cells;
    return [
      { name: 'pbm.bitmap', cellBits: 32, cells: c.bitmaps.length, cellsInUse: this.#count * this.wordsPerPeer },
      { name: 'pbm.shift', cellBits: 8, cells: c.shifts.length, cellsInUse: c.shifts.length },
      { name: 'pbm.pref.tag', cellBits: 16, cells: c.prefTags.length, cellsInUse: this.#slotsInUse },
      { name: 'pbm.pref.shift', cellBits: 8, cells: c.prefShifts.length, cellsInUse: this.#slotsInUse * this.groups },
    ];
  }

  protected cells(array: TableArrayName): Uint32Array | Uint16Array | Uint8Array {
    const c = this.#cells;
    if (array === 'pbm.bitmap') return c.bitmaps;
    if (array === 'pbm.shift') return c.shifts;
    if (array === 'pbm.pref.tag') return c.prefTags;
    if (array === 'pbm.pref.shift') return c.prefShifts;
    throw new RangeError(`the PBM table has no array ${array}`);
  }

  protected override checkGeometry(g: TableGeometry): void {
    super.checkGeometry(g);
    if (g.pbmGroups !== this.groups || g.pbmPrefSlots !== this.prefSlots) {
      throw new RangeError(`datapath PBM has G=${g.pbmGroups} and ${g.pbmPrefSlots} preference slots, this one G=${this.groups} and ${this.prefSlots}`);
    }
  }

  peerAdded(peer: number, candidates: readonly number[]): void {
    this.checkPeer(peer, candidates);
    const states = this.slow.ports(peer);
    const firstBad = states.findIndex((s) => !s.healthy);
    this.#failures[peer] = states.filter((s) => !s.healthy).length;
    if (firstBad >= 0) this.#prefer(peer, firstBad);
    for (let w = 0; w < this.wordsPerPeer; w++) {
      let word = 0;
      for (let b = 0; b < 32 && w * 32 + b < candidates.length; b++) if (states[w * 32 + b]!.healthy) word |= 1 << b;
      this.write('pbm.bitmap', peer * this.wordsPerPeer + w, word >>> 0);
    }
    if (this.#present[peer] === 0) { this.#present[peer] = 1; this.#count++; }
  }

  peerRemoved(peer: number): void {
    if (this.#present[peer] !== 1) return;
    for (let w = 0; w < this.wordsPerPeer; w++) this.write('pbm.bitmap', peer * this.wordsPerPeer + w, 0);
    this.#release(peer);
    this.#failures[peer] = 0;
    this.#present[peer] = 0; this.#count--;
  }

  /**
   * One bitmap write per change; a peer's first failure also writes its preference slot first (G
   * starts, then the tag: G + 1 writes), a later failure of a port that is a start rewrites those
   * starts (at most G writes), and the peer's last recovery frees the slot (1 write). Only flows that
   * were on the failed port move: a start is rewritten only when the flows scanning from it sat on it.
   */
  portChanged(peer: number, cand: number, before: Readonly<PortState>, after: Readonly<PortState>): void {
    if (before.healthy === after.healthy || this.#present[peer] !== 1) return;
    if (!after.healthy) {
      if (this.#failures[peer]++ === 0) this.#prefer(peer, cand);
      else this.#retarget(peer, cand);
    }
    const i = peer * this.wordsPerPeer + (cand >>> 5);
    const bit = 1 << (cand & 31);
    const old = this.#cells.bitmaps[i]!;
    this.write('pbm.bitmap', i, (after.healthy ? old | bit : old & ~bit) >>> 0);
    if (after.healthy && --this.#failures[peer]! === 0) this.#release(peer);
  }

  /**
   * The peer's preferred healthy ports after `failed` fails, best first: ranked by rankHealthy (same
   * BackendID group, longest failure-free, ring distance); when the failed port's group is known and
   * has healthy ports, only those (so its flows keep their middlebox instance).
   */
  #ranked(peer: number, failed: number): number[] {
    return takeoverTargets(this.slow.ports(peer), failed, this.groups);
  }

  /**
   * Give the peer its own starts: group g scans from the g-th preferred healthy port (cyclically when
   * fewer than G). Every later failure of the peer scans from the same starts, so its flows also land
   * on pre-validated, long failure-free ports instead of wherever a relative shift points.
   */
  #prefer(peer: number, failed: number): void {
    const ranked = this.#ranked(peer, failed);
    if (ranked.length === 0 || this.prefSlots === 0) return;
    const slot = this.#freeSlot(peer);
    if (slot < 0) { this.#prefOverflows++; return; }
    for (let g = 0; g < this.groups; g++) {
      const s = ranked[g % ranked.length]!;
      if (this.#cells.prefShifts[slot * this.groups + g] !== s) this.write('pbm.pref.shift', slot * this.groups + g, s);
    }
    this.write('pbm.pref.tag', slot, peer + 1); // the starts first, then the tag that makes them live
    this.#slotOf[peer] = slot;
    this.#slotsInUse++;
  }

  /**
   * A failure while the peer holds a slot: groups whose start is the failed port (their flows sat on
   * it) start at the preferred healthy ports now; other groups keep theirs, so their flows stay put.
   */
  #retarget(peer: number, failed: number): void {
    const slot = this.#slotOf[peer]!;
    if (slot < 0) return;
    let ranked: number[] | undefined;
    for (let g = 0; g < this.groups; g++) {
      const i = slot * this.groups + g;
      if (this.#cells.prefShifts[i] !== failed) continue;
      ranked ??= this.#ranked(peer, failed);
      if (ranked.length === 0) return; // nothing healthy: the scan finds nothing and keeps the default
      this.write('pbm.pref.shift', i, ranked[g % ranked.length]!);
    }
  }

  /** A free way in the emptier of the peer's two buckets (the power of two choices), or -1. */
  #freeSlot(peer: number): number {
    let slot = -1, most = 0;
    for (const b of prefBuckets(peer, this.prefSlots / PREF_WAYS)) {
      let free = 0, first = -1;
      for (let w = PREF_WAYS - 1; w >= 0; w--) if (this.#cells.prefTags[b * PREF_WAYS + w] === 0) { free++; first = b * PREF_WAYS + w; }
      if (free > most) { most = free; slot = first; }
    }
    return slot;
  }

  #release(peer: number): void {
    const slot = this.#slotOf[peer]!;
    if (slot < 0) return;
    this.write('pbm.pref.tag', slot, 0);
    this.#slotOf[peer] = -1;
    this.#slotsInUse--;
  }
}
