// `zooroute simulate --seeds`: run one scenario at many seeds, on `jobs` worker threads. Each worker
// builds and runs one seed at a time (simulate-worker.ts); results are put back in the order of the
// seeds asked for, so the output does not depend on `jobs` or on which worker finished first.
import { Worker } from 'node:worker_threads';
import { simulate } from '../sim/simulate.js';
import type { Scenario } from '../sim/scenario.js';
import type { SimulationReport } from '../sim/report.js';

/** A worker's answer for one seed. */
export type SeedReply =
  | { seed: number; report: SimulationReport; error?: undefined }
  | { seed: number; report?: undefined; error: { message: string; stack?: string; scenario: boolean } };

/** A scenario error raised inside a worker, passed on with its message (the CLI makes it one line). */
export class WorkerScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerScenarioError';
  }
}

/**
 * A worker running simulate-worker. From source (under tsx, this file ends in .ts) the worker must
 * register tsx's loader before it imports the .ts entry; from dist/ a plain worker on the .js file.
 */
function startWorker(scenario: Scenario): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./simulate-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(url, { workerData: { scenario } });
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData: { scenario } });
}

/** Run `seeds` of the scenario on up to `jobs` threads (1: in this thread); reports in seed order. */
export async function runSeeds(scenario: Scenario, seeds: readonly number[], jobs: number, onDone?: (done: number) => void): Promise<SimulationReport[]> {
  const reports = new Array<SimulationReport>(seeds.length);
  if (jobs <= 1 || seeds.length <= 1) {
    seeds.forEach((seed, i) => { reports[i] = simulate(scenario, { seed }); onDone?.(i + 1); });
    return reports;
  }
  const index = new Map(seeds.map((s, i) => [s, i]));
  if (index.size !== seeds.length) throw new RangeError('runSeeds: seeds must be distinct');
  const workers = Array.from({ length: Math.min(jobs, seeds.length) }, () => startWorker(scenario));
  let next = 0, done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const give = (w: Worker): void => {
        if (next < seeds.length) w.postMessage(seeds[next++]);
      };
      for (const w of workers) {
        w.on('message', (r: SeedReply) => {
          if (r.error) {
            reject(r.error.scenario ? new WorkerScenarioError(r.error.message) : Object.assign(new Error(r.error.message), { stack: r.error.stack }));
            return;
          }
          reports[index.get(r.seed)!] = r.report;
          onDone?.(++done);
          if (done === seeds.length) resolve();
          else give(w);
        });
        w.on('error', reject);
        w.on('exit', (code) => { if (done < seeds.length && code !== 0) reject(new Error(`simulate worker exited with code ${code}`)); });
        give(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return reports;
}
