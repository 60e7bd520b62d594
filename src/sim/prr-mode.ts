// PRR mode: Protective ReRoute as deployed (Wetherall et al., SIGCOMM 2023), on a kernel VTEP. The
// tenant's own TCP stack is the only actor: when its retransmission timer expires, Linux picks a new
// random txhash (sk_rethink_txhash in tcp_write_timeout, on by default: net.core.txrehash = 1), and for
// IPv6 the flow label is derived from it (net.ipv6.auto_flowlabels = 1). A VTEP whose inner hash covers
// the flow label (Linux's flow dissector does) then picks another outer source port, on every segment.
// Nothing else changes a port: an IPv4 TCP flow backs off with the same hash, and UDP has no
// retransmission timer at all. docs/simulator.md cites every rule.
//
// The timer is RFC 6298's: RTO = max(minRtoMs, SRTT + 4 x RTTVAR) from the flow's round-trip time over
// its current paths (one sample per bin in which it was not stalled), initialRtoMs before the first
// sample, doubled per expiry up to maxRtoMs, and back to the estimate once data flows again. A bin that
// loses at least rtoLossShare of the flow's packets is a stall: the timer runs from the start of the
// first stalled bin, as in the opportunistic mode.
import { jhash2 } from '../../bindings/jhash.js';
import type { PortPolicy, RunContext } from './engine.js';
import type { Flow } from './world.js';
import { PRR_DEFAULTS } from './scenario.js';
import { TcpRtoTimers } from './tcp-rto.js';
import { defaultPort } from './static-mode.js';
import { Prng } from './prng.js';

export { PRR_DEFAULTS };

const IPPROTO_TCP = 6;

/** Whether PRR can move a flow at all: TCP (has an RTO) over IPv6 (has a flow label to change). */
export function prrCanRepath(f: Flow): boolean {
  return f.proto === IPPROTO_TCP && f.family === 'ipv6';
}

/** What the PRR mode did over a run: which flows could move, and how many timeouts it took. */
export interface PrrStats {
  /** Flows with a retransmission timer (TCP), and those of them whose timeouts can change the path (IPv6). */
  tcpFlows: number;
  repathableFlows: number;
  /** Stalls with at least one RTO; RTOs per such episode (mean, worst). */
  episodes: number;
  retriesMean: number;
  retriesMax: number;
  /** RTOs that gave the flow a new flow label (IPv6 TCP); the others left every port as it was. */
  rehashes: number;
}

/** One expiry of a flow's retransmission timer. */
export interface RtoEvent {
  flow: number;
  atMs: number;
  /** The timeout that expired (before doubling). */
  rtoMs: number;
  /** A new flow label was drawn (IPv6 TCP). */
  rehashed: boolean;
}

/** The PRR mode's port policy, with its figures and every retransmission timeout it saw. */
export interface PrrPolicy extends PortPolicy {
  /** Figures over the run so far (complete after stop()). */
  stats(): PrrStats;
  /** Every RTO in order of time. */
  readonly timeouts: RtoEvent[];
}

/**
 * The PRR baseline for one run: each TCP flow runs RFC 6298's retransmission timer (parameters from
 * the scenario's `prr` section over {@link PRR_DEFAULTS}); an expiry on an IPv6 flow draws a new flow
 * label and so new outer ports on every segment, an IPv4 or UDP flow never moves. `ctx` gives the
 * world and the engine's cached path latencies.
 */
export function prrPolicy(ctx: RunContext): PrrPolicy {
  const { world } = ctx;
  const rng = new Prng(world.seed, 5);
  const ports = world.flows.map((f) => Int32Array.from(f.segments, (s) => defaultPort(world, f, s)));
  const timers = new TcpRtoTimers(ctx);
  const timeouts: RtoEvent[] = [];
  let rehashes = 0;

  // A new random txhash -> a new flow label -> a new inner hash at every VTEP on the way, each picking
  // candidates[hash mod N] towards its peer as the static datapath does.
  const rehash = (f: Flow): void => {
    const label = rng.int(1 << 20);
    const h = jhash2([f.hash >>> 0, label], 0x6f1a);
    f.segments.forEach((s, k) => {
      const c = world.candidates(world.vteps[s.to].ip);
      ports[f.id][k] = c[h % c.length];
    });
  };

  return {
    timeouts,
    port: (f, k) => ports[f.id][k],
    afterBin(f, sent, lost, endMs) {
      timers.afterBin(f, sent, lost, endMs, (rtoMs) => {
        const can = prrCanRepath(f);
        timeouts.push({ flow: f.id, atMs: endMs, rtoMs, rehashed: can });
        if (can) { rehash(f); rehashes++; }
      });
    },
    stop() {
      timers.stop();
    },
    stats() {
      const episodes = timers.episodes, n = episodes.length;
      const tcp = world.flows.filter((f) => f.proto === IPPROTO_TCP);
      return {
        tcpFlows: tcp.length,
        repathableFlows: tcp.filter(prrCanRepath).length,
        episodes: n,
        retriesMean: n ? episodes.reduce((a, b) => a + b, 0) / n : 0,
        retriesMax: n ? Math.max(...episodes) : 0,
        rehashes,
      };
    },
  };
}
