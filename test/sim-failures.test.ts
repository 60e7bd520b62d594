// Failure events: which links each kind hits, and the burst's loss profile.
import t from 'tap';
import { parseScenario } from '../src/sim/scenario.js';
import { buildWorld } from '../src/sim/world.js';
import { burstLoss, fillSurvival } from '../src/sim/failures.js';

const two = (failures: unknown[]) => buildWorld(parseScenario({
  name: 'f', durationMs: 60000,
  topology: { kind: 'two-region', regions: [{ name: 'A', leaves: 2, spines: 2 }, { name: 'B', leaves: 2, spines: 2 }], borderRouters: 4 },
  vteps: [{ name: 'a', ip: '10.0.0.1', region: 'A', inner: ['192.168.0.0/24'] }, { name: 'b', ip: '10.1.0.1', region: 'B', inner: ['192.169.0.0/24'] }],
  traffic: { flows: [{ src: '192.168.0.1', dst: '192.169.0.1' }] },
  failures,
}));

t.test('burst: zero outside, peak reached mid-burst, never above it', async (t) => {
  const peak = 0.783;
  let max = 0;
  for (let x = 0; x < 12000; x += 10) {
    const l = burstLoss(peak, 1000, 12000, 500, 1000, 42, 1000 + x);
    t.ok(l >= 0 && l <= peak + 1e-12);
    max = Math.max(max, l);
  }
  t.ok(Math.abs(max - peak) < 1e-3, `peak ${max}`);
  t.equal(burstLoss(peak, 1000, 12000, 500, 1000, 42, 1500), burstLoss(peak, 1000, 12000, 500, 1000, 42, 1500), 'deterministic');
  t.ok(burstLoss(peak, 1000, 12000, 500, 1000, 42, 1500) <= peak * 0.5, 'still ramping up half a second in');
  for (let x = 1000; x < 11000; x += 100) t.ok(burstLoss(peak, 1000, 12000, 500, 1000, 42, 1000 + x) >= peak * 0.6 - 1e-12, 'between the ramps, at least 60% of the peak');
  t.equal(burstLoss(peak, 1000, 12000, 500, 1000, 42, 999), 0);
  t.equal(burstLoss(peak, 1000, 12000, 500, 1000, 42, 13000), 0);
  t.equal(burstLoss(peak, 1000, 12000, 500, 1000, 42, 4321), burstLoss(peak, 1000, 12000, 500, 1000, 42, 4321), 'deterministic');
});

t.test('border routers: k of n routers lose every link; long-haul links of the others survive', async (t) => {
  const w = two([{ type: 'border-routers', atMs: 0, durationMs: 1000, region: 'A', count: 2 }]);
  const g = w.graph;
  const f = w.failures[0];
  const hit = new Set(f.links);
  for (const r of ['A-br0', 'A-br1']) for (const l of g.linksOf(g.node(r))) t.ok(hit.has(l), `${g.linkName(l)} fails`);
  for (const r of ['A-br2', 'A-br3']) for (const l of g.linksOf(g.node(r))) t.notOk(hit.has(l), `${g.linkName(l)} survives`);
  const s = new Float64Array(g.linkCount);
  fillSurvival(g, w.failures, 500, s);
  t.equal(s[g.linksBetween(g.node('A-br0'), g.node('B-br0'))[0]], 0, 'long-haul link of a failed router is dead');
  fillSurvival(g, w.failures, 1000, s);
  t.ok(s.every((x) => x === 1), 'after the failure, everything works');
});

t.test('card: share of each parallel bundle, one switch only', async (t) => {
  const w = buildWorld(parseScenario({
    name: 'c', durationMs: 1000,
    topology: { kind: 'clos', pods: 2, torsPerPod: 1, aggsPerPod: 1, cores: 1, parallelLinks: 3 },
    vteps: [{ name: 'a', ip: '10.0.0.1', region: 'pod0', inner: ['192.168.0.0/24'] }, { name: 'b', ip: '10.1.0.1', region: 'pod1', inner: ['192.169.0.0/24'] }],
    traffic: { flows: [{ src: '192.168.0.1', dst: '192.169.0.1' }] },
    failures: [{ type: 'card', atMs: 0, durationMs: 500, switch: 'core0', neighbors: ['agg1-0'], share: 0.67 }],
  }));
  const g = w.graph;
  t.equal(w.failures[0].links.length, 4, '2 of 3 parallel links, both directions');
  for (const l of w.failures[0].links) t.ok([g.from[l], g.to[l]].includes(g.node('core0')) && [g.from[l], g.to[l]].includes(g.node('agg1-0')));
  // About 2 in 3 source ports from pod0 to pod1 cross a failed link.
  const hit = new Set(w.failures[0].links);
  let n = 0;
  const ports = 3000;
  for (let p = 0; p < ports; p++) if ([...w.underlay.path(w.vteps[0].node, w.vteps[1].node, 49152 + p)].some((l) => hit.has(l))) n++;
  t.ok(Math.abs(n / ports - 2 / 3) < 0.05, `${((100 * n) / ports).toFixed(1)}% of paths hit`);
});

t.test('endpoint: the access link, both directions', async (t) => {
  const w = two([{ type: 'endpoint', atMs: 0, durationMs: 1000, vtep: 'a' }]);
  const g = w.graph;
  t.same([...w.failures[0].links].sort(), g.linksOf(w.vteps[0].node).sort());
});
