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

/**
 * Width of a time bin, ms. Tenant data moves bin by bin and outage is counted in whole bins (the SPEC's
 * unit: a flow is out in a bin that loses more than half of its packets).
 */
export const BIN_MS = 100;

/** A VTEP of the world: a {@link VtepSpec} resolved to a node of the graph, with every default filled in. */
export interface Vtep {
  /** Position in `World.vteps`; flows' segments refer to VTEPs by it. */
  index: number;
  name: string;
  /** Underlay IPv4 address as an unsigned 32-bit number. */
  ip: number;
  /** The VTEP's host node in `World.graph`. */
  node: number;
  /** Region or pod of the switch it is attached to ('' in a one-region topology). */
  region: string;
  role: Role;
  /** Whether it runs the control plane (probes and answers probes). */
  probes: boolean;
  /** Instances of the stateful middlebox service it fronts; 0 when it is none. */
  middleboxInstances: number;
  /** Modelled CPU utilisation 0..1, fed to the control plane's rate control. */
  cpu: number;
  /** Inner prefixes served: [network, prefix length]. */
  inner: [number, number][];
}

/** One VXLAN hop of a flow: the VTEP that encapsulates and the VTEP that decapsulates. */
export interface Segment { from: number; to: number }

/**
 * A resolved one-way tenant flow: its inner 5-tuple, rate and lifetime, its flow hash, and the VXLAN
 * segments it crosses. Every mode runs the same flows; only the outer source ports differ.
 */
export interface Flow {
  /** Position in `World.flows`; the ledger and the policies index by it. */
  id: number;
  /** Inner source and destination addresses as unsigned 32-bit numbers (IPv4, or a fold of IPv6). */
  srcInner: number;
  dstInner: number;
  /** IP protocol number (6 TCP, 17 UDP). */
  proto: number;
  /** Inner IP family: decides what the VTEP hashes and whether PRR can re-path the flow. */
  family: Family;
  sport: number;
  dport: number;
  /** Packets per second (0 when a replay's per-bin counts replace the rate). */
  ratePps: number;
  /** Bytes per packet on the wire, for the capacity model. */
  packetBytes: number;
  /** Who the flow belongs to, for masking. */
  tenant: string;
  /** Lifetime, ms from the start of the run: [startMs, endMs). */
  startMs: number;
  endMs: number;
  /** Inner 5-tuple hash: what the datapath feeds its port choice. */
  hash: number;
  /** The VXLAN hops in order: one within a region, up to three across regions through gateways. */
  segments: Segment[];
}

/**
 * A scenario compiled into what the engine runs: the graph with the VTEP hosts attached, the ECMP
 * underlay, the flows with their segments and the failures resolved to links. Built once by
 * {@link buildWorld} and shared, read-only, by every mode's run so that they differ only in policy.
 */
export interface World {
  /** The effective seed (the override, the scenario's, or 1). */
  seed: number;
  /** Simulated time, ms. */
  durationMs: number;
  graph: Graph;
  underlay: Underlay;
  vteps: Vtep[];
  /** VTEPs by underlay address (unsigned 32-bit). */
  vtepByIp: Map<number, Vtep>;
  flows: Flow[];
  failures: CompiledFailure[];
  /** Source ports the candidates are drawn from. */
  portRange: PortRange;
  /** Candidate ports per peer. */
  candidateCount: number;
  /** Seed of the candidate-port placement (the datapath's hash seed). */
  portSeed: number;
  /** Candidate ports towards a peer (same rule as the datapath). */
  candidates(peerIp: number): readonly number[];
  /** The scenario the world was built from (the policies read their parameters there). */
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

/**
 * Compile a parsed scenario into a {@link World}: build the fabric, attach and name the VTEPs, place
 * candidate ports, resolve flows (explicit and generated) and failures. `seedOverride` replaces the
 * scenario's seed (the CLI's `--seed`). `opts.withoutTraffic`: skip the scenario's flows and generator
 * (replay brings its own flows). Names and addresses that do not resolve throw a ScenarioError.
 */
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
    // Every field written out, in one order (the spread's): a spread made flows of many hidden classes,
    // and the engine's per-bin loops over them went megamorphic (30x slower per field read).
    flows.push({
      srcInner: fl.srcInner, dstInner: fl.dstInner, proto: fl.proto, family: fl.family, sport: fl.sport, dport: fl.dport,
      ratePps: fl.ratePps, packetBytes: fl.packetBytes, tenant: fl.tenant, startMs: fl.startMs, endMs: fl.endMs,
      id: flows.length, hash, segments: segmentsOf(src, dst, hash, gateways),
    });
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
  // The pools a host draws its peers from, as lists that skip the host itself: the other hosts, those
  // of its own region, those of the others (each in `hosts` order). Lists built once, not per host
  // (filtering every host's pool was O(hosts^2): seconds per seed at 10,000 VTEPs); same draws.
  const inRegion = new Map<string, Vtep[]>(), outRegion = new Map<string, Vtep[]>();
  for (const r of new Set(hosts.map((h) => h.region))) {
    inRegion.set(r, hosts.filter((h) => h.region === r));
    outRegion.set(r, hosts.filter((h) => h.region !== r));
  }
  const posIn = new Map<Vtep, number>();
  for (const list of inRegion.values()) list.forEach((h, i) => posIn.set(h, i));
  const posAll = new Map<Vtep, number>(hosts.map((h, i) => [h, i]));
  /** Element i of `list` without the host at index `at` in it (-1: the host is not in it). */
  const without = (list: Vtep[], at: number, i: number): Vtep => list[at >= 0 && i >= at ? i + 1 : i];
  for (const v of hosts) {
    if (rng.next() >= (gen.activeShare ?? 1)) continue;
    const others = hosts.length - 1;
    const k = Math.min(others, 1 + Math.floor(rng.next() ** 3 * maxShare * others));
    const chosen = new Set<Vtep>();
    const same = inRegion.get(v.region)!, away = outRegion.get(v.region)!;
    while (chosen.size < k) {
      // As before: a region's pool when it has anyone, else every other host.
      let list = hosts, at = posAll.get(v)!, n = others;
      if (cross !== undefined) {
        const wantCross = rng.next() < cross;
        if (wantCross && away.length > 0) { list = away; at = -1; n = away.length; }
        else if (!wantCross && same.length > 1) { list = same; at = posIn.get(v)!; n = same.length - 1; }
      }
      chosen.add(without(list, at, rng.int(n)));
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
