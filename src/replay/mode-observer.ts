// Watches one mode's run of the simulator from outside (by wrapping its port policy): per-bin
// delivered and lost packets summed over flows (the report's series), and per flow an outage ledger
// (the simulator's own, src/sim/outage.ts: packets sent and lost, runs of outage that span the bins a
// sparse flow sends nothing in, the longest run = its time to recover). For zooroute it also records
// the first segment's port per flow and bin: the port the replayed frames leave by.
import { BIN_MS, OutageLedger, type LedgerFlow, type PortPolicy, type SimClock } from '../sim/index.js';

export class ModeObserver {
  readonly delivered: Float64Array;
  readonly lost: Float64Array;
  /** Per flow: sent, lost, runs of outage. */
  readonly ledger: OutageLedger;
  /** ports[flow][bin]: first-segment source port used (0 = no packet in that bin); only when asked. */
  readonly ports: Uint16Array[] | undefined;

  constructor(flows: readonly LedgerFlow[], readonly bins: number, recordPorts: boolean) {
    this.delivered = new Float64Array(bins);
    this.lost = new Float64Array(bins);
    this.ledger = new OutageLedger(flows, bins, BIN_MS);
    this.ports = recordPorts ? Array.from({ length: flows.length }, () => new Uint16Array(bins)) : undefined;
  }

  /** The policy the engine runs: `inner` with every call passed through and observed. */
  wrap(inner: PortPolicy, clock: SimClock): PortPolicy {
    const ports = this.ports;
    const w: PortPolicy = {
      port: (flow, k, seg) => {
        const port = inner.port(flow, k, seg);
        if (ports && k === 0) {
          const b = Math.floor(clock.now() / BIN_MS);
          if (b < this.bins) ports[flow.id][b] = port;
        }
        return port;
      },
      afterBin: (flow, sent, lost, endMs) => {
        const b = Math.round(endMs / BIN_MS) - 1;
        if (b >= 0 && b < this.bins) { this.delivered[b] += sent - lost; this.lost[b] += lost; }
        this.ledger.record(flow.id, b, sent, lost);
        inner.afterBin?.(flow, sent, lost, endMs);
      },
    };
    if (inner.noteTraffic) w.noteTraffic = (seg) => inner.noteTraffic!(seg);
    if (inner.start) w.start = () => inner.start!();
    if (inner.stop) w.stop = () => inner.stop!();
    return w;
  }
}
