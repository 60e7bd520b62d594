// Filling the HTML report (src/replay/report.ts) from a replay: simulate's summary rows plus the
// replay's time to recover, the failure windows, the per-bin series counted in the replay's run, and
// the per-flow table the CLI prints (the flows with losses, most static losses first).
import { BIN_MS } from '../sim/index.js';
import { scenarioFromSimulation } from './report-sim.js';
import type { ReportInput, RowTable, SummaryValue } from './report-types.js';
import { flowName, lossyFlows } from './lossy-flows.js';
import { REPLAY_MODES, type ReplayReport, type ReplayRun } from './replay.js';

/** Most flow rows in the HTML report; the CLI shows 20, a page can hold more. */
export const MAX_REPORT_FLOW_ROWS = 200;

function flowTable(r: ReplayReport): RowTable {
  const hit = lossyFlows(r);
  const rows = hit.slice(0, MAX_REPORT_FLOW_ROWS).map((f) => {
    const row: Record<string, SummaryValue> = { flow: flowName(f), 'src VTEP': f.srcVtep, 'dst VTEP': f.dstVtep, packets: f.packets };
    for (const m of REPLAY_MODES) {
      const x = f.modes[m];
      row[`${m} lost`] = x.lost;
      row[`${m} outage s`] = x.outageSeconds;
      row[`${m} recover ms`] = x.recoverMs;
    }
    return row;
  });
  const kept = hit.length > MAX_REPORT_FLOW_ROWS ? `, the ${MAX_REPORT_FLOW_ROWS} with most static losses` : '';
  return { caption: `${hit.length} of ${r.perFlow.length} flows lost packets in some mode${kept}; most static losses first. Outage and recover: runs of outage (docs/replay.md).`, rows };
}

/**
 * The HTML report's input for a replay (`zooroute replay --report`): one scenario with the per-bin
 * series, failure windows, summary rows with time to recover, and the lossy flows. `generatedAt` is
 * shown as given (the renderer never reads the clock), so the output stays a function of the run.
 */
export function replayReportInput(run: ReplayRun, generatedAt?: string): ReportInput {
  const r = run.report;
  const scenario = scenarioFromSimulation({
    report: r,
    binMs: BIN_MS,
    failures: run.world.failures.map((f) => ({ label: f.name, startMs: f.startMs, endMs: f.endMs })),
    series: run.series,
    description: `${r.input} replayed: ${r.frames} frames, ${r.flows} flows, ${r.vteps} VTEPs, ${(r.durationMs / 1000).toFixed(1)} s; seed ${r.seed}`,
  });
  scenario.summary = scenario.summary.map((row) => {
    const mode = REPLAY_MODES.find((m) => m === row.mode);
    return mode === undefined ? row : { ...row, 'recover max ms': r.recovery[mode].maxMs, 'flows out': r.recovery[mode].flowsOut };
  });
  scenario.flows = flowTable(r);
  return { title: `zooroute replay: ${r.input}`, generatedAt, scenarios: [scenario] };
}
