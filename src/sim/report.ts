// What `zooroute simulate` reports, per mode and overall (docs/simulator.md explains every figure).
import type { FailureOutcome } from './outage.js';

export interface LatencyStats { count: number; meanMs: number; maxMs: number }

export interface ModeReport {
  outageSeconds: number;
  lostPackets: number;
  sentPackets: number;
  /** Failure events in the scenario, and those masked from every tenant. */
  failures: number;
  maskedFailures: number;
  perFailure: FailureOutcome[];
  /** Sessions reset by a stateful middlebox because a flow landed on another instance. */
  sessionResets: number;
}

export interface ZoorouteModeReport extends ModeReport {
  /** Per failure: from its start to the first port marked bad, and to the first switch away from a port. */
  detect: LatencyStats;
  switch: LatencyStats;
  switches: number;
}

export interface OpportunisticModeReport extends ModeReport {
  retryEpisodes: number;
  retriesMean: number;
  retriesMax: number;
}

export interface SessionMoves { moves: number; resets: number; keptShare: number | null }

export interface ProbeCost { packets: number; bytes: number }

export interface SimulationReport {
  scenario: string;
  seed: number;
  durationMs: number;
  vteps: number;
  flows: number;
  modes: { zooroute: ZoorouteModeReport; static: ModeReport; opportunistic: OpportunisticModeReport };
  /** 1 - outage(mode) / outage(static); null when static had no outage. */
  outageCutVsStatic: { zooroute: number | null; opportunistic: number | null };
  probes: {
    onDemand: ProbeCost;
    fullMesh: ProbeCost;
    /** 1 - onDemand.bytes / fullMesh.bytes. */
    reduction: number;
    /** Probed (VTEP, peer) pairs at the end, and the share of all ordered pairs. */
    activePairs: number;
    activePairShare: number;
  };
  underlay: { healthyPortShareMean: number; healthyPortShareWorst: number; samples: number };
  middlebox: {
    instances: number;
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
  lines.push('mode           outage s   lost pkts   masked   resets  notes');
  const row = (name: string, m: ModeReport, notes: string): void => {
    lines.push(`${name.padEnd(14)} ${m.outageSeconds.toFixed(1).padStart(8)}  ${String(m.lostPackets).padStart(10)}   ${`${m.maskedFailures}/${m.failures}`.padStart(6)}  ${String(m.sessionResets).padStart(7)}  ${notes}`);
  };
  const z = r.modes.zooroute, o = r.modes.opportunistic;
  row('zooroute', z, `detect mean ${z.detect.meanMs.toFixed(0)} ms (max ${z.detect.maxMs.toFixed(0)}), switch mean ${z.switch.meanMs.toFixed(0)} ms (max ${z.switch.maxMs.toFixed(0)}), ${z.switches} switches`);
  row('static', r.modes.static, '');
  row('opportunistic', o, `retries mean ${o.retriesMean.toFixed(2)}, worst ${o.retriesMax} over ${o.retryEpisodes} episodes`);
  lines.push(`outage cut vs static: zooroute ${pct(r.outageCutVsStatic.zooroute)}, opportunistic ${pct(r.outageCutVsStatic.opportunistic)}`);
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
    const s = r.modes.static.perFailure[i], op = o.perFailure[i];
    lines.push(`failure ${f.name}: masked zooroute ${f.masked ? 'yes' : 'no'} / static ${s.masked ? 'yes' : 'no'} / opportunistic ${op.masked ? 'yes' : 'no'}; longest out ${f.longestOutMs} / ${s.longestOutMs} / ${op.longestOutMs} ms`);
  }
  return lines.join('\n') + '\n';
}
