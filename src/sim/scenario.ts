// The scenario format (docs/scenario-format.md): topology, VTEPs, traffic and failure events, as JSON.
// `parseScenario` checks every field and throws a ScenarioError naming the first bad one.
import type { LinkSpec, TopologySpec } from './topology.js';

/**
 * What a VTEP does in the underlay. A `host` serves tenant addresses; a `gateway` relays flows between
 * regions (host -> gateway -> gateway -> host), and runs two control planes, one per kind of peer.
 */
export type Role = 'host' | 'gateway';

/**
 * One VTEP (or, with `count`, a group of them) as the scenario file states it (docs/scenario-format.md,
 * "vteps"). `buildWorld` resolves it into {@link Vtep}s attached to switches of the topology.
 */
export interface VtepSpec {
  /** Node name; must not clash with a switch name. With `count`, the prefix of the members' names. */
  name: string;
  /** Underlay (outer) IPv4 address; with `count`, the first of consecutive addresses. */
  ip: string;
  /** Inner addresses or IPv4 prefixes this VTEP serves; with `count`, single addresses step per VTEP. */
  inner?: string[];
  /** Switch to attach to; default: round-robin over the region's leaves/ToRs. */
  attach?: string;
  /** Region (two-region) or pod (`pod0`, clos) to attach in. */
  region?: string;
  /** Default `host`. */
  role?: Role;
  /** false: a peer that does not probe nor answer probes (a plain kernel VTEP). */
  probes?: boolean;
  /** A stateful middlebox service: `instances` backends behind a hash of the outer 5-tuple. */
  middlebox?: { instances: number };
  /** Modelled CPU utilisation 0..1 fed to the control plane's rate control. */
  cpu?: number;
  /** Expand into `count` VTEPs named name0, name1, ... */
  count?: number;
}

/** Inner IP family of a tenant flow. The scenario's inner addresses are IPv4 either way (they say which
 * VTEP serves the flow); `ipv6` changes how the flow is hashed and whether PRR can re-path it. */
export type Family = 'ipv4' | 'ipv6';
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/**
 * One explicit one-way tenant flow of a scenario: its packets go from `src` to `dst` at a constant rate
 * between `startMs` and `endMs`. Each end is mapped to the VTEP serving it (longest inner prefix).
 */
export interface FlowSpec {
  /** Inner IPv4 source address; some VTEP must serve it. */
  src: string;
  /** Inner IPv4 destination address, served by another VTEP than `src`. */
  dst: string;
  /** IP protocol number: 6 TCP (default), 17 UDP. */
  proto?: number;
  /** Default ipv4. */
  family?: Family;
  /** Inner source port; default 40000 + the flow's index. */
  sport?: number;
  /** Inner destination port; default 80. */
  dport?: number;
  /** Packets per second; default 100. */
  ratePps?: number;
  /** Bytes per packet on the wire (for the capacity model); default 1000. */
  packetBytes?: number;
  /** Who the flow belongs to, for "failures masked from tenants"; default `src`. */
  tenant?: string;
  /** When the flow starts and stops, ms from the start of the run; default the whole run. */
  startMs?: number;
  endMs?: number;
}

/**
 * Synthetic traffic in the talk's pattern: each active host VTEP talks to a few peers, skewed so most
 * VTEPs talk to very few and none to more than `maxPeerShare` of them (docs/scenario-format.md, "traffic").
 * Large scenarios use it instead of listing thousands of flows.
 */
export interface GeneratorSpec {
  /** Share of host VTEPs that send at all. */
  activeShare?: number;
  /** Upper bound on the share of peers one VTEP talks to (skewed: most talk to far fewer). */
  maxPeerShare?: number;
  /** Flows per (VTEP, peer) pair, each with random inner ports; default 1. */
  flowsPerPeer?: number;
  /** Packets per second of each generated flow; default 100. */
  ratePps?: number;
  /** Bytes per packet of each generated flow; default 1000. */
  packetBytes?: number;
  /** Two-region: probability that a chosen peer is in the other region (0 = pick uniformly). */
  crossRegionShare?: number;
  /** Protocol mix of the generated flows (default DEFAULT_MIX). */
  mix?: TrafficMix;
}

/**
 * Shares of generated flows: `tcp` of them are TCP (the rest UDP), `ipv6` of them IPv6 (the rest
 * IPv4), drawn independently per flow.
 */
