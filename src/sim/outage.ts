// Outage accounting (SPEC): a flow is *out* during every 100 ms bin in which it loses more than half of
// its packets; its outage time is the sum of those bins. A failure is *masked* from a tenant when none
// of the tenant's flows is out for longer than 1 s in a row during it; it is masked (overall) when it is
// masked from every tenant. "During it" is the failure's window widened by 1 s after its end, so an
// outage that outlasts the fault still counts against it.
import type { CompiledFailure } from './failures.js';
import type { Flow } from './world.js';

export const MASK_LIMIT_MS = 1000;

export class OutageLedger {
  /** out[flow][bin] = 1 when the flow was out in that bin. */
  private readonly out: Uint8Array[];
  readonly sent: Float64Array;
  readonly lost: Float64Array;

  constructor(readonly flows: readonly Flow[], readonly bins: number, readonly binMs: number) {
    this.out = flows.map(() => new Uint8Array(bins));
    this.sent = new Float64Array(flows.length);
    this.lost = new Float64Array(flows.length);
  }

  record(flow: number, bin: number, sent: number, lost: number): boolean {
    this.sent[flow] += sent;
    this.lost[flow] += lost;
    const isOut = sent > 0 && lost * 2 > sent;
    if (isOut) this.out[flow][bin] = 1;
    return isOut;
  }

  isOut(flow: number, bin: number): boolean {
    return this.out[flow][bin] === 1;
  }

  outageSeconds(): number {
    let bins = 0;
    for (const o of this.out) for (const b of o) bins += b;
    return (bins * this.binMs) / 1000;
  }

  lostPackets(): number {
    let n = 0;
    for (const l of this.lost) n += l;
    return n;
  }

  sentPackets(): number {
    let n = 0;
    for (const l of this.sent) n += l;
    return n;
  }

  /** Longest run of consecutive out bins of a flow within [fromBin, toBin), in ms. */
  longestRunMs(flow: number, fromBin: number, toBin: number): number {
    const o = this.out[flow];
    let best = 0, run = 0;
    for (let b = Math.max(0, fromBin); b < Math.min(this.bins, toBin); b++) {
      run = o[b] ? run + 1 : 0;
      if (run > best) best = run;
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

export interface FailureOutcome {
  name: string;
  masked: boolean;
  tenantsHit: number;
  longestOutMs: number;
}
