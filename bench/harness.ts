// Shared benchmark plumbing: tinybench tasks measured in packets per second, and ratios against a
// baseline measured in the same process (never against a number from elsewhere).
import { Bench } from 'tinybench';

export interface BenchOptions {
  /** Shorter runs (CI smoke and tests). */
  quick: boolean;
}

export interface BenchResult {
  /** Suite/task name, e.g. `encap/wasm/64B`. */
  name: string;
  /** Median packets (or operations) per second. */
  pps: number;
  /** pps divided by the baseline's pps in the same run, when there is a baseline. */
  ratio?: number;
  /** Name of the task the ratio is against. */
  baseline?: string;
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
}

/** Run tasks with tinybench; pps is the median throughput times packets per call. */
export async function measure(tasks: TaskSpec[], opts: BenchOptions): Promise<BenchResult[]> {
  const bench = new Bench({ time: opts.quick ? 100 : 1000, warmupTime: opts.quick ? 20 : 200 });
  for (const t of tasks) bench.add(t.name, t.fn);
  await bench.run();
  const pps = new Map<string, number>();
  for (const task of bench.tasks) {
    const spec = tasks.find((t) => t.name === task.name)!;
    const r = task.result as unknown as { throughput?: { p50?: number; mean?: number } };
    const ops = r.throughput?.p50 ?? r.throughput?.mean ?? 0;
    pps.set(task.name, ops * spec.perCall);
  }
  return tasks.map((t) => {
    const v = pps.get(t.name) ?? 0;
    const res: BenchResult = { name: t.name, pps: v };
    if (t.baseline !== undefined) {
      const b = pps.get(t.baseline) ?? 0;
      res.baseline = t.baseline;
      res.ratio = b > 0 ? v / b : 0;
    }
    return res;
  });
}