export interface TrafficMix {
  /** Share of flows that are TCP, 0..1 (the rest UDP). */
  tcp?: number;
  /** Share of flows that are IPv6, 0..1 (the rest IPv4). */
  ipv6?: number;
}

/**
 * The default mix: our assumption, not a measured figure (we found no published protocol mix of cloud
 * tenant traffic): TCP carries most tenant traffic, UDP the rest (DNS, QUIC, media, tunnels); a minority
 * of tenants run IPv6 inside their overlay.
 */
export const DEFAULT_MIX: Readonly<Required<TrafficMix>> = { tcp: 0.9, ipv6: 0.3 };

/**
 * The kinds of failure a scenario can inject; each names what fails (docs/scenario-format.md,
 * "failures"). All are gray: routing does not see them and keeps hashing flows onto the failed paths.
 */
export type FailureType = 'link-down' | 'loss' | 'burst' | 'card' | 'border-routers' | 'endpoint' | 'switch-down';
/** Every {@link FailureType}, in the order error messages list them; the parser checks `type` against it. */
export const FAILURE_TYPES: readonly FailureType[] = ['link-down', 'loss', 'burst', 'card', 'border-routers', 'endpoint', 'switch-down'];

/**
 * One failure event as the scenario file states it: a type, when it starts and how long it lasts, and
 * the fields its type needs (which links, switch, region or VTEP). `compileFailure` resolves it against
 * the graph into a {@link CompiledFailure}.
 */
export interface FailureSpec {
  /** Shown in the report; default `type#index`. */
  name?: string;
  type: FailureType;
  /** Start, ms from the start of the run. */
  atMs: number;
  /** How long the failure lasts, ms. */
  durationMs: number;
  /** link-down, loss, burst: node-name pairs; every parallel link between them, both directions. */
  links?: [string, string][];
  /** Loss probability while active (link-down, card, border-routers, endpoint, switch-down default 1). */
  loss?: number;
  /** burst: peak loss, reached mid-burst; the rate varies every `stepMs`, ramping up and down over `rampMs`. */
  peakLoss?: number;
  stepMs?: number;
  rampMs?: number;
  /** card, switch-down: the switch. */
  switch?: string;
  /** card: neighbours whose links the card carries (default all). */
  neighbors?: string[];
  /** card: share of each bundle of parallel links on the card (default 1). */
  share?: number;
  /** border-routers: region, and how many of its routers fail (the first `count`, or `routers`). */
  region?: string;
  count?: number;
  routers?: string[];
  /** endpoint: the VTEP whose access link fails (every path to or from it shares it). */
  vtep?: string;
}

/**
 * The opportunistic mode's timeout model (docs/simulator.md): when a flow counts as timed out and how
 * its retries back off. The mode is an ideal bound, so these are the only knobs it has.
 */
export interface OpportunisticSpec {
  /** First retransmission timeout, ms (Linux TCP's minimum RTO is 200 ms). */
  rtoMs?: number;
  /** Ceiling of the exponential backoff between retries, ms (default 3000). */
  maxRtoMs?: number;
  /** Loss share within a bin that counts as a timeout. */
  rtoLossShare?: number;
}

/** Protective ReRoute (docs/simulator.md, "prr"): the tenant TCP stack's retransmission timer. */
export interface PrrSpec {
  /** Linux's minimum RTO (TCP_RTO_MIN), ms. */
  minRtoMs?: number;
  /** RTO before the first RTT sample (RFC 6298 2.1; Linux TCP_TIMEOUT_INIT), ms. */
  initialRtoMs?: number;
  /** Backoff ceiling (Linux TCP_RTO_MAX), ms. */
  maxRtoMs?: number;
  /** Loss share within a bin that stalls the flow (no ACK comes back for what it sent). */
  rtoLossShare?: number;
}

/** Linux TCP_RTO_MIN (200 ms), TCP_TIMEOUT_INIT (1 s, RFC 6298 2.1), TCP_RTO_MAX (120 s); the prr mode's defaults. */
export const PRR_DEFAULTS = { minRtoMs: 200, initialRtoMs: 1000, maxRtoMs: 120_000, rtoLossShare: 0.5 } as const;

/**
 * What a scenario file is for: `simulation` (its own traffic, `zooroute simulate`) or `replay` (the
 * traffic comes from a capture, `zooroute replay`). docs/scenario-format.md#kind.
 */
export type ScenarioKind = 'simulation' | 'replay';

