// Two bench documents side by side: each task's change of median with both spreads, marked only when
// the change is larger than the spreads (the p10-p90 intervals of the two runs do not overlap).
import type { BenchResult } from './harness.js';
import type { Machine } from './machine.js';

/** What `npm run bench -- --json` writes. */
export interface BenchDocument {
  node: string;
  date: string;
  quick: boolean;
  machine?: Machine;
  options?: { quick: boolean; rounds: number; only: string | null };
  results: BenchResult[];
}

export interface Comparison {
  name: string;
  oldPps: number;
  newPps: number;
  /** newPps / oldPps - 1 (0.05 = 5 % faster). */
  change: number;
  /** Half-width of each run's p10-p90 interval relative to its median (spread a change must beat). */
  oldSpread: number;
  newSpread: number;
  /** 'faster' / 'slower' when the intervals do not overlap, else 'same' (within noise). */
  verdict: 'faster' | 'slower' | 'same';
}

/** Spread of a result as a fraction of its median; a result without p10/p90 (older documents) has none. */
function spreadOf(r: BenchResult): number {
  if (!(r.pps > 0) || r.p10 === undefined || r.p90 === undefined) return 0;
  return (r.p90 - r.p10) / 2 / r.pps;
}

/** Tasks present in both documents, in the new document's order. */
export function compareRuns(old: BenchDocument, now: BenchDocument): Comparison[] {
  const before = new Map(old.results.map((r) => [r.name, r]));
  const rows: Comparison[] = [];
  for (const n of now.results) {
    const o = before.get(n.name);
    if (o === undefined || !(o.pps > 0)) continue;
    const lo = (r: BenchResult): number => r.p10 ?? r.pps, hi = (r: BenchResult): number => r.p90 ?? r.pps;
    const verdict = lo(n) > hi(o) ? 'faster' : hi(n) < lo(o) ? 'slower' : 'same';
    rows.push({ name: n.name, oldPps: o.pps, newPps: n.pps, change: n.pps / o.pps - 1, oldSpread: spreadOf(o), newSpread: spreadOf(n), verdict });
  }
  return rows;
}

/** Rows slower beyond the spreads by more than pct percent. */
export function regressions(rows: readonly Comparison[], pct: number): Comparison[] {
  return rows.filter((r) => r.verdict === 'slower' && -r.change * 100 > pct);
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** One line per task: old and new medians with their spreads, the change, and a mark when it is real. */
export function formatComparison(rows: readonly Comparison[]): string {
  const lines = rows.map((r) => {
    const mark = r.verdict === 'faster' ? '  ++ faster' : r.verdict === 'slower' ? '  -- SLOWER' : '';
    return `${r.name.padEnd(40)} ${(r.oldPps / 1e6).toFixed(2).padStart(9)} ±${(r.oldSpread * 100).toFixed(1)}% -> ` +
      `${(r.newPps / 1e6).toFixed(2).padStart(9)} ±${(r.newSpread * 100).toFixed(1)}% Mpps  ${pct(r.change).padStart(7)}${mark}\n`;
  });
  return `compared with the old run (marked only when the p10-p90 intervals do not overlap):\n${lines.join('')}`;
}
