// Run a scenario in every mode (modes.ts) side by side — same underlay, traffic, failures and seed — and
// gather the report `zooroute simulate` prints.
import { EventQueue } from './event-queue.js';
import { resolveControlConfig, type ControlConfig } from '../control/config.js';
import { PROBE_WIRE_BYTES } from '../control/probe-codec.js';
import { runMode, type PortPolicy, type RunOutput, type SimClock } from './engine.js';
import { buildWorld, type Flow, type World } from './world.js';
import { staticPolicy } from './static-mode.js';
import { opportunisticPolicy, type RetryStats } from './opportunistic-mode.js';
import { zooroutePolicy, type ZooroutePolicy } from './zooroute-mode.js';
import { prrPolicy, type PrrStats } from './prr-mode.js';
import type { SimMode } from './modes.js';
import type { ControlEvent } from '../control/vtep.js';
import { ScenarioError, type Scenario } from './scenario.js';
import type { LatencyStats, ModeReport, SimulationReport } from './report.js';

export type { SimMode } from './modes.js';

/** How `simulate` runs a scenario; every field is optional and defaults to the plain `zooroute simulate` run. */
export interface SimulateOptions {
  /** Replaces the scenario's seed (the CLI's `--seed`); ignored when `world` is given. */
  seed?: number;
  /** A world built by the caller (pcap replay: flows from a capture); default buildWorld(s, seed). */
  world?: World;
  /** Per-bin packet counts replacing the flows' rates (runMode's sentInBin). */
  sentInBin?: (flow: Flow, bin: number) => number;
  /** Wrap each mode's policy, e.g. to observe ports and per-bin losses (replay's series and OUT). */
  observe?: (mode: SimMode, policy: PortPolicy, clock: SimClock) => PortPolicy;
}

/** The scenario's control-plane overrides, checked by the control plane's own validation. */
export function scenarioControlConfig(s: Scenario): Partial<ControlConfig> {
  const c = (s.control ?? {}) as Partial<ControlConfig>;
  try {
    resolveControlConfig(c);
  } catch (e) {
    const m = /control config (\w+) (.*)/.exec((e as Error).message);
    throw new ScenarioError(m ? `control.${m[1]}` : 'control', m ? m[2] : (e as Error).message);
  }
  return c;
}

function modeReport(w: World, out: RunOutput): ModeReport {
  const per = out.ledger.failureOutcomes(w.failures);
  return {
    outageSeconds: round(out.ledger.outageSeconds(), 3),
    lostPackets: out.ledger.lostPackets(),
    sentPackets: out.ledger.sentPackets(),
    failures: w.failures.length,
    maskedFailures: per.filter((f) => f.masked).length,
    perFailure: per,
    sessionResets: out.sessionResets,
  };
}

/** Per failure, the first event of a kind inside its window, measured from its start. */
function latency(w: World, events: readonly ControlEvent[], type: ControlEvent['type']): LatencyStats {
  const ds: number[] = [];
  for (const f of w.failures) {
    const e = events.find((x) => x.type === type && x.atMs >= f.startMs && x.atMs < f.endMs);
    if (e) ds.push(e.atMs - f.startMs);
  }
  return { count: ds.length, meanMs: ds.length ? round(ds.reduce((a, b) => a + b, 0) / ds.length, 1) : 0, maxMs: ds.length ? Math.max(...ds) : 0 };
}

function round(x: number, d: number): number {
  const k = 10 ** d;
  return Math.round(x * k) / k;
}

/**
 * Run a scenario in every mode of SIM_MODES over the same world (underlay, traffic, failures, seed),
 * each on its own virtual clock, and gather the comparison `zooroute simulate` prints: outage, losses,
 * masked failures, detection and switch latency, probe cost against a full mesh, middlebox sessions.
 * Deterministic for a given scenario and seed; throws ScenarioError (a bad `control` section, a name
 * that does not resolve).
 */
