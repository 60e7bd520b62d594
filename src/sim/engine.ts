// The discrete-event run of one mode over a world. Tenant data moves in 100 ms bins (the outage
// unit): each bin, every active flow's segments take the path their current source port selects; per
// link, offered load beyond capacity is dropped in proportion, failures drop at their current rate, and
// the flow's delivered packets are sampled. Probes are single packets on the same underlay (same outer
// 5-tuple -> same path), sampled against the same link state and delivered after the path's latency as
// clock events. Time comes only from the clock; randomness only from seeded streams.
import { BIN_MS, type Flow, type Segment, type Vtep, type World } from './world.js';
import { fillSurvival } from './failures.js';
import { OutageLedger } from './outage.js';
import { Middlebox } from './middlebox.js';
import { Prng } from './prng.js';
import { EventQueue, type EventSink } from './event-queue.js';
import { FlowPaths } from './flow-paths.js';
import { PROBE_PAYLOAD_BYTES } from '../control/probe-codec.js';

/** The clock the simulator needs: the control plane's Clock plus running the event queue. */
export interface SimClock {
  /** Simulated time, ms since the start of the run. */
  now(): number;
  /** Run `fn` once, `delayMs` of simulated time from now; returns an id for clearTimer. */
  setTimer(delayMs: number, fn: () => void): number;
  /** Cancel a timer that has not fired yet (unknown or fired ids are ignored). */
  clearTimer(id: number): void;
  /** Fire every timer due up to `tMs` in time order, timers they set included, then stop the clock at `tMs`. */
  runUntil(tMs: number): void;
}

/** Outer headers of a VXLAN probe on the wire: Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 + IPv4 20 + UDP 8. */
export const PROBE_OVERHEAD_BYTES = 92;

const CAPACITY_ROUNDS = 3;

/** How a mode chooses ports and reacts; one instance per run. */
export interface PortPolicy {
  /** Outer source port the VTEP at the start of `seg` uses for this flow now. */
  port(flow: Flow, segIndex: number, seg: Segment): number;
  /** After each bin in which the flow sent `sent` packets and lost `lost`; `endMs` is the bin's end. */
  afterBin?(flow: Flow, sent: number, lost: number, endMs: number): void;
  /** Once per bin for each VTEP pair that carried tenant traffic. */
  noteTraffic?(seg: Segment): void;
  /** Called once before the first bin. */
  start?(): void;
  /** Called once after the last bin, before the run's output is gathered (e.g. to close open episodes). */
  stop?(): void;
}

/** The underlay as the control plane's transport sees it. */
export class ProbeNetwork {
  /** Probe packets sent, their wire bytes (payload plus headers), and those lost on the way. */
  packets = 0;
  bytes = 0;
  lost = 0;
  /** The route of the packet being sent (Underlay.routeInto), reused. */
  readonly #route: Int32Array;
  /** Delivered payload buffers of PROBE_PAYLOAD_BYTES bytes, free for reuse (post). */
  readonly #pool: Uint8Array[] = [];
  #poolCount = 0;
  readonly #relays = new Map<EventSink<Uint8Array>, EventSink<Uint8Array>>();
  #relayTarget: EventSink<Uint8Array> | undefined;
  #relay: EventSink<Uint8Array> | undefined;
  /**
   * Per link l, side by side: [2l] survive[l] x keep[l] (refreshed on the first packet after the engine
   * changed either) and [2l + 1] its latency (ms). A probe's first and last links are its two hosts'
   * access links, a random pick among thousands at region scale: one cache line each, not two.
   */
  readonly #linkState: Float64Array;
  #version = 0;
  #skVersion = -1;
  /** The host node of each VTEP, by index (postIndex reads no Vtep object). */
  readonly #vtepNode: Int32Array;

