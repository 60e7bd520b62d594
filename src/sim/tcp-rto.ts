// The tenant's TCP retransmission timers, as the simulator models them (docs/simulator.md, the prr
// rules): RFC 6298's RTO = max(minRtoMs, SRTT + 4 x RTTVAR) from the flow's round-trip time over its
// current paths (one sample per bin in which it was not stalled), initialRtoMs before the first sample,
// doubled per expiry up to maxRtoMs, back to the estimate once data flows again. A bin that loses at
// least rtoLossShare of the flow's packets is a stall: the timer runs from the start of the first
// stalled bin. Used by the prr mode (an expiry re-labels an IPv6 flow) and by the zooroute mode's
// retransmission trigger (the VTEP sees the retransmitted segment).
import type { RunContext } from './engine.js';
import { BIN_MS, type Flow } from './world.js';
import { PRR_DEFAULTS } from './scenario.js';

/** The timer's parameters (the scenario's `prr` section over PRR_DEFAULTS). */
export interface RtoParams {
  minRtoMs: number;
  initialRtoMs: number;
  maxRtoMs: number;
  rtoLossShare: number;
}

const IPPROTO_TCP = 6;

interface FlowTimer {
  srtt: number; // -1 before the first sample
  rttvar: number;
  rto: number;
  stalled: boolean;
  retries: number;
  nextAt: number;
}

/** One retransmission timer per TCP flow of the world (UDP flows have none). */
export class TcpRtoTimers {
  readonly params: RtoParams;
  readonly #ctx: RunContext;
  readonly #timers: (FlowTimer | null)[];
  /** Stalls that had at least one expiry: expiries per stall, in the order they ended. */
  readonly episodes: number[] = [];

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
    const o = { ...PRR_DEFAULTS, ...ctx.world.scenario.prr };
    this.params = o;
    this.#timers = ctx.world.flows.map((f) => (f.proto === IPPROTO_TCP
      ? { srtt: -1, rttvar: 0, rto: o.initialRtoMs, stalled: false, retries: 0, nextAt: 0 }
      : null));
  }

  /**
   * A flow's bin ended (the engine's afterBin): feeds the flow's timer, and calls `expired(rtoMs)` when
   * its retransmission timer expires in this bin, with the timeout that expired (before doubling).
   */
  afterBin(f: Flow, sent: number, lost: number, endMs: number, expired: (rtoMs: number) => void): void {
    const t = this.#timers[f.id];
    if (!t || sent === 0) return; // UDP: no timer; an idle bin changes nothing
    const o = this.params;
    if (lost / sent < o.rtoLossShare) {
      this.#endEpisode(t);
      this.#sample(t, this.#rttOf(f));
      t.rto = this.#estimate(t); // RFC 6298 2.3: a new sample recomputes RTO, which ends the backoff
      return;
    }
    if (!t.stalled) { t.stalled = true; t.retries = 0; t.nextAt = endMs - BIN_MS + t.rto; }
    if (endMs >= t.nextAt) {
      const rto = t.rto;
      t.retries++;
      t.rto = Math.min(t.rto * 2, o.maxRtoMs); // RFC 6298 5.5
      t.nextAt = endMs + t.rto;
      expired(rto);
    }
  }

  /** End every open stall (at the end of a run), so that `episodes` is complete. */
  stop(): void {
    for (const t of this.#timers) if (t) this.#endEpisode(t);
  }

  #endEpisode(t: FlowTimer): void {
    if (t.stalled && t.retries > 0) this.episodes.push(t.retries);
    t.stalled = false; t.retries = 0;
  }

  // Round-trip time over the paths the flow's bin just took: each segment's one-way latency (cached by
  // the engine with the path), twice (links have the same latency both ways; the ACKs' own ECMP paths
  // cross as many hops). A sample is only taken in a bin with packets, so the cache is this bin's.
  #rttOf(f: Flow): number {
    let ms = 0;
    for (let k = 0; k < f.segments.length; k++) ms += 2 * this.#ctx.pathLatencyMs(f, k);
    return ms;
  }

  #estimate(t: FlowTimer): number {
    return Math.min(this.params.maxRtoMs, Math.max(this.params.minRtoMs, t.srtt + 4 * t.rttvar));
  }

  #sample(t: FlowTimer, r: number): void {
    if (t.srtt < 0) { t.srtt = r; t.rttvar = r / 2; } // RFC 6298 2.2
    else { t.rttvar = 0.75 * t.rttvar + 0.25 * Math.abs(t.srtt - r); t.srtt = 0.875 * t.srtt + 0.125 * r; } // 2.3
  }
}
