// What the control plane keeps per peer: its candidates, each port's health, probe bookkeeping
// (sequence, outstanding probe, schedule), use by flows, and BackendID grouping.
import type { ProbeMode } from './config.js';
import { PortHealth, type HealthRules } from './health.js';
import { carvePortArrays } from './port-arrays.js';

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
  /** Ports with a send event queued, and how many. Set and cleared through setScheduled (and clearScheduled). */
  readonly scheduled: Uint8Array;
  scheduledCount = 0;
  /**
   * The same ports as a bit set, ports 0-31 in schedLo and 32-63 in schedHi (uint32 each): the
   * responder's choice of reply port walks only the probed ports, a few of 32 in partial mode.
   */
  schedLo = 0;
  schedHi = 0;
  /** Generation of each port's send event: a queued send whose token differs is stale. */
  readonly sendGen: Uint32Array;
  readonly nextSeq: Uint32Array;
  readonly outstandingSeq: Uint32Array;
  readonly hasOutstanding: Uint8Array;
  /** Ports with hasOutstanding set (a reply's receipt window is read only when some are). */
  outstandingCount = 0;
  /** The outstanding probe's entry in the prober's PendingProbes. */
  readonly pendingId: Uint32Array;
  /** Last time a flow was given the port (-Infinity: never). */
  readonly lastUsed: Float64Array;
  /** Send time of the port's latest answered probe (-Infinity: never). */
  readonly lastAnswer: Float64Array;
  /** Send time of the port's outstanding (or latest) probe. */
  readonly sentAt: Float64Array;
  /** Send time of the first lost probe of the port's current run of losses. */
  readonly lossRunSentAt: Float64Array;
  /**
   * 1: ranked as unvalidated until its next answer, because a port of this peer failed while this one
   * had not been answered for longer than an interval and a timeout: what it knew may predate the failure.
   */
  readonly stale: Uint8Array;
  /** Healthy ports kept probed in partial mode besides those in use. */
  readonly backup: Uint8Array;
  /** Rotates the unprobed port picked as a scout for a BackendID group with no known spare. */
  scoutCursor = 0;
  /** BackendID group per port (0 = no BackendID seen), and the BackendIDs' group numbers. */
  readonly group: Uint16Array;
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
    this.health = new PortHealth(this.n, rules);
    // One buffer (see port-arrays.ts), what a reply touches (port, sequence, outstanding, group) together.
    const a = carvePortArrays(this.n, { f64: 4, u32: 4, u16: 2, u8: 4 });
    this.lastUsed = a.f64[0]!.fill(-Infinity);
    this.lastAnswer = a.f64[1]!.fill(-Infinity);
    this.sentAt = a.f64[2]!;
    this.lossRunSentAt = a.f64[3]!;
    this.stale = a.u8[3]!;
    this.sendGen = a.u32[0]!; this.nextSeq = a.u32[1]!; this.outstandingSeq = a.u32[2]!; this.pendingId = a.u32[3]!;
    this.ports = a.u16[0]!; this.group = a.u16[1]!;
    this.hasOutstanding = a.u8[0]!; this.scheduled = a.u8[1]!; this.backup = a.u8[2]!;
    this.ports.set(candidates);
  }

  /** Mark port k scheduled (on) or not, in `scheduled` and the bit set; scheduledCount is the caller's. */
  setScheduled(k: number, on: boolean): void {
    this.scheduled[k] = on ? 1 : 0;
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
    this.scheduled.fill(0);
    this.scheduledCount = 0;
    this.schedLo = 0;
    this.schedHi = 0;
  }

  /** Index of source port sport among the candidates, or -1. A scan of 2n bytes of state the reply
   * touches anyway, instead of a Map whose buckets are one more cache miss per reply. */
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
