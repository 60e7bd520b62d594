// Redirect, the host table: per peer, per candidate c, per spread bucket s one u8 cell; 0 = the flow
// keeps its default candidate c, v > 0 = it uses candidate v - 1. Every failed port gets its own S
// preferred healthy ports (same BackendID group first, then longest failure-free), so every failure of
// a peer, not only its first as in PBM, lands where the control plane prefers. N*S bytes per peer:
// affordable on a host vSwitch with few peers, not on a Tofino gateway. docs/tables.md.
import type { TableArrayName, TableGeometry } from '../../bindings/index.js';
import { redirectSelectRef } from '../reference/tables-redirect.js';
import { FastTable, type TableArraySpec, type TableShape } from './fast-table.js';
import { takeoverTargets } from './preference.js';
import { UNVALIDATED_SINCE, type PortState, type SlowPathTable } from './slow-path.js';

/** A redirect table's shape: TableShape plus the spread S. */
export interface RedirectShape extends TableShape {
  /** Spread S, 1..16, default 4: a failed port's flows are spread over up to S healthy ports. */
  spread?: number;
}

/**
 * Redirect, the host table: per (peer, candidate, spread bucket) one u8 cell, 0 = the flow keeps its
 * default candidate, v > 0 = it uses candidate v - 1. Every failed port gets up to S preferred healthy
 * ports (same BackendID group first, then longest failure-free). N * S bytes per peer.
 */
export class RedirectTable extends FastTable {
  /** Always 'redirect'. */
  readonly kind = 'redirect' as const;
  /** Spread S: buckets per (peer, candidate). */
  readonly spread: number;
  readonly #cells: Uint8Array;
  readonly #present: Uint8Array;
  #count = 0;

  /** Compile `slow` into a table of `shape` and follow it; throws a RangeError on a shape out of range. */
  constructor(slow: SlowPathTable, shape: RedirectShape) {
    super(slow, shape);
    const s = shape.spread ?? 4;
    if (!Number.isInteger(s) || s < 1 || s > 16) throw new RangeError(`redirect spread must be 1..16, got ${s}`);
    this.spread = s;
    this.#cells = new Uint8Array(this.peers * this.candidates * s);
    this.#present = new Uint8Array(this.peers);
    this.follow();
  }

