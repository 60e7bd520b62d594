// Watches one mode's run of the simulator from outside (by wrapping its port policy): per-bin
// delivered and lost packets summed over flows (the report's series), and per flow the packets sent and
// lost, the bins out, and the longest run of consecutive out bins (its time to recover). For zooroute
// it also records the first segment's port per flow and bin: the port the replayed frames leave by.
import { BIN_MS, type PortPolicy, type SimClock } from '../sim/index.js';

export class ModeObserver {
  readonly delivered: Float64Array;
  readonly lost: Float64Array;
  readonly flowSent: Float64Array;
  readonly flowLost: Float64Array;
  readonly flowOutBins: Uint32Array;
  readonly #run: Uint32Array;
  readonly flowLongestRun: Uint32Array;
  /** ports[flow][bin]: first-segment source port used (0 = no packet in that bin); only when asked. */
  readonly ports: Uint16Array[] | undefined;

  constructor(flows: number, readonly bins: number, recordPorts: boolean) {
    this.delivered = new Float64Array(bins);
    this.lost = new Float64Array(bins);
    this.flowSent = new Float64Array(flows);
    this.flowLost = new Float64Array(flows);
    this.flowOutBins = new Uint32Array(flows);
    this.#run = new Uint32Array(flows);
    this.flowLongestRun = new Uint32Array(flows);
    this.ports = recordPorts ? Array.from({ length: flows }, () => new Uint16Array(bins)) : undefined;
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
        const i = flow.id;
        if (b >= 0 && b < this.bins) { this.delivered[b] += sent - lost; this.lost[b] += lost; }
        this.flowSent[i] += sent;
        this.flowLost[i] += lost;
        // Same rule as the outage ledger (SPEC): out when more than half of the bin's packets are lost.
        if (sent > 0 && lost * 2 > sent) {
          this.flowOutBins[i]++;
          this.#run[i]++;
          if (this.#run[i] > this.flowLongestRun[i]) this.flowLongestRun[i] = this.#run[i];
        } else this.#run[i] = 0;
        inner.afterBin?.(flow, sent, lost, endMs);
      },
    };
    if (inner.noteTraffic) w.noteTraffic = (seg) => inner.noteTraffic!(seg);
    if (inner.start) w.start = () => inner.start!();
    if (inner.stop) w.stop = () => inner.stop!();
    return w;
  }
}
