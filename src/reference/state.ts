// What the reference twin knows of a datapath: the settings the Wasm core holds as globals, the peer
// table, and the outer IPv4 identification counter.
import type { ResolvedConfig } from '../../bindings/datapath.js';

export interface RefConfig {
  /** Outer source IPv4, host order. */
  localIp: number;
  localMac: Uint8Array;
  ttl: number;
  /** The outer TOS byte: DSCP << 2. */
  tos: number;
  vxlanPort: number;
  /** Underlay MTU (outer IPv4 total length limit), 0 = none. */
  mtu: number;
  seed: number;
  /** Decap accepts only this VNI when set. */
  decapVni?: number;
}

export interface RefPeer {
  /** Outer destination IPv4, host order. */
  remoteIp: number;
  /** Outer destination MAC. */
  mac: Uint8Array;
  vni: number;
  /** Candidate source ports, 1..64 of them. */
  candidates: readonly number[];
}

export interface RefState {
  config: RefConfig;
  /** Peer table: its length is the table's capacity; undefined = not configured. */
  peers: (RefPeer | undefined)[];
  /** Next outer IPv4 identification, 0..65535. */
  ipId: number;
}

export function refConfig(c: ResolvedConfig): RefConfig {
  return {
    localIp: c.localIp, localMac: Uint8Array.from(c.localMac), ttl: c.ttl, tos: (c.dscp << 2) & 0xff,
    vxlanPort: c.vxlanPort, mtu: c.mtu, seed: c.hashSeed >>> 0, decapVni: c.decapVni,
  };
}

/** A fresh twin state for a datapath built from `c`: no peers configured yet, identification 0. */
export function refState(c: ResolvedConfig): RefState {
  return { config: refConfig(c), peers: new Array<RefPeer | undefined>(c.maxPeers).fill(undefined), ipId: 0 };
}