  select(peer: number, hash: number): number {
    if (!(peer >= 0 && peer < this.peers)) throw new RangeError(`peer ${peer} outside the redirect table`);
    return redirectSelectRef(this.#cells, this.candidates, this.spread, peer, hash);
  }

  /** The candidate cell (peer, cand, bucket) sends its flows to: cand itself when the cell is 0. */
  target(peer: number, cand: number, bucket: number): number {
    const v = this.#cells[this.#index(peer, cand, bucket)]!;
    return v === 0 || v > this.candidates ? cand : v - 1;
  }

  arrays(): readonly TableArraySpec[] {
    return [{ name: 'redirect', cellBits: 8, cells: this.#cells.length, cellsInUse: this.#count * this.candidates * this.spread }];
  }

  protected cells(array: TableArrayName): Uint8Array {
    if (array !== 'redirect') throw new RangeError(`the redirect table has no array ${array}`);
    return this.#cells;
  }

  protected override checkGeometry(g: TableGeometry): void {
    super.checkGeometry(g);
    if (g.redirectSpread !== this.spread) throw new RangeError(`datapath redirect spread is ${g.redirectSpread}, this one ${this.spread}`);
  }

  #index(peer: number, cand: number, bucket: number): number {
    return (peer * this.candidates + cand) * this.spread + bucket;
  }

  /** One cell, written only when it changes (a write is a register update on the datapath). */
  #set(i: number, value: number): void {
    if (this.#cells[i] !== value) this.write('redirect', i, value);
  }

  /** Ports added unhealthy get their targets; every other cell is 0 (the default port). */
  peerAdded(peer: number, candidates: readonly number[]): void {
    this.checkPeer(peer, candidates);
    const states = this.slow.ports(peer);
    for (let c = 0; c < this.candidates; c++) {
      if (states[c]!.healthy) for (let s = 0; s < this.spread; s++) this.#set(this.#index(peer, c, s), 0);
      else this.#point(peer, c);
    }
    if (this.#present[peer] === 0) { this.#present[peer] = 1; this.#count++; }
  }

  peerRemoved(peer: number): void {
    if (this.#present[peer] !== 1) return;
    const base = this.#index(peer, 0, 0);
    for (let i = base; i < base + this.candidates * this.spread; i++) this.#set(i, 0);
    this.#present[peer] = 0; this.#count--;
  }

  /**
   * Health changes write, and a port's validation does (other rank and group changes move no flow).
   * A failure points the port's S cells at its targets and re-targets every cell that pointed at it;
   * a recovery zeroes the port's cells and gives targets to ports that had none; a validation
   * re-targets failed ports whose flows sat on unvalidated ports. At most N*S writes each.
   */
  portChanged(peer: number, cand: number, before: Readonly<PortState>, after: Readonly<PortState>): void {
    if (this.#present[peer] !== 1) return;
    if (before.healthy !== after.healthy) {
      if (after.healthy) this.#recovered(peer, cand);
      else this.#failed(peer, cand);
    } else if (after.healthy && before.failureFreeSince === UNVALIDATED_SINCE && after.failureFreeSince !== UNVALIDATED_SINCE) {
      this.#validated(peer, cand);
    }
  }

  /**
   * A healthy port was validated (ranked unvalidated before): failed ports whose flows went to an
   * unvalidated port, for want of a validated one, get their targets again, so that those flows
   * move to a pre-validated port now rather than when the guess fails.
   */
  #validated(peer: number, c: number): void {
    const states = this.slow.ports(peer);
    const S = this.spread;
    for (let o = 0; o < this.candidates; o++) {
      if (o === c || states[o]!.healthy) continue;
      for (let s = 0; s < S; s++) {
        const v = this.#cells[this.#index(peer, o, s)]!;
        if (v !== 0 && states[v - 1]?.failureFreeSince === UNVALIDATED_SINCE) { this.#point(peer, o); break; }
      }
    }
  }

  /**
   * Where port c's flows go, best first, at most S: rankHealthy's order (same BackendID group, longest
   * failure-free, ring distance); when c's group is known and has healthy ports, only those (so its
   * flows keep their middlebox instance), exactly as PBM prefers its starts.
   */
  #targets(peer: number, c: number): number[] {
    return takeoverTargets(this.slow.ports(peer), c, this.spread);
  }

  /** Cell (c, s) = targets[s mod len] + 1: S buckets over up to S ports; 0 everywhere when none is healthy. */
  #point(peer: number, c: number): void {
    const t = this.#targets(peer, c);
    for (let s = 0; s < this.spread; s++) this.#set(this.#index(peer, c, s), t.length === 0 ? 0 : t[s % t.length]! + 1);
  }

  #failed(peer: number, c: number): void {
    this.#point(peer, c);
    // Flows redirected onto c sit on a port that just failed: re-target those cells, and only those.
    const n = this.candidates, S = this.spread, v = c + 1;
    for (let o = 0; o < n; o++) {
      if (o === c) continue;
      let t: number[] | undefined;
      for (let s = 0; s < S; s++) {
        const i = this.#index(peer, o, s);
        if (this.#cells[i] !== v) continue;
        t ??= this.#targets(peer, o);
        this.#set(i, t.length === 0 ? 0 : t[s % t.length]! + 1);
      }
    }
  }

  #recovered(peer: number, c: number): void {
    const S = this.spread;
    for (let s = 0; s < S; s++) this.#set(this.#index(peer, c, s), 0);
    // Unhealthy ports left on their default because nothing was healthy: c is a target now.
    const states = this.slow.ports(peer);
    for (let o = 0; o < this.candidates; o++) {
      if (o === c || states[o]!.healthy) continue;
      let empty = true;
      for (let s = 0; s < S && empty; s++) empty = this.#cells[this.#index(peer, o, s)] === 0;
      if (empty) this.#point(peer, o);
    }
  }
}
