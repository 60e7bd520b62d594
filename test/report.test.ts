// The HTML report as text: document structure, self-containment, escaping of every text field,
// failure shading where the windows are, table numbers equal to the input, exact totals under
// downsampling, the downsampler against a plain per-bin twin, and input validation.
import t from 'tap';
import fc from 'fast-check';
import { renderReport, ReportInputError, checkReportInput, type ReportInput, type ScenarioInput, type ModeSeries } from '../src/replay/report.js';
import { toColumns, binsPerColumn } from '../src/replay/report-downsample.js';
import { stepArea } from '../src/replay/report-timeline.js';
import { niceCeil, timeTicks } from '../src/replay/report-ticks.js';
import { escapeHtml, formatNumber } from '../src/replay/report-text.js';
import { simulationSummaryRows, scenarioFromSimulation } from '../src/replay/report-sim.js';
import { parseScenario } from '../src/sim/scenario.js';
import { simulate } from '../src/sim/simulate.js';

/** A constant-rate mode losing `share` of its packets in bins [from, to). */
function series(bins: number, rate: number, from = 0, to = 0, share = 0): ModeSeries {
  const delivered: number[] = [], lost: number[] = [];
  for (let b = 0; b < bins; b++) {
    const l = b >= from && b < to ? Math.round(rate * share) : 0;
    delivered.push(rate - l);
    lost.push(l);
  }
  return { delivered, lost };
}

function scenario(over: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'switch card failure', binMs: 100,
    failures: [{ label: 'card down', startMs: 2000, endMs: 5000 }],
    modes: { zooroute: series(100, 50, 20, 23, 0.6), static: series(100, 50, 20, 50, 0.5), opportunistic: series(100, 50, 20, 30, 0.8) },
    summary: [
      { mode: 'zooroute', 'outage s': 0.3, 'lost packets': 90, 'masked failures': '1/1' },
      { mode: 'static', 'outage s': 3, 'lost packets': 750, 'masked failures': '0/1' },
      { mode: 'opportunistic', 'outage s': 1, 'lost packets': 400, 'masked failures': '0/1', 'retries mean': 1.58 },
    ],
    ...over,
  };
}

const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;
const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

