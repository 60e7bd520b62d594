// Text for the HTML report: escaping (scenario names and labels are untrusted: they may hold `<`) and
// the number formats used in tables and on axes.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape for both element text and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * A number as a table shows it: integers exactly, others to 6 significant digits (the exact value
 * goes into `data-value` beside it), non-finite values by name.
 */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(6)));
}

/** Milliseconds as seconds for axis ticks and failure windows: 6 significant digits, no trailing zeros. */
export function formatSeconds(ms: number): string {
  return String(Number((ms / 1000).toPrecision(6)));
}

/** A share in [0, 1] as a percentage with 2 decimals. */
export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}
