// The SVG timeline of one scenario: one band per mode (delivered packets per bin stacked under lost
// ones, on one shared y scale so bands compare), a loss strip under each band, failure windows shaded
// across all bands, time ticks in seconds, y ticks in packets per bin on each band, a legend and a note
// saying how the bins were drawn.
import type { ScenarioInput } from './report-types.js';
import { binsPerColumn, toColumns, type Columns } from './report-downsample.js';
import { escapeHtml, formatNumber, formatSeconds } from './report-text.js';
import { niceCeil, timeTicks } from './report-ticks.js';

/** 600 columns over ~930 px: 1.5 px each, finer than the eye needs, ~10 kB per series path at most. */
export const DEFAULT_MAX_COLUMNS = 600;

const W = 1100, LEFT = 150, RIGHT = 20, PLOT_W = W - LEFT - RIGHT;
const PLOT_TOP = 66, BAND_H = 80, GAP = 28, STRIP_GAP = 3, STRIP_H = 6;
/** A lone lossy column of a long capture is ~1.5 px: widen strip runs to stay visible. */
const MIN_RUN_W = 2;

const num = (v: number): string => {
  const r = Math.round(v * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
};

/**
 * A closed step area between `lo` (undefined: the baseline) and `hi`, over columns whose left edges are
 * xs[0..n-1] and whose right end is xs[n]. Runs of equal height emit one segment.
 */
export function stepArea(xs: readonly number[], lo: Float64Array | undefined, hi: Float64Array, y: (v: number) => number): string {
  const n = hi.length;
  const base = y(0);
  let d = `M${num(xs[0])},${num(lo ? y(lo[0] ?? 0) : base)}`;
  let cur = Number.NaN;
  for (let c = 0; c < n; c++) {
    const top = num(y((lo ? lo[c] : 0) + hi[c]));
    if (top !== String(cur)) { d += `V${top}`; cur = Number(top); }
    if (c + 1 === n || num(y((lo ? lo[c + 1] : 0) + hi[c + 1])) !== top) d += `H${num(xs[c + 1])}`;
  }
  if (!lo) return `${d}V${num(base)}H${num(xs[0])}Z`;
  cur = Number.NaN;
  for (let c = n - 1; c >= 0; c--) {
    const bottom = num(y(lo[c]));
    if (bottom !== String(cur)) { d += `V${bottom}`; cur = Number(bottom); }
    if (c === 0 || num(y(lo[c - 1])) !== bottom) d += `H${num(xs[c])}`;
  }
  return `${d}Z`;
}

/** Rectangles (as one path) over runs of columns for which `pick` holds. */
function runsPath(xs: readonly number[], pick: (c: number) => boolean, top: number): string {
  let d = '';
  for (let c = 0; c < xs.length - 1; c++) {
    if (!pick(c)) continue;
    let e = c;
    while (e + 1 < xs.length - 1 && pick(e + 1)) e++;
    d += `M${num(xs[c])},${num(top)}H${num(Math.max(xs[e + 1], xs[c] + MIN_RUN_W))}v${STRIP_H}H${num(xs[c])}Z`;
    c = e;
  }
  return d;
}

export function renderTimeline(s: ScenarioInput, maxColumns: number): string {
  const modes = Object.entries(s.modes);
  const bins = modes.reduce((m, [, v]) => Math.max(m, v.delivered.length), 0);
  const lastFailure = s.failures.reduce((m, f) => Math.max(m, f.endMs), 0);
  const extentMs = bins > 0 ? bins * s.binMs : Math.max(lastFailure, 1000);
  const k = binsPerColumn(bins, maxColumns);
  const cols: Columns[] = modes.map(([, v]) => toColumns(v, bins, k));
  const nCols = Math.ceil(bins / k);
  const x = (ms: number): number => LEFT + (Math.min(Math.max(ms, 0), extentMs) / extentMs) * PLOT_W;
  const xs: number[] = [];
  for (let c = 0; c <= nCols; c++) xs.push(x(Math.min(c * k, bins) * s.binMs));

  let peak = 0;
  for (const c of cols) for (let i = 0; i < nCols; i++) peak = Math.max(peak, c.delivered[i] + c.lost[i]);
  const yMax = niceCeil(peak);

  const bandTop = (i: number): number => PLOT_TOP + i * (BAND_H + GAP);
  const axisY = bandTop(Math.max(modes.length, 1) - 1) + BAND_H + STRIP_GAP + STRIP_H + 6;
  const H = axisY + 64;
  const o: string[] = [];
  o.push(`<figure class="timeline">`);
  o.push(`<svg class="timeline" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`Delivered and lost packets per ${formatNumber(s.binMs)} ms, ${s.name}`)}" data-modes="${modes.length}" data-bins="${bins}" data-bins-per-column="${k}" data-columns="${nCols}">`);

  // Legend.
  const legend: Array<[string, string]> = [['sw-delivered', 'delivered'], ['sw-lost', 'lost'], ['sw-failure', 'failure window'], ['strip-loss', 'some loss in a bin'], ['strip-out', 'bin lost > half']];
  let lx = LEFT;
  o.push('<g class="legend">');
  for (const [cls, text] of legend) {
    o.push(`<rect class="${cls}" x="${lx}" y="8" width="14" height="12"/><text x="${lx + 19}" y="18">${text}</text>`);
    lx += 19 + text.length * 7 + 22;
  }
  o.push('</g>');

  // Band backgrounds first, then the failure shading, then the data: the shading shows wherever the
  // data leaves room, and its outline and label are drawn last so they stay visible over the data.
  modes.forEach(([name], i) => {
    const top = bandTop(i);
    o.push(`<rect class="band-bg" x="${LEFT}" y="${top}" width="${PLOT_W}" height="${BAND_H}"/>`);
    // The label column is 150 px, shared with the y title and ticks: long names are shortened there,
    // whole in the tooltip and the tables.
    const shown = [...name].length > 14 ? `${[...name].slice(0, 13).join('')}…` : name;
    o.push(`<text class="mode" x="${LEFT - 36}" y="${top + BAND_H / 2 + 5}"><title>${escapeHtml(name)}</title>${escapeHtml(shown)}</text>`);
    // y ticks: 0, half and the top of the shared scale, with faint grid lines across the band.
    for (const v of [0, yMax / 2, yMax]) {
      const ty = num(top + BAND_H - (v / yMax) * BAND_H);
      o.push(`<line class="ytick" x1="${LEFT - 3}" y1="${ty}" x2="${LEFT}" y2="${ty}"/>`);
      if (v > 0) o.push(`<line class="grid" x1="${LEFT}" y1="${ty}" x2="${LEFT + PLOT_W}" y2="${ty}"/>`);
      o.push(`<text class="scale" x="${LEFT - 5}" y="${num(Number(ty) + 3.5)}">${formatNumber(v)}</text>`);
    }
  });
  const yTitle = k > 1 ? `mean packets per ${formatNumber(s.binMs)} ms` : `packets per ${formatNumber(s.binMs)} ms`;
  const midY = num((PLOT_TOP + bandTop(Math.max(modes.length, 1) - 1) + BAND_H) / 2);
  o.push(`<text class="axis-title y-title" x="14" y="${midY}" transform="rotate(-90 14 ${midY})">${escapeHtml(yTitle)}</text>`);
  const windows = s.failures
    .map((f, j) => ({ f, j, x0: x(f.startMs), x1: Math.max(x(f.endMs), x(f.startMs) + 1) }))
    .filter(({ f }) => f.endMs >= 0 && f.startMs <= extentMs);
  const shade = (cls: string): string => windows.map(({ x0, x1 }) =>
    `<rect class="${cls}" x="${num(x0)}" y="${PLOT_TOP - 6}" width="${num(x1 - x0)}" height="${num(axisY - PLOT_TOP + 6)}"/>`).join('');
  o.push(`<g class="failures">${shade('failure')}</g>`);

  // One band of data per mode.
  modes.forEach(([name], i) => {
    const top = bandTop(i), c = cols[i];
    const y = (v: number): number => top + BAND_H - (v / yMax) * BAND_H;
    const mode = escapeHtml(name);
    o.push(`<g class="band" data-mode="${mode}">`);
    o.push(`<path class="series delivered" data-mode="${mode}" d="${stepArea(xs, undefined, c.delivered, y)}"/>`);
    o.push(`<path class="series lost" data-mode="${mode}" d="${stepArea(xs, c.delivered, c.lost, y)}"/>`);
    const st = top + BAND_H + STRIP_GAP;
    o.push(`<path class="strip-loss" d="${runsPath(xs, (q) => c.worstLossShare[q] > 0 && c.worstLossShare[q] <= 0.5, st)}"/>`);
    o.push(`<path class="strip-out" d="${runsPath(xs, (q) => c.worstLossShare[q] > 0.5, st)}"/>`);
    o.push('</g>');
  });
  o.push(`<g class="failure-edges">${shade('failure-edge')}`);
  for (const { f, j, x0 } of windows) {
    const t = `${f.label}: ${formatSeconds(f.startMs)}–${formatSeconds(f.endMs)} s`;
    o.push(`<text class="failure-label" x="${num(x0 + 3)}" y="${38 + (j % 2) * 14}"><title>${escapeHtml(t)}</title>${escapeHtml(f.label)}</text>`);
  }
  o.push('</g>');

  if (bins === 0) o.push(`<text class="nodata" x="${LEFT + PLOT_W / 2}" y="${PLOT_TOP + BAND_H / 2}">no packet data</text>`);

  // Time axis in seconds.
  o.push(`<g class="axis"><line x1="${LEFT}" y1="${axisY}" x2="${LEFT + PLOT_W}" y2="${axisY}"/>`);
  for (const t of timeTicks(extentMs)) {
    const tx = num(x(t));
    o.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 5}"/><text class="tick" x="${tx}" y="${axisY + 18}">${formatSeconds(t)}</text>`);
  }
  o.push(`<text class="axis-title" x="${LEFT + PLOT_W / 2}" y="${axisY + 36}">time (s)</text></g>`);
  const binText = `${formatNumber(s.binMs)} ms`;
  const note = k > 1
    ? `Downsampled for drawing: each column merges ${k} bins (${formatSeconds(k * s.binMs)} s); heights are the mean packets per ${binText} bin, the strip marks the worst single bin; table totals are exact.`
    : `One column per ${binText} bin; heights are packets per bin, shared scale across modes.`;
  o.push(`<text class="note" x="${LEFT}" y="${axisY + 56}">${escapeHtml(note)}</text>`);
  o.push('</svg>');
  o.push(`<figcaption>Delivered (blue) and lost (red) packets per ${escapeHtml(binText)} bin, one band per mode; shaded: failure windows.</figcaption>`);
  o.push('</figure>');
  return o.join('\n');
}
