// Simulator speed: flow-bins (one flow for one 100 ms bin) per second in each mode, on one small
// leaf-spine scenario with a black-holed link. Static is the baseline; zooroute's extra cost is its
// control planes and probe packets through the simulated underlay. Each run on an EventQueue, the
// clock `zooroute simulate` runs on.
import { measure, type BenchOptions, type BenchResult } from './harness.js';
import { parseScenario } from '../src/sim/scenario.js';
import { buildWorld } from '../src/sim/world.js';
import { runMode } from '../src/sim/engine.js';
import { staticPolicy } from '../src/sim/static-mode.js';
import { opportunisticPolicy } from '../src/sim/opportunistic-mode.js';
import { zooroutePolicy } from '../src/sim/zooroute-mode.js';
import { EventQueue } from '../src/sim/event-queue.js';

const scenario = parseScenario({
  name: 'bench', seed: 1, durationMs: 2000,
  topology: { kind: 'leaf-spine', leaves: 4, spines: 4 },
  vteps: [{ name: 'h', count: 16, ip: '10.0.0.1', inner: ['192.168.0.0/24'] }],
  traffic: { generator: { maxPeerShare: 0.25, flowsPerPeer: 4 } },
  failures: [{ type: 'link-down', atMs: 500, durationMs: 1000, links: [['leaf0', 'spine1']] }],
});

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const world = buildWorld(scenario);
  const flowBins = world.flows.length * (scenario.durationMs / 100);
  let probes = 0;
  const results = await measure([
    { name: 'sim/static', perCall: flowBins, fn: () => { runMode(world, new EventQueue(), () => staticPolicy(world)); } },
    { name: 'sim/opportunistic', perCall: flowBins, baseline: 'sim/static', fn: () => { runMode(world, new EventQueue(), () => opportunisticPolicy(world)); } },
    {
      name: 'sim/zooroute', perCall: flowBins, baseline: 'sim/static',
      fn: () => { probes = runMode(world, new EventQueue(), (ctx) => zooroutePolicy(ctx, {})).probes.packets; },
    },
  ], opts);
  const z = results.find((r) => r.name === 'sim/zooroute')!;
  // Probe packets simulated per second of wall time, from the same measurement.
  z.extra = { flows: world.flows.length, probesPerRun: probes, probePps: Math.round((z.pps / flowBins) * probes) };
  return results;
}
