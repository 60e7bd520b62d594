// Candidate source ports: the documented rule that places a peer's N_p ports in the configured range.

/** An inclusive range of UDP ports, lo..hi within 1..65535. */
export interface PortRange {
  /** Lowest port of the range. */
  lo: number;
  /** Highest port of the range (inclusive). */
  hi: number;
}
/** Outer source-port range by default, 49152-65535: the dynamic range RFC 7348 section 5 recommends. */
export const DEFAULT_PORT_RANGE: PortRange = { lo: 49152, hi: 65535 };
/** Candidate source ports per peer by default (at most 64). */
export const DEFAULT_CANDIDATES = 32;

import { jhash2 } from './jhash.js';

/**
 * N ports spread evenly over [lo, hi]: the range is cut into N strides of floor(span / N) ports and
 * candidate i sits at lo + i * stride + phase, with phase = jhash2([remoteIp], seed) mod stride, so
 * that different peers use different ports while every port stays inside the range. Distinct ports
 * are guaranteed; N may not exceed the range's size.
 */
export function candidatePorts(range: PortRange, n: number, remoteIp: number, seed = 0): number[] {
  const span = range.hi - range.lo + 1;
  if (!Number.isInteger(range.lo) || !Number.isInteger(range.hi) || range.lo < 1 || range.hi > 65535 || span < 1) {
    throw new Error(`bad source-port range ${range.lo}-${range.hi}: need 1 <= lo <= hi <= 65535`);
  }
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`candidates must be 1..64, got ${n}`);
  if (n > span) throw new Error(`${n} candidates do not fit in the range ${range.lo}-${range.hi}`);
  const stride = Math.floor(span / n);
  const phase = jhash2([remoteIp >>> 0], seed >>> 0) % stride;
  return Array.from({ length: n }, (_, i) => range.lo + i * stride + phase);
}

/** Parse `A-B` into a PortRange; throws an Error unless 1 <= A <= B <= 65535. */
export function parsePortRange(s: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(s.trim());
  if (!m) throw new Error(`bad source-port range ${JSON.stringify(s)}: expected A-B`);
  const r = { lo: Number(m[1]), hi: Number(m[2]) };
  if (r.lo < 1 || r.hi > 65535 || r.lo > r.hi) throw new Error(`bad source-port range ${s}: need 1 <= A <= B <= 65535`);
  return r;
}
