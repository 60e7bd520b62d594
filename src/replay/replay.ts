// `zooroute replay`: what zooroute (and the baselines) would have done with a capture's traffic under a
// scenario's failures. Pass 1 maps frames to VTEPs and flows and counts them per 100 ms bin (Wasm hash);
// the simulator then runs the three modes over the scenario's underlay with those counts as the traffic;
// pass 2 encapsulates every frame with the Wasm datapath on the port zooroute used at its time, and
// writes OUT. docs/replay.md describes the mapping, the figures and the limits.
import { formatIPv4 } from '../../bindings/index.js';
import {
  BIN_MS, buildWorld, defaultPort, simulate, type Flow, type Scenario, type SimulationReport, type Vtep, type World,
} from '../sim/index.js';
import { SIM_MODES, type SimMode } from '../sim/modes.js';
import { segmentsOf } from '../sim/world.js';
import { ADDR_IPV4, ADDR_IPV6 } from './inner-address.js';
import { FlowIndex, scanCapture, type CaptureFlow, type FrameCounts, type ProgressFn } from './capture-scan.js';
import { encapCapture, type EncapResult } from './encap-pass.js';
import { ModeObserver } from './mode-observer.js';
import { VtepMapper, type VtepMapFile } from './vtep-map.js';
import { FlowKeyCache } from './flow-cache.js';
import { giveBackReplayCore } from './core-pool.js';
import { InputError, STDIO_PATH, EthernetFramer, type EnetMacs, type FlavourOverrides, type PcapWriter } from '../pcap/index.js';
import { spoolToFile } from '../pcap/stdio.js';

/** The modes a replay runs and reports, in report order: the simulator's (SIM_MODES). */
export const REPLAY_MODES: readonly SimMode[] = SIM_MODES;

/** What to replay and how (the options of `zooroute replay`, docs/replay.md). */
export interface ReplayOptions {
  /**
   * The capture to replay: a classic pcap or pcapng file, or `-` for standard input (copied to a
   * temporary file first, since replay reads its input twice; removed when the replay ends).
   */
  input: string;
  /** The underlay, VTEPs and failures; its own traffic is ignored (the capture's replaces it). */
  scenario: Scenario;
  /** Inner address -> VTEP entries tried before the scenario's `inner` prefixes (`--map`). */
  map?: VtepMapFile;
  /** Build the world first (the map file names its VTEPs); default buildWorld without traffic. */
  world?: World;
  /** Where to write the encapsulated frames (`-o`); none: the encap pass runs but writes nothing. */
  out?: string;
  /** Leave OUT written but not yet renamed into place: `ReplayRun.output`, to close() or abort(). */
  holdOutput?: boolean;
  /** OUT's format and timestamp resolution where not the input's (default: the input's, and its snaplen). */
  flavour?: FlavourOverrides;
  /** Replaces the scenario's seed (`--seed`). */
  seed?: number;
  /** VNI of the encapsulated frames, default 1. */
  vni?: number;
  /** Called after each batch of records of either pass, with the bytes read so far. */
  progress?: ProgressFn;
  /**
   * `--dlt enet`: frames of other link types (Linux cooked, raw IP, loopback) get an Ethernet header
   * with these MACs before they are mapped and encapsulated; without it only Ethernet frames replay.
   */
  enet?: EnetMacs;
  /**
   * false: both passes take the general path (records as columns, a JS decision per frame); default:
   * a classic Ethernet pcap takes the bulk path (docs/replay.md). The outputs are the same.
   */
  bulk?: boolean;
}

/** One captured flow's fate in one mode. */
export interface FlowModeFigures {
  /** Packets it sent (those of the capture) and those the mode lost. */
  sent: number;
  lost: number;
  /** Its runs of outage summed, seconds. */
  outageSeconds: number;
  /** Longest run of outage (ms, empty bins inside a run included): how long the flow took to recover at worst. */
  recoverMs: number;
}

/**
 * A flow found in the capture: frames with the same source VTEP, destination VTEP and inner flow hash.
 * Its inner 5-tuple is the first frame's.
 */
