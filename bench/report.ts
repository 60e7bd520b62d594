// The bench's self-contained HTML report (`npm run bench -- --report FILE`): per suite an SVG chart of
// each task's median rate with its p10-p90 whisker, charts of the ratios to the baseline and to the
// native twin measured in the same run, the machine and options, and the comparison with an older
// run when there is one. A pure function of the document: it reads no clock and no files.
import { escapeHtml } from '../src/replay/report-text.js';
import type { BenchResult } from './harness.js';
import type { BenchDocument, Comparison } from './compare.js';

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328; margin: 24px auto; max-width: 1140px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.hint { color: #57606a; font-size: 13px; }
svg { max-width: 100%; height: auto; font-family: inherit; font-size: 12px; }
svg .task { text-anchor: end; fill: #1f2328; } svg .value { fill: #1f2328; } svg .tick { text-anchor: middle; fill: #57606a; font-size: 10px; }
svg .grid { stroke: #d0d7de; stroke-width: 0.5; } svg .unity { stroke: #1f2328; stroke-dasharray: 4 3; stroke-width: 1; }
svg rect.bar { fill: #4c78a8; } svg line.whisker { stroke: #1f2328; stroke-width: 1.5; }
svg rect.ratio[data-kind="baseline"] { fill: #72b7b2; } svg rect.ratio[data-kind="native"] { fill: #f58518; }
table { border-collapse: collapse; margin: 4px 0 8px; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; } th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.faster td.verdict { color: #1a7f37; font-weight: 600; } tr.slower td.verdict { color: #b2182b; font-weight: 600; }
`;

const ROW = 20, LABEL_W = 300, PLOT_W = 520, VALUE_W = 290, TOP = 24, BOTTOM = 8;
const WIDTH = LABEL_W + PLOT_W + VALUE_W;

/** A rate with an SI prefix: 105.9 M, 12.3 k. */
export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(2)} k`;
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** A round upper bound for an axis, at least `x`: a power of ten times 1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6 or 8 (quarters stay round). */
export function niceMax(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8]) if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

const finite = (x: number | undefined): number => (x !== undefined && Number.isFinite(x) && x > 0 ? x : 0);
const f1 = (x: number): string => x.toFixed(1);

/** Vertical grid lines with labels at 0, 1/4 ... 1 of `max`. */
function axis(max: number, height: number, label: (v: number) => string): string {
  const out: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4, x = LABEL_W + (PLOT_W * i) / 4;
    out.push(`<line class="grid" x1="${f1(x)}" y1="${TOP - 4}" x2="${f1(x)}" y2="${height - BOTTOM}"/>`);
    out.push(`<text class="tick" x="${f1(x)}" y="${TOP - 8}">${escapeHtml(label(v))}</text>`);
  }
  return out.join('');
}

/** One suite's tasks: a bar at the median, a whisker from p10 to p90, the figures beside it. */
function ppsChart(suite: string, rs: readonly BenchResult[]): string {
  const height = TOP + rs.length * ROW + BOTTOM;
  const max = niceMax(Math.max(...rs.map((r) => Math.max(finite(r.pps), finite(r.p90)))));
  const x = (v: number): number => LABEL_W + (PLOT_W * Math.min(finite(v), max)) / max;
  const out = [`<svg class="bench-pps" data-suite="${escapeHtml(suite)}" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img">`];
  out.push(`<title>${escapeHtml(suite)}: median per second, p10-p90 whiskers</title>`);
  out.push(axis(max, height, formatRate));
  rs.forEach((r, i) => {
    const y = TOP + i * ROW, mid = y + ROW / 2;
    out.push(`<text class="task" x="${LABEL_W - 6}" y="${f1(mid + 4)}">${escapeHtml(r.name)}</text>`);
    out.push(`<rect class="bar" data-task="${escapeHtml(r.name)}" data-pps="${finite(r.pps)}" x="${LABEL_W}" y="${f1(y + 3)}" width="${f1(x(r.pps) - LABEL_W)}" height="${ROW - 6}"/>`);
    if (r.p10 !== undefined && r.p90 !== undefined) {
      const a = x(r.p10), b = x(r.p90);
      out.push(`<line class="whisker" data-task="${escapeHtml(r.name)}" x1="${f1(a)}" y1="${f1(mid)}" x2="${f1(b)}" y2="${f1(mid)}"/>`);
      out.push(`<line class="whisker cap" x1="${f1(a)}" y1="${f1(mid - 5)}" x2="${f1(a)}" y2="${f1(mid + 5)}"/>`);
      out.push(`<line class="whisker cap" x1="${f1(b)}" y1="${f1(mid - 5)}" x2="${f1(b)}" y2="${f1(mid + 5)}"/>`);
    }
    out.push(`<text class="value" x="${LABEL_W + PLOT_W + 6}" y="${f1(mid + 4)}">${escapeHtml(`${formatRate(r.pps)}/s n=${r.samples ?? 'n/a'}`)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

type RatioKind = 'baseline' | 'native';

/** Bars of `ratio` (or `vsNative`) per task that has one, with a dashed line at 1x. */
function ratioChart(kind: RatioKind, rs: readonly BenchResult[]): string {
  const rows = rs.filter((r) => (kind === 'baseline' ? r.ratio : r.vsNative) !== undefined);
  const value = (r: BenchResult): number => finite(kind === 'baseline' ? r.ratio : r.vsNative);
  const against = (r: BenchResult): string => (kind === 'baseline' ? r.baseline : r.native) ?? '';
  const height = TOP + rows.length * ROW + BOTTOM;
  const max = niceMax(Math.max(1, ...rows.map(value)));
  const x = (v: number): number => LABEL_W + (PLOT_W * Math.min(v, max)) / max;
  const out = [`<svg class="bench-ratio" data-kind="${kind}" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img">`];
  out.push(`<title>ratio of each task's median to its ${kind === 'baseline' ? 'baseline' : 'native twin'} in the same run</title>`);
  out.push(axis(max, height, (v) => `x${Number(v.toPrecision(3))}`));
  rows.forEach((r, i) => {
    const y = TOP + i * ROW, mid = y + ROW / 2, v = value(r);
    out.push(`<text class="task" x="${LABEL_W - 6}" y="${f1(mid + 4)}">${escapeHtml(r.name)}</text>`);
    out.push(`<rect class="ratio" data-kind="${kind}" data-task="${escapeHtml(r.name)}" data-ratio="${v}" x="${LABEL_W}" y="${f1(y + 3)}" width="${f1(x(v) - LABEL_W)}" height="${ROW - 6}"/>`);
    out.push(`<text class="value" x="${LABEL_W + PLOT_W + 6}" y="${f1(mid + 4)}">${escapeHtml(`x${v.toFixed(2)} vs ${against(r)}`)}</text>`);
  });
  out.push(`<line class="unity" x1="${f1(x(1))}" y1="${TOP - 4}" x2="${f1(x(1))}" y2="${height - BOTTOM}"/>`);
  out.push('</svg>');
  return out.join('\n');
}

/** Suite of a task: its name up to the first `/`. */
export function suiteOf(name: string): string {
  const i = name.indexOf('/');
  return i < 0 ? name : name.slice(0, i);
}

function resultsTable(rs: readonly BenchResult[]): string {
  const num = (x: number | undefined, fmt: (v: number) => string): string => `<td class="num">${x === undefined ? 'n/a' : escapeHtml(fmt(x))}</td>`;
  const rows = rs.map((r) => `<tr><td>${escapeHtml(r.name)}</td>${num(r.pps, formatRate)}${num(r.p10, formatRate)}${num(r.p90, formatRate)}` +
    `${num(r.samples, String)}${num(r.rounds, String)}${num(r.ratio, (v) => `x${v.toFixed(2)}`)}<td>${escapeHtml(r.baseline ?? '')}</td>` +
    `${num(r.vsNative, (v) => `x${v.toFixed(2)}`)}</tr>`);
  return `<table class="results">\n<tr><th>task</th><th>median /s</th><th>p10 /s</th><th>p90 /s</th><th>samples</th><th>rounds</th><th>ratio</th><th>baseline</th><th>vs native</th></tr>\n${rows.join('\n')}\n</table>`;
}

function comparisonTable(rows: readonly Comparison[]): string {
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const body = rows.map((r) => `<tr class="${r.verdict}"><td>${escapeHtml(r.name)}</td><td class="num">${escapeHtml(formatRate(r.oldPps))} ±${(r.oldSpread * 100).toFixed(1)}%</td>` +
    `<td class="num">${escapeHtml(formatRate(r.newPps))} ±${(r.newSpread * 100).toFixed(1)}%</td><td class="num">${pct(r.change)}</td><td class="verdict">${r.verdict}</td></tr>`);
  return `<table class="comparison">\n<tr><th>task</th><th>old median /s</th><th>new median /s</th><th>change</th><th>verdict</th></tr>\n${body.join('\n')}\n</table>`;
}

/** The whole report: one HTML document with inline CSS and SVG, nothing fetched. */
export function renderBenchReport(doc: BenchDocument, comparison?: readonly Comparison[]): string {
  if (!Array.isArray(doc.results)) throw new RangeError('a bench document needs a results array');
  const suites = new Map<string, BenchResult[]>();
  for (const r of doc.results) {
    const s = suiteOf(r.name);
    if (!suites.has(s)) suites.set(s, []);
    suites.get(s)!.push(r);
  }
  const m = doc.machine;
  const out: string[] = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">'];
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  out.push(`<title>zooroute bench ${escapeHtml(doc.date)}</title>\n<style>${CSS}</style>\n</head>\n<body>`);
  out.push(`<h1>zooroute bench</h1>\n<p class="hint">${escapeHtml(`${doc.date}; Node ${doc.node}`)}` +
    `${m ? escapeHtml(`; ${m.cpu}, ${m.cores} cores, ${m.kernel}`) : ''}` +
    `${doc.options ? escapeHtml(`; rounds ${doc.options.rounds}${doc.options.quick ? ', quick' : ''}${doc.options.only ? `, only ${doc.options.only}` : ''}`) : ''}</p>`);
  out.push('<p class="hint">Bars are medians over every timed sample of every round; whiskers span p10 to p90. Ratios divide medians measured in the same run.</p>');
  if (comparison !== undefined) {
    out.push('<h2>Compared with the old run</h2>\n<p class="hint">A change is marked only when the two runs\' p10-p90 intervals do not overlap.</p>');
    out.push(comparisonTable(comparison));
  }
  for (const [suite, rs] of suites) {
    out.push(`<h2>${escapeHtml(suite)}</h2>`);
    out.push(ppsChart(suite, rs));
  }
  for (const kind of ['baseline', 'native'] as const) {
    if (!doc.results.some((r) => (kind === 'baseline' ? r.ratio : r.vsNative) !== undefined)) continue;
    out.push(`<h2>${kind === 'baseline' ? 'Ratio to baseline' : 'Ratio to native twin'}</h2>`);
    out.push(ratioChart(kind, doc.results));
  }
  out.push('<h2>All results</h2>');
  out.push(resultsTable(doc.results));
  out.push('</body>\n</html>\n');
  return out.join('\n');
}
