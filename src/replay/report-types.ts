// The HTML report's input (src/replay/report.ts renders it, docs/report.md describes it): a file of
// its own, so the renderer's parts (report-*.ts) and its fillers import the types without importing
// the renderer, and no import runs in a circle.

/** A share in [0, 1] shown as a percentage with 2 decimals, as the CLI prints it (0.9316 -> "93.16%"). */
export interface ShareValue {
  share: number;
}

/**
 * A table cell: numbers (and shares) render with their exact value in `data-value`; null renders as
 * "n/a".
 */
export type SummaryValue = string | number | null | ShareValue;

/** A table of rows keyed by column (columns in order of first appearance), e.g. the per-flow figures. */
export interface RowTable {
  /** Shown above the table, e.g. which rows were kept. */
  caption?: string;
  rows: Array<Record<string, SummaryValue>>;
}

/** A failure drawn as a shaded band over the timeline and listed in the failure table. */
export interface FailureWindow {
  label: string;
  /** [startMs, endMs), ms from the scenario's start (endMs not before startMs). */
  startMs: number;
  endMs: number;
}

/** Per-bin packet counts of one mode: delivered[b] and lost[b] over bin b (same length). */
export interface ModeSeries {
  delivered: number[];
  lost: number[];
}

/** One scenario's section of the report: a timeline, the summary table, and optional flow and failure tables. */
export interface ScenarioInput {
  /** Heading of the section. */
  name: string;
  description?: string;
  /** Bin width; the simulator and the SPEC's outage unit use 100 ms. */
  binMs: number;
  failures: FailureWindow[];
  /** Per mode, in drawing order (zooroute first, then baselines such as static, opportunistic). */
  modes: Record<string, ModeSeries>;
  /** One row per mode: outage s, lost packets, masked failures, time to recover ... */
  summary: Array<Record<string, SummaryValue>>;
  /** Optional per-flow table (replay: the flows with losses, as the CLI lists them). */
  flows?: RowTable;
}

/**
 * Everything the HTML report shows (docs/report.md): checked by checkReportInput and rendered by
 * renderReport. The simulator's and replay's fillers build it; JSON of this shape can be rendered too.
 */
export interface ReportInput {
  /** Page title and heading. */
  title: string;
  /** Shown as given; the renderer never reads the clock. */
  generatedAt?: string;
  scenarios: ScenarioInput[];
}

/** How renderReport draws the timelines. */
export interface RenderOptions {
  /** Most columns a timeline draws; longer series are merged (k bins per column). Default 600. */
  maxColumns?: number;
}
