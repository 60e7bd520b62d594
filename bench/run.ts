// npm run bench [-- --json] [-- --quick] [-- --only NAME] [-- --rounds N] [-- --compare OLD.json]
// [-- --fail-on-regression PCT]: runs every bench/*.bench.ts suite.
// Each suite exports `run(opts: BenchOptions): Promise<BenchResult[]>`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchOptions, BenchResult } from './harness.js';
import { machine } from './machine.js';
import { compareRuns, formatComparison, regressions, type BenchDocument } from './compare.js';

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
if (rounds < 1 || !Number.isInteger(rounds)) { process.stderr.write(`zooroute bench: --rounds must be a positive integer (--rounds)\n`); process.exit(2); }
let old: BenchDocument | undefined;
if (comparePath !== undefined) {
  try { old = JSON.parse(readFileSync(comparePath, 'utf8')) as BenchDocument; } catch (e) {
    process.stderr.write(`zooroute bench: cannot read ${comparePath}: ${(e as Error).message} (--compare)\n`); process.exit(2);
  }
  if (!Array.isArray(old.results)) { process.stderr.write(`zooroute bench: ${comparePath} is not a bench --json document (--compare)\n`); process.exit(2); }
}

const dir = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && (!only || f.startsWith(only))).sort();
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
const doc: BenchDocument = {
  node: process.version, date: new Date().toISOString(), quick, machine: machine(),
  options: { quick, rounds, only: only ?? null }, results,
};
if (json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
let status = 0;
if (old !== undefined) {
  const rows = compareRuns(old, doc);
  (json ? process.stderr : process.stdout).write(formatComparison(rows));
  if (failPct !== undefined) {
    const bad = regressions(rows, failPct);
    if (bad.length > 0) {
      process.stderr.write(`zooroute bench: ${bad.length} task(s) regressed by more than ${failPct}% beyond the spreads: ${bad.map((r) => r.name).join(', ')}\n`);
      status = 1;
    }
  }
} else if (failPct !== undefined) {
  process.stderr.write('zooroute bench: --fail-on-regression needs --compare OLD.json (--fail-on-regression)\n'); process.exit(2);
}
process.exitCode = status;