export function simulate(s: Scenario, opts: SimulateOptions = {}): SimulationReport {
  const config = scenarioControlConfig(s);
  const cfg = resolveControlConfig(config);
  const world = opts.world ?? buildWorld(s, opts.seed);
  const sentInBin = opts.sentInBin;
  const see = (mode: SimMode, p: PortPolicy, clock: SimClock): PortPolicy => (opts.observe ? opts.observe(mode, p, clock) : p);

  const st = runMode(world, new EventQueue(), (ctx) => see('static', staticPolicy(world), ctx.clock), { measureHealth: true, sentInBin });
  let retries: RetryStats = { episodes: 0, retriesMean: 0, retriesMax: 0 };
  const op = runMode(world, new EventQueue(), (ctx) => {
    const p = opportunisticPolicy(world);
    return see('opportunistic', { ...p, stop() { p.stop?.(); retries = p.retryStats(); } }, ctx.clock);
  }, { sentInBin });
  let prr: PrrStats | undefined;
  const pr = runMode(world, new EventQueue(), (ctx) => {
    const p = prrPolicy(ctx);
    return see('prr', { ...p, stop() { p.stop?.(); prr = p.stats(); } }, ctx.clock);
  }, { sentInBin });
  let zp: ZooroutePolicy | undefined;
  const zr = runMode(world, new EventQueue(), (ctx) => see('zooroute', (zp = zooroutePolicy(ctx, config)), ctx.clock), { sentInBin });
  const z = zp!;

  const staticR = modeReport(world, st);
  const cut = (m: ModeReport): number | null => (staticR.outageSeconds > 0 ? round(1 - m.outageSeconds / staticR.outageSeconds, 4) : null);
  const zoo = {
    ...modeReport(world, zr),
    detect: latency(world, z.events, 'port-down'),
    switch: latency(world, z.events, 'switch'),
    switches: z.events.filter((e) => e.type === 'switch').length,
  };
  const opp = { ...modeReport(world, op), retryEpisodes: retries.episodes, retriesMean: round(retries.retriesMean, 3), retriesMax: retries.retriesMax };
  const ps = prr!;
  const prrR = {
    ...modeReport(world, pr), tcpFlows: ps.tcpFlows, repathableFlows: ps.repathableFlows,
    retryEpisodes: ps.episodes, retriesMean: round(ps.retriesMean, 3), retriesMax: ps.retriesMax, rehashes: ps.rehashes,
  };

  // Full mesh: every probing VTEP probes every other on all N_p ports each interval; each request is
  // answered. Same probe size and interval as the on-demand run. With replyPort 'both' a full-mesh
  // responder probes the prober too, so it knows a healthy port besides the probed one: two replies.
  const v = world.vteps.filter((x) => x.probes).length;
  const rounds = Math.floor(world.durationMs / cfg.probeIntervalMs);
  const perProbe = cfg.replyPort === 'both' ? 3 : 2;
  const fullPackets = v * (v - 1) * world.candidateCount * rounds * perProbe;
  const od = { packets: zr.probes.packets, bytes: zr.probes.bytes };
  const pairs = z.activePairs();

  // Middlebox sensing's effect: the zooroute run again with it off (only when there are middleboxes).
  const moves = (out: RunOutput) => {
    const m = out.middleboxes.reduce((n, x) => n + x.moves, 0);
    const r = out.middleboxes.reduce((n, x) => n + x.resets, 0);
    return { moves: m, resets: r, keptShare: m > 0 ? round(1 - r / m, 4) : null };
  };
  const noSensing = zr.middleboxes.length > 0
    ? moves(runMode(world, new EventQueue(), (ctx) => zooroutePolicy(ctx, { ...config, middleboxSensing: false }), { sentInBin }))
    : null;

  let watched = 0, blind = 0;
  for (const m of zr.middleboxes) {
    const w = m.watchedPorts();
    for (const ports of w.values()) watched += ports.size;
    blind += w.size * world.candidateCount;
  }
  return {
    scenario: s.name ?? 'unnamed',
    seed: world.seed,
    durationMs: world.durationMs,
    vteps: world.vteps.length,
    flows: world.flows.length,
    modes: { zooroute: zoo, static: staticR, opportunistic: opp, prr: prrR },
    outageCutVsStatic: { zooroute: cut(zoo), opportunistic: cut(opp), prr: cut(prrR) },
    probes: {
      onDemand: od,
      fullMesh: { packets: fullPackets, bytes: fullPackets * PROBE_WIRE_BYTES },
      reduction: fullPackets > 0 ? round(1 - od.bytes / (fullPackets * PROBE_WIRE_BYTES), 5) : 0,
      activePairs: pairs,
      activePairShare: v > 1 ? round(pairs / (v * (v - 1)), 5) : 0,
    },
    underlay: { healthyPortShareMean: round(st.healthyPortShare.mean, 4), healthyPortShareWorst: round(st.healthyPortShare.worst, 4), samples: st.healthyPortShare.samples },
    middlebox: {
      instances: zr.middleboxes.reduce((n, m) => n + m.instances, 0), watchedPorts: watched, blindPorts: blind,
      sensing: moves(zr), noSensing,
    },
  };
}
