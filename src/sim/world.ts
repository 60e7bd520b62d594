// A validated scenario compiled into what the engine runs: the graph with VTEP hosts attached, the
// ECMP underlay, resolved flows with their segments (host -> gateway -> gateway -> host across regions),
// and compiled failures. Resolution errors (unknown names, unserved addresses) are ScenarioErrors too.
import { parseIPv4, formatIPv4 } from '../../bindings/addr.js';
import { jhash2 } from '../../bindings/jhash.js';
import { candidatePorts, DEFAULT_CANDIDATES, DEFAULT_PORT_RANGE, type PortRange } from '../../bindings/ports.js';
import { attachHost, buildFabric, type Graph } from './topology.js';
import { Underlay } from './underlay.js';
import { compileFailure, type CompiledFailure } from './failures.js';
import { DEFAULT_MIX, ScenarioError, type Family, type Role, type Scenario } from './scenario.js';
import { Prng } from './prng.js';

export const BIN_MS = 100; // SPEC: outage is counted in 100 ms bins

export interface Vtep {
  index: number;
  name: string;
  ip: number;
  node: number;
  region: string;
  role: Role;
  probes: boolean;
  middleboxInstances: number;
  cpu: number;
  /** Inner prefixes served: [network, prefix length]. */
  inner: [number, number][];
}

/** One VXLAN hop of a flow: the VTEP that encapsulates and the VTEP that decapsulates. */
export interface Segment { from: number; to: number }

export interface Flow {
  id: number;
  srcInner: number;
  dstInner: number;
  /** IP protocol number (6 TCP, 17 UDP). */
  proto: number;
  /** Inner IP family: decides what the VTEP hashes and whether PRR can re-path the flow. */
  family: Family;
  sport: number;
  dport: number;
  ratePps: number;
  packetBytes: number;
  tenant: string;
  startMs: number;
  endMs: number;
  /** Inner 5-tuple hash: what the datapath feeds its port choice. */
  hash: number;
  segments: Segment[];
}

export interface World {
  seed: number;
  durationMs: number;
  graph: Graph;
  underlay: Underlay;
  vteps: Vtep[];
  vtepByIp: Map<number, Vtep>;
  flows: Flow[];
  failures: CompiledFailure[];
  portRange: PortRange;
  candidateCount: number;
  portSeed: number;
  /** Candidate ports towards a peer (same rule as the datapath). */
  candidates(peerIp: number): readonly number[];
  scenario: Scenario;
}

/**
 * The inner 5-tuple flow hash (jhash2 over addresses and ports, protocol in the initval; an IPv6 flow
 * also has its family there, as the datapath's key does: docs/flow-hash.md). The IPv6 flow label is not
 * hashed, as in the datapath.
 */
export function innerFlowHash(src: number, dst: number, proto: number, sport: number, dport: number, family: Family = 'ipv4'): number {
  return jhash2([src >>> 0, dst >>> 0, ((sport << 16) | dport) >>> 0], family === 'ipv6' ? ((6 << 24) + proto) >>> 0 : proto);
}