/** The scenario kinds, as the `kind` field spells them. */
export const SCENARIO_KINDS: readonly ScenarioKind[] = ['simulation', 'replay'];

/**
 * A whole scenario file, as `parseScenario` returns it once every field has been checked
 * (docs/scenario-format.md): the underlay, the VTEPs, the traffic, the failures and the baselines'
 * parameters. `zooroute simulate` runs it; `zooroute replay` uses it with a capture's traffic instead.
 */
export interface Scenario {
  /** What the file is for; absent in older files, where scenarioKind() infers it from the traffic. */
  kind?: ScenarioKind;
  /** Shown in the report. */
  name?: string;
  description?: string;
  /** Seeds every random choice (ECMP hashes, loss sampling, generator, jitter); default 1. */
  seed?: number;
  /** Simulated time, ms (100 .. 3 600 000). */
  durationMs: number;
  topology: TopologySpec;
  /**
   * Candidate source ports per peer: `range` "A-B" (default 49152-65535), how many `candidates`
   * (default 32) and the placement `seed` (default 0), as the datapath places them.
   */
  ports?: { range?: string; candidates?: number; seed?: number };
  /** Passed to the control plane as its ControlConfig overrides (probe interval, timeout, ...). */
  control?: Record<string, number | boolean | string>;
  vteps: VtepSpec[];
  /** Explicit flows, generated ones, or both; at least one flow in the end (except for replay). */
  traffic: { flows?: FlowSpec[]; generator?: GeneratorSpec };
  failures?: FailureSpec[];
  opportunistic?: OpportunisticSpec;
  prr?: PrrSpec;
}

/** A scenario that cannot be run; the message names the field. */
export class ScenarioError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'ScenarioError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, f: string, allowed: readonly string[]): Obj {
  if (!isObj(v)) throw new ScenarioError(f, 'expected an object');
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new ScenarioError(`${f}.${k}`, 'unknown field');
  return v;
}

