// Opportunistic mode, like PRR (protective reroute): a flow that times out re-hashes to a random new
// outer source port and tries again, with no knowledge of which ports work. A timeout is a bin losing
// at least rtoLossShare of the flow's packets; the first retry comes rtoMs after the loss began and
// later ones back off exponentially (x2, up to maxRtoMs), as TCP's retransmission timer does. Every
// VTEP on the flow's way re-rolls its port (a re-hashed flow label changes every segment's hash).
// An episode runs from the first timeout to the first bin without one; its retries are counted.
import type { PortPolicy } from './engine.js';
import { BIN_MS, type Flow, type World } from './world.js';
import { defaultPort } from './static-mode.js';
import { Prng } from './prng.js';

/** How hard the opportunistic mode had to try: what it takes a blind re-hash to find a working path. */
export interface RetryStats {
  /** Episodes (first timeout to the first bin without one) with at least one retry. */
  episodes: number;
  /** Retries per episode: mean and worst. */
  retriesMean: number;
  retriesMax: number;
}

/** The opportunistic mode's port policy, with its retry figures once the run has stopped. */
export interface OpportunisticPolicy extends PortPolicy {
  /** Retry figures over the episodes closed so far (all of them after stop()). */
  retryStats(): RetryStats;
}

/**
 * The opportunistic baseline for a world: on a timeout every segment of the flow re-rolls a random
 * port of the range, backing off from `rtoMs` to `maxRtoMs` (the scenario's `opportunistic` section).
 * An idealised bound — every flow, UDP and IPv4 too, moves — not a deployable scheme.
 */
export function opportunisticPolicy(world: World): OpportunisticPolicy {
  const o = world.scenario.opportunistic ?? {};
  const rtoMs = o.rtoMs ?? 200;
  const maxRtoMs = o.maxRtoMs ?? 3000;
  const share = o.rtoLossShare ?? 0.5;
  const rng = new Prng(world.seed, 3);
  const { lo, hi } = world.portRange;
  const ports = world.flows.map((f) => Int32Array.from(f.segments, (s) => defaultPort(world, f, s)));
  const state = world.flows.map(() => ({ open: false, retries: 0, rto: rtoMs, nextAt: 0 }));
  const episodes: number[] = [];
  const close = (f: Flow): void => {
    const s = state[f.id];
    if (s.open && s.retries > 0) episodes.push(s.retries);
    s.open = false; s.retries = 0; s.rto = rtoMs;
  };
  return {
    port: (f, k) => ports[f.id][k],
    afterBin(f, sent, lost, endMs) {
      if (sent === 0) return;
      const s = state[f.id];
      if (lost / sent < share) { close(f); return; }
      if (!s.open) { s.open = true; s.retries = 0; s.rto = rtoMs; s.nextAt = endMs - BIN_MS + rtoMs; }
      if (endMs >= s.nextAt) {
        const p = ports[f.id];
        for (let k = 0; k < p.length; k++) {
          let n = p[k];
          while (n === p[k] && hi > lo) n = lo + rng.int(hi - lo + 1);
          p[k] = n;
        }
        s.retries++;
        s.rto = Math.min(s.rto * 2, maxRtoMs);
        s.nextAt = endMs + s.rto;
      }
    },
    stop() {
      for (const f of world.flows) if (state[f.id].open && state[f.id].retries > 0) episodes.push(state[f.id].retries);
    },
    retryStats() {
      const n = episodes.length;
      return {
        episodes: n,
        retriesMean: n ? episodes.reduce((a, b) => a + b, 0) / n : 0,
        retriesMax: n ? Math.max(...episodes) : 0,
      };
    },
  };
}
