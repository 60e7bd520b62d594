// Filling the HTML report (src/replay/report.ts) from a replay: simulate's summary rows plus the
// replay's time to recover, the failure windows, and the per-bin series counted in the replay's run.
import { BIN_MS } from '../sim/index.js';
import { scenarioFromSimulation } from './report-sim.js';
import type { ReportInput } from './report-types.js';
import { REPLAY_MODES, type ReplayRun } from './replay.js';

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
  return { title: `zooroute replay: ${r.input}`, generatedAt, scenarios: [scenario] };
}