function num(o: Obj, k: string, f: string, lo: number, hi: number, opts: { int?: boolean; required?: boolean } = {}): number | undefined {
  const v = o[k];
  if (v === undefined) {
    if (opts.required) throw new ScenarioError(`${f}.${k}`, 'required');
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ScenarioError(`${f}.${k}`, 'expected a number');
  if (opts.int && !Number.isInteger(v)) throw new ScenarioError(`${f}.${k}`, 'expected an integer');
  if (v < lo || v > hi) throw new ScenarioError(`${f}.${k}`, `must be in ${lo}..${hi}, got ${v}`);
  return v;
}

function str(o: Obj, k: string, f: string, required = false): string | undefined {
  const v = o[k];
  if (v === undefined) {
    if (required) throw new ScenarioError(`${f}.${k}`, 'required');
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0) throw new ScenarioError(`${f}.${k}`, 'expected a non-empty string');
  return v;
}

function arr(o: Obj, k: string, f: string, required = false): unknown[] | undefined {
  const v = o[k];
  if (v === undefined) {
    if (required) throw new ScenarioError(`${f}.${k}`, 'required');
    return undefined;
  }
  if (!Array.isArray(v)) throw new ScenarioError(`${f}.${k}`, 'expected an array');
  return v;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

function ip(o: Obj, k: string, f: string, required = false): void {
  const v = str(o, k, f, required);
  if (v !== undefined && !isIPv4(v)) throw new ScenarioError(`${f}.${k}`, `not an IPv4 address: ${JSON.stringify(v)}`);
}

function prefix(v: unknown, f: string): void {
  if (typeof v !== 'string') throw new ScenarioError(f, 'expected an IPv4 address or prefix string');
  const [a, len, extra] = v.split('/');
  if (extra !== undefined || !isIPv4(a) || (len !== undefined && !/^(\d|[12]\d|3[0-2])$/.test(len))) {
    throw new ScenarioError(f, `not an IPv4 address or prefix: ${JSON.stringify(v)}`);
  }
}

const LINK_KEYS = ['latencyMs', 'capacityMbps', 'loss'] as const;

function link(o: Obj, k: string, f: string): void {
  if (o[k] === undefined) return;
  const l = obj(o[k], `${f}.${k}`, LINK_KEYS);
  num(l, 'latencyMs', `${f}.${k}`, 0, 10_000);
  num(l, 'capacityMbps', `${f}.${k}`, 1e-6, 1e9);
  num(l, 'loss', `${f}.${k}`, 0, 1);
}

function topology(v: unknown): void {
  const f = 'topology';
  if (!isObj(v)) throw new ScenarioError(f, 'expected an object');
  const kind = v.kind;
  if (kind === 'leaf-spine') {
    const t = obj(v, f, ['kind', 'leaves', 'spines', 'parallelLinks', 'link', 'hostLink']);
    num(t, 'leaves', f, 1, 4096, { int: true, required: true });
    num(t, 'spines', f, 1, 1024, { int: true, required: true });
    num(t, 'parallelLinks', f, 1, 64, { int: true });
    link(t, 'link', f); link(t, 'hostLink', f);
  } else if (kind === 'clos') {
    const t = obj(v, f, ['kind', 'pods', 'torsPerPod', 'aggsPerPod', 'cores', 'parallelLinks', 'link', 'coreLink', 'hostLink']);
    for (const k of ['pods', 'torsPerPod', 'aggsPerPod', 'cores']) num(t, k, f, 1, 1024, { int: true, required: true });
    num(t, 'parallelLinks', f, 1, 64, { int: true });
    link(t, 'link', f); link(t, 'coreLink', f); link(t, 'hostLink', f);
  } else if (kind === 'two-region') {
    const t = obj(v, f, ['kind', 'regions', 'borderRouters', 'link', 'longHaul', 'hostLink']);
    const rs = arr(t, 'regions', f, true)!;
    if (rs.length !== 2) throw new ScenarioError(`${f}.regions`, 'expected exactly two regions');
    rs.forEach((r, i) => {
      const rf = `${f}.regions[${i}]`;
      const ro = obj(r, rf, ['name', 'leaves', 'spines']);
      const name = str(ro, 'name', rf, true)!;
      if (!/^[A-Za-z][\w-]*$/.test(name)) throw new ScenarioError(`${rf}.name`, 'letters, digits, - and _ only');
      num(ro, 'leaves', rf, 1, 4096, { int: true, required: true });
      num(ro, 'spines', rf, 1, 1024, { int: true, required: true });
    });
    if ((rs[0] as Obj).name === (rs[1] as Obj).name) throw new ScenarioError(`${f}.regions[1].name`, 'regions need distinct names');
    num(t, 'borderRouters', f, 1, 256, { int: true, required: true });
    link(t, 'link', f); link(t, 'longHaul', f); link(t, 'hostLink', f);
  } else {
    throw new ScenarioError(`${f}.kind`, `expected "leaf-spine", "clos" or "two-region", got ${JSON.stringify(kind)}`);
  }
}

function vtep(v: unknown, f: string): void {
  const o = obj(v, f, ['name', 'ip', 'inner', 'attach', 'region', 'role', 'probes', 'middlebox', 'cpu', 'count']);
  const name = str(o, 'name', f, true)!;
  if (!/^[A-Za-z][\w.-]*$/.test(name)) throw new ScenarioError(`${f}.name`, 'letters, digits, ., - and _ only, starting with a letter');
  ip(o, 'ip', f, true);
  (arr(o, 'inner', f) ?? []).forEach((p, i) => prefix(p, `${f}.inner[${i}]`));
  str(o, 'attach', f); str(o, 'region', f);
  if (o.role !== undefined && o.role !== 'host' && o.role !== 'gateway') throw new ScenarioError(`${f}.role`, 'expected "host" or "gateway"');
  if (o.probes !== undefined && typeof o.probes !== 'boolean') throw new ScenarioError(`${f}.probes`, 'expected true or false');
  if (o.middlebox !== undefined) {
    const m = obj(o.middlebox, `${f}.middlebox`, ['instances']);
    num(m, 'instances', `${f}.middlebox`, 1, 256, { int: true, required: true });
  }
  num(o, 'cpu', f, 0, 1);
  num(o, 'count', f, 1, 65536, { int: true });
}

function flow(v: unknown, f: string, durationMs: number): void {
  const o = obj(v, f, ['src', 'dst', 'proto', 'family', 'sport', 'dport', 'ratePps', 'packetBytes', 'tenant', 'startMs', 'endMs']);
  ip(o, 'src', f, true); ip(o, 'dst', f, true);
  num(o, 'proto', f, 0, 255, { int: true });
  family(o, f);
  num(o, 'sport', f, 0, 65535, { int: true }); num(o, 'dport', f, 0, 65535, { int: true });
  num(o, 'ratePps', f, 0.001, 1e9); num(o, 'packetBytes', f, 64, 65535, { int: true });
  str(o, 'tenant', f);
  const s = num(o, 'startMs', f, 0, durationMs) ?? 0;
  const e = num(o, 'endMs', f, 0, durationMs);
  if (e !== undefined && e <= s) throw new ScenarioError(`${f}.endMs`, 'must be after startMs');
}

function family(o: Obj, f: string): void {
  if (o.family !== undefined && !(FAMILIES as readonly unknown[]).includes(o.family)) {
    throw new ScenarioError(`${f}.family`, `expected "ipv4" or "ipv6", got ${JSON.stringify(o.family)}`);
  }
}

function mix(v: unknown, f: string): void {
  const o = obj(v, f, ['tcp', 'ipv6']);
  for (const k of ['tcp', 'ipv6']) {
    const x = o[k];
    if (x !== undefined && (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1)) {
      throw new ScenarioError(`${f}.${k}`, `expected a share of flows between 0 and 1, got ${JSON.stringify(x)}`);
    }
  }
}

function generator(v: unknown, f: string): void {
  const o = obj(v, f, ['activeShare', 'maxPeerShare', 'flowsPerPeer', 'ratePps', 'packetBytes', 'crossRegionShare', 'mix']);
  if (o.mix !== undefined) mix(o.mix, `${f}.mix`);
  num(o, 'activeShare', f, 0, 1); num(o, 'maxPeerShare', f, 0, 1); num(o, 'crossRegionShare', f, 0, 1);
  num(o, 'flowsPerPeer', f, 1, 1000, { int: true });
  num(o, 'ratePps', f, 0.001, 1e9); num(o, 'packetBytes', f, 64, 65535, { int: true });
}

function failure(v: unknown, f: string, durationMs: number): void {
  const o = obj(v, f, ['name', 'type', 'atMs', 'durationMs', 'links', 'loss', 'peakLoss', 'stepMs', 'rampMs', 'switch', 'neighbors', 'share', 'region', 'count', 'routers', 'vtep']);
  str(o, 'name', f);
  const type = o.type;
  if (typeof type !== 'string' || !(FAILURE_TYPES as readonly string[]).includes(type)) {
    throw new ScenarioError(`${f}.type`, `expected one of ${FAILURE_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  }
  num(o, 'atMs', f, 0, durationMs, { required: true });
  num(o, 'durationMs', f, 1, 1e9, { required: true });
  num(o, 'loss', f, 0, 1); num(o, 'peakLoss', f, 0, 1); num(o, 'stepMs', f, 1, 1e9); num(o, 'rampMs', f, 0, 1e9); num(o, 'share', f, 0.001, 1);
  num(o, 'count', f, 1, 256, { int: true });
  const links = arr(o, 'links', f);
  links?.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') {
      throw new ScenarioError(`${f}.links[${i}]`, 'expected a pair of node names ["a", "b"]');
    }
  });
  for (const k of ['neighbors', 'routers']) {
    arr(o, k, f)?.forEach((n, i) => { if (typeof n !== 'string') throw new ScenarioError(`${f}.${k}[${i}]`, 'expected a node name'); });
  }
  str(o, 'switch', f); str(o, 'region', f); str(o, 'vtep', f);
  const need = (k: string): void => { if (o[k] === undefined) throw new ScenarioError(`${f}.${k}`, `required for type ${type}`); };
  if (type === 'link-down' || type === 'loss' || type === 'burst') need('links');
  if (type === 'loss') need('loss');
  if (type === 'burst') need('peakLoss');
  if (type === 'card' || type === 'switch-down') need('switch');
  if (type === 'border-routers') { need('region'); if (o.count === undefined && o.routers === undefined) need('count'); }
  if (type === 'endpoint') need('vtep');
}

/** Check a parsed JSON value against the scenario format; returns it typed, or throws ScenarioError. */
export function parseScenario(v: unknown): Scenario {
  const o = obj(v, 'scenario', ['kind', 'name', 'description', 'seed', 'durationMs', 'topology', 'ports', 'control', 'vteps', 'traffic', 'failures', 'opportunistic', 'prr', '$comment']);
  const kind = str(o, 'kind', 'scenario');
  if (kind !== undefined && !(SCENARIO_KINDS as readonly string[]).includes(kind)) {
    throw new ScenarioError('kind', `expected ${SCENARIO_KINDS.map((k) => JSON.stringify(k)).join(' or ')}, got ${JSON.stringify(kind)}`);
  }
  str(o, 'name', 'scenario'); str(o, 'description', 'scenario');
  num(o, 'seed', 'scenario', 0, 0xffffffff, { int: true });
  const duration = num(o, 'durationMs', 'scenario', 100, 3_600_000, { required: true })!;
  if (o.topology === undefined) throw new ScenarioError('topology', 'required');
  topology(o.topology);
  if (o.ports !== undefined) {
    const p = obj(o.ports, 'ports', ['range', 'candidates', 'seed']);
    const r = str(p, 'range', 'ports');
    if (r !== undefined) {
      const m = /^(\d+)-(\d+)$/.exec(r);
      if (!m || Number(m[1]) < 1 || Number(m[2]) > 65535 || Number(m[1]) > Number(m[2])) {
        throw new ScenarioError('ports.range', `expected A-B with 1 <= A <= B <= 65535, got ${JSON.stringify(r)}`);
      }
    }
    num(p, 'candidates', 'ports', 1, 64, { int: true });
    num(p, 'seed', 'ports', 0, 0xffffffff, { int: true });
  }
  if (o.control !== undefined) {
    const c = obj(o.control, 'control', Object.keys(o.control as Obj));
    for (const [k, x] of Object.entries(c)) {
      if (!['number', 'boolean', 'string'].includes(typeof x)) throw new ScenarioError(`control.${k}`, 'expected a number, boolean or string');
    }
  }
  const vs = arr(o, 'vteps', 'scenario', true)!;
  if (vs.length === 0) throw new ScenarioError('vteps', 'at least one VTEP is needed');
  vs.forEach((x, i) => vtep(x, `vteps[${i}]`));
  // A replay scenario's traffic is the capture: its `traffic` may be left out, and must hold none.
  if (o.traffic === undefined && kind !== 'replay') throw new ScenarioError('traffic', 'required');
  const t = obj(o.traffic ?? {}, 'traffic', ['flows', 'generator']);
  if (kind === 'replay' && (t.flows !== undefined || t.generator !== undefined)) {
    throw new ScenarioError('traffic', 'a replay scenario takes its traffic from the capture: no flows or generator (or "kind": "simulation")');
  }
  (arr(t, 'flows', 'traffic') ?? []).forEach((x, i) => flow(x, `traffic.flows[${i}]`, duration));
  if (t.generator !== undefined) generator(t.generator, 'traffic.generator');
  (arr(o, 'failures', 'scenario') ?? []).forEach((x, i) => failure(x, `failures[${i}]`, duration));
  if (o.opportunistic !== undefined) {
    const p = obj(o.opportunistic, 'opportunistic', ['rtoMs', 'maxRtoMs', 'rtoLossShare']);
    num(p, 'rtoMs', 'opportunistic', 1, 60_000); num(p, 'maxRtoMs', 'opportunistic', 1, 600_000); num(p, 'rtoLossShare', 'opportunistic', 0.001, 1);
  }
  if (o.prr !== undefined) {
    const p = obj(o.prr, 'prr', ['minRtoMs', 'initialRtoMs', 'maxRtoMs', 'rtoLossShare']);
    const lo = num(p, 'minRtoMs', 'prr', 1, 60_000) ?? PRR_DEFAULTS.minRtoMs;
    num(p, 'initialRtoMs', 'prr', 1, 60_000);
    const hi = num(p, 'maxRtoMs', 'prr', 1, 600_000);
    if (hi !== undefined && hi < lo) throw new ScenarioError('prr.maxRtoMs', `must be at least minRtoMs (${lo})`);
    num(p, 'rtoLossShare', 'prr', 0.001, 1);
  }
  return (o.traffic === undefined ? { ...o, traffic: {} } : o) as unknown as Scenario;
}

/**
 * A scenario's kind: its `kind` field, else inferred from its traffic (files written before the field):
 * flows or a generator make it a simulation, no traffic a replay scenario.
 */
export function scenarioKind(s: Scenario): ScenarioKind {
  if (s.kind !== undefined) return s.kind;
  const t = s.traffic;
  return (t.flows !== undefined && t.flows.length > 0) || t.generator !== undefined ? 'simulation' : 'replay';
}

export type { LinkSpec, TopologySpec };
