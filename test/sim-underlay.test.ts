// The simulated underlay: ECMP paths are valid shortest paths, deterministic for a seed, spread over
// the fabric by source port, and links drop what exceeds their capacity in a bin.
import t, { type Test } from 'tap';
import { parseScenario, type Scenario } from '../src/sim/scenario.js';
import { buildWorld, type World } from '../src/sim/world.js';
import { runMode } from '../src/sim/engine.js';
import { staticPolicy } from '../src/sim/static-mode.js';
import { VirtualClock } from '../src/control/clock.js';
import { jhash4 } from '../src/sim/underlay.js';
import { jhash2 } from '../bindings/jhash.js';

const leafSpine = (seed: number): Scenario => parseScenario({
  name: 'ecmp', seed, durationMs: 1000,
  topology: { kind: 'leaf-spine', leaves: 4, spines: 4, parallelLinks: 2 },
  vteps: [{ name: 'h', count: 4, ip: '10.0.0.1', inner: ['192.168.0.0/24'] }],
  traffic: { flows: [{ src: '192.168.0.1', dst: '192.168.1.1' }] },
});

const PORTS = Array.from({ length: 256 }, (_, i) => 49152 + i * 61);

t.test('paths are connected shortest paths from host to host', async (t) => {
  const w = buildWorld(leafSpine(1));
  const g = w.graph;
  const [a, b] = [w.vteps[0], w.vteps[1]];
  for (const p of PORTS) {
    const path = w.underlay.path(a.node, b.node, p);
    t.equal(path.length, 4, 'host-leaf, leaf-spine, spine-leaf, leaf-host');
    t.equal(g.from[path[0]], a.node);
    t.equal(g.to[path[path.length - 1]], b.node);
    for (let i = 1; i < path.length; i++) t.equal(g.from[path[i]], g.to[path[i - 1]], 'links chain');
  }
});

t.test('ECMP is deterministic per seed and the source port selects the path', async (t) => {
  const sig = (seed: number): string[] => {
    const w = buildWorld(leafSpine(seed));
    return PORTS.map((p) => Array.from(w.underlay.path(w.vteps[0].node, w.vteps[1].node, p)).join(','));
  };
  t.same(sig(1), sig(1), 'same seed, same paths');
  const other = sig(2);
  const base = sig(1);
  t.ok(base.some((p, i) => p !== other[i]), 'another seed maps ports to paths differently');
  // 4 spines x 2 parallel links on each side: 8 x 2 = 16 distinct paths; 256 ports should reach most.
  const distinct = new Set(base).size;
  t.ok(distinct >= 12, `ports spread over the ECMP paths (${distinct} of 16 used)`);
  const w = buildWorld(leafSpine(1));
  const spineOf = (p: number): number => w.graph.to[w.underlay.path(w.vteps[0].node, w.vteps[1].node, p)[1]];
  const perSpine = new Map<number, number>();
  for (const p of PORTS) perSpine.set(spineOf(p), (perSpine.get(spineOf(p)) ?? 0) + 1);
  t.equal(perSpine.size, 4, 'every spine is used');
  for (const [, n] of perSpine) t.ok(n > 256 / 4 / 2, `no spine starved (${n})`);
});

t.test('traffic beyond a link capacity is dropped in proportion', async (t) => {
  // 20 flows x 100 pps x 1000 B = 16 Mbit/s through one 8 Mbit/s spine link: about half is lost.
  const s = (capacityMbps: number): Scenario => parseScenario({
    name: 'cap', seed: 3, durationMs: 5000,
    topology: { kind: 'leaf-spine', leaves: 2, spines: 1, link: { capacityMbps } },
    vteps: [{ name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' }, { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' }],
    traffic: { flows: Array.from({ length: 20 }, (_, i) => ({ src: `192.168.0.${i + 1}`, dst: '192.168.1.1', ratePps: 100, packetBytes: 1000 })) },
  });
  const run = (cap: number): { sent: number; lost: number } => {
    const w = buildWorld(s(cap));
    const out = runMode(w, new VirtualClock(), () => staticPolicy(w));
    return { sent: out.ledger.sentPackets(), lost: out.ledger.lostPackets() };
  };
  const tight = run(8);
  t.equal(tight.sent, 20 * 100 * 5, 'every flow sent its rate for the whole run');
  const share = tight.lost / tight.sent;
  t.ok(share > 0.4 && share < 0.6, `about half dropped (${share.toFixed(3)})`);
  const roomy = run(100);
  t.equal(roomy.lost, 0, 'nothing dropped under capacity');
});

/** Every VTEP pair's route over PORTS: routeInto gives path()'s links (and, with `latency`, its latency). */
function routesAgree(t: Test, w: World, latency: boolean): void {
  const out = new Int32Array(w.graph.names.length + 2);
  let checked = 0;
  for (const a of w.vteps) {
    for (const b of w.vteps) {
      if (a === b) continue;
      for (const p of PORTS) {
        const n = w.underlay.routeInto(a.node, b.node, p, out);
        const ref = w.underlay.path(a.node, b.node, p);
        if (n !== ref.length || out.subarray(0, n).some((l, i) => l !== ref[i])) { t.fail(`route ${a.name}->${b.name}:${p}`); return; }
        if (latency && w.underlay.latencyOf(out, n) !== w.underlay.latency(ref)) { t.fail(`latency ${a.name}->${b.name}:${p}`); return; }
        checked++;
      }
    }
  }
  t.pass(`${checked} routes agree`);
}

t.test('routeInto agrees with path() on a Clos with parallel links', async (t) => {
  const w = buildWorld(parseScenario({
    name: 'route-clos', durationMs: 1000,
    topology: { kind: 'clos', pods: 2, torsPerPod: 3, aggsPerPod: 2, cores: 3, parallelLinks: 2 },
    vteps: [
      { name: 'a', count: 5, ip: '10.0.0.1', region: 'pod0', inner: ['192.168.0.0/24'] },
      { name: 'b', count: 5, ip: '200.1.0.1', region: 'pod1', inner: ['192.169.0.0/24'] },
    ],
    traffic: { flows: [{ src: '192.168.0.1', dst: '192.169.0.1' }] },
  }), 5);
  routesAgree(t, w, false);
});

t.test('routeInto is path() without the cache: the same links and latency, and jhash4 is jhash2 of 4 words', async (t) => {
  const w = buildWorld(parseScenario({
    name: 'route', durationMs: 1000,
    topology: { kind: 'two-region', regions: [{ name: 'A', leaves: 3, spines: 2 }, { name: 'B', leaves: 3, spines: 2 }], borderRouters: 2 },
    vteps: [
      { name: 'a', count: 6, ip: '10.0.0.1', region: 'A', inner: ['192.168.0.0/24'] },
      { name: 'b', count: 6, ip: '200.1.0.1', region: 'B', inner: ['192.169.0.0/24'] },
    ],
    traffic: { flows: [{ src: '192.168.0.1', dst: '192.169.0.1' }] },
  }), 3);
  routesAgree(t, w, true);
  let x = 12345;
  const r = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x; };
  for (let i = 0; i < 2000; i++) {
    const k = [r(), r(), r(), r()], init = r();
    if (jhash4(k[0], k[1], k[2], k[3], init) !== jhash2(k, init)) { t.fail(`jhash4 ${k} ${init}`); return; }
  }
  t.pass('jhash4 agrees with jhash2 on 2000 random inputs');
});