export interface ReplayFlow {
  id: number;
  /** Inner source and destination (IPv4 dotted quad, or "ipv6:<fold>" / "mac:<fold>", see docs). */
  src: string;
  dst: string;
  /** IP protocol number (6 TCP, 17 UDP, 0 for frames without one). */
  proto: number;
  sport: number;
  dport: number;
  /** The datapath's inner flow hash (what picks the default port). */
  hash: number;
  /** Names of the scenario VTEPs its ends were mapped to. */
  srcVtep: string;
  dstVtep: string;
  /** Frames of the capture in the flow. */
  packets: number;
  modes: Record<SimMode, FlowModeFigures>;
}

/**
 * Time to recover in one mode, over the flows that were ever out: how many, and the mean and worst of
 * their longest run of outage, ms.
 */
export interface RecoverySummary { flowsOut: number; meanMs: number; maxMs: number }

/** simulate's report, plus the capture's frame and flow counts and the per-flow figures. */
export interface ReplayReport extends SimulationReport {
  input: string;
  frames: number;
  frameCounts: FrameCounts & { encapsulated: number; forcedPort: number; dropped: Record<string, number>; encapBatches: number };
  /** Addresses placed by the hash fallback (no map entry, no VTEP serving them). */
  hashedAddresses: number;
  recovery: Record<SimMode, RecoverySummary>;
  perFlow: ReplayFlow[];
}

/** The result of {@link replay}: the report, the per-bin series for the HTML report, and the world it ran in. */
export interface ReplayRun {
  report: ReplayReport;
  /** Per mode, per bin: delivered and lost packets (the HTML report's series). */
  series: Record<SimMode, { delivered: number[]; lost: number[] }>;
  /** The scenario's world with the capture's flows, for the failure windows and further analysis. */
  world: World;
  /** OUT, with holdOutput: complete; close() renames it into place, abort() drops it. */
  output?: PcapWriter;
}

function addrText(family: number, v: number): string {
  if (family === ADDR_IPV4) return formatIPv4(v);
  return `${family === ADDR_IPV6 ? 'ipv6' : 'mac'}:${(v >>> 0).toString(16).padStart(8, '0')}`;
}

function toFlow(c: CaptureFlow, vteps: Vtep[], gateways: Map<string, Vtep[]>, durationMs: number): Flow {
  const src = vteps[c.src], dst = vteps[c.dst];
  return {
    // Protocol and family as captured (the prr mode re-paths only IPv6 TCP); the hash is the datapath's.
    id: c.id, srcInner: c.srcAddr, dstInner: c.dstAddr, proto: c.proto, family: c.family === ADDR_IPV6 ? 'ipv6' : 'ipv4', sport: c.sport, dport: c.dport, ratePps: 0,
    // Wire size for the capacity model: the mean inner frame plus the 50-byte outer headers.
    packetBytes: Math.max(64, Math.round(c.bytes / Math.max(1, c.packets)) + 50),
    // Like simulate's default: a flow belongs to its inner source.
    tenant: addrText(c.family, c.srcAddr),
    startMs: 0, endMs: durationMs, hash: c.hash, segments: segmentsOf(src, dst, c.hash, gateways),
  };
}

/**
 * Replay a capture under a scenario's failures: map its frames to VTEPs and flows (pass 1), simulate
 * every mode with the capture's per-bin packet counts as the traffic, then encapsulate every frame with
 * the Wasm datapath on the port zooroute used at its time (pass 2), writing `o.out` if given
 * (docs/replay.md). Memory grows with flows x bins, not with packets.
 */
export async function replay(o: ReplayOptions): Promise<ReplayRun> {
  if (o.input !== STDIO_PATH) return replayFile(o, o.input);
  const spool = await spoolToFile(process.stdin);
  try {
    return await replayFile(o, spool.path);
  } catch (e) {
    // Errors name the input as the user gave it, not the temporary copy.
    if (e instanceof InputError && e.file === spool.path) throw new InputError(o.input, e.offset, e.reason);
    throw e;
  } finally {
    await spool.remove();
  }
}

