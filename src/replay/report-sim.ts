// Filling a report scenario from `zooroute simulate`'s SimulationReport: the summary rows (one per
// mode) and the failure windows. The per-bin series come from the run itself (per mode, per bin: the
// sum over flows of delivered and lost packets) and are passed in as they are.
import type { SimulationReport, ModeReport } from '../sim/report.js';
import { SIM_MODES, type SimMode } from '../sim/modes.js';
import type { FailureWindow, ModeSeries, ScenarioInput, SummaryValue } from './report-types.js';

type Row = Record<string, SummaryValue>;

function baseRow(mode: string, m: ModeReport, cut: number | null): Row {
  return {
    mode,
    'outage s': m.outageSeconds,
    'lost packets': m.lostPackets,
    'sent packets': m.sentPackets,
    'masked failures': `${m.maskedFailures}/${m.failures}`,
    // A share, shown as the CLI prints it (93.16%).
    'outage cut vs static': cut === null ? null : { share: cut },
    'session resets': m.sessionResets,
  };
}

/** One row per mode, zooroute first; mode-specific columns are empty for the other modes. */
export function simulationSummaryRows(r: SimulationReport): Row[] {
  const z = r.modes.zooroute, o = r.modes.opportunistic, p = r.modes.prr;
  return [
    { ...baseRow('zooroute', z, r.outageCutVsStatic.zooroute), 'detect mean ms': z.detect.meanMs, 'switch mean ms': z.switch.meanMs, 'switch max ms': z.switch.maxMs, switches: z.switches },
    baseRow('static', r.modes.static, r.modes.static.outageSeconds > 0 ? 0 : null),
    { ...baseRow('opportunistic', o, r.outageCutVsStatic.opportunistic), 'retries mean': o.retriesMean, 'retries max': o.retriesMax },
    { ...baseRow('prr', p, r.outageCutVsStatic.prr), 'retries mean': p.retriesMean, 'retries max': p.retriesMax },
  ];
}

export interface SimulationScenarioParts {
  report: SimulationReport;
  binMs: number;
  /** The scenario's failure events as windows (label, start, end). */
  failures: FailureWindow[];
  series: Record<SimMode, ModeSeries>;
  description?: string;
}

export function scenarioFromSimulation(p: SimulationScenarioParts): ScenarioInput {
  const r = p.report;
  return {
    name: r.scenario,
    description: p.description ?? `seed ${r.seed}, ${r.durationMs / 1000} s, ${r.vteps} VTEPs, ${r.flows} flows`,
    binMs: p.binMs,
    failures: p.failures,
    modes: Object.fromEntries(SIM_MODES.map((m) => [m, p.series[m]])),
    summary: simulationSummaryRows(r),
  };
}