/** `opts.withoutTraffic`: skip the scenario's flows and generator (replay brings its own flows). */
export function buildWorld(s: Scenario, seedOverride?: number, opts: { withoutTraffic?: boolean } = {}): World {
  const seed = (seedOverride ?? s.seed ?? 1) >>> 0;
  const g = buildFabric(s.topology);
  const hostLink = s.topology.hostLink;
  const vteps: Vtep[] = [];
  const vtepByIp = new Map<number, Vtep>();
  const rr = new Map<string, number>();
  s.vteps.forEach((spec, i) => {
    const f = `vteps[${i}]`;
    const n = spec.count ?? 1;
    const region = spec.region ?? (s.topology.kind === 'two-region' ? s.topology.regions[0].name : '');
    const points = g.attachPoints.get(region);
    if (!points) throw new ScenarioError(`${f}.region`, `no region or pod named ${JSON.stringify(region)}`);
    if (parseIPv4(spec.ip) + n - 1 > 0xffffffff) throw new ScenarioError(`${f}.count`, `${n} addresses from ${spec.ip} run past 255.255.255.255`);
    for (let k = 0; k < n; k++) {
      const name = spec.count === undefined ? spec.name : `${spec.name}${k}`;
      const ip = (parseIPv4(spec.ip) + k) >>> 0;
      if (vtepByIp.has(ip)) throw new ScenarioError(`${f}.ip`, `${formatIPv4(ip)} is used by two VTEPs`);
      if (g.index.has(name)) throw new ScenarioError(`${f}.name`, `${name} is already a node name`);
      let sw: number;
      if (spec.attach !== undefined) {
        const a = g.index.get(spec.attach);
        if (a === undefined || g.isHost[a]) throw new ScenarioError(`${f}.attach`, `no switch named ${spec.attach}`);
        sw = a;
      } else {
        const at = rr.get(region) ?? 0;
        sw = points[at % points.length];
        rr.set(region, at + 1);
      }
      const node = attachHost(g, name, sw, hostLink);
      const inner = (spec.inner ?? []).map((p): [number, number] => {
        const [a, len] = p.split('/');
        const l = len === undefined ? 32 : Number(len);
        const base = parseIPv4(a);
        // In a group, each VTEP gets the next block of the same size (the next address for a /32).
        const net = (((base & prefixMask(l)) >>> 0) + k * 2 ** (32 - l)) >>> 0;
        return [net, l];
      });
      const v: Vtep = {
        index: vteps.length, name, ip, node, region: g.region[sw], role: spec.role ?? 'host', probes: spec.probes ?? true,
        middleboxInstances: spec.middlebox?.instances ?? 0, cpu: spec.cpu ?? 0.2, inner,
      };
      vteps.push(v); vtepByIp.set(ip, v);
    }
  });
  const ipOfNode = new Map(vteps.map((v) => [v.node, v.ip]));
  const underlay = new Underlay(g, seed, (h) => ipOfNode.get(h) ?? 0);
  const range = parseRange(s.ports?.range) ?? DEFAULT_PORT_RANGE;
  const candidateCount = s.ports?.candidates ?? DEFAULT_CANDIDATES;
  if (candidateCount > range.hi - range.lo + 1) throw new ScenarioError('ports.candidates', `${candidateCount} candidates do not fit in ${range.lo}-${range.hi}`);
  const portSeed = s.ports?.seed ?? 0;
  const candCache = new Map<number, readonly number[]>();
  const candidates = (peer: number): readonly number[] => {
    let c = candCache.get(peer);
    if (!c) { c = candidatePorts(range, candidateCount, peer, portSeed); candCache.set(peer, c); }
    return c;
  };
  const failures = (s.failures ?? []).map((f, i) => compileFailure(g, f, `failures[${i}]`, seed, i));
  const gateways = new Map<string, Vtep[]>();
  for (const v of vteps) if (v.role === 'gateway') gateways.set(v.region, [...(gateways.get(v.region) ?? []), v]);
  const flows: Flow[] = [];
  const addFlow = (src: Vtep, dst: Vtep, fl: Omit<Flow, 'id' | 'hash' | 'segments'>): void => {
    const hash = innerFlowHash(fl.srcInner, fl.dstInner, fl.proto, fl.sport, fl.dport, fl.family);
    flows.push({ ...fl, id: flows.length, hash, segments: segmentsOf(src, dst, hash, gateways) });
  };
  (opts.withoutTraffic ? [] : s.traffic.flows ?? []).forEach((spec, i) => {
    const f = `traffic.flows[${i}]`;
    const srcInner = parseIPv4(spec.src), dstInner = parseIPv4(spec.dst);
    const src = serving(vteps, srcInner), dst = serving(vteps, dstInner);
    if (!src) throw new ScenarioError(`${f}.src`, `no VTEP serves ${spec.src}`);
    if (!dst) throw new ScenarioError(`${f}.dst`, `no VTEP serves ${spec.dst}`);
    if (src === dst) throw new ScenarioError(`${f}.dst`, `${spec.dst} is served by the source's own VTEP ${src.name}`);
    addFlow(src, dst, {
      srcInner, dstInner, proto: spec.proto ?? 6, family: spec.family ?? 'ipv4', sport: spec.sport ?? 40000 + i, dport: spec.dport ?? 80,
      ratePps: spec.ratePps ?? 100, packetBytes: spec.packetBytes ?? 1000, tenant: spec.tenant ?? spec.src,
      startMs: spec.startMs ?? 0, endMs: spec.endMs ?? s.durationMs,
    });
  });
  if (s.traffic.generator && !opts.withoutTraffic) generate(s, vteps, seed, addFlow);
  if (flows.length === 0 && !opts.withoutTraffic) throw new ScenarioError('traffic', 'no flows: give traffic.flows or traffic.generator');
  return {
    seed, durationMs: s.durationMs, graph: g, underlay, vteps, vtepByIp, flows, failures,
    portRange: range, candidateCount, portSeed, candidates, scenario: s,
  };
}