  constructor(
    private readonly world: World,
    private readonly clock: SimClock,
    private readonly survive: Float64Array,
    private readonly keep: Float64Array,
    private readonly rng: Prng,
  ) {
    const lat = world.graph.latencyMs;
    this.#linkState = new Float64Array(2 * survive.length);
    for (let l = 0; l < survive.length; l++) this.#linkState[2 * l + 1] = lat[l];
    this.#route = new Int32Array(world.graph.names.length + 2);
    this.#vtepNode = Int32Array.from(world.vteps, (v) => v.node);
  }

  /** The engine wrote `survive` or `keep`: the next packet sees the new link state. */
  linkStateChanged(): void { this.#version++; }

  /** Send one probe packet; `arrive` runs at the receiver after the path latency unless it is lost. */
  send(from: Vtep, to: Vtep, sport: number, payload: Uint8Array, arrive: (payload: Uint8Array) => void): void {
    const latency = this.#transit(from.node, to.node, sport, payload);
    if (latency < 0) return;
    const copy = payload.slice(); // the sender may reuse its buffer
    this.clock.setTimer(latency, () => arrive(copy));
  }

  /**
   * Send one probe packet as {@link send} does (same loss draw, same delivery time), delivered as
   * `sink.fire(from.index, to.index, sport, payload)`: no closure per packet when the clock is an
   * {@link EventQueue}. The payload `sink` receives is valid only during the call: its buffer is reused.
   */
  post(from: Vtep, to: Vtep, sport: number, payload: Uint8Array, sink: EventSink<Uint8Array>): void {
    this.postIndex(from.index, to.index, sport, payload, sink);
  }

  /**
   * {@link post} between the VTEPs at these indexes of `world.vteps`: the same packet, for callers that
   * know the indexes (the zooroute mode's transport), without reading the VTEP objects.
   */
  postIndex(from: number, to: number, sport: number, payload: Uint8Array, sink: EventSink<Uint8Array>): void {
    const latency = this.#transit(this.#vtepNode[from], this.#vtepNode[to], sport, payload);
    if (latency < 0) return;
    if (this.clock instanceof EventQueue) {
      // A copy (the sender may reuse its buffer) in a pooled buffer, back in the pool once delivered.
      const copy = payload.length === PROBE_PAYLOAD_BYTES && this.#poolCount > 0 ? this.#pool[--this.#poolCount] : new Uint8Array(payload.length);
      copy.set(payload);
      this.clock.post(latency, this.#relayFor(sink), from, to, sport, copy);
    } else {
      const copy = payload.slice();
      this.clock.setTimer(latency, () => sink.fire(from, to, sport, copy));
    }
  }

  /** The sink that delivers to `sink`, then returns the payload's buffer to the pool. */
  #relayFor(sink: EventSink<Uint8Array>): EventSink<Uint8Array> {
    if (sink === this.#relayTarget) return this.#relay!;
    let r = this.#relays.get(sink);
    if (r === undefined) {
      r = {
        fire: (a: number, b: number, c: number, data: Uint8Array): void => {
          sink.fire(a, b, c, data);
          if (data.length === PROBE_PAYLOAD_BYTES) this.#pool[this.#poolCount++] = data;
        },
      };
      this.#relays.set(sink, r);
    }
    this.#relayTarget = sink;
    this.#relay = r;
    return r;
  }

  /**
   * Count the packet and draw its fate: the path's one-way latency (ms) when it arrives, -1 when it is
   * lost. Routed per packet (Underlay.routeInto, nothing cached): with a reply port drawn anew per
   * request most (from, to, port) keys are new, and a table of them grew with the run.
   */
  #transit(fromNode: number, toNode: number, sport: number, payload: Uint8Array): number {
    this.packets++;
    this.bytes += payload.length + PROBE_OVERHEAD_BYTES;
    const ls = this.#linkState;
    if (this.#skVersion !== this.#version) {
      const s = this.survive, k = this.keep;
      for (let l = 0; l < s.length; l++) ls[2 * l] = s[l] * k[l];
      this.#skVersion = this.#version;
    }
    const links = this.#route;
    const n = this.world.underlay.routeInto(fromNode, toNode, sport, links);
    // The product in path order, of the same factors as survive[l] * keep[l]: the same number; the
    // latency summed in path order as Underlay.latencyOf sums it (used only if the packet arrives).
    let q = n > 0 ? 1 : 0, ms = 0;
    for (let j = 0; j < n; j++) { const i = 2 * links[j]; q *= ls[i]; ms += ls[i + 1]; }
    if (this.rng.next() >= q) { this.lost++; return -1; }
    return ms;
  }
}

/** What one mode's run leaves behind; `simulate` turns it into a {@link ModeReport}. */
export interface RunOutput {
  /** Per flow and bin: sent, lost, and the runs of outage. */
  ledger: OutageLedger;
  /** Sessions the middleboxes reset because a flow landed on another instance (summed over them). */
  sessionResets: number;
  /** The run's stateful middleboxes, for their move and reset counts and learnt ports. */
  middleboxes: Middlebox[];
  /** Probe packets and bytes (wire size) that entered the underlay, requests and replies. */
  probes: { packets: number; bytes: number };
  /** Share of candidate ports whose path loses < 50%, sampled every second while a failure is active. */
  healthyPortShare: { mean: number; worst: number; samples: number };
}

/**
 * What a mode's policy may use, handed to `makePolicy` by {@link runMode}: the world, the run's clock,
 * the probe network (the zooroute mode's control planes send probes through it), and the middleboxes.
 */
export interface RunContext {
  world: World;
  clock: SimClock;
  net: ProbeNetwork;
  /** The run's middleboxes by the underlay address of the VTEP fronting them. */
  middleboxByIp: Map<number, Middlebox>;
  /**
   * One-way latency (ms) of the path segment `segIndex` of the flow took in its latest bin with packets
   * (0 before it sent any): the engine caches it with the path when the port changes.
   */
  pathLatencyMs(flow: Flow, segIndex: number): number;
}

/** Options of runMode. `sentInBin`, when given, replaces the flows' constant rates (pcap replay). */
export interface RunModeOptions {
  /** Sample the share of healthy candidate ports every second during failures (RunOutput.healthyPortShare). */
  measureHealth?: boolean;
  /** Packets the flow sends in bin b (replaces ratePps, e.g. counted from a capture). */
  sentInBin?: (flow: Flow, bin: number) => number;
  /**
   * After each bin's deliveries: per directed link, the failures' survival and the share capacity
   * kept, as that bin used them (read them during the call; the arrays are reused). For traces.
   */
  observeBin?: (bin: number, survive: Float64Array, keep: Float64Array) => void;
}

/** Run one mode. `makePolicy` receives the context (clock, probe network) it may need. */
export function runMode(world: World, clock: SimClock, makePolicy: (ctx: RunContext) => PortPolicy, opts: RunModeOptions = {}): RunOutput {
  const g = world.graph;
  const L = g.linkCount;
  const survive = new Float64Array(L).fill(1);
  const keep = new Float64Array(L).fill(1);
  const load = new Float64Array(L);
  const capBits = Float64Array.from(g.capacityMbps, (c) => c * 1e6 * (BIN_MS / 1000));
  const dataRng = new Prng(world.seed, 1);
  const net = new ProbeNetwork(world, clock, survive, keep, new Prng(world.seed, 2));
  const middleboxes: Middlebox[] = [];
  const middleboxByIp = new Map<number, Middlebox>();
  for (const v of world.vteps) {
    if (v.middleboxInstances > 0) {
      const m = new Middlebox(v.ip, v.middleboxInstances, world.seed);
      middleboxes.push(m); middleboxByIp.set(v.ip, m);
    }
  }
  const flows = world.flows;
  const segPort = flows.map((f) => new Int32Array(f.segments.length).fill(-1));
  // Each flow segment's current path (empty until its first port), flat (FlowPaths).
  const paths = new FlowPaths(flows.map((f) => f.segments.length), L);
  const segLatency = flows.map((f) => new Float64Array(f.segments.length));
  const pathLatencyMs = (f: Flow, k: number): number => segLatency[f.id][k];
  const policy = makePolicy({ world, clock, net, middleboxByIp, pathLatencyMs });
  const bins = Math.ceil(world.durationMs / BIN_MS);
  const ledger = new OutageLedger(world.flows, bins, BIN_MS);
  const acc = new Float64Array(flows.length);
  const sentNow = new Float64Array(flows.length);
  // The middlebox (if any) at each flow's last VTEP, looked up once rather than per bin.
  const flowMb = flows.map((f) => middleboxByIp.get(world.vteps[f.segments[f.segments.length - 1].to].ip));
  // Each distinct (from, to) VTEP pair of the flows' segments gets a dense id, so a bin lists the pairs
  // that carried traffic (in order of first use, as a Map keyed by pair would) with a stamp per pair.
  const pairIds = new Map<number, number>();
  const V = world.vteps.length;
  const segPair = flows.map((f) => Int32Array.from(f.segments, (s) => {
    const key = s.from * V + s.to;
    let id = pairIds.get(key);
    if (id === undefined) pairIds.set(key, (id = pairIds.size));
    return id;
  }));
  const pairStamp = new Int32Array(pairIds.size).fill(-1);
  const pairAt = new Int32Array(pairIds.size);
  const pairsNow: Segment[] = [];
  let healthSum = 0, healthN = 0, healthWorst = 1;

  const onBin = (b: number): void => {
    const t = b * BIN_MS;
    fillSurvival(g, world.failures, t, survive);
    net.linkStateChanged();
    load.fill(0);
    pairsNow.length = 0;
    for (const f of flows) {
      const i = f.id;
      sentNow[i] = 0;
      if (t < f.startMs || t >= f.endMs) { paths.setBits(i, 0); continue; }
      let n: number;
      if (opts.sentInBin) n = opts.sentInBin(f, b);
      else {
        acc[i] += (f.ratePps * BIN_MS) / 1000;
        n = Math.floor(acc[i]);
        acc[i] -= n;
      }
      sentNow[i] = n;
      // What the capacity rounds below would add to each link of the flow's paths (before drops).
      paths.setBits(i, n * f.packetBytes * 8);
      if (n === 0) continue; // no packet this bin: the datapath picks no port
      const segs = f.segments, ports = segPort[i], lat = segLatency[i], pid = segPair[i];
      for (let k = 0; k < segs.length; k++) {
        const s = segs[k];
        const port = policy.port(f, k, s);
        if (port !== ports[k]) {
          ports[k] = port;
          const path = world.underlay.path(world.vteps[s.from].node, world.vteps[s.to].node, port);
          paths.setPath(i, k, path);
          lat[k] = world.underlay.latency(path);
        }
        // As Map.set would: the pair keeps its first place, its segment is the latest one.
        const id = pid[k];
        if (pairStamp[id] !== b) { pairStamp[id] = b; pairAt[id] = pairsNow.length; pairsNow.push(s); } else pairsNow[pairAt[id]] = s;
      }
    }
    // Capacity: a link carries what reaches it (offered load thinned by the drops upstream on each
    // flow's path), and keeps cap/load of it when overloaded. A few rounds settle links in series.
    // A round whose keep equals the last one's would repeat it exactly: stop there (no link
    // overloaded, the common case, settles after one round).
    keep.fill(1);
    net.linkStateChanged();
    const segStart = paths.segStart, len = paths.len, links = paths.links, stride = paths.stride;
    // When no link's offered load, counted before any drop, exceeds its capacity, the first round would
    // find every link within capacity (what reaches a link is never more: survive <= 1, keep = 1) and
    // stop, keep all 1: skip it.
    let rounds = CAPACITY_ROUNDS;
    if (paths.fits(capBits)) {
      rounds = 0;
      for (let l = 0; l < L; l++) if (!(survive[l] <= 1)) { rounds = CAPACITY_ROUNDS; break; }
    }
    for (let round = 0; round < rounds; round++) {
      load.fill(0);
      for (let i = 0; i < flows.length; i++) {
        const f = flows[i];
        let bits = sentNow[i] * f.packetBytes * 8;
        if (bits === 0) continue;
        for (let s = segStart[i]; s < segStart[i + 1]; s++) {
          for (let j = s * stride, end = j + len[s]; j < end; j++) { const l = links[j]; load[l] += bits; bits *= survive[l] * keep[l]; }
        }
      }
      let changed = false;
      for (let l = 0; l < L; l++) {
        const k = load[l] > capBits[l] ? capBits[l] / load[l] : 1;
        if (k !== keep[l]) { keep[l] = k; changed = true; }
      }
      if (!changed) break;
      net.linkStateChanged();
    }
    for (let i = 0; i < flows.length; i++) {
      const f = flows[i];
      const n = sentNow[i];
      if (t < f.startMs || t >= f.endMs) continue;
      let q = 1;
      for (let s = segStart[i]; s < segStart[i + 1]; s++) {
        if (len[s] === 0) q = 0;
        for (let j = s * stride, end = j + len[s]; j < end; j++) { const l = links[j]; q *= survive[l] * keep[l]; }
      }
      const delivered = dataRng.binomial(n, q);
      ledger.record(i, b, n, n - delivered);
      const mb = flowMb[i];
      if (mb && n > 0) {
        const last = f.segments[f.segments.length - 1];
        mb.onData(i, { outerSrc: world.vteps[last.from].ip, outerSport: segPort[i][f.segments.length - 1], innerDst: f.dstInner, innerDport: f.dport });
      }
      policy.afterBin?.(f, n, n - delivered, t + BIN_MS);
    }
    opts.observeBin?.(b, survive, keep);
    if (policy.noteTraffic) for (let j = 0; j < pairsNow.length; j++) policy.noteTraffic(pairsNow[j]);
    if (opts.measureHealth && b % 10 === 0 && world.failures.some((x) => t >= x.startMs && t < x.endMs)) {
      const share = healthyShare(world, pairsNow, survive, keep);
      if (share >= 0) { healthSum += share; healthN++; healthWorst = Math.min(healthWorst, share); }
    }
    if (b + 1 < bins) clock.setTimer(BIN_MS, () => onBin(b + 1));
  };

  policy.start?.();
  clock.setTimer(0, () => onBin(0));
  clock.runUntil(world.durationMs);
  policy.stop?.();
  return {
    ledger,
    sessionResets: middleboxes.reduce((n, m) => n + m.resets, 0),
    middleboxes,
    probes: { packets: net.packets, bytes: net.bytes },
    healthyPortShare: { mean: healthN ? healthSum / healthN : 1, worst: healthN ? healthWorst : 1, samples: healthN },
  };
}

/** Share of (VTEP pair, candidate port) whose path (one way) delivers at least half of what it carries. */
function healthyShare(world: World, pairs: Iterable<Segment>, survive: Float64Array, keep: Float64Array): number {
  let ok = 0, all = 0;
  const list = [...pairs];
  // Across regions (or pods) when there are such pairs: the talk's figure is cross-region.
  const cross = list.filter((s) => world.vteps[s.from].region !== world.vteps[s.to].region);
  for (const s of cross.length > 0 ? cross : list) {
    const a = world.vteps[s.from], b = world.vteps[s.to];
    for (const port of world.candidates(b.ip)) {
      const p = world.underlay.path(a.node, b.node, port);
      let q = p.length > 0 ? 1 : 0;
      for (const l of p) q *= survive[l] * keep[l];
      all++;
      if (q >= 0.5) ok++;
    }
  }
  return all ? ok / all : -1;
}