/** replay() of the capture file at `path`: the input itself, or standard input's copy (reports say `o.input`). */
async function replayFile(o: ReplayOptions, path: string): Promise<ReplayRun> {
  const base = o.world ?? buildWorld(o.scenario, o.seed, { withoutTraffic: true });
  const mapper = new VtepMapper(base, o.map);
  const index = new FlowIndex(base.vteps.length);
  const cache = new FlowKeyCache();
  const enet = o.enet ? new EthernetFramer(o.enet) : undefined;
  const scan = await scanCapture(path, { mapper, index, cache, hashSeed: base.portSeed, progress: o.progress, enet, bulk: o.bulk,
    // Up to 64 VTEPs the scan's core reserves a peer row per VTEP pair (256 bytes each) and serves both passes.
    share: base.vteps.length <= 64 ? { peers: base.vteps.length ** 2, portRange: base.portRange, candidates: base.candidateCount } : undefined,
  });
  const bins = scan.bins;
  const durationMs = bins * BIN_MS;
  const gateways = new Map<string, Vtep[]>();
  for (const v of base.vteps) if (v.role === 'gateway') gateways.set(v.region, [...(gateways.get(v.region) ?? []), v]);
  const flows = scan.flows.map((c) => toFlow(c, base.vteps, gateways, durationMs));
  const world: World = { ...base, durationMs, flows };

  const observers = new Map<SimMode, ModeObserver>();
  for (const m of REPLAY_MODES) observers.set(m, new ModeObserver(flows, bins, m === 'zooroute'));
  const counts = scan.flows.map((f) => f.counts);
  const sim = simulate(o.scenario, {
    world,
    sentInBin: (f, b) => counts[f.id][b] ?? 0,
    observe: (mode, p, clock) => observers.get(mode)!.wrap(p, clock),
  });

  const enc: EncapResult = await encapCapture({
    input: path, world, mapper, index, cache,
    srcOf: Int32Array.from(scan.flows, (f) => f.src), dstOf: Int32Array.from(scan.flows, (f) => f.dst), hashOf: Uint32Array.from(scan.flows, (f) => f.hash),
    firstHop: Int32Array.from(flows, (f) => f.segments[0].to),
    defaultPortOf: Uint16Array.from(flows, (f) => defaultPort(world, f, f.segments[0])), ports: observers.get('zooroute')!.ports!, t0Sec: scan.t0Sec, t0Nsec: scan.t0Nsec,
    vni: o.vni ?? 1, out: o.out, holdOutput: o.holdOutput, flavour: o.flavour, progress: o.progress, enet, bulk: o.bulk, core: scan.core,
  });
  // Both passes are done with the scan's core: the next replay in this process may reuse it.
  if (scan.core !== undefined) giveBackReplayCore(scan.core);

  const recovery = {} as Record<SimMode, RecoverySummary>;
  for (const m of REPLAY_MODES) {
    const ob = observers.get(m)!;
    let n = 0, sum = 0, max = 0;
    for (let i = 0; i < flows.length; i++) {
      const r = ob.ledger.longestRunMs(i);
      if (r > 0) { n++; sum += r; if (r > max) max = r; }
    }
    recovery[m] = { flowsOut: n, meanMs: n ? Math.round((sum / n) * 10) / 10 : 0, maxMs: max };
  }
  const perFlow: ReplayFlow[] = scan.flows.map((c) => {
    const modes = {} as Record<SimMode, FlowModeFigures>;
    for (const m of REPLAY_MODES) {
      const ob = observers.get(m)!;
      modes[m] = {
        sent: ob.ledger.sent[c.id], lost: ob.ledger.lost[c.id], outageSeconds: (ob.ledger.outBins(c.id) * BIN_MS) / 1000,
        recoverMs: ob.ledger.longestRunMs(c.id),
      };
    }
    return {
      id: c.id, src: addrText(c.family, c.srcAddr), dst: addrText(c.family, c.dstAddr), proto: c.proto, sport: c.sport, dport: c.dport,
      hash: c.hash, srcVtep: base.vteps[c.src].name, dstVtep: base.vteps[c.dst].name, packets: c.packets, modes,
    };
  });
  const series = {} as ReplayRun['series'];
  for (const m of REPLAY_MODES) {
    const ob = observers.get(m)!;
    series[m] = { delivered: Array.from(ob.delivered), lost: Array.from(ob.lost) };
  }
  const report: ReplayReport = {
    ...sim,
    input: o.input,
    frames: scan.frames.total,
    frameCounts: { ...scan.frames, encapsulated: enc.encapsulated, forcedPort: enc.forced, dropped: enc.dropped, encapBatches: enc.batches },
    hashedAddresses: mapper.hashed,
    recovery,
    perFlow,
  };
  return { report, series, world, output: enc.output };
}
