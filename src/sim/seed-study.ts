// A seed study: one scenario's report at many seeds, summarised per mode as distributions over seeds
// (`zooroute simulate --seeds`). One seed varies the switch hashes, the generated traffic and every
// loss draw together, so a single run says little; the median and p10/p90 say how a mode usually does.
import { MODE_LABELS, SIM_MODES, type SimMode } from './modes.js';
import type { SimulationReport } from './report.js';

/** A figure over seeds: median, 10th and 90th percentiles (linear interpolation), min and max. */
export interface SeedDistribution {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

/** One mode over the seeds. Masking is summed over seeds (failures masked / failure events). */
export interface ModeSeedSummary {
  outageSeconds: SeedDistribution;
  lostPackets: SeedDistribution;
  maskedFailures: number;
  failures: number;
  /** maskedFailures / failures (1 when there are no failures). */
  maskedShare: number;
  /** 1 - outage / static's outage per seed; null for static, or when static never had an outage. */
  cutVsStatic: SeedDistribution | null;
  /** zooroute: per seed, the mean detection and switch time over failures (ms). */
  detectMeanMs?: SeedDistribution;
  switchMeanMs?: SeedDistribution;
  /** opportunistic and prr: per seed, the mean and worst retries per episode. */
  retriesMean?: SeedDistribution;
  retriesMax?: SeedDistribution;
}

/** The summary of a seed study; `seeds` in the order run. */
export interface SeedStudySummary {
  scenario: string;
  seeds: number[];
  modes: Record<SimMode, ModeSeedSummary>;
}

/** The q-quantile of xs (0 <= q <= 1), interpolating linearly between order statistics; NaN if empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

/** Median, p10, p90, min and max of xs, rounded to `digits` decimals. */
export function distribution(xs: readonly number[], digits = 3): SeedDistribution {
  return {
    median: round(quantile(xs, 0.5), digits), p10: round(quantile(xs, 0.1), digits), p90: round(quantile(xs, 0.9), digits),
    min: round(Math.min(...xs), digits), max: round(Math.max(...xs), digits),
  };
}

/** Summarise one scenario's reports, one per seed (all of the same scenario). */
export function summarizeSeeds(reports: readonly SimulationReport[]): SeedStudySummary {
  if (reports.length === 0) throw new RangeError('summarizeSeeds: no reports');
  const modes = {} as Record<SimMode, ModeSeedSummary>;
  for (const m of SIM_MODES) {
    const per = reports.map((r) => r.modes[m]);
    const masked = per.reduce((n, x) => n + x.maskedFailures, 0), failures = per.reduce((n, x) => n + x.failures, 0);
    const cuts = m === 'static' ? [] : reports.map((r) => r.outageCutVsStatic[m]).filter((x): x is number => x !== null);
    const s: ModeSeedSummary = {
      outageSeconds: distribution(per.map((x) => x.outageSeconds)),
      lostPackets: distribution(per.map((x) => x.lostPackets), 0),
      maskedFailures: masked,
      failures,
      maskedShare: failures > 0 ? round(masked / failures, 4) : 1,
      cutVsStatic: cuts.length > 0 ? distribution(cuts, 4) : null,
    };
    if (m === 'zooroute') {
      s.detectMeanMs = distribution(reports.map((r) => r.modes.zooroute.detect.meanMs), 1);
      s.switchMeanMs = distribution(reports.map((r) => r.modes.zooroute.switch.meanMs), 1);
    }
    if (m === 'opportunistic' || m === 'prr') {
      s.retriesMean = distribution(reports.map((r) => r.modes[m].retriesMean));
      s.retriesMax = distribution(reports.map((r) => r.modes[m].retriesMax), 0);
    }
    modes[m] = s;
  }
  return { scenario: reports[0].scenario, seeds: reports.map((r) => r.seed), modes };
}

/** "median [p10-p90]" with `digits` decimals (a share as a percentage when `pct`). */
export function formatDistribution(d: SeedDistribution, digits = 1, pct = false): string {
  const f = (x: number): string => (pct ? `${(x * 100).toFixed(digits)}%` : x.toFixed(digits));
  return `${f(d.median)} [${f(d.p10)}-${f(d.p90)}]`;
}

/** The human summary of a seed study. */
export function formatSeedSummary(s: SeedStudySummary, first: SimulationReport): string {
  const lines: string[] = [];
  lines.push(`scenario ${s.scenario}: ${s.seeds.length} seeds (${s.seeds.join(',')}), ${(first.durationMs / 1000).toFixed(1)} s, ${first.vteps} VTEPs, ${first.flows} flows at seed ${first.seed}`);
  lines.push('per mode over seeds: median [p10-p90]; masked = failures masked / failure events, all seeds');
  const width = Math.max(...SIM_MODES.map((m) => MODE_LABELS[m].length)) + 1;
  const rows = SIM_MODES.map((m) => {
    const x = s.modes[m];
    const notes = m === 'zooroute'
      ? `detect mean ${formatDistribution(x.detectMeanMs!, 0)} ms, switch mean ${formatDistribution(x.switchMeanMs!, 0)} ms`
      : x.retriesMean ? `retries mean ${formatDistribution(x.retriesMean, 2)}, worst ${formatDistribution(x.retriesMax!, 0)}` : '';
    return [MODE_LABELS[m], formatDistribution(x.outageSeconds), formatDistribution(x.lostPackets, 0),
      `${x.maskedFailures}/${x.failures} ${(x.maskedShare * 100).toFixed(1)}%`, x.cutVsStatic ? formatDistribution(x.cutVsStatic, 2, true) : '-', notes];
  });
  const head = ['mode', 'outage s', 'lost pkts', 'masked', 'cut vs static', 'notes'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  w[0] = Math.max(w[0], width - 1);
  const line = (r: string[]): string => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  lines.push(line(head));
  for (const r of rows) lines.push(line(r));
  return lines.join('\n') + '\n';
}
