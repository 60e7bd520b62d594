// ECMP routing over a Graph. Routes are shortest paths by hop count; every switch hashes the outer
// 5-tuple (src IP, dst IP, proto 17, source port, dst port 4789) with its own seeded hash to pick
// among its equal-cost next hops, as real switches do — so a VTEP's source port selects a path.
// Failures are gray: routing does not see them (the case ZooRoute exists for), so paths never change.
import { jhash2, JHASH_INITVAL } from '../../bindings/jhash.js';
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
  /** Hop distances to each target node, by node id (made on first use): an array, looked up per packet. */
  private readonly dist: (Int32Array | undefined)[];
  /** Paths by (a, b) pair, then by source port: small integer keys hash fast, a*n*65536+sport did not. */
  private readonly cache = new Map<number, Map<number, Int32Array>>();
  private readonly hostCount: number;
  /**
   * Per target switch (by node id), every switch's next hops towards it (as path() filters them) in one
   * array, made on first use: [0 .. S] where switch i's list starts (its dense index i = swIndex[node],
   * S switches), [S + 1 + i] switch i's hop distance to the target (-1: none), then the lists. One typed
   * array per route, a few hundred bytes, instead of the distances by node and an array of arrays.
   */
  private readonly hops: (Int32Array | undefined)[];
  /** Dense index of each switch node (-1 for hosts), and their count. */
  private readonly swIndex: Int32Array;
  private readonly switches: number;
  /** switchSeed and g.to as typed arrays, read per hop. */
  private readonly seedOf: Int32Array;
  private readonly linkTo: Int32Array;
  /** ipOf per node, read once (NaN: not read yet). */
  private readonly ipCache: Float64Array;
  /**
   * Per host node, what routeInto reads of it, side by side (one cache line, not the graph's nested
   * arrays — a probe joins two random hosts, and at region scale each read of g.out[host] was a miss):
   * [NODE_IP] its address (as int32), [NODE_FIRST] its access link's id (out of the host), [NODE_SWITCH]
   * the switch it is attached to. NODE_FIRST -1: not read yet.
   */
  private readonly nodeInfo: Int32Array;

  /**
   * @param g - the graph to route over (VTEP hosts attached)
   * @param seed - the scenario seed; each switch's ECMP hash seed is derived from it
   * @param ipOf - the underlay address of a host node, hashed as the outer source or destination
   */
  constructor(readonly g: Graph, seed: number, private readonly ipOf: (host: number) => number) {
    this.switchSeed = g.names.map((_, i) => mix32((seed >>> 0) ^ mix32(i + 0x51ed)));
    this.hostCount = g.names.length;
    this.ipCache = new Float64Array(g.names.length).fill(NaN);
    this.nodeInfo = new Int32Array(g.names.length * NODE_STRIDE).fill(-1);
    this.dist = new Array<undefined>(g.names.length).fill(undefined);
    this.hops = new Array<undefined>(g.names.length).fill(undefined);
    this.swIndex = new Int32Array(g.names.length).fill(-1);
    let sw = 0;
    for (let v = 0; v < g.names.length; v++) if (!g.isHost[v]) this.swIndex[v] = sw++;
    this.switches = sw;
    this.seedOf = Int32Array.from(this.switchSeed);
    this.linkTo = Int32Array.from(g.to);
  }

  /** Hop distances from every node to `target` over switches only (hosts never transit). */
  private distTo(target: number): Int32Array {
    let d = this.dist[target];
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
    this.dist[target] = d;
    return d;
  }

  /** The switch's ECMP choice among n next hops for an outer 5-tuple. */
  ecmpIndex(sw: number, src: number, dst: number, sport: number, n: number): number {
    if (n === 1) return 0;
    return jhash2([src >>> 0, dst >>> 0, ((sport << 16) | VXLAN_PORT) >>> 0, 17], this.switchSeed[sw]) % n;
  }

  /**
   * The links of path(a, b, sport) written to out[0..n), n returned (0 when b is unreachable): the
   * same route, computed without caching or allocating. A probe reply on a port drawn anew each time
   * (ControlConfig.replyPort 'alternate' / 'spread') would otherwise add a cached path per packet:
   * memory grew with the run and every lookup missed the cache. `out` needs room for the longest path
   * (the node count is always enough).
   */
  routeInto(a: number, b: number, sport: number, out: Int32Array): number {
    const info = this.nodeInfo;
    const ia = a * NODE_STRIDE, ib = b * NODE_STRIDE;
    if (info[ia + NODE_FIRST] < 0) this.readNode(a); // first use
    if (info[ib + NODE_FIRST] < 0) this.readNode(b);
    const src = info[ia + NODE_IP] >>> 0, dst = info[ib + NODE_IP] >>> 0;
    const first = info[ia + NODE_FIRST];
    const last = info[ib + NODE_FIRST] ^ 1; // b's access link, towards b
    const target = info[ib + NODE_SWITCH]; // g.from[last]
    let sw = info[ia + NODE_SWITCH]; // g.to[first]
    const hops = this.hops[target] ?? this.hopsTo(target);
    const swIndex = this.swIndex, seedOf = this.seedOf, linkTo = this.linkTo;
    if (hops[this.switches + 1 + swIndex[sw]] < 0) return 0; // b unreachable
    const k2 = ((sport << 16) | VXLAN_PORT) >>> 0;
    let n = 0;
    out[n++] = first;
    while (sw !== target) {
      const i = swIndex[sw];
      const o = hops[i], m = hops[i + 1] - o;
      const l = m === 1 ? hops[o] : hops[o + (jhash4(src, dst, k2, 17, seedOf[sw]) % m)];
      out[n++] = l;
      sw = linkTo[l];
    }
    out[n++] = last;
    return n;
  }

  /** Fill nodeInfo for a node (routeInto's per-host reads). */
  private readNode(node: number): void {
    const g = this.g, i = node * NODE_STRIDE;
    const first = g.out[node][0];
    this.nodeInfo[i + NODE_FIRST] = first;
    this.nodeInfo[i + NODE_SWITCH] = g.to[first];
    this.nodeInfo[i + NODE_IP] = this.ip(node) | 0;
  }

  private ip(node: number): number {
    let x = this.ipCache[node];
    if (x !== x) this.ipCache[node] = x = this.ipOf(node) >>> 0; // NaN: first read
    return x;
  }

  /** Every switch's next hops towards `target` (distances d): path()'s filter, as `hops` lays it out. */
  private hopsTo(target: number): Int32Array {
    const g = this.g, S = this.switches;
    const d = this.distTo(target);
    const lists: number[] = [];
    const starts = new Int32Array(S + 1);
    for (let v = 0; v < g.names.length; v++) {
      const i = this.swIndex[v];
      if (i < 0) continue;
      starts[i] = lists.length;
      for (const l of g.out[v]) if (d[v] >= 0 && d[g.to[l]] === d[v] - 1 && !g.isHost[g.to[l]]) lists.push(l);
    }
    starts[S] = lists.length;
    const h = new Int32Array(2 * S + 1 + lists.length);
    for (let i = 0; i <= S; i++) h[i] = starts[i] + 2 * S + 1;
    for (let v = 0; v < g.names.length; v++) if (this.swIndex[v] >= 0) h[S + 1 + this.swIndex[v]] = d[v];
    h.set(lists, 2 * S + 1);
    this.hops[target] = h;
    return h;
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

  /** The one-way latency of out[0..n) (routeInto's links), ms: as latency() sums a path. */
  latencyOf(out: Int32Array, n: number): number {
    let ms = 0;
    for (let j = 0; j < n; j++) ms += this.g.latencyMs[out[j]];
    return ms;
  }

  private remember(byPort: Map<number, Int32Array>, sport: number, p: Int32Array): Int32Array {
    byPort.set(sport, p);
    return p;
  }
}

/** nodeInfo's layout: four int32 per node (16 bytes, a quarter of a cache line), three used. */
const NODE_STRIDE = 4, NODE_IP = 0, NODE_FIRST = 1, NODE_SWITCH = 2;

const rol = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** jhash2([k0, k1, k2, k3], initval) (bindings/jhash.ts) without the array: the ECMP hash per hop. */
export function jhash4(k0: number, k1: number, k2: number, k3: number, initval: number): number {
  let a = (JHASH_INITVAL + 16 + initval) >>> 0;
  let b = a;
  let c = a;
  a = (a + k0) >>> 0; b = (b + k1) >>> 0; c = (c + k2) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol(b, 4)) >>> 0; b = (b + a) >>> 0;
  a = (a + k3) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol(b, 24)) >>> 0;
  return c >>> 0;
}
