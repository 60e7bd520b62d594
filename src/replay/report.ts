// The self-contained HTML report: per scenario, an SVG timeline of delivered and lost packets per
// 100 ms bin for zooroute and each baseline, failure windows shaded, and summary tables. The simulator
// and pcap replay fill a ReportInput; the renderer takes no time and reads no files, so its output is a
// pure function of the input (docs/report.md says how to read it).
import { checkReportInput } from './report-validate.js';
import { escapeHtml } from './report-text.js';
import { renderTimeline, DEFAULT_MAX_COLUMNS } from './report-timeline.js';
import { renderFailureTable, renderFlowTable, renderSummaryTable, renderTotalsTable } from './report-tables.js';
import { REPORT_CSS } from './report-style.js';
import type { ReportInput, RenderOptions } from './report-types.js';

export { ReportInputError, checkReportInput } from './report-validate.js';
export type { SummaryValue, ShareValue, RowTable, FailureWindow, ModeSeries, ScenarioInput, ReportInput, RenderOptions } from './report-types.js';

/** One self-contained HTML document (inline CSS and SVG, nothing fetched). Throws ReportInputError. */
export function renderReport(input: ReportInput, opts: RenderOptions = {}): string {
  checkReportInput(input);
  const maxColumns = opts.maxColumns ?? DEFAULT_MAX_COLUMNS;
  if (!Number.isInteger(maxColumns) || maxColumns < 1) throw new RangeError(`maxColumns must be a positive integer, got ${maxColumns}`);
  const out: string[] = [];
  out.push('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">');
  // Belt and braces: even if some text slipped through unescaped, the page may fetch nothing.
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${escapeHtml(input.title)}</title>\n<style>${REPORT_CSS}</style>\n</head>\n<body>`);
  out.push(`<header><h1>${escapeHtml(input.title)}</h1>`);
  if (input.generatedAt !== undefined) out.push(`<p class="generated">Generated ${escapeHtml(input.generatedAt)}</p>`);
  if (input.scenarios.length > 1) {
    out.push('<nav><ol>');
    input.scenarios.forEach((s, i) => out.push(`<li><a href="#scenario-${i + 1}">${escapeHtml(s.name)}</a></li>`));
    out.push('</ol></nav>');
  }
  out.push('</header>');
  if (input.scenarios.length === 0) out.push('<p class="empty">No scenarios.</p>');
  input.scenarios.forEach((s, i) => {
    out.push(`<section class="scenario" id="scenario-${i + 1}">`);
    out.push(`<h2>${escapeHtml(s.name)}</h2>`);
    if (s.description !== undefined && s.description !== '') out.push(`<p class="description">${escapeHtml(s.description)}</p>`);
    out.push(renderTimeline(s, maxColumns));
    out.push('<h3>Summary</h3>', renderSummaryTable(s.summary));
    if (s.flows !== undefined) out.push('<h3>Flows</h3>', renderFlowTable(s.flows));
    out.push('<h3>Timeline totals <span class="hint">(exact, over every bin)</span></h3>', renderTotalsTable(s));
    if (s.failures.length > 0) out.push('<h3>Failure windows</h3>', renderFailureTable(s.failures));
    out.push('</section>');
  });
  out.push('</body>\n</html>\n');
  return out.join('\n');
}
