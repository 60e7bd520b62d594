// The HTML report's input (src/replay/report.ts renders it, docs/report.md describes it): a file of
// its own, so the renderer's parts (report-*.ts) and its fillers import the types without importing
// the renderer, and no import runs in a circle.

/** A summary cell: numbers render with their exact value in `data-value`; null renders as "n/a". */
export type SummaryValue = string | number | null;

export interface FailureWindow {
  label: string;
  startMs: number;
  endMs: number;
}

/** Per-bin packet counts of one mode: delivered[b] and lost[b] over bin b (same length). */
export interface ModeSeries {
  delivered: number[];
  lost: number[];
}

export interface ScenarioInput {
  name: string;
  description?: string;
  /** Bin width; the simulator and the SPEC's outage unit use 100 ms. */
  binMs: number;
  failures: FailureWindow[];
  /** Per mode, in drawing order (zooroute first, then baselines such as static, opportunistic). */
  modes: Record<string, ModeSeries>;
  /** One row per mode: outage s, lost packets, masked failures, time to recover ... */
  summary: Array<Record<string, SummaryValue>>;
}

export interface ReportInput {
  title: string;
  /** Shown as given; the renderer never reads the clock. */
  generatedAt?: string;
  scenarios: ScenarioInput[];
}

export interface RenderOptions {
  /** Most columns a timeline draws; longer series are merged (k bins per column). Default 600. */
  maxColumns?: number;
}
