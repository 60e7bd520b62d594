// A worker thread of `zooroute simulate --seeds --jobs` (simulate-pool.ts): it gets the scenario once
// (workerData) and then seeds one at a time, and answers each with that seed's report, or the error.
import { parentPort, workerData } from 'node:worker_threads';
import { simulate } from '../sim/simulate.js';
import { ScenarioError, type Scenario } from '../sim/scenario.js';
import type { SeedReply } from './simulate-pool.js';

const scenario = (workerData as { scenario: Scenario }).scenario;

parentPort!.on('message', (seed: number) => {
  let reply: SeedReply;
  try {
    reply = { seed, report: simulate(scenario, { seed }) };
  } catch (e) {
    const err = e as Error;
    reply = { seed, error: { message: err.message, stack: err.stack, scenario: e instanceof ScenarioError } };
  }
  parentPort!.postMessage(reply);
});
