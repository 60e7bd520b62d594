/**
 * Replay: a capture file run through the three modes (ZooRoute, static, opportunistic) over a
 * simulated underlay, its report and the HTML rendering of it.
 *
 * @module zooroute/replay
 */
export {
  replay, REPLAY_MODES,
  type ReplayOptions, type ReplayRun, type ReplayReport, type ReplayFlow, type FlowModeFigures, type RecoverySummary,
} from './replay.js';
export { type ProgressFn, type FrameCounts } from './capture-scan.js';
export { formatReplay } from './replay-text.js';
export { loadMapFile, MapFileError, type VtepMapFile } from './vtep-map.js';
export { replayReportInput } from './replay-report.js';
export { renderReport, ReportInputError, checkReportInput } from './report.js';
export type { ReportInput, ScenarioInput, FailureWindow, ModeSeries, SummaryValue, ShareValue, RowTable, RenderOptions } from './report-types.js';
