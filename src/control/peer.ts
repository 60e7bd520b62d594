// What the control plane keeps per peer: its candidates, each port's health, probe bookkeeping
// (sequence, outstanding probe, schedule), use by flows, and BackendID grouping; the per-port part
// as one record per port (port-records.ts), the peer's sent-probe log after them in their buffer.
import type { ProbeMode } from './config.js';
import { PortHealth, PORT_GOOD, type HealthRules } from './health.js';
import {
  PortRecords, U8_STRIDE, U32_STRIDE, F64_STRIDE, SCHEDULED, LAST_USED, LAST_ANSWER, SPORT, STATE, RESTORING, CONSECUTIVE_LOSSES,
} from './port-records.js';

/**
 * Numbers per entry of PeerState's sent-probe log (sentLogAt): probe number, per-port sequence, port index (and one
 * spare, so that an entry is 16 aligned bytes): what a send writes and a receipt reads, together.
 */
export const SENT_STRIDE = 4;

/** PeerState's cached reply port, not worked out yet (a port is >= 1, none is -1). */
const NOT_KNOWN = -2;

export class PeerState {
  readonly ip: number;
  /** Row (peer index) in the path tables. */
  readonly row: number;
  readonly candidates: readonly number[];
  readonly n: number;
  /** The candidates again, as 16-bit ports side by side (see indexOf; each record holds its own, SPORT). */
  readonly ports: Uint16Array;
  readonly probes: boolean;
  readonly mode: ProbeMode;
  /** Offset (ms) of this peer's probes within the interval, so that peers do not probe in step. */
  readonly phase: number;
  readonly health: PortHealth;
  /** False once the peer was removed or replaced: its queued events and outstanding probes are stale. */
  live = true;
  lastTraffic = -Infinity;
  everAnswered = false;
  /** Round-trip estimate of this peer's probes (RFC 6298 SRTT, RTTVAR), ms; srtt < 0 before the first sample. */
  srtt = -1;
  rttvar = 0;
  /** Partial mode: probe every candidate until this clock time (a port in use failed). */
  fullUntil = -Infinity;
  /** Backpressure exponent from the latest reply's CTL. */
  ctl = 0;
  /**
   * Each port's state, one record per port (src/control/port-records.ts: what a send, its reply and
   * the health update touch in two cache lines), shared with `health`; f64, u32 and u8 are its views.
   */
  readonly records: PortRecords;
  /** The records as float64s (index k * F64_STRIDE + field). */
  readonly f64: Float64Array;
  /** The records as uint32s (index k * U32_STRIDE + field). */
  readonly u32: Uint32Array;
  /** The records as bytes (index k * U8_STRIDE + field). */
  readonly u8: Uint8Array;
  /** Ports with a send event queued (the SCHEDULED byte of their records, set through setScheduled). */
  scheduledCount = 0;
  /**
   * The same ports as a bit set, ports 0-31 in schedLo and 32-63 in schedHi (uint32 each): the
   * responder's choice of reply port walks only the probed ports, a few of 32 in partial mode.
   */
  schedLo = 0;
  schedHi = 0;
  /** Ports with an outstanding probe (HAS_OUTSTANDING; a reply's receipt window is read only when some are). */
  outstandingCount = 0;
  /** Rotates the unprobed port picked as a scout for a BackendID group with no known spare. */
  scoutCursor = 0;
  /** The BackendIDs' group numbers (a port's group, 0 = no BackendID seen, is its record's GROUP). */
  readonly groupOfBackend = new Map<number, number>();
  /** Probe number of the latest request to this peer (ProbeFields.num): one count across all ports. */
  nextNum: number;
  /**
   * The sent-probe log, in u32 from this index on (after the records, in their buffer: no view of
   * its own): the latest RECEIPT_WINDOW requests by probe number (slot num & 63), which port and
   * per-port sequence each stood for, so that a reply's receipt window resolves them (VtepControl
   * #receipts), and a reply finds its port: entry sentLogAt + slot * SENT_STRIDE holds the probe
   * number, then the sequence, then the port index.
   */
  readonly sentLogAt: number;
  /** replyPort()'s answer (NOT_KNOWN: to be worked out), and the health.rankChanges it was worked out at. */
  #replyPort = NOT_KNOWN;
  #replyPortAt = 0;

