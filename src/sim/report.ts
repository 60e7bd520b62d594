// What `zooroute simulate` reports, per mode and overall (docs/simulator.md explains every figure).
import type { FailureOutcome } from './outage.js';
import { MODE_LABELS, SIM_MODES, type BaselineCutMode } from './modes.js';

/** A latency over the failures that had the event: how many had one, mean and worst, ms from the failure's start. */
export interface LatencyStats { count: number; meanMs: number; maxMs: number }

/** What every mode reports (docs/simulator.md, "Outage and masking"). */
export interface ModeReport {
  /** Outage summed over flows, seconds (runs of outage in 100 ms bins), to 3 decimals. */
  outageSeconds: number;
  /** Tenant packets lost and sent over the run, all flows. */
  lostPackets: number;
  sentPackets: number;
  /** Failure events in the scenario, and those masked from every tenant. */
  failures: number;
  maskedFailures: number;
  /** One outcome per failure, in scenario order. */
  perFailure: FailureOutcome[];
  /** Sessions reset by a stateful middlebox because a flow landed on another instance. */
  sessionResets: number;
}

/** The zooroute mode's report: the common figures plus how fast the control plane saw and left failures. */
export interface ZoorouteModeReport extends ModeReport {
  /** Per failure: from its start to the first port marked bad, and to the first switch away from a port. */
  detect: LatencyStats;
  switch: LatencyStats;
  /** Port switches over the whole run, every control plane. */
  switches: number;
}

/** The opportunistic mode's report: the common figures plus how many blind retries recovery took. */
export interface OpportunisticModeReport extends ModeReport {
  /** Timeout episodes with a retry, and retries per episode (mean to 3 decimals, worst). */
  retryEpisodes: number;
  retriesMean: number;
  retriesMax: number;
}

/** The PRR mode's report: the common figures plus which flows could move and the timeouts it took. */
export interface PrrModeReport extends ModeReport {
  /** TCP flows (they have a retransmission timer), and those over IPv6 (a timeout can change their path). */
  tcpFlows: number;
  repathableFlows: number;
  /** Stalls with at least one RTO, and RTOs per such stall (mean, worst); TCP flows of either family. */
  retryEpisodes: number;
  retriesMean: number;
  retriesMax: number;
  /** RTOs that drew a new flow label (and so new outer ports). */
  rehashes: number;
}

/**
 * Middlebox sessions over a run: sessions whose outer source port changed, those reset because the new
 * port landed on another instance, and the share kept on their backend (null when none moved).
 */
export interface SessionMoves { moves: number; resets: number; keptShare: number | null }

/** Probe traffic: packets and wire bytes (PROBE_WIRE_BYTES each), requests and replies together. */
export interface ProbeCost { packets: number; bytes: number }

/**
 * Everything `zooroute simulate` reports for one scenario and seed, per mode and overall
 * (docs/simulator.md explains every figure); `--json` prints it as is, {@link formatReport} as text.
 */
export interface SimulationReport {
  /** The scenario's name ('unnamed' without one), the effective seed, and simulated time in ms. */
  scenario: string;
  seed: number;
  durationMs: number;
  /** VTEPs and flows of the world. */
  vteps: number;
  flows: number;
  /** One entry per mode of SIM_MODES. */
  modes: { zooroute: ZoorouteModeReport; static: ModeReport; opportunistic: OpportunisticModeReport; prr: PrrModeReport };
  /** 1 - outage(mode) / outage(static); null when static had no outage. */
  outageCutVsStatic: Record<BaselineCutMode, number | null>;
  probes: {
    onDemand: ProbeCost;
    fullMesh: ProbeCost;
    /** 1 - onDemand.bytes / fullMesh.bytes. */
    reduction: number;
    /** Probed (VTEP, peer) pairs at the end, and the share of all ordered pairs. */
    activePairs: number;
    activePairShare: number;
  };
  /**
   * Share of (VTEP pair, candidate port) whose path delivers at least half, sampled every second while
   * a failure is active (in the static run: it describes the failures, not a mode).
   */
  underlay: { healthyPortShareMean: number; healthyPortShareWorst: number; samples: number };
  middlebox: {
    /** Middlebox instances over all services. */
    instances: number;
    /** Outer source ports source-port learning watches, beside those blind probing would (sources x N_p). */
    watchedPorts: number;
    blindPorts: number;

    /** Zooroute with and without middlebox sensing: sessions whose port changed, resets, share kept. */
    sensing: SessionMoves;
    noSensing: SessionMoves | null;
  };
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);

