// npm run bench [-- --json] [-- --quick] [-- --only NAME]: runs every bench/*.bench.ts suite.
// Each suite exports `run(opts: BenchOptions): Promise<BenchResult[]>`.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchOptions, BenchResult } from './harness.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;

const dir = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && (!only || f.startsWith(only))).sort();
const results: BenchResult[] = [];
const opts: BenchOptions = { quick };
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { run(o: BenchOptions): Promise<BenchResult[]> };
  const rs = await mod.run(opts);
  results.push(...rs);
  if (!json) {
    for (const r of rs) {
      const ratio = r.ratio !== undefined ? `  x${r.ratio.toFixed(2)} vs ${r.baseline}` : '';
      const extra = r.extra ? '  ' + Object.entries(r.extra).map(([k, v]) => `${k}=${v}`).join(' ') : '';
      process.stdout.write(`${r.name.padEnd(40)} ${(r.pps / 1e6).toFixed(2).padStart(9)} Mpps${ratio}${extra}\n`);
    }
  }
}
if (json) {
  process.stdout.write(JSON.stringify({ node: process.version, date: new Date().toISOString(), quick, results }, null, 2) + '\n');
}