  constructor(ip: number, row: number, candidates: readonly number[], probes: boolean, mode: ProbeMode, phase: number, rules: HealthRules, firstNum = 0) {
    this.ip = ip >>> 0;
    this.nextNum = firstNum >>> 0;
    this.row = row;
    this.candidates = Object.freeze([...candidates]);
    this.n = candidates.length;
    this.probes = probes;
    this.mode = mode;
    this.phase = phase;
    this.records = new PortRecords(this.n, 64 * SENT_STRIDE * 4);
    this.sentLogAt = this.n * U32_STRIDE;
    this.f64 = this.records.f64; this.u32 = this.records.u32; this.u8 = this.records.u8;
    for (let k = 0; k < this.n; k++) {
      this.f64[k * F64_STRIDE + LAST_USED] = -Infinity;
      this.f64[k * F64_STRIDE + LAST_ANSWER] = -Infinity;
      this.u32[k * U32_STRIDE + SPORT] = candidates[k]!;
    }
    this.health = new PortHealth(this.n, rules, this.records);
    // Apart from the records: indexOf scans every port's, 2n bytes in one line or two.
    this.ports = Uint16Array.from(candidates);
  }

  /** Mark port k scheduled (on) or not, in its record's SCHEDULED byte and the bit set, and count it in scheduledCount. */
  setScheduled(k: number, on: boolean): void {
    const at = k * U8_STRIDE + SCHEDULED, was = this.u8[at] === 1;
    if (was !== on) this.scheduledCount += on ? 1 : -1;
    this.u8[at] = on ? 1 : 0;
    this.#replyPort = NOT_KNOWN;
    if (k < 32) {
      const b = 1 << k;
      this.schedLo = (on ? this.schedLo | b : this.schedLo & ~b) >>> 0;
    } else {
      const b = 1 << (k - 32);
      this.schedHi = (on ? this.schedHi | b : this.schedHi & ~b) >>> 0;
    }
  }

  /** No port scheduled. */
  clearScheduled(): void {
    this.#replyPort = NOT_KNOWN;
    for (let k = 0; k < this.n; k++) this.u8[k * U8_STRIDE + SCHEDULED] = 0;
    this.scheduledCount = 0;
    this.schedLo = 0;
    this.schedHi = 0;
  }

  /**
   * Our best port towards this peer for a reply, or -1 (VtepControl's responder): a good port, probed
   * now (so its state is fresh), not restoring, whose latest probe was answered, failure-free the
   * longest (the lowest of equals). Worked out again only after a change to the probed ports or to
   * their health's rank (PortHealth.rankChanges): a port answering again as before changes neither.
   */
  replyPort(): number {
    const changes = this.health.rankChanges;
    if (this.#replyPort === NOT_KNOWN || this.#replyPortAt !== changes) {
      this.#replyPort = this.bestReplyPort();
      this.#replyPortAt = changes;
    }
    return this.#replyPort;
  }

  /** replyPort() worked out now, without the cache. */
  bestReplyPort(): number {
    const h = this.health, u8 = this.u8;
    let best = -1, since = Infinity;
    // Only the probed ports (in partial mode a few of 32), lowest first: their bit set.
    let lo = this.schedLo, hi = this.schedHi;
    while ((lo | hi) !== 0) {
      let k: number;
      if (lo !== 0) { k = 31 - Math.clz32(lo & -lo); lo = (lo & (lo - 1)) >>> 0; } else { k = 63 - Math.clz32(hi & -hi); hi = (hi & (hi - 1)) >>> 0; }
      const b = k * U8_STRIDE;
      if (u8[b + STATE] !== PORT_GOOD || u8[b + RESTORING] === 1 || u8[b + CONSECUTIVE_LOSSES] !== 0) continue;
      const s = h.failureFreeSince(k);
      if (s < since) { since = s; best = k; }
    }
    return best < 0 ? -1 : this.u32[best * U32_STRIDE + SPORT]!;
  }

  /** Index of source port sport among the candidates, or -1. A scan of 2n bytes, instead of a Map
   * whose buckets are one more cache miss per reply. */
  indexOf(sport: number): number {
    const ports = this.ports;
    for (let k = 0; k < ports.length; k++) if (ports[k] === sport) return k;
    return -1;
  }

  /** Group number for a BackendID (as a 48-bit number); 0 means no middlebox wrote one: group 0. */
  groupFor(backendKey: number): number {
    if (backendKey === 0) return 0;
    let g = this.groupOfBackend.get(backendKey);
    if (g === undefined) {
      g = Math.min(0xffff, this.groupOfBackend.size + 1);
      this.groupOfBackend.set(backendKey, g);
    }
    return g;
  }
}