/** Direct within a region; across regions host -> gateway -> gateway -> host when gateways exist. */
export function segmentsOf(src: Vtep, dst: Vtep, hash: number, gateways: Map<string, Vtep[]>): Segment[] {
  if (src.region === dst.region) return [{ from: src.index, to: dst.index }];
  const ga = gateways.get(src.region), gb = gateways.get(dst.region);
  if (!ga || !gb) return [{ from: src.index, to: dst.index }];
  const a = src.role === 'gateway' ? src : ga[hash % ga.length];
  const b = dst.role === 'gateway' ? dst : gb[hash % gb.length];
  const hops = [src, a, b, dst].filter((v, i, all) => i === 0 || v !== all[i - 1]);
  return hops.slice(1).map((v, i) => ({ from: hops[i].index, to: v.index }));
}

function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function serving(vteps: Vtep[], addr: number): Vtep | undefined {
  let best: Vtep | undefined;
  let bestLen = -1;
  for (const v of vteps) {
    for (const [net, len] of v.inner) {
      if (len > bestLen && ((addr & prefixMask(len)) >>> 0) === net) { best = v; bestLen = len; }
    }
  }
  return best;
}

function parseRange(r: string | undefined): PortRange | undefined {
  if (r === undefined) return undefined;
  const [lo, hi] = r.split('-').map(Number);
  return { lo, hi };
}

/**
 * Traffic generator: each host VTEP is active with probability activeShare and talks to k peers with
 * k = 1 + floor(u^3 x maxPeerShare x (hosts - 1)), u uniform — skewed so most VTEPs talk to very few
 * peers and none to more than maxPeerShare of them (the talk: 99% of VTEPs talk to < 25% of peers).
 */
function generate(s: Scenario, vteps: Vtep[], seed: number, add: (a: Vtep, b: Vtep, fl: Omit<Flow, 'id' | 'hash' | 'segments'>) => void): void {
  const gen = s.traffic.generator!;
  const rng = new Prng(seed, 0x9e4);
  const hosts = vteps.filter((v) => v.role === 'host' && v.inner.length > 0);
  if (hosts.length < 2) throw new ScenarioError('traffic.generator', 'needs at least two host VTEPs with inner addresses');
  const maxShare = gen.maxPeerShare ?? 0.25;
  const cross = gen.crossRegionShare;
  // The protocol mix has its own stream, so the mix does not change who talks to whom.
  const mixRng = new Prng(seed, 0x9e5);
  const tcpShare = gen.mix?.tcp ?? DEFAULT_MIX.tcp, v6Share = gen.mix?.ipv6 ?? DEFAULT_MIX.ipv6;
  for (const v of hosts) {
    if (rng.next() >= (gen.activeShare ?? 1)) continue;
    const others = hosts.filter((h) => h !== v);
    const k = Math.min(others.length, 1 + Math.floor(rng.next() ** 3 * maxShare * others.length));
    const chosen = new Set<Vtep>();
    while (chosen.size < k) {
      let pool = others;
      if (cross !== undefined) {
        const wantCross = rng.next() < cross;
        const sub = others.filter((h) => (h.region !== v.region) === wantCross);
        if (sub.length > 0) pool = sub;
      }
      chosen.add(pool[rng.int(pool.length)]);
    }
    for (const peer of chosen) {
      for (let j = 0; j < (gen.flowsPerPeer ?? 1); j++) {
        const tcp = mixRng.next() < tcpShare;
        const family: Family = mixRng.next() < v6Share ? 'ipv6' : 'ipv4';
        const sport = 32768 + rng.int(28000), web = rng.next() < 0.5;
        add(v, peer, {
          // UDP flows go to DNS (53) or QUIC (443) instead of HTTP (80) or HTTPS (443).
          srcInner: v.inner[0][0], dstInner: peer.inner[0][0], proto: tcp ? 6 : 17, family, sport, dport: web ? (tcp ? 80 : 53) : 443,
          ratePps: gen.ratePps ?? 100, packetBytes: gen.packetBytes ?? 1000, tenant: v.name, startMs: 0, endMs: s.durationMs,
        });
      }
    }
  }
}
