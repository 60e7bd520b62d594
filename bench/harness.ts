// Shared benchmark plumbing: tinybench tasks measured in packets per second, repeated over
// interleaved rounds, and ratios against a baseline (and a native twin) measured in the same process
// (never against a number from elsewhere).
import { Bench } from 'tinybench';

export interface BenchOptions {
  /** Shorter runs (CI smoke and tests). */
  quick: boolean;
  /**
   * Rounds: every round runs every task of a suite once, in alternating order, so that noise on a
   * shared machine lands in the spread of each task instead of in one task's figure. Default 3.
   */
  rounds?: number;
}

export interface BenchResult {
  /** Suite/task name, e.g. `encap/wasm/64B`. */
  name: string;
  /** Median packets (or operations) per second over every sample of every round. */
  pps: number;
  /** 10th percentile of the per-sample pps. */
  p10: number;
  /** 90th percentile of the per-sample pps. */
  p90: number;
  /** Timed samples behind the figures (tinybench iterations, all rounds). */
  samples: number;
  /** Rounds the samples came from. */
  rounds: number;
  /** pps divided by the baseline's pps in the same run, when there is a baseline. */
  ratio?: number;
  /** Name of the task the ratio is against. */
  baseline?: string;
  /** pps divided by the native twin's pps in the same run, when there is one. */
  vsNative?: number;
  /** Name of the native twin `vsNative` is against. */
  native?: string;
  /** Extra figures a suite wants to report (bytes, RSS, ...). */
  extra?: Record<string, number | string>;
}

export interface TaskSpec {
  name: string;
  /** One call: processes `perCall` packets. */
  fn: () => void;
  perCall: number;
  /** Name of the task this one is compared with. */
  baseline?: string;
  /** Name of this task's native twin. */
  native?: string;
}

/** Linear-interpolated quantile q (0..1) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Rounds to use: --rounds N, else 3. */
export function roundsOf(opts: BenchOptions): number {
  return Math.max(1, Math.floor(opts.rounds ?? 3));
}

/**
 * Run tasks with tinybench over interleaved rounds. Each round runs every task for its share of the
 * time budget (odd rounds in reverse order, so drift hits every task alike); every iteration's
 * latency is one sample, as pps = perCall / latency. pps is the median sample, p10/p90 the spread.
 */
export async function measure(tasks: TaskSpec[], opts: BenchOptions): Promise<BenchResult[]> {
  const rounds = roundsOf(opts);
  const total = opts.quick ? 100 : 1000;
  const time = Math.max(20, total / rounds);
  const samples = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? tasks : [...tasks].reverse();
    const bench = new Bench({ time, warmupTime: opts.quick ? 20 : 200, retainSamples: true });
    for (const t of order) bench.add(t.name, t.fn);
    await bench.run();
    for (const task of bench.tasks) {
      const spec = tasks.find((t) => t.name === task.name)!;
      const r = task.result as unknown as { latency?: { samples?: number[] } };
      const out = samples.get(task.name)!;
      // Latencies are in ms; a zero latency (below the timer's grain) carries no rate.
      for (const ms of r.latency?.samples ?? []) if (ms > 0) out.push(spec.perCall / (ms / 1000));
    }
  }
  const stats = new Map<string, { pps: number; p10: number; p90: number; n: number }>();
  for (const t of tasks) {
    const s = samples.get(t.name)!.sort((a, b) => a - b);
    stats.set(t.name, { pps: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), n: s.length });
  }
  return tasks.map((t) => {
    const s = stats.get(t.name)!;
    const res: BenchResult = { name: t.name, pps: s.pps, p10: s.p10, p90: s.p90, samples: s.n, rounds };
    if (t.baseline !== undefined) {
      const b = stats.get(t.baseline)?.pps ?? 0;
      res.baseline = t.baseline;
      res.ratio = b > 0 ? s.pps / b : 0;
    }
    if (t.native !== undefined) {
      const b = stats.get(t.native)?.pps ?? 0;
      res.native = t.native;
      res.vsNative = b > 0 ? s.pps / b : 0;
    }
    return res;
  });
}

/** A result from measurements a suite took itself (one per window or round): median and spread. */
export function fromSamples(name: string, values: readonly number[], rounds: number): BenchResult {
  const s = [...values].sort((a, b) => a - b);
  return { name, pps: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), samples: s.length, rounds };
}
