// An in-memory underlay for the soak (and the agent tests' model): each agent's underlay port is a
// Wire; a frame sent is handed, on the next microtask, to the wire of its outer destination address,
// unless `drop` says the network loses it (a failure). The agents under soak are the real Agent class
// on the real clock; only the interfaces are memory instead of libpcap handles.
import type { AgentPort } from '../src/agent/index.js';

export class MemoryUnderlay {
  readonly #ports = new Map<number, Wire>();
  /** The network's failure: frames for which this returns true are lost. */
  drop: (f: Uint8Array) => boolean = () => false;
  lost = 0;
  attach(ip: number): Wire { const w = new Wire(this); this.#ports.set(ip >>> 0, w); return w; }
  deliver(f: Uint8Array): void {
    if (this.drop(f)) { this.lost++; return; }
    const dst = ((f[30]! << 24) | (f[31]! << 16) | (f[32]! << 8) | f[33]!) >>> 0;
    const to = this.#ports.get(dst);
    if (to !== undefined) queueMicrotask(() => to.listener?.(f));
  }
}

/** One interface: frames sent go to the underlay (or, with none, are counted and discarded). */
export class Wire implements AgentPort {
  listener: ((f: Uint8Array) => void) | undefined;
  sent = 0;
  constructor(readonly net?: MemoryUnderlay) {}
  onFrame(l: (f: Uint8Array) => void): void { this.listener = l; }
  send(f: Uint8Array): void {
    this.sent++;
    // The sender's buffer is reused after the call: the network carries a copy.
    if (this.net !== undefined) this.net.deliver(Uint8Array.from(f));
  }
  close(): void { this.listener = undefined; }
}

/**
 * Whether outer source port `sport` hashes onto the second of two ECMP next hops (the path the soak
 * fails). A multiplicative hash, as a router's: a peer's candidates are evenly spaced (a multiple of
 * one stride apart, the stride even with the default range), so every candidate of a peer has the
 * same parity and a split by parity would fail all of one peer's ports and none of the other's.
 */
export const onSecondPath = (sport: number): boolean => Math.imul(sport, 0x9e3779b1) >>> 31 === 1;

/** Outer UDP source port of a VXLAN frame (Ethernet + IPv4 without options). */
export const outerSport = (f: Uint8Array): number => (f[34]! << 8) | f[35]!;
/** Outer destination IPv4 of a VXLAN frame. */
export const outerDst = (f: Uint8Array): number => ((f[30]! << 24) | (f[31]! << 16) | (f[32]! << 8) | f[33]!) >>> 0;
