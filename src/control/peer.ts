// What the control plane keeps per peer: its candidates, each port's health, probe bookkeeping
// (sequence, outstanding probe, schedule), use by flows, and BackendID grouping.
import type { ProbeMode } from './config.js';
import { PortHealth, type HealthRules } from './health.js';
import { PortRecords, U8_STRIDE, F64_STRIDE, SCHEDULED, LAST_USED, LAST_ANSWER } from './port-records.js';

/**
 * Numbers per entry of PeerState.sentLog: probe number, per-port sequence, port index (and one
 * spare, so that an entry is 16 aligned bytes): what a send writes and a receipt reads, together.
 */
export const SENT_STRIDE = 4;

export class PeerState {
  readonly ip: number;
  /** Row (peer index) in the path tables. */
  readonly row: number;
  readonly candidates: readonly number[];
  readonly n: number;
  /** The candidates again, as 16-bit ports beside the rest of the per-port state (see indexOf). */
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
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
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
   * The latest RECEIPT_WINDOW requests by probe number (slot num & 63): which port and per-port
   * sequence each stood for, so that a reply's receipt window resolves them (VtepControl #receipts):
   * entry slot * SENT_STRIDE holds the probe number, then the sequence, then the port index.
   */
  readonly sentLog = new Uint32Array(64 * SENT_STRIDE);

  constructor(ip: number, row: number, candidates: readonly number[], probes: boolean, mode: ProbeMode, phase: number, rules: HealthRules, firstNum = 0) {
    this.ip = ip >>> 0;
    this.nextNum = firstNum >>> 0;
    this.row = row;
    this.candidates = Object.freeze([...candidates]);
    this.n = candidates.length;
    this.probes = probes;
    this.mode = mode;
    this.phase = phase;
    this.records = new PortRecords(this.n);
    this.f64 = this.records.f64; this.u32 = this.records.u32; this.u8 = this.records.u8;
    for (let k = 0; k < this.n; k++) {
      this.f64[k * F64_STRIDE + LAST_USED] = -Infinity;
      this.f64[k * F64_STRIDE + LAST_ANSWER] = -Infinity;
    }
    this.health = new PortHealth(this.n, rules, this.records);
    // Apart from the records: indexOf scans every port's, 2n bytes in one line or two.
    this.ports = Uint16Array.from(candidates);
  }

  /** Mark port k scheduled (on) or not, in `scheduled` and the bit set; scheduledCount is the caller's. */
  setScheduled(k: number, on: boolean): void {
    this.u8[k * U8_STRIDE + SCHEDULED] = on ? 1 : 0;
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
    for (let k = 0; k < this.n; k++) this.u8[k * U8_STRIDE + SCHEDULED] = 0;
    this.scheduledCount = 0;
    this.schedLo = 0;
    this.schedHi = 0;
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
