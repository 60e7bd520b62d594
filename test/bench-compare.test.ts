// bench --compare and --fail-on-regression on two small synthetic documents (no timing): which
// changes are marked, which count as regressions at a threshold, and what the CLI prints, writes
// (-o/--output) and exits with when it takes a saved run (--input) instead of measuring.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRuns, formatComparison, regressions, type BenchDocument } from '../bench/compare.js';
import { newDoc, oldDoc } from './helpers/bench-docs.js';

const dir = mkdtempSync(join(tmpdir(), 'zooroute-bench-compare-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('compareRuns marks only changes larger than the spreads', async (t) => {
  const rows = compareRuns(oldDoc, newDoc);
  t.same(rows.map((r) => r.name), ['encap/ts/64B', 'encap/wasm/64B', 'encap/native/64B', 'tables/flat/update'],
    'tasks in both runs, in the new run\'s order');
  const by = new Map(rows.map((r) => [r.name, r]));
  t.equal(by.get('encap/ts/64B')!.verdict, 'same', '+5% inside overlapping p10-p90 intervals is noise');
  t.equal(by.get('encap/wasm/64B')!.verdict, 'slower');
  t.equal(by.get('encap/native/64B')!.verdict, 'same');
  t.equal(by.get('tables/flat/update')!.verdict, 'faster');
  t.ok(Math.abs(by.get('encap/wasm/64B')!.change - -0.2) < 1e-12, 'change = new / old - 1');
  t.ok(Math.abs(by.get('encap/wasm/64B')!.oldSpread - 0.05) < 1e-12, 'spread = (p90 - p10) / 2 / median');
  t.ok(Math.abs(by.get('encap/wasm/64B')!.newSpread - 0.025) < 1e-12);
});

t.test('a large change inside wide spreads is not marked', async (t) => {
  const wide: BenchDocument = { ...newDoc, results: [{ ...newDoc.results[1]!, pps: 80e6, p10: 40e6, p90: 120e6 }] };
  const [row] = compareRuns(oldDoc, wide);
  t.equal(row!.verdict, 'same');
  t.same(regressions([row!], 1), [], 'not a regression at any threshold');
});

t.test('regressions: slower beyond the spreads and by more than PCT', async (t) => {
  const rows = compareRuns(oldDoc, newDoc);
  t.same(regressions(rows, 10).map((r) => r.name), ['encap/wasm/64B'], '20% slower > 10%');
  t.same(regressions(rows, 19.9).map((r) => r.name), ['encap/wasm/64B']);
  t.same(regressions(rows, 20.1), [], '20% slower is not more than 20.1%');
  t.same(regressions(rows, 0).map((r) => r.name), ['encap/wasm/64B'], 'faster tasks never count');
});

t.test('formatComparison prints every row and marks the real changes', async (t) => {
  const text = formatComparison(compareRuns(oldDoc, newDoc));
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, 1 + 4, 'a heading and one line per task');
  t.match(lines.find((l) => l.startsWith('encap/wasm/64B'))!, /100\.00 ±5\.0% ->\s+80\.00 ±2\.5% Mpps\s+-20\.0%\s+-- SLOWER$/);
  t.match(lines.find((l) => l.startsWith('tables/flat/update'))!, /\+40\.0%\s+\+\+ faster$/);
  t.notMatch(lines.find((l) => l.startsWith('encap/ts/64B'))!, /faster|SLOWER/);
});

t.test('an old document without p10/p90 compares medians only', async (t) => {
  const bare = { ...oldDoc, results: oldDoc.results.map(({ name, pps, samples, rounds }) => ({ name, pps, samples, rounds })) } as unknown as BenchDocument;
  const by = new Map(compareRuns(bare, newDoc).map((r) => [r.name, r]));
  t.equal(by.get('encap/wasm/64B')!.oldSpread, 0);
  t.equal(by.get('encap/wasm/64B')!.verdict, 'slower', 'new p90 below the old median');
  t.equal(by.get('encap/native/64B')!.verdict, 'same', 'old median inside the new interval');
});