/** The human summary. */
export function formatReport(r: SimulationReport): string {
  const lines: string[] = [];
  lines.push(`scenario ${r.scenario}: seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s, ${r.vteps} VTEPs, ${r.flows} flows`);
  const width = Math.max(...SIM_MODES.map((m) => MODE_LABELS[m].length)) + 1;
  lines.push(`${'mode'.padEnd(width)} outage s   lost pkts   masked   resets  notes`);
  const z = r.modes.zooroute, o = r.modes.opportunistic, p = r.modes.prr;
  const notes: Record<keyof SimulationReport['modes'], string> = {
    zooroute: `detect mean ${z.detect.meanMs.toFixed(0)} ms (max ${z.detect.maxMs.toFixed(0)}), switch mean ${z.switch.meanMs.toFixed(0)} ms (max ${z.switch.maxMs.toFixed(0)}), ${z.switches} switches`,
    static: '',
    opportunistic: `upper bound: every flow, UDP and IPv4 too, re-rolls on an exact timeout; retries mean ${o.retriesMean.toFixed(2)}, worst ${o.retriesMax} over ${o.retryEpisodes} episodes`,
    prr: `${p.repathableFlows} of ${p.tcpFlows} TCP flows IPv6 (only they can move), ${r.flows - p.tcpFlows} UDP never; RTOs mean ${p.retriesMean.toFixed(2)}, worst ${p.retriesMax} over ${p.retryEpisodes} stalls, ${p.rehashes} re-hashes`,
  };
  for (const m of SIM_MODES) {
    const x: ModeReport = r.modes[m];
    lines.push(`${MODE_LABELS[m].padEnd(width)} ${x.outageSeconds.toFixed(1).padStart(8)}  ${String(x.lostPackets).padStart(10)}   ${`${x.maskedFailures}/${x.failures}`.padStart(6)}  ${String(x.sessionResets).padStart(7)}  ${notes[m]}`.trimEnd());
  }
  const cuts = SIM_MODES.filter((m): m is BaselineCutMode => m !== 'static').map((m) => `${m} ${pct(r.outageCutVsStatic[m])}`);
  lines.push(`outage cut vs static: ${cuts.join(', ')}`);
  lines.push(`probes: on-demand ${r.probes.onDemand.packets} pkts / ${r.probes.onDemand.bytes} B; full-mesh ${r.probes.fullMesh.packets} pkts / ${r.probes.fullMesh.bytes} B; reduction ${pct(r.probes.reduction)} (${r.probes.activePairs} active pairs, ${pct(r.probes.activePairShare)} of all)`);
  if (r.underlay.samples > 0) {
    lines.push(`healthy candidate ports during failures: mean ${pct(r.underlay.healthyPortShareMean)}, worst ${pct(r.underlay.healthyPortShareWorst)}`);
  }
  if (r.middlebox.instances > 0) {
    const m = r.middlebox;
    lines.push(`middlebox: ${m.instances} instances; source-port learning watches ${m.watchedPorts} ports vs ${m.blindPorts} probed blindly`);
    const moved = (x: SessionMoves): string => `${x.moves} sessions moved port, ${x.resets} reset, ${pct(x.keptShare)} kept their backend`;
    lines.push(`middlebox sensing on: ${moved(m.sensing)}${m.noSensing ? `; off: ${moved(m.noSensing)}` : ''}`);
  }
  for (const [i, f] of z.perFailure.entries()) {
    const per = SIM_MODES.map((m) => r.modes[m].perFailure[i]);
    lines.push(`failure ${f.name}: masked ${SIM_MODES.map((m, k) => `${m} ${per[k].masked ? 'yes' : 'no'}`).join(' / ')}; longest out ${per.map((x) => x.longestOutMs).join(' / ')} ms`);
  }
  return lines.join('\n') + '\n';
}
