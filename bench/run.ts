// npm run bench [-- --json] [-- --quick] [-- --only NAME] [-- --rounds N] [-- --compare OLD.json]
// [-- --fail-on-regression PCT] [-- --report FILE] [-- --input RUN.json]: runs every bench/*.bench.ts
// suite (or, with --input, takes a saved --json document instead of measuring), compares with an old
// run and writes the HTML report (--html FILE is the same as --report FILE).
// Each suite exports `run(opts: BenchOptions): Promise<BenchResult[]>`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchOptions, BenchResult } from './harness.js';
import { machine } from './machine.js';
import { compareRuns, formatComparison, regressions, type BenchDocument, type Comparison } from './compare.js';
import { renderBenchReport } from './report.js';
import { checkOutputPath, writeFileAtomic } from '../src/atomic-output.js';

const args = process.argv.slice(2);
/** The value after flag `name`, or undefined; a flag given without its value is a usage error. */
function valueOf(name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const v = args[at + 1];
  if (v === undefined || v.startsWith('--')) { process.stderr.write(`zooroute bench: ${name} needs a value (${name})\n`); process.exit(2); }
  return v;
}
function numberOf(name: string): number | undefined {
  const v = valueOf(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) { process.stderr.write(`zooroute bench: ${name} must be a non-negative number, got ${v} (${name})\n`); process.exit(2); }
  return n;
}
const json = args.includes('--json');
const quick = args.includes('--quick');
const only = valueOf('--only');
const rounds = numberOf('--rounds') ?? 3;
const comparePath = valueOf('--compare');
const failPct = numberOf('--fail-on-regression');
const reportFlag = args.includes('--report') ? '--report' : '--html';
const reportPath = valueOf(reportFlag);
const inputPath = valueOf('--input');
if (rounds < 1 || !Number.isInteger(rounds)) { process.stderr.write(`zooroute bench: --rounds must be a positive integer (--rounds)\n`); process.exit(2); }
if (failPct !== undefined && comparePath === undefined) {
  process.stderr.write('zooroute bench: --fail-on-regression needs --compare OLD.json (--fail-on-regression)\n'); process.exit(2);
}
/** A saved `--json` document, or exit 2 naming the flag it came with. */
function readDocument(path: string, flag: string): BenchDocument {
  let d: BenchDocument;
  try { d = JSON.parse(readFileSync(path, 'utf8')) as BenchDocument; } catch (e) {
    process.stderr.write(`zooroute bench: cannot read ${path}: ${(e as Error).message} (${flag})\n`); process.exit(2);
  }
  if (d === null || typeof d !== 'object' || !Array.isArray(d.results)) { process.stderr.write(`zooroute bench: ${path} is not a bench --json document (${flag})\n`); process.exit(2); }
  return d;
}
// The report's path is checked before the benchmarks run (minutes), not after; written atomically.
if (reportPath !== undefined) {
  try { checkOutputPath(reportPath); } catch (e) {
    process.stderr.write(`zooroute bench: ${(e as Error).message} (${reportFlag})\n`); process.exit(2);
  }
}
const old = comparePath !== undefined ? readDocument(comparePath, '--compare') : undefined;
const input = inputPath !== undefined ? readDocument(inputPath, '--input') : undefined;

const dir = dirname(fileURLToPath(import.meta.url));
const files = input !== undefined ? [] : readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && (!only || f.startsWith(only))).sort();
const results: BenchResult[] = [];
const opts: BenchOptions = { quick, rounds };
const out = json ? process.stderr : process.stdout;
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { run(o: BenchOptions): Promise<BenchResult[]> };
  const rs = await mod.run(opts);
  results.push(...rs);
  if (!json) {
    for (const r of rs) {
      const spread = `[${(r.p10 / 1e6).toFixed(2)}-${(r.p90 / 1e6).toFixed(2)}] n=${r.samples}`;
      const ratio = r.ratio !== undefined ? `  x${r.ratio.toFixed(2)} vs ${r.baseline}` : '';
      const nat = r.vsNative !== undefined ? `  x${r.vsNative.toFixed(2)} vs native` : '';
      const extra = r.extra ? '  ' + Object.entries(r.extra).map(([k, v]) => `${k}=${v}`).join(' ') : '';
      out.write(`${r.name.padEnd(40)} ${(r.pps / 1e6).toFixed(2).padStart(9)} Mpps ${spread}${ratio}${nat}${extra}\n`);
    }
  }
}
const doc: BenchDocument = input ?? {
  node: process.version, date: new Date().toISOString(), quick, machine: machine(),
  options: { quick, rounds, only: only ?? null }, results,
};
if (json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
let status = 0;
let rows: Comparison[] | undefined;
if (old !== undefined) {
  rows = compareRuns(old, doc);
  (json ? process.stderr : process.stdout).write(formatComparison(rows));
  if (failPct !== undefined) {
    const bad = regressions(rows, failPct);
    if (bad.length > 0) {
      process.stderr.write(`zooroute bench: ${bad.length} task(s) regressed by more than ${failPct}% beyond the spreads: ${bad.map((r) => r.name).join(', ')}\n`);
      status = 1;
    }
  }
}
if (reportPath !== undefined) {
  try { writeFileAtomic(reportPath, renderBenchReport(doc, rows)); } catch (e) {
    process.stderr.write(`zooroute bench: ${(e as Error).message} (${reportFlag})\n`); process.exit(2);
  }
  (json ? process.stderr : process.stdout).write(`report written to ${reportPath}\n`);
}
process.exitCode = status;