/** Run the bench CLI on saved documents (no suite runs with --input). */
function bench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('CLI: --input NEW --compare OLD [--fail-on-regression PCT]', async (t) => {
  const oldFile = join(dir, 'old.json'), newFile = join(dir, 'new.json'), html = join(dir, 'report.html');
  writeFileSync(oldFile, JSON.stringify(oldDoc));
  writeFileSync(newFile, JSON.stringify(newDoc));

  const failing = bench(['--input', newFile, '--compare', oldFile, '--fail-on-regression', '10', '--report', html]);
  t.equal(failing.status, 1, 'a 20% regression beyond the spreads fails at 10%');
  t.match(failing.stderr, /1 task\(s\) regressed by more than 10% beyond the spreads: encap\/wasm\/64B/);
  t.match(failing.stdout, /encap\/wasm\/64B .* -- SLOWER/);
  t.ok(existsSync(html), 'the report is written even when the run fails');
  t.match(readFileSync(html, 'utf8'), '<table class="comparison">', 'with the comparison in it');

  const passing = bench(['--input', newFile, '--compare', oldFile, '--fail-on-regression', '25']);
  t.equal(passing.status, 0, 'not a regression at 25%');
  t.match(passing.stdout, /-- SLOWER/, 'still marked');

  const json = bench(['--input', newFile, '--compare', oldFile, '--json']);
  t.equal(json.status, 0, 'off by default');
  t.same((JSON.parse(json.stdout) as BenchDocument).results.map((r) => r.name), newDoc.results.map((r) => r.name), '--json prints the document given');
  t.match(json.stderr, /-- SLOWER/, 'the comparison goes to stderr beside --json');
});

t.test('CLI: -o/--output writes the document to a file', async (t) => {
  const newFile = join(dir, 'new3.json'), out = join(dir, 'out.json'), out2 = join(dir, 'out2.json');
  writeFileSync(newFile, JSON.stringify(newDoc));
  const r = bench(['--input', newFile, '-o', out]);
  t.equal(r.status, 0);
  t.same(JSON.parse(readFileSync(out, 'utf8')), newDoc, 'the document, as --json would print it');
  t.notMatch(r.stdout, /"results"/, 'not on stdout as well');
  const long = bench(['--input', newFile, '--output', out2, '--json']);
  t.equal(long.status, 0);
  t.same(JSON.parse(readFileSync(out2, 'utf8')), JSON.parse(long.stdout), '--output beside --json: the same document in both');
  const bad = bench(['--input', newFile, '-o', join(dir, 'no-such-dir', 'x.json')]);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /no-such-dir.*\(-o\)/, 'an unwritable file names the flag');
});

t.test('CLI: usage errors exit 2 naming the flag', async (t) => {
  const newFile = join(dir, 'new2.json');
  writeFileSync(newFile, JSON.stringify(newDoc));
  const noCompare = bench(['--input', newFile, '--fail-on-regression', '5']);
  t.equal(noCompare.status, 2);
  t.match(noCompare.stderr, /--fail-on-regression needs --compare/);
  const missingFile = bench(['--input', newFile, '--compare', join(dir, 'nope.json')]);
  t.equal(missingFile.status, 2);
  t.match(missingFile.stderr, /cannot read .*nope\.json.*\(--compare\)/);
  writeFileSync(join(dir, 'notbench.json'), '{"results": 3}');
  const notBench = bench(['--input', join(dir, 'notbench.json')]);
  t.equal(notBench.status, 2);
  t.match(notBench.stderr, /is not a bench --json document \(--input\)/);
  const badPct = bench(['--input', newFile, '--compare', newFile, '--fail-on-regression', 'lots']);
  t.equal(badPct.status, 2);
  t.match(badPct.stderr, /--fail-on-regression must be a non-negative number/);
});