t.test('document structure: one section, timeline and table set per scenario; two series per mode', async (t) => {
  const input: ReportInput = { title: 'zooroute replay', generatedAt: '2026-11-26 06:00 UTC', scenarios: [scenario(), scenario({ name: 'second', modes: { zooroute: series(40, 10), static: series(40, 10) } })] };
  const html = renderReport(input);
  t.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  t.match(html, /<\/html>\n$/);
  t.equal(count(html, /<section class="scenario"/g), 2);
  t.equal(count(html, /<svg class="timeline"/g), 2);
  t.equal(count(html, /<path class="series delivered"/g), 3 + 2);
  t.equal(count(html, /<path class="series lost"/g), 3 + 2);
  t.equal(count(html, /<table class="summary">/g), 2);
  t.equal(count(html, /<table class="totals">/g), 2);
  for (const m of ['zooroute', 'static', 'opportunistic']) t.match(html, `<path class="series delivered" data-mode="${m}"`);
  t.match(html, 'Generated 2026-11-26 06:00 UTC');
  t.match(html, /<nav><ol>/, 'several scenarios get a table of contents');
  t.match(html, /<g class="legend">.*delivered.*lost.*failure window/s);
  t.match(html, /class="axis-title"[^>]*>time \(s\)</);
  // 10 s at 100 ms bins: ticks every 1 s, labelled in seconds.
  const ticks = [...html.split('<svg')[1].matchAll(/class="tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
  t.same(ticks, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  t.match(html, 'One column per 100 ms bin');
  const long = renderReport({ title: 'r', scenarios: [scenario({ modes: { 'opportunistic re-hashing baseline': series(10, 1) } })] });
  t.match(long, '<text class="mode" x="114" y="111"><title>opportunistic re-hashing baseline</title>opportunistic…</text>', 'long mode names shortened in the plot, whole in the tooltip');
});

t.test('self-contained: no script, stylesheet link, external URL or font', async (t) => {
  const html = renderReport({ title: 'r', scenarios: [scenario()] });
  for (const bad of [/<script/i, /<link/i, /\ssrc=/i, /url\(/i, /@import/i, /@font-face/i, /https?:/i, /<img/i, /<iframe/i]) t.notMatch(html, bad);
  t.match(html, /<style>[^<]*<\/style>/, 'CSS is inline');
  t.match(html, "default-src 'none'", 'a CSP forbids fetching anything');
});

t.test('every text field is escaped', async (t) => {
  const evil = `<script>alert("x")</script> & 'q'`;
  const input: ReportInput = {
    title: evil, generatedAt: evil,
    scenarios: [{
      name: evil, description: evil, binMs: 100,
      failures: [{ label: evil, startMs: 100, endMs: 300 }],
      modes: { [evil]: series(10, 5) },
      summary: [{ [evil]: evil, mode: evil }],
    }],
  };
  const html = renderReport(input);
  t.notMatch(html, '<script');
  t.notMatch(html, `"x"`);
  t.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;'));
  t.equal(escapeHtml(`a<b>"c"&'d'`), 'a&lt;b&gt;&quot;c&quot;&amp;&#39;d&#39;');
});

t.test('property: any text leaves the document\'s tags unchanged', async (t) => {
  const tags = (html: string): string[] => [...html.matchAll(/<\/?[a-zA-Z!][^\s>/]*/g)].map((m) => m[0]);
  const withText = (s: string): ReportInput => ({
    title: s, generatedAt: s,
    scenarios: [{ name: s, description: `d${s}`, binMs: 100, failures: [{ label: s, startMs: 0, endMs: 100 }], modes: { [`m${s}`]: series(3, 2) }, summary: [{ [`k${s}`]: s }] }],
  });
  const reference = JSON.stringify(tags(renderReport(withText('plain'))));
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => JSON.stringify(tags(renderReport(withText(s)))) === reference), { numRuns: 200 });
  t.pass('200 random texts, same tags');
});

t.test('failure windows are shaded where they are, across the plot', async (t) => {
  const html = renderReport({ title: 'r', scenarios: [scenario({ failures: [{ label: 'a', startMs: 2000, endMs: 5000 }, { label: 'b', startMs: 7000, endMs: 7500 }, { label: 'past the end', startMs: 20000, endMs: 21000 }] })] });
  const rects = [...html.matchAll(/<rect class="failure" [^>]*>/g)].map((m) => m[0]);
  t.equal(rects.length, 2, 'a window outside the plotted time is listed but not drawn');
  // The plot spans x 150..1080 for 0..10 s.
  t.equal(Number(attr(rects[0], 'x')), 150 + 0.2 * 930);
  t.equal(Number(attr(rects[0], 'width')), 0.3 * 930);
  t.equal(Number(attr(rects[1], 'x')), 150 + 0.7 * 930);
  t.equal(Number(attr(rects[1], 'width')), 0.05 * 930);
  t.equal(count(html, /<rect class="failure-edge"/g), 2);
  const rows = tableRows(html, 'failures').map((r) => r.map((c) => c[0]));
  t.same(rows, [['a', '2', '5', '3'], ['b', '7', '7.5', '0.5'], ['past the end', '20', '21', '1']]);
});

/** Rows of a table as arrays of [text, data-value] cells. */
function tableRows(html: string, cls: string): Array<Array<[string, string | undefined]>> {
  const body = html.split(`<table class="${cls}">`)[1].split('</table>')[0];
  return [...body.split('<tbody>')[1].matchAll(/<tr>(.*?)<\/tr>/g)].map((r) => [...r[1].matchAll(/<td([^>]*)>([^<]*)<\/td>/g)].map((c) => [c[2], attr(c[1], 'data-value')]));
}

t.test('summary table: the input\'s rows, columns in first-seen order, numbers exact', async (t) => {
  const s = scenario();
  const html = renderReport({ title: 'r', scenarios: [s] });
  const head = [...html.split('<table class="summary">')[1].split('</thead>')[0].matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]);
  t.same(head, ['mode', 'outage s', 'lost packets', 'masked failures', 'retries mean']);
  const rows = tableRows(html, 'summary');
  t.equal(rows.length, s.summary.length);
  rows.forEach((r, i) => head.forEach((k, j) => {
    const v = s.summary[i][k];
    if (v === undefined) t.same(r[j], ['', undefined], `${k} missing in row ${i}`);
    else if (typeof v === 'number') { t.equal(Number(r[j][1]), v); t.equal(Number(r[j][0]), v); }
    else t.equal(r[j][0], v);
  }));
  const odd = renderReport({ title: 'r', scenarios: [scenario({ summary: [{ cut: null, x: 0.1 + 0.2, big: 123456789 }] })] });
  t.same(tableRows(odd, 'summary')[0], [['n/a', undefined], ['0.3', '0.30000000000000004'], ['123456789', '123456789']]);
  t.equal(formatNumber(Number.NaN), 'NaN');
});

t.test('totals table: exact sums over every bin of each mode', async (t) => {
  const s = scenario();
  const rows = tableRows(renderReport({ title: 'r', scenarios: [s] }), 'totals');
  t.same(rows.map((r) => r[0][0]), Object.keys(s.modes));
  Object.values(s.modes).forEach((m, i) => {
    const d = m.delivered.reduce((a, b) => a + b, 0), l = m.lost.reduce((a, b) => a + b, 0);
    t.equal(Number(rows[i][1][1]), d);
    t.equal(Number(rows[i][2][1]), l);
    t.equal(Number(rows[i][3][1]), d + l);
    t.equal(Number(rows[i][5][1]), m.lost.filter((x) => x > 0).length);
    t.equal(Number(rows[i][6][1]), m.lost.filter((x, b) => x > m.delivered[b]).length);
  });
  // zooroute loses 30 of 50 in 3 bins: 90 lost, 3 bins losing more than half.
  t.same([rows[0][2][0], rows[0][6][0]], ['90', '3']);
});

t.test('an hour of 100 ms bins: downsampled drawing, exact totals, bounded size', async (t) => {
  const bins = 36000;
  const noisy = (seed: number): ModeSeries => {
    const delivered: number[] = [], lost: number[] = [];
    let x = seed;
    for (let b = 0; b < bins; b++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const l = b % 5000 < 20 ? (x >>> 20) % 40 : 0;
      delivered.push(200 + ((x >>> 8) % 50) - l);
      lost.push(l);
    }
    return { delivered, lost };
  };
  const s = scenario({ failures: [], modes: { zooroute: noisy(1), static: noisy(2), opportunistic: noisy(3) } });
  const html = renderReport({ title: 'hour', scenarios: [s] });
  t.ok(html.length < 200_000, `an hour renders in ${html.length} bytes`);
  const svg = /<svg class="timeline"[^>]*>/.exec(html)![0];
  t.equal(attr(svg, 'data-bins'), '36000');
  t.equal(attr(svg, 'data-bins-per-column'), '60');
  t.equal(attr(svg, 'data-columns'), '600');
  t.match(html, 'Downsampled for drawing: each column merges 60 bins (6 s)');
  const rows = tableRows(html, 'totals');
  Object.values(s.modes).forEach((m, i) => t.equal(Number(rows[i][2][1]), m.lost.reduce((a, b) => a + b, 0)));
  // Every short loss burst still marks the strip although it is a third of a column.
  const strip = [...html.matchAll(/<path class="strip-loss" d="([^"]*)"/g)].map((m) => count(m[1], /M/g));
  t.ok(strip.every((n) => n >= 8), `loss strips keep every burst (${strip.join(', ')} runs)`);
});

t.test('downsampling agrees with a per-bin twin', async (t) => {
  const arb = fc.record({
    pairs: fc.array(fc.tuple(fc.nat(1000), fc.nat(1000)), { maxLength: 300 }),
    extra: fc.nat(20),
    maxColumns: fc.integer({ min: 1, max: 64 }),
  });
  fc.assert(fc.property(arb, ({ pairs, extra, maxColumns }) => {
    const s: ModeSeries = { delivered: pairs.map((p) => p[0]), lost: pairs.map((p) => p[1]) };
    const bins = pairs.length + extra; // a shorter series than the scenario's longest
    const k = binsPerColumn(bins, maxColumns);
    const c = toColumns(s, bins, k);
    t.ok(c.delivered.length <= maxColumns);
    t.equal(c.delivered.length, Math.ceil(bins / k));
    for (let col = 0; col < c.delivered.length; col++) {
      let d = 0, l = 0, worst = 0;
      const from = col * k, to = Math.min(bins, from + k);
      for (let b = from; b < to; b++) {
        const db = s.delivered[b] ?? 0, lb = s.lost[b] ?? 0;
        d += db; l += lb;
        if (lb > 0) worst = Math.max(worst, lb / (db + lb));
      }
      if (Math.abs(c.delivered[col] - d / (to - from)) > 1e-9 || Math.abs(c.lost[col] - l / (to - from)) > 1e-9 || c.worstLossShare[col] !== worst) {
        t.fail(`column ${col} of ${bins} bins, k ${k}`);
        return false;
      }
    }
    return true;
  }), { numRuns: 300 });
});

t.test('step areas and axis numbers', async (t) => {
  const y = (v: number): number => 10 - v;
  t.equal(stepArea([0, 10, 20], undefined, Float64Array.of(1, 1), y), 'M0,10V9H20V10H0Z');
  t.equal(stepArea([0, 10, 20], undefined, Float64Array.of(1, 3), y), 'M0,10V9H10V7H20V10H0Z');
  t.equal(stepArea([0, 10, 20], Float64Array.of(1, 3), Float64Array.of(2, 0), y), 'M0,9V7H20V7H10V9H0Z');
  t.same(timeTicks(30000), [0, 5000, 10000, 15000, 20000, 25000, 30000]);
  t.same(timeTicks(3_600_000).slice(0, 3), [0, 500000, 1000000]);
  t.same([niceCeil(0), niceCeil(173), niceCeil(200), niceCeil(0.03), niceCeil(2.2)], [1, 200, 200, 0.05, 2.5]);
});

t.test('bad input fails naming the field', async (t) => {
  const bad = (over: Partial<ScenarioInput>, field: string): void => {
    try {
      renderReport({ title: 'r', scenarios: [scenario(over)] });
      t.fail(`${field}: accepted`);
    } catch (e) {
      t.ok(e instanceof ReportInputError && e.field === field, `${field}: ${(e as Error).message}`);
    }
  };
  bad({ modes: { z: { delivered: [1, 2], lost: [0] } } }, 'scenarios[0].modes.z');
  bad({ modes: { z: { delivered: [1, -2], lost: [0, 0] } } }, 'scenarios[0].modes.z.delivered[1]');
  bad({ modes: { z: { delivered: [1], lost: [Number.NaN] } } }, 'scenarios[0].modes.z.lost[0]');
  bad({ binMs: 0 }, 'scenarios[0].binMs');
  bad({ failures: [{ label: 'x', startMs: 5, endMs: 1 }] }, 'scenarios[0].failures[0].endMs');
  t.throws(() => checkReportInput({ title: 'x', scenarios: [{ ...scenario(), summary: [{ a: {} }] }] }), /summary\[0\]\.a/);
  t.throws(() => checkReportInput(JSON.parse('{"title": 3, "scenarios": []}')), /title/);
  t.throws(() => renderReport({ title: 'r', scenarios: [] }, { maxColumns: 0 }), RangeError);
  t.match(renderReport({ title: 'r', scenarios: [] }), 'No scenarios.');
  t.match(renderReport({ title: 'r', scenarios: [scenario({ modes: { z: { delivered: [], lost: [] } } })] }), 'no packet data');
});

t.test('summary rows from a real simulation run', async (t) => {
  const scenarioSpec = parseScenario({
    name: 'border <routers>', seed: 9, durationMs: 6000,
    topology: { kind: 'leaf-spine', leaves: 2, spines: 2 },
    vteps: [
      { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
      { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
    ],
    traffic: { flows: Array.from({ length: 6 }, (_, i) => ({ src: '192.168.0.1', dst: '192.168.1.1', sport: 1000 + i })) },
    failures: [{ name: 'spine0 black hole', type: 'switch-down', atMs: 2000, durationMs: 3000, switch: 'spine0' }],
  });
  const r = simulate(scenarioSpec);
  const rows = simulationSummaryRows(r);
  t.same(rows.map((x) => x.mode), ['zooroute', 'static', 'opportunistic', 'prr']);
  const z = r.modes.zooroute, st = r.modes.static, o = r.modes.opportunistic, p = r.modes.prr;
  t.same([rows[0]['outage s'], rows[0]['lost packets'], rows[0]['masked failures'], rows[0]['outage cut vs static'], rows[0]['switch mean ms'], rows[0].switches],
    [z.outageSeconds, z.lostPackets, `${z.maskedFailures}/${z.failures}`, r.outageCutVsStatic.zooroute === null ? null : { share: r.outageCutVsStatic.zooroute }, z.switch.meanMs, z.switches]);
  t.same([rows[1]['outage s'], rows[1]['outage cut vs static']], [st.outageSeconds, st.outageSeconds > 0 ? { share: 0 } : null]);
  t.same([rows[2]['retries mean'], rows[2]['retries max'], rows[2]['session resets']], [o.retriesMean, o.retriesMax, o.sessionResets]);
  t.same([rows[3]['outage s'], rows[3]['outage cut vs static'], rows[3]['retries mean'], rows[3]['retries max']], [p.outageSeconds, r.outageCutVsStatic.prr === null ? null : { share: r.outageCutVsStatic.prr }, p.retriesMean, p.retriesMax]);
  const s = scenarioFromSimulation({ report: r, binMs: 100, failures: [{ label: 'spine0 black hole', startMs: 2000, endMs: 5000 }], series: { zooroute: series(60, 1), static: series(60, 1), opportunistic: series(60, 1), prr: series(60, 1) } });
  t.equal(s.name, 'border <routers>');
  t.same(Object.keys(s.modes), ['zooroute', 'static', 'opportunistic', 'prr']);
  const html = renderReport({ title: 'sim', scenarios: [s] });
  t.match(html, '<h2>border &lt;routers&gt;</h2>');
  t.equal(Number(tableRows(html, 'summary')[1][1][1]), st.outageSeconds, 'the static row\'s outage in the table');
});

t.test('shares print as the CLI prints them; the flow table; y ticks and their unit', async (t) => {
  const s = scenario({
    summary: [{ mode: 'zooroute', 'outage cut vs static': { share: 0.93164 } }, { mode: 'static', 'outage cut vs static': null }],
    flows: { caption: '1 of 3 flows <lost>', rows: [{ flow: '192.168.10.11:40112 > 192.168.10.21:80 p6', packets: 240, 'static lost': 200, 'static recover ms': 24700 }] },
  });
  const html = renderReport({ title: 'r', scenarios: [s] });
  const sum = tableRows(html, 'summary');
  t.same(sum[0][1], ['93.16%', '0.93164'], 'a share shows as a percentage, the exact share in data-value');
  t.same(sum[1][1], ['n/a', undefined]);
  t.match(html, '<p class="flows-caption">1 of 3 flows &lt;lost&gt;</p>');
  t.same(tableRows(html, 'flows'), [[['192.168.10.11:40112 &gt; 192.168.10.21:80 p6', undefined], ['240', '240'], ['200', '200'], ['24700', '24700']]]);
  // Shared y scale: peak 50 packets per bin -> ticks 0, 25, 50 on each of the three bands.
  const scale = [...html.matchAll(/<text class="scale"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  t.same(scale, ['0', '25', '50', '0', '25', '50', '0', '25', '50']);
  t.equal(count(html, /<line class="ytick"/g), 9);
  t.match(html, />packets per 100 ms<\/text>/, 'the y axis says its unit');
  t.match(html, />time \(s\)<\/text>/, 'the x axis says its unit');
  const hour = renderReport({ title: 'r', scenarios: [scenario({ modes: { zooroute: series(36_000, 5) } })] });
  t.match(hour, />mean packets per 100 ms<\/text>/, 'downsampled: a column shows the mean per bin');
  t.notMatch(renderReport({ title: 'r', scenarios: [scenario()] }), /<h3>Flows<\/h3>/, 'no flow table unless given');
  t.throws(() => checkReportInput({ title: 'r', scenarios: [{ ...scenario(), summary: [{ x: { share: 'a' } }] }] }), new ReportInputError('scenarios[0].summary[0].x.share', 'must be a finite number'));
  t.throws(() => checkReportInput({ title: 'r', scenarios: [{ ...scenario(), flows: { rows: 3 } }] }), new ReportInputError('scenarios[0].flows.rows', 'must be an array of rows'));
});
