// Outage accounting (SPEC, made exact for sparse flows; docs/simulator.md "Outage and masking").
// Each 100 ms bin of a flow is *empty* (it sent nothing), *delivering* (it lost at most half of what it
// sent) or *lossy* (it lost more than half). A *run of outage* starts at a lossy bin and goes on through
// lossy and empty bins; it ends after its last lossy bin before the next delivering bin (or the end of
// the flow). Empty bins inside a run count as out: a flow sending one packet a second that loses every
// packet for 10 s is out for those 10 s, not for ten separate 100 ms bins. Empty bins before a run's
// first or after its last lossy bin are not out (nothing says the flow was cut then). A flow's outage
// time is the sum of its runs. A failure is *masked* from a tenant when none of the tenant's flows is
// out for longer than 1 s in a row during it; it is masked (overall) when it is masked from every
// tenant. "During it" is the failure's window widened by 1 s after its end, so an outage that outlasts
// the fault still counts against it. The simulator, replay and its HTML report all use this ledger.
import type { CompiledFailure } from './failures.js';

/**
 * Longest run of outage, ms, a failure may cause a tenant's flow and still count as masked from that
 * tenant (the SPEC's 1 s); also how far past a failure's end its window reaches.
 */
export const MASK_LIMIT_MS = 1000;

/** A bin's state: nothing sent, at most half lost, more than half lost. */
export const BIN_EMPTY = 0, BIN_DELIVERING = 1, BIN_LOSSY = 2;

/** The SPEC's threshold: a bin is lossy when more than half of its packets are lost. */
export function binState(sent: number, lost: number): number {
  if (sent <= 0) return BIN_EMPTY;
  return lost * 2 > sent ? BIN_LOSSY : BIN_DELIVERING;
}

/**
 * The runs of outage of one flow's bin states, as [start, end) bin pairs in order: from a lossy bin
 * through lossy and empty bins to the last lossy bin before a delivering bin (or the end).
 */
export function outageRuns(states: ArrayLike<number>): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = -1, lastLossy = -1;
  for (let b = 0; b < states.length; b++) {
    const s = states[b];
    if (s === BIN_LOSSY) {
      if (start < 0) start = b;
      lastLossy = b;
    } else if (s === BIN_DELIVERING && start >= 0) {
      runs.push([start, lastLossy + 1]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, lastLossy + 1]);
  return runs;
}

/** What the ledger needs of a flow: the tenant it belongs to (for masking). */
export interface LedgerFlow { readonly tenant: string }

/**
 * Per flow and bin, what was sent and lost, and from that the runs of outage, outage time and which
 * failures were masked (the rules at the top of this file). One ledger per mode's run; the simulator,
 * replay and the HTML report count outage with it, so they agree.
 */
export class OutageLedger {
  /** state[flow][bin]: BIN_EMPTY, BIN_DELIVERING or BIN_LOSSY. */
  private readonly state: Uint8Array[];
  /** The runs of each flow, computed on first use after its last record. */
  private readonly runs: Array<Array<[number, number]> | undefined>;
  /** Packets sent and lost per flow, over the whole run. */
  readonly sent: Float64Array;
  readonly lost: Float64Array;

  /**
   * @param flows - the flows, indexed as `record` is called; their tenants decide masking
   * @param bins - bins of the run (flows x bins bytes of state)
   * @param binMs - width of a bin, ms (BIN_MS in the simulator)
   */
  constructor(readonly flows: readonly LedgerFlow[], readonly bins: number, readonly binMs: number) {
    this.state = flows.map(() => new Uint8Array(bins));
    this.runs = flows.map(() => undefined);
    this.sent = new Float64Array(flows.length);
    this.lost = new Float64Array(flows.length);
  }

  /** Count one bin of a flow; true when the bin itself is lossy (its run may span empty bins). */
  record(flow: number, bin: number, sent: number, lost: number): boolean {
    this.sent[flow] += sent;
    this.lost[flow] += lost;
    const s = binState(sent, lost);
    if (bin >= 0 && bin < this.bins && s !== BIN_EMPTY) {
      this.state[flow][bin] = s;
      this.runs[flow] = undefined;
    }
    return s === BIN_LOSSY;
  }

  /** The flow's runs of outage, [start, end) bins. */
  runsOf(flow: number): ReadonlyArray<readonly [number, number]> {
    let r = this.runs[flow];
    if (r === undefined) this.runs[flow] = r = outageRuns(this.state[flow]);
    return r;
  }

  /** Whether the flow was out in the bin: the bin lies within one of its runs. */
  isOut(flow: number, bin: number): boolean {
    return this.runsOf(flow).some(([s, e]) => bin >= s && bin < e);
  }

  /** Bins the flow was out (the sum of its runs). */
  outBins(flow: number): number {
    let n = 0;
    for (const [s, e] of this.runsOf(flow)) n += e - s;
    return n;
  }

  /** Outage summed over every flow, seconds: the headline figure modes are compared on. */
  outageSeconds(): number {
    let bins = 0;
    for (let i = 0; i < this.flows.length; i++) bins += this.outBins(i);
    return (bins * this.binMs) / 1000;
  }

  /** Packets lost, over every flow and bin. */
  lostPackets(): number {
    let n = 0;
    for (const l of this.lost) n += l;
    return n;
  }

  /** Packets sent, over every flow and bin. */
  sentPackets(): number {
    let n = 0;
    for (const l of this.sent) n += l;
    return n;
  }

  /** Longest run of outage of a flow, clipped to [fromBin, toBin), in ms. */
  longestRunMs(flow: number, fromBin = 0, toBin = this.bins): number {
    let best = 0;
    for (const [s, e] of this.runsOf(flow)) {
      const len = Math.min(e, toBin) - Math.max(s, fromBin);
      if (len > best) best = len;
    }
    return best * this.binMs;
  }

  /** Per failure: masked, tenants hit (some flow out > 1 s in a row), and the worst run. */
  failureOutcomes(failures: readonly CompiledFailure[]): FailureOutcome[] {
    return failures.map((f) => {
      const from = Math.floor(f.startMs / this.binMs);
      const to = Math.ceil((f.endMs + MASK_LIMIT_MS) / this.binMs);
      const hit = new Set<string>();
      let worst = 0;
      this.flows.forEach((fl, i) => {
        const run = this.longestRunMs(i, from, to);
        if (run > worst) worst = run;
        if (run > MASK_LIMIT_MS) hit.add(fl.tenant);
      });
      return { name: f.name, masked: hit.size === 0, tenantsHit: hit.size, longestOutMs: worst };
    });
  }
}

/** How one failure went for one mode (OutageLedger.failureOutcomes). */
export interface FailureOutcome {
  /** The failure's name from the scenario (or `type#index`). */
  name: string;
  /** No tenant had a flow out for more than MASK_LIMIT_MS in a row during the failure's window. */
  masked: boolean;
  /** Tenants with some flow out for more than MASK_LIMIT_MS in a row in the window. */
  tenantsHit: number;
  /** Longest run of outage of any flow within the window, ms. */
  longestOutMs: number;
}

