// The three modes on the virtual clock: a black-holed link keeps static flows out while zooroute's
// recover within two probe intervals plus the probe timeout; an endpoint-adjacent fault is fixed by
// no mode; runs are deterministic for a seed.
import t from 'tap';
import { parseScenario, type Scenario } from '../src/sim/scenario.js';
import { buildWorld, BIN_MS } from '../src/sim/world.js';
import { runMode } from '../src/sim/engine.js';
import { staticPolicy } from '../src/sim/static-mode.js';
import { opportunisticPolicy } from '../src/sim/opportunistic-mode.js';
import { zooroutePolicy } from '../src/sim/zooroute-mode.js';
import { simulate } from '../src/sim/simulate.js';
import { VirtualClock } from '../src/control/clock.js';
import { DEFAULT_CONTROL_CONFIG } from '../src/control/config.js';

const FAIL_AT = 3000, FAIL_FOR = 5000;

function scenario(failure: Record<string, unknown>): Scenario {
  return parseScenario({
    name: 'modes', seed: 11, durationMs: 10000,
    topology: { kind: 'leaf-spine', leaves: 2, spines: 4 },
    // Full probing: every candidate is validated before the failure, as on a long-running peer.
    control: { probeMode: 'full' },
    vteps: [
      { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
      { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
    ],
    traffic: { flows: Array.from({ length: 24 }, (_, i) => ({ src: '192.168.0.1', dst: '192.168.1.1', sport: 20000 + i, dport: 80, ratePps: 100 })) },
    failures: [{ atMs: FAIL_AT, durationMs: FAIL_FOR, ...failure }],
  });
}

type Mode = 'static' | 'opportunistic' | 'zooroute';

function run(s: Scenario, mode: Mode) {
  const w = buildWorld(s);
  const out = runMode(w, new VirtualClock(), (ctx) =>
    mode === 'static' ? staticPolicy(w) : mode === 'opportunistic' ? opportunisticPolicy(w) : zooroutePolicy(ctx, s.control ?? {}));
  const from = FAIL_AT / BIN_MS, to = (FAIL_AT + FAIL_FOR) / BIN_MS;
  const runs = w.flows.map((f) => out.ledger.longestRunMs(f.id, from, to));
  return { w, out, runs };
}

t.test('black-holed link: static stays out, zooroute recovers within 2 intervals + timeout', async (t) => {
  const s = scenario({ type: 'link-down', links: [['leaf0', 'spine1']] });
  const st = run(s, 'static');
  const hit = st.runs.map((r, i) => (r > 0 ? i : -1)).filter((i) => i >= 0);
  t.ok(hit.length > 0 && hit.length < st.runs.length, `the link carries some flows by default (${hit.length} of ${st.runs.length})`);
  for (const i of hit) t.equal(st.runs[i], FAIL_FOR, `static flow ${i} is out for the whole failure`);
  t.equal(st.out.ledger.outageSeconds(), (hit.length * FAIL_FOR) / 1000, 'static outage = hit flows x failure');

  const zr = run(s, 'zooroute');
  const bound = 2 * DEFAULT_CONTROL_CONFIG.probeIntervalMs + DEFAULT_CONTROL_CONFIG.probeTimeoutMs;
  for (const i of hit) {
    t.ok(zr.runs[i] > 0, `zooroute flow ${i} is hit at first`);
    // Ports are read at bin starts, so a switch lands at the next 100 ms bin.
    t.ok(zr.runs[i] <= bound + BIN_MS, `zooroute flow ${i} out ${zr.runs[i]} ms <= ${bound} ms + one bin`);
  }
  for (let i = 0; i < zr.runs.length; i++) if (!hit.includes(i)) t.equal(zr.runs[i], 0, `unaffected flow ${i} stays in`);
  t.ok(zr.out.ledger.outageSeconds() < st.out.ledger.outageSeconds() * 0.25, 'zooroute cuts the outage');

  const op = run(s, 'opportunistic');
  t.ok(op.out.ledger.outageSeconds() < st.out.ledger.outageSeconds(), 'opportunistic re-hashing escapes too');
});

t.test('endpoint-adjacent fault: no mode helps', async (t) => {
  const s = scenario({ type: 'endpoint', vtep: 'a' });
  for (const mode of ['static', 'opportunistic', 'zooroute'] as const) {
    const r = run(s, mode);
    t.ok(r.runs.every((x) => x === FAIL_FOR), `${mode}: every flow is out for the whole failure`);
  }
});

t.test('simulate is deterministic for a seed, and the seed matters', async (t) => {
  const s = scenario({ type: 'loss', links: [['leaf0', 'spine1'], ['leaf0', 'spine2']], loss: 0.6 });
  const a = simulate(s, { seed: 5 });
  const b = simulate(s, { seed: 5 });
  t.same(a, b, 'same seed, same report');
  const c = simulate(s, { seed: 6 });
  t.not(JSON.stringify(a.modes), JSON.stringify(c.modes), 'another seed, another run');
  t.equal(a.modes.static.failures, 1);
  t.equal(a.modes.zooroute.failures, 1);
});

t.test('segmented: host -> gateway -> gateway -> host, each hop probed and switched on its own', async (t) => {
  const s = parseScenario({
    name: 'seg', seed: 21, durationMs: 8000,
    topology: { kind: 'two-region', regions: [{ name: 'A', leaves: 2, spines: 2 }, { name: 'B', leaves: 2, spines: 2 }], borderRouters: 4 },
    control: { probeMode: 'full' },
    vteps: [
      { name: 'gwA', ip: '10.0.255.1', region: 'A', role: 'gateway' },
      { name: 'gwB', ip: '10.1.255.1', region: 'B', role: 'gateway' },
      { name: 'a', ip: '10.0.0.1', region: 'A', inner: ['192.168.0.0/24'] },
      { name: 'b', ip: '10.1.0.1', region: 'B', inner: ['192.169.0.0/24'] },
    ],
    traffic: { flows: Array.from({ length: 16 }, (_, i) => ({ src: '192.168.0.1', dst: '192.169.0.1', sport: 3000 + i })) },
    failures: [{ type: 'link-down', atMs: FAIL_AT, durationMs: 4000, links: [['A-br1', 'B-br1']] }],
  });
  const w = buildWorld(s);
  const names = (i: number) => w.flows[i].segments.map((g) => `${w.vteps[g.from].name}>${w.vteps[g.to].name}`).join(' ');
  t.equal(names(0), 'a>gwA gwA>gwB gwB>b', 'three segments through both gateways');
  let zp: ReturnType<typeof zooroutePolicy> | undefined;
  const zr = runMode(w, new VirtualClock(), (ctx) => (zp = zooroutePolicy(ctx, s.control ?? {})));
  const segs = w.flows[0].segments;
  t.same(segs.map((g) => zp!.tableFor(g)), ['redirect', 'pbm', 'hi'], 'host: redirect; gateway to gateway: PBM; gateway to host: HI');
  t.not(zp!.controlFor(segs[1]), zp!.controlFor(segs[2]), 'a gateway runs one control plane per table kind');
  // Each hop picks among its own next VTEP's candidates.
  for (const g of segs) {
    const port = zp!.controlFor(g).sourcePort(w.vteps[g.to].ip, w.flows[0].hash);
    t.ok(w.candidates(w.vteps[g.to].ip).includes(port), `${w.vteps[g.from].name} uses a candidate towards ${w.vteps[g.to].name}`);
  }
  const st = runMode(w, new VirtualClock(), () => staticPolicy(w));
  const from = FAIL_AT / BIN_MS, to = (FAIL_AT + 4000) / BIN_MS;
  const hit = w.flows.filter((f) => st.ledger.longestRunMs(f.id, from, to) === 4000);
  t.ok(hit.length > 0, `the long-haul link carries static flows (${hit.length})`);
  const bound = 2 * DEFAULT_CONTROL_CONFIG.probeIntervalMs + DEFAULT_CONTROL_CONFIG.probeTimeoutMs + BIN_MS;
  for (const f of hit) t.ok(zr.ledger.longestRunMs(f.id, from, to) <= bound, `flow ${f.id}: the gateway switched its segment in time`);
});

t.test('modelled CPU above 80% slows the prober down', async (t) => {
  const probes = (cpu: number): number => {
    const s = parseScenario({
      name: 'cpu', seed: 3, durationMs: 20000,
      topology: { kind: 'leaf-spine', leaves: 2, spines: 2 },
      vteps: [
        { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0', cpu },
        { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
      ],
      traffic: { flows: [{ src: '192.168.0.1', dst: '192.168.1.1' }] },
    });
    const w = buildWorld(s);
    let zp: ReturnType<typeof zooroutePolicy> | undefined;
    runMode(w, new VirtualClock(), (ctx) => (zp = zooroutePolicy(ctx, {})));
    return zp!.controlFor(w.flows[0].segments[0]).stats().probesSent;
  };
  const calm = probes(0.2), busy = probes(0.95);
  t.ok(calm > 0);
  t.ok(busy < calm / 2, `busy VTEP sent ${busy} probes, calm one ${calm}`);
});

t.test('a peer that does not probe keeps the default port in zooroute mode', async (t) => {
  const s = scenario({ type: 'link-down', links: [['leaf0', 'spine1']] });
  s.vteps[1].probes = false;
  const st = run(s, 'static');
  const zr = run(s, 'zooroute');
  t.ok(st.out.ledger.outageSeconds() > 0);
  t.same(zr.runs, st.runs, 'same flows out for as long as with a static port');
  t.equal(zr.out.probes.packets, 0, 'nothing probes a plain VTEP');
});

t.test('opportunistic re-hashing counts the retries it needs', async (t) => {
  // Three of four spines black-holed: a random new port works one time in four.
  const s = parseScenario({
    name: 'opp', seed: 4, durationMs: 14000,
    topology: { kind: 'leaf-spine', leaves: 2, spines: 4 },
    vteps: [
      { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
      { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
    ],
    traffic: { flows: Array.from({ length: 40 }, (_, i) => ({ src: '192.168.0.1', dst: '192.168.1.1', sport: 5000 + i })) },
    failures: ['spine1', 'spine2', 'spine3'].map((sw) => ({ type: 'switch-down', atMs: 2000, durationMs: 10000, switch: sw })),
  });
  const w = buildWorld(s);
  const p = opportunisticPolicy(w);
  const out = runMode(w, new VirtualClock(), () => p);
  const r = p.retryStats();
  t.ok(r.episodes > 0, `${r.episodes} episodes`);
  t.ok(r.retriesMean >= 1 && r.retriesMax >= r.retriesMean, `mean ${r.retriesMean}, worst ${r.retriesMax}`);
  t.ok(r.retriesMax >= 2, 'with 3 paths in 4 dead, some flow needs more than one retry');
  const outAt = (ms: number) => w.flows.filter((f) => out.ledger.isOut(f.id, ms / BIN_MS)).length;
  t.ok(outAt(2000) > 0, 'flows are hit');
  t.ok(outAt(11500) < outAt(2000), `re-hashing finds working paths (${outAt(2000)} out at first, ${outAt(11500)} at the end)`);
});
