// ECMP routing over a Graph. Routes are shortest paths by hop count; every switch hashes the outer
// 5-tuple (src IP, dst IP, proto 17, source port, dst port 4789) with its own seeded hash to pick
// among its equal-cost next hops, as real switches do — so a VTEP's source port selects a path.
// Failures are gray: routing does not see them (the case ZooRoute exists for), so paths never change.
import { jhash2 } from '../../bindings/jhash.js';
import { VXLAN_PORT } from '../../bindings/defaults.js';
import type { Graph } from './topology.js';
import { mix32 } from './prng.js';

/**
 * ECMP routing over a {@link Graph}: the directed links an outer packet crosses for a given source
 * port, as seeded per-switch hashes choose them. Routes never react to failures (they are gray), so the
 * only way to leave a failed path is another source port — what every mode is compared on.
 */
export class Underlay {
  /** Per-switch ECMP hash seed, derived from the scenario seed. */
  readonly switchSeed: number[];
  private readonly dist = new Map<number, Int32Array>();
  /** Paths by (a, b) pair, then by source port: small integer keys hash fast, a*n*65536+sport did not. */
  private readonly cache = new Map<number, Map<number, Int32Array>>();
  private readonly hostCount: number;

  /**
   * @param g - the graph to route over (VTEP hosts attached)
   * @param seed - the scenario seed; each switch's ECMP hash seed is derived from it
   * @param ipOf - the underlay address of a host node, hashed as the outer source or destination
   */
  constructor(readonly g: Graph, seed: number, private readonly ipOf: (host: number) => number) {
    this.switchSeed = g.names.map((_, i) => mix32((seed >>> 0) ^ mix32(i + 0x51ed)));
    this.hostCount = g.names.length;
  }

  /** Hop distances from every node to `target` over switches only (hosts never transit). */
  private distTo(target: number): Int32Array {
    let d = this.dist.get(target);
    if (d) return d;
    const g = this.g;
    d = new Int32Array(g.names.length).fill(-1);
    d[target] = 0;
    const queue = [target];
    for (let qi = 0; qi < queue.length; qi++) {
      const v = queue[qi];
      for (const l of g.out[v]) {
        const u = g.to[l]; // links are symmetric: u -> v exists too
        if (d[u] >= 0 || g.isHost[u]) continue;
        d[u] = d[v] + 1;
        queue.push(u);
      }
    }
    this.dist.set(target, d);
    return d;
  }

  /** The switch's ECMP choice among n next hops for an outer 5-tuple. */
  ecmpIndex(sw: number, src: number, dst: number, sport: number, n: number): number {
    if (n === 1) return 0;
    return jhash2([src >>> 0, dst >>> 0, ((sport << 16) | VXLAN_PORT) >>> 0, 17], this.switchSeed[sw]) % n;
  }

  /**
   * Directed link ids an outer packet from host `a` to host `b` with source port `sport` crosses.
   * Empty when b is unreachable. Cached: routes are static.
   */
  path(a: number, b: number, sport: number): Int32Array {
    const pair = a * this.hostCount + b;
    let byPort = this.cache.get(pair);
    if (byPort === undefined) this.cache.set(pair, (byPort = new Map()));
    const hit = byPort.get(sport);
    if (hit) return hit;
    const g = this.g;
    const src = this.ipOf(a), dst = this.ipOf(b);
    const links: number[] = [];
    const first = g.out[a][0];
    const last = g.out[b][0] ^ 1; // b's access link, towards b
    const target = g.from[last];
    const d = this.distTo(target);
    let sw = g.to[first];
    links.push(first);
    if (d[sw] < 0) return this.remember(byPort, sport, new Int32Array(0));
    while (sw !== target) {
      const next = g.out[sw].filter((l) => d[g.to[l]] === d[sw] - 1 && !g.isHost[g.to[l]]);
      const l = next[this.ecmpIndex(sw, src, dst, sport, next.length)];
      links.push(l);
      sw = g.to[l];
    }
    links.push(last);
    return this.remember(byPort, sport, Int32Array.from(links));
  }

  /** One-way latency of a path (directed link ids), ms: the sum of its links' latencies. */
  latency(path: Int32Array): number {
    let ms = 0;
    for (const l of path) ms += this.g.latencyMs[l];
    return ms;
  }

  private remember(byPort: Map<number, Int32Array>, sport: number, p: Int32Array): Int32Array {
    byPort.set(sport, p);
    return p;
  }
}
