// The bench's HTML report (`npm run bench -- --input NEW --compare OLD --html FILE`) in a real browser:
// headless Chromium loads it with networking off; its DOM must hold one rate chart per suite with a
// bar and a p10-p90 whisker per task, the ratio charts (to the baseline, to the native twin) with the
// document's ratios, the comparison and results tables with the figures as the CLI prints them, and
// its screenshot must show the bars of each chart. The document is synthetic (no timing): the datapath
// suite's shape, a native and a Wasm row per table kind and family. Skips (outside CI) without Chromium.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needChromium } from './helpers/needs.js';
import { countColour, decodePng, runChromium } from './helpers/chromium.js';
import { formatRate } from '../bench/report.js';
import type { BenchDocument } from '../bench/compare.js';
import type { BenchResult } from '../bench/harness.js';

const skip = needChromium();
const dir = mkdtempSync(join(tmpdir(), 'zooroute-bench-report-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// The table kinds and families of bench/fastpath.ts (not imported: that would load the Wasm core).
const KINDS = ['none', 'flat', 'pbm', 'hi', 'redirect'];
const FAMILIES = ['64B', '64B-v6'];
const machine = { cpu: 'Bench CPU <model>', cores: 2, node: 'v20.0.0', kernel: 'Linux 6.1' };

/** A result with a 10% spread each side. */
const row = (name: string, pps: number, more: Partial<BenchResult> = {}): BenchResult =>
  ({ name, pps, p10: pps * 0.9, p90: pps * 1.1, samples: 500, rounds: 3, ...more });

function document(scale: number, date: string): BenchDocument {
  const results: BenchResult[] = [
    row('encap/ts/64B', 5e6),
    row('encap/wasm/64B', 70e6 * scale, { ratio: 14 * scale, baseline: 'encap/ts/64B', vsNative: (70 * scale) / 90, native: 'encap/native/64B' }),
    row('encap/native/64B', 90e6),
  ];
  KINDS.forEach((kind, i) => {
    for (const family of FAMILIES) {
      const native = (family === '64B' ? 80e6 : 45e6) - i * 1e6;
      const wasm = native * (0.6 + 0.05 * i) * scale;
      results.push(row(`fastpath/wasm/${kind}/${family}`, wasm, { vsNative: wasm / native, native: `fastpath/native/${kind}/${family}` }));
      results.push(row(`fastpath/native/${kind}/${family}`, native));
    }
  });
  return { node: 'v20.0.0', date, quick: false, machine, options: { quick: false, rounds: 3, only: 'datapath' }, results };
}

// From old to new, every Wasm row is 30% faster (beyond the 10% spreads); the rest is unchanged.
const oldDoc = document(1, '2026-12-01T00:00:00.000Z');
const newDoc = document(1.3, '2026-12-02T00:00:00.000Z');

/** The cells of every row of the table of class `cls` (header rows have no <td>). */
function tableRows(html: string, cls: string): string[][] {
  const body = html.split(`<table class="${cls}">`)[1]?.split('</table>')[0] ?? '';
  return [...body.matchAll(/<tr[^>]*>(.*?)<\/tr>/gs)].map((m) => [...m[1]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]!)).filter((r) => r.length > 0);
}

t.test('Chromium renders the bench report: charts, ratios, tables; the screenshot shows the bars', { skip }, async (t) => {
  const oldFile = join(dir, 'old.json'), newFile = join(dir, 'new.json'), file = join(dir, 'bench.html');
  writeFileSync(oldFile, JSON.stringify(oldDoc));
  writeFileSync(newFile, JSON.stringify(newDoc));
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--input', newFile, '--compare', oldFile, '--html', file], { encoding: 'utf8', timeout: 60_000 });
  t.equal(cli.status, 0, `bench --input --compare --html exits 0 (${cli.stderr.trim()})`);
  t.match(cli.stdout, `report written to ${file}`);

  const png = join(dir, 'bench.png');
  const dom = await runChromium(dir, ['--dump-dom', `--screenshot=${png}`, '--window-size=1200,2400'], `file://${file}`);
  t.equal(dom.code, 0, 'chromium --dump-dom --screenshot exits 0');
  const html = dom.stdout;
  t.match(html, 'Bench CPU &lt;model&gt;, 2 cores, Linux 6.1', 'the machine, as text');
  t.notMatch(html, /<model>|<script/, 'no markup came from the document');

  // One rate chart per suite, in document order, with a bar and a whisker per task.
  const charts = [...html.matchAll(/<svg class="bench-pps" data-suite="([^"]*)"(.*?)<\/svg>/gs)];
  t.same(charts.map((m) => m[1]), ['encap', 'fastpath'], 'a rate chart per suite');
  for (const [, suite, svg] of charts) {
    const tasks = newDoc.results.filter((r) => r.name.startsWith(`${suite}/`));
    const bars = [...svg!.matchAll(/<rect class="bar" data-task="([^"]*)" data-pps="([^"]*)"/g)];
    t.same(bars.map((b) => b[1]), tasks.map((r) => r.name), `${suite}: a bar per task`);
    t.same(bars.map((b) => Number(b[2])), tasks.map((r) => r.pps), `${suite}: at the medians`);
    t.same([...svg!.matchAll(/<line class="whisker" data-task="([^"]*)"/g)].map((w) => w[1]), tasks.map((r) => r.name), `${suite}: a p10-p90 whisker per task`);
  }

  // The ratio to the native twin: every Wasm row, every table kind and family.
  const nativeSvg = html.split('<svg class="bench-ratio" data-kind="native"')[1]?.split('</svg>')[0] ?? '';
  const withNative = newDoc.results.filter((r) => r.vsNative !== undefined);
  t.equal(withNative.length, 1 + KINDS.length * FAMILIES.length);
  const ratios = [...nativeSvg.matchAll(/<rect class="ratio" data-kind="native" data-task="([^"]*)" data-ratio="([^"]*)"/g)];
  t.same(ratios.map((m) => m[1]), withNative.map((r) => r.name), 'a native-ratio bar per Wasm row');
  t.same(ratios.map((m) => Number(m[2])), withNative.map((r) => r.vsNative), 'at the document\'s vsNative');
  const labels = [...nativeSvg.matchAll(/<text class="value"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const kind of KINDS) {
    for (const family of FAMILIES) {
      const r = withNative.find((x) => x.name === `fastpath/wasm/${kind}/${family}`)!;
      t.ok(labels.includes(`x${r.vsNative!.toFixed(2)} vs fastpath/native/${kind}/${family}`), `${kind}/${family}: x${r.vsNative!.toFixed(2)} vs its native twin`);
    }
  }
  const baselineSvg = html.split('<svg class="bench-ratio" data-kind="baseline"')[1]?.split('</svg>')[0] ?? '';
  t.same([...baselineSvg.matchAll(/data-task="([^"]*)" data-ratio="([^"]*)"/g)].map((m) => [m[1], Number(m[2])]), [['encap/wasm/64B', 14 * 1.3]], 'the ratio to the baseline');

  // Results: one row per task with median, spread, samples, rounds and ratios as printed.
  const results = tableRows(html, 'results');
  t.same(results.map((r) => r[0]), newDoc.results.map((r) => r.name), 'a results row per task');
  newDoc.results.forEach((r, i) => {
    const want = [r.name, formatRate(r.pps), formatRate(r.p10), formatRate(r.p90), '500', '3',
      r.ratio !== undefined ? `x${r.ratio.toFixed(2)}` : 'n/a', r.baseline ?? '', r.vsNative !== undefined ? `x${r.vsNative.toFixed(2)}` : 'n/a'];
    t.same(results[i], want, `${r.name}: its figures`);
  });

  // Comparison: every task in both runs; the Wasm rows faster beyond the spreads, the rest the same.
  const comparison = [...(html.split('<table class="comparison">')[1]?.split('</table>')[0] ?? '').matchAll(/<tr class="([^"]*)"><td>([^<]*)<\/td>/g)];
  t.same(comparison.map((m) => m[2]), newDoc.results.map((r) => r.name), 'a comparison row per task');
  for (const [, verdict, name] of comparison) t.equal(verdict, name!.includes('/wasm/') ? 'faster' : 'same', `${name}: ${verdict}`);
  t.ok(tableRows(html, 'comparison').filter((c) => c[3] === '+30.0%').length === withNative.length, 'the Wasm rows +30.0%');

  // The screenshot: rate bars, baseline-ratio and native-ratio bars drawn in their colours.
  const img = decodePng(readFileSync(png));
  t.same([img.width, img.height], [1200, 2400]);
  const bars = countColour(img, [0x4c, 0x78, 0xa8]);
  const baseline = countColour(img, [0x72, 0xb7, 0xb2]);
  const native = countColour(img, [0xf5, 0x85, 0x18]);
  t.ok(bars > 50_000, `rate bars drawn (${bars} px)`);
  t.ok(baseline > 1_000, `baseline-ratio bar drawn (${baseline} px)`);
  t.ok(native > 20_000, `native-ratio bars drawn (${native} px)`);
  if (process.env.REPORT_SCREENSHOT) writeFileSync(process.env.REPORT_SCREENSHOT, readFileSync(png)); // to look at it
});
