// The report in a real browser: headless Chromium loads the file with networking off, its DOM must
// hold one SVG timeline per scenario with two series per mode and the summary tables, and its
// screenshot must show the delivered, lost and failure-window colours. Skips (outside CI) without
// Chromium; each Chromium run has its own profile directory and process group, killed at the end.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needChromium } from './helpers/needs.js';
import { countColour, decodePng, runChromium } from './helpers/chromium.js';
import { renderReport, type ModeSeries, type ReportInput } from '../src/replay/report.js';

const skip = needChromium();
const dir = mkdtempSync(join(tmpdir(), 'zooroute-report-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function series(bins: number, rate: number, from: number, to: number, share: number): ModeSeries {
  const delivered: number[] = [], lost: number[] = [];
  for (let b = 0; b < bins; b++) {
    const l = b >= from && b < to ? Math.round(rate * share) : 0;
    delivered.push(rate - l + (b % 5));
    lost.push(l);
  }
  return { delivered, lost };
}

const input: ReportInput = {
  title: 'zooroute replay <browser test>',
  generatedAt: 'test run',
  scenarios: [
    {
      name: 'switch card failure <spine-1>', description: 'card fails at 9 s for 9 s', binMs: 100,
      failures: [{ label: 'card <A> down', startMs: 9000, endMs: 18000 }],
      modes: { zooroute: series(300, 100, 90, 96, 0.6), static: series(300, 100, 90, 180, 0.5), opportunistic: series(300, 100, 90, 105, 0.8) },
      summary: [{ mode: 'zooroute', 'outage s': 0.6, 'outage cut vs static': { share: 0.9316 } }, { mode: 'static', 'outage s': 9, 'outage cut vs static': { share: 0 } }, { mode: 'opportunistic', 'outage s': 1.5, 'outage cut vs static': { share: 0.8333 } }],
      flows: {
        caption: '2 of 5 flows lost packets in some mode',
        rows: [
          { flow: '192.168.10.11:40112 > 192.168.10.21:80 p6', packets: 240, 'zooroute lost': 38, 'static lost': 200, 'static recover ms': 24700 },
          { flow: '192.168.10.11:0 > 192.168.10.41:0 p1', packets: 30, 'zooroute lost': 3, 'static lost': 25, 'static recover ms': 24100 },
        ],
      },
    },
    {
      name: 'long-haul jitter', binMs: 100,
      failures: [{ label: 'jitter', startMs: 2000, endMs: 4000 }],
      modes: { zooroute: series(100, 20, 20, 22, 0.3), static: series(100, 20, 20, 40, 0.7) },
      summary: [{ mode: 'zooroute', 'outage s': 0 }, { mode: 'static', 'outage s': 2 }],
    },
  ],
};

t.test('Chromium renders the timelines and tables; the screenshot shows the data', { skip }, async (t) => {
  const file = join(dir, 'report.html');
  writeFileSync(file, renderReport(input));
  const url = `file://${file}`;

  const png = join(dir, 'report.png');
  // One Chromium start does both (startup is most of the ~10 s on a loaded machine).
  const dom = await runChromium(dir, ['--dump-dom', `--screenshot=${png}`, '--window-size=1200,900'], url);
  t.equal(dom.code, 0, 'chromium --dump-dom --screenshot exits 0');
  const html = dom.stdout;
  const svgs = html.split('<svg class="timeline"').slice(1).map((s) => s.split('</svg>')[0]);
  t.equal(svgs.length, 2, 'one SVG timeline per scenario');
  input.scenarios.forEach((s, i) => {
    const modes = Object.keys(s.modes);
    t.equal((svgs[i].match(/<path class="series /g) ?? []).length, 2 * modes.length, `${s.name}: delivered and lost per mode`);
    t.same([...svgs[i].matchAll(/<path class="series delivered" data-mode="([^"]*)"/g)].map((m) => m[1]), modes);
    t.equal((svgs[i].match(/<rect class="failure" /g) ?? []).length, s.failures.length, 'failure shading');
  });
  t.equal((html.match(/<table class="summary">/g) ?? []).length, 2, 'a summary table per scenario');
  const firstSummary = html.split('<table class="summary">')[1].split('</table>')[0];
  t.equal((firstSummary.match(/<tr>/g) ?? []).length, 1 + 3, 'header and one row per mode');
  t.match(firstSummary, />93\.16%<\/td>/, 'the outage cut as the CLI prints it');
  t.notMatch(firstSummary, /0\.9316</, 'not as a bare share');
  const flows = html.split('<table class="flows">');
  t.equal(flows.length, 2, 'a flow table for the scenario that has one');
  const flowRows = [...flows[1].split('</table>')[0].split('<tbody>')[1].matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]));
  t.same(flowRows, [['192.168.10.11:40112 &gt; 192.168.10.21:80 p6', '240', '38', '200', '24700'], ['192.168.10.11:0 &gt; 192.168.10.41:0 p1', '30', '3', '25', '24100']], 'its rows');
  // Axes: time ticks in seconds (30 s: 0, 5, ... 30 by the 1-2-5 rule), y ticks per band, units.
  const ticks = [...svgs[0].matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  t.same(ticks, ['0', '5', '10', '15', '20', '25', '30'], 'time tick labels');
  const scale = [...svgs[0].matchAll(/<text class="scale"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  // Peak 104 packets per bin (100 + up to 4): the shared scale rounds up to 200.
  t.same(scale, ['0', '100', '200', '0', '100', '200', '0', '100', '200'], 'y tick labels on every band');
  t.match(svgs[0], />time \(s\)<\/text>/, 'time axis unit');
  t.match(svgs[0], />packets per 100 ms<\/text>/, 'y axis unit');
  const legend = [...svgs[0].split('<g class="legend">')[1].split('</g>')[0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  t.same(legend, ['delivered', 'lost', 'failure window', 'some loss in a bin', 'bin lost &gt; half'], 'legend entries');
  t.match(html, 'switch card failure &lt;spine-1&gt;', 'the name stays text');
  t.notMatch(html, /<script|<spine-1>|<A>/, 'no markup came from the input');

  const img = decodePng(readFileSync(png));
  t.same([img.width, img.height], [1200, 900]);
  const delivered = countColour(img, [0x4c, 0x78, 0xa8]);
  const lost = countColour(img, [0xe4, 0x57, 0x56]);
  // #f2b134 at 30% over white: the failure shading where no data covers it.
  const shade = countColour(img, [252, 232, 194]);
  t.ok(delivered > 50_000, `delivered bands drawn (${delivered} px)`);
  t.ok(lost > 3_000, `lost packets drawn (${lost} px)`);
  t.ok(shade > 10_000, `failure window shaded (${shade} px)`);
  if (process.env.REPORT_SCREENSHOT) writeFileSync(process.env.REPORT_SCREENSHOT, readFileSync(png)); // to look at it
});
