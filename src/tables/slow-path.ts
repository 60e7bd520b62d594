// The slow-path table: the source of truth for every candidate port of every peer. The fast-path
// tables (flat, PBM, HI) are compiled from it, incrementally, through its change notifications.

/** What the control plane knows of one candidate port of a peer. */
export interface PortState {
  /** Whether the port is usable (its probes come back). */
  healthy: boolean;
  /** BackendID group (the middlebox instance the port's probes came back through); 0 = unknown. */
  group: number;
  /**
   * Clock ms of the port's last loss (or when it was first seen): smaller = failure-free for longer.
   * UNVALIDATED_SINCE: probes never validated the port (it ranks after every validated one).
   */
  failureFreeSince: number;
}

/** failureFreeSince of a port no probe has validated: finite, and ranked after every validated port. */
export const UNVALIDATED_SINCE = Number.MAX_SAFE_INTEGER;

/** Told of every change, after it is made. */
export interface SlowPathListener {
  /** A peer was added (or re-added, after a peerRemoved) with these candidate ports, all healthy. */
  peerAdded(peer: number, candidates: readonly number[]): void;
  /** A peer was removed. */
  peerRemoved(peer: number): void;
  /** Candidate `cand` of `peer` changed from `before` to `after` (only called when something changed). */
  portChanged(peer: number, cand: number, before: Readonly<PortState>, after: Readonly<PortState>): void;
}

interface PeerRow {
  candidates: readonly number[];
  states: PortState[];
}

/**
 * The control plane's source of truth: every peer's candidate ports and the state of each (health,
 * BackendID group, failure-free time). Fast tables follow it through subscribe(). Methods throw a
 * RangeError for an unknown peer or candidate, or out-of-range values.
 */
export class SlowPathTable {
  readonly #rows = new Map<number, PeerRow>();
  readonly #listeners = new Set<SlowPathListener>();

  /** Start following changes; returns the function that stops it. */
  subscribe(l: SlowPathListener): () => void {
    this.#listeners.add(l);
    return () => { this.#listeners.delete(l); };
  }

  /**
   * Add (or re-add) a peer with its candidate ports (1..64, each 1..65535), all healthy, group
   * unknown, failure-free since 0. Re-adding removes the peer first (listeners hear both).
   */
  addPeer(peer: number, candidates: readonly number[]): void {
    if (!Number.isInteger(peer) || peer < 0) throw new RangeError(`peer must be a non-negative integer, got ${peer}`);
    if (candidates.length < 1 || candidates.length > 64) throw new RangeError(`a peer needs 1..64 candidates, got ${candidates.length}`);
    for (const p of candidates) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`candidate port must be 1..65535, got ${p}`);
    }
    if (this.#rows.has(peer)) this.removePeer(peer);
    const cands = Object.freeze([...candidates]);
    this.#rows.set(peer, { candidates: cands, states: cands.map(() => ({ healthy: true, group: 0, failureFreeSince: 0 })) });
    for (const l of this.#listeners) l.peerAdded(peer, cands);
  }

  /** Remove a peer and its port states; a peer not in the table is ignored. */
  removePeer(peer: number): void {
    if (!this.#rows.delete(peer)) return;
    for (const l of this.#listeners) l.peerRemoved(peer);
  }

  /** Whether `peer` is in the table. */
  hasPeer(peer: number): boolean { return this.#rows.has(peer); }

  #row(peer: number): PeerRow {
    const r = this.#rows.get(peer);
    if (r === undefined) throw new RangeError(`peer ${peer} is not in the slow-path table`);
    return r;
  }

  #state(peer: number, cand: number): PortState {
    const r = this.#row(peer);
    const s = r.states[cand];
    if (!Number.isInteger(cand) || s === undefined) throw new RangeError(`peer ${peer} has no candidate ${cand}`);
    return s;
  }

  /**
   * Change some of a port's state; listeners hear of it only when something actually changed. Throws
   * a RangeError for an unknown peer or candidate, a negative or fractional group, or a non-finite time.
   */
  setPort(peer: number, cand: number, st: Partial<PortState>): void {
    const s = this.#state(peer, cand);
    // Validate everything before changing anything.
    if (st.group !== undefined && (!Number.isInteger(st.group) || st.group < 0)) throw new RangeError(`group must be a non-negative integer, got ${st.group}`);
    if (st.failureFreeSince !== undefined && !Number.isFinite(st.failureFreeSince)) throw new RangeError(`failureFreeSince must be a finite clock time, got ${st.failureFreeSince}`);
    const healthy = st.healthy ?? s.healthy, group = st.group ?? s.group, since = st.failureFreeSince ?? s.failureFreeSince;
    if (healthy === s.healthy && group === s.group && since === s.failureFreeSince) return;
    const before = { ...s };
    s.healthy = healthy; s.group = group; s.failureFreeSince = since;
    const after = { ...s };
    for (const l of this.#listeners) l.portChanged(peer, cand, before, after);
  }

  /** The state of candidate `cand` of `peer` (a live read-only view). */
  port(peer: number, cand: number): Readonly<PortState> { return this.#state(peer, cand); }

  /** All of a peer's port states, in candidate order (read-only). */
  ports(peer: number): readonly Readonly<PortState>[] { return this.#row(peer).states; }

  /** A peer's candidate ports, in candidate-index order. */
  candidates(peer: number): readonly number[] { return this.#row(peer).candidates; }

  /** The peers in the table, in the order they were added. */
  peers(): Iterable<number> { return this.#rows.keys(); }

  /** Number of peers in the table. */
  get size(): number { return this.#rows.size; }
}
