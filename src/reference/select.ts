// Reference twin of assembly/select.ts: the one place the twin chooses a source port from a flow hash.
import type { RefPeer } from './state.js';

export interface PortChoice {
  port: number;
  /** Index of the candidate the port came from. */
  cand: number;
}

/** A peer's fast-path table as the twin sees it (the twin of P_TABLE): hash -> candidate index. */
export interface RefPeerTable {
  select(hash: number): number;
}

/** A RefPeer whose port choice goes through a table (see withTable). */
export type RefTablePeer = RefPeer & { readonly table?: RefPeerTable };

/** The peer, with its ports chosen through `table` (e.g. a src/tables FastTable bound to the peer index). */
export function withTable(peer: RefPeer, table: RefPeerTable): RefTablePeer {
  return { ...peer, table };
}

/** The default choice candidates[hash mod N], or the candidate the peer's table gives when it has one. */
export function selectPort(peer: RefTablePeer, hash: number): PortChoice {
  const cand = peer.table !== undefined ? peer.table.select(hash >>> 0) : (hash >>> 0) % peer.candidates.length;
  return { port: peer.candidates[cand] ?? 0, cand };
}
