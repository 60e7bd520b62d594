// The report's tables: the caller's summary rows (one per mode), the exact per-mode totals of the
// timeline's bins (never downsampled), and the failure windows.
import type { FailureWindow, RowTable, ScenarioInput, SummaryValue } from './report-types.js';
import { escapeHtml, formatNumber, formatPercent, formatSeconds } from './report-text.js';

function cell(v: SummaryValue | undefined): string {
  if (v === undefined) return '<td class="missing"></td>';
  if (v === null) return '<td class="na">n/a</td>';
  if (typeof v === 'object') return `<td class="num pct" data-value="${escapeHtml(String(v.share))}">${escapeHtml(formatPercent(v.share))}</td>`;
  if (typeof v === 'number') return `<td class="num" data-value="${escapeHtml(String(v))}">${escapeHtml(formatNumber(v))}</td>`;
  return `<td>${escapeHtml(v)}</td>`;
}

function table(cls: string, head: readonly string[], rows: readonly (readonly string[])[]): string {
  const o = [`<table class="${cls}">`, '<thead><tr>', ...head.map((h) => `<th>${escapeHtml(h)}</th>`), '</tr></thead><tbody>'];
  for (const r of rows) o.push(`<tr>${r.join('')}</tr>`);
  o.push('</tbody></table>');
  return o.join('');
}

/** Columns are the union of the rows' keys in order of first appearance; a row without a key leaves it empty. */
function rowTable(cls: string, rows: ReadonlyArray<Record<string, SummaryValue>>, empty: string): string {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); keys.push(k); }
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  return table(cls, keys, rows.map((r) => keys.map((k) => cell(r[k]))));
}

export function renderSummaryTable(rows: ReadonlyArray<Record<string, SummaryValue>>): string {
  return rowTable('summary', rows, 'No summary rows.');
}

/** The per-flow table: its caption, then its rows as the summary's are drawn. */
export function renderFlowTable(t: RowTable): string {
  const caption = t.caption !== undefined && t.caption !== '' ? `<p class="flows-caption">${escapeHtml(t.caption)}</p>` : '';
  return caption + rowTable('flows', t.rows, 'No flow lost a packet.');
}

export interface ModeTotals {
  delivered: number;
  lost: number;
  /** Bins with any loss, and bins losing more than half of what was sent (all flows of the mode together). */
  lossyBins: number;
  heavyBins: number;
}

export function modeTotals(delivered: readonly number[], lost: readonly number[]): ModeTotals {
  const t: ModeTotals = { delivered: 0, lost: 0, lossyBins: 0, heavyBins: 0 };
  for (let b = 0; b < delivered.length; b++) {
    t.delivered += delivered[b];
    t.lost += lost[b];
    if (lost[b] > 0) t.lossyBins++;
    if (lost[b] > delivered[b]) t.heavyBins++;
  }
  return t;
}

export function renderTotalsTable(s: ScenarioInput): string {
  const rows = Object.entries(s.modes).map(([name, m]) => {
    const t = modeTotals(m.delivered, m.lost);
    const sent = t.delivered + t.lost;
    return [
      `<td>${escapeHtml(name)}</td>`, cell(t.delivered), cell(t.lost), cell(sent),
      `<td class="num" data-value="${sent > 0 ? t.lost / sent : 0}">${formatPercent(sent > 0 ? t.lost / sent : 0)}</td>`,
      cell(t.lossyBins), cell(t.heavyBins),
    ];
  });
  if (rows.length === 0) return '<p class="empty">No modes.</p>';
  return table('totals', ['mode', 'delivered', 'lost', 'sent', 'lost share', 'bins with loss', 'bins losing > half'], rows);
}

export function renderFailureTable(failures: readonly FailureWindow[]): string {
  return table('failures', ['failure', 'start s', 'end s', 'duration s'], failures.map((f) => [
    `<td>${escapeHtml(f.label)}</td>`,
    `<td class="num">${formatSeconds(f.startMs)}</td>`,
    `<td class="num">${formatSeconds(f.endMs)}</td>`,
    `<td class="num">${formatSeconds(f.endMs - f.startMs)}</td>`,
  ]));
}
