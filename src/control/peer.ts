// What the control plane keeps per peer: its candidates, each port's health, probe bookkeeping
// (sequence, outstanding probe, schedule), use by flows, and BackendID grouping.
import type { ProbeMode } from './config.js';
import { PortHealth, type HealthRules } from './health.js';

export class PeerState {
  readonly ip: number;
  /** Row (peer index) in the path tables. */
  readonly row: number;
  readonly candidates: readonly number[];
  readonly n: number;
  readonly indexOfPort = new Map<number, number>();
  readonly probes: boolean;
  readonly mode: ProbeMode;
  /** Offset (ms) of this peer's probes within the interval, so that peers do not probe in step. */
  readonly phase: number;
  readonly health: PortHealth;
  lastTraffic = -Infinity;
  everAnswered = false;
  /** Backpressure exponent from the latest reply's CTL. */
  ctl = 0;
  /** Ports with a send event queued, and how many. */
  readonly scheduled: Uint8Array;
  scheduledCount = 0;
  /** Generation of each port's send event: a queued send whose token differs is stale. */
  readonly sendGen: Uint32Array;
  readonly nextSeq: Uint32Array;
  readonly outstandingSeq: Uint32Array;
  readonly hasOutstanding: Uint8Array;
  /** Last time a flow was given the port (-Infinity: never). */
  readonly lastUsed: Float64Array;
  /** Healthy ports kept probed in partial mode besides those in use. */
  readonly backup: Uint8Array;
  /** BackendID group per port (0 = no BackendID seen), and the BackendIDs' group numbers. */
  readonly group: Uint16Array;
  readonly groupOfBackend = new Map<number, number>();

  constructor(ip: number, row: number, candidates: readonly number[], probes: boolean, mode: ProbeMode, phase: number, rules: HealthRules) {
    this.ip = ip >>> 0;
    this.row = row;
    this.candidates = Object.freeze([...candidates]);
    this.n = candidates.length;
    candidates.forEach((p, k) => this.indexOfPort.set(p, k));
    this.probes = probes;
    this.mode = mode;
    this.phase = phase;
    this.health = new PortHealth(this.n, rules);
    this.scheduled = new Uint8Array(this.n);
    this.sendGen = new Uint32Array(this.n);
    this.nextSeq = new Uint32Array(this.n);
    this.outstandingSeq = new Uint32Array(this.n);
    this.hasOutstanding = new Uint8Array(this.n);
    this.lastUsed = new Float64Array(this.n).fill(-Infinity);
    this.backup = new Uint8Array(this.n);
    this.group = new Uint16Array(this.n);
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
