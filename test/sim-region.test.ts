// The region-scale scenario family (examples/make-region-scale.ts) at a small size: it builds the
// fabric and VTEPs it says, carries the talk's failure types, runs, probes only peers with tenant
// traffic (on-demand), and gives the same JSON for the same seed. The committed 10k example is the
// generator's output.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { regionScaleScenario, GATEWAYS_PER_REGION } from '../examples/make-region-scale.js';
import { parseScenario } from '../src/sim/scenario.js';
import { buildWorld } from '../src/sim/world.js';
import { runMode } from '../src/sim/engine.js';
import { zooroutePolicy } from '../src/sim/zooroute-mode.js';
import { simulate } from '../src/sim/simulate.js';
import { VirtualClock } from '../src/control/clock.js';
import type { ControlConfig } from '../src/control/config.js';

const SIZE = 60;

t.test('the family builds the VTEPs, gateways and failure types it says', async (t) => {
  const s = parseScenario(regionScaleScenario(SIZE));
  const w = buildWorld(s);
  t.equal(w.vteps.length, SIZE, 'VTEPs as asked');
  t.equal(w.vteps.filter((v) => v.role === 'gateway').length, 2 * GATEWAYS_PER_REGION, 'gateways in both regions');
  t.same(new Set(w.vteps.map((v) => v.region)), new Set(['A', 'B']), 'two regions');
  t.same(w.failures.map((f) => f.type), ['burst', 'card', 'border-routers', 'link-down', 'loss'], 'the talk\'s top failure types, one each');
  for (const f of w.failures) t.ok(f.links.length > 0, `${f.name} hits links`);
  const hosts = w.vteps.filter((v) => v.role === 'host').length;
  const senders = new Set(w.flows.map((f) => f.segments[0].from)).size;
  t.ok(senders > 0 && senders < hosts, `a minority of hosts send (${senders} of ${hosts})`);
  t.ok(w.flows.some((f) => f.segments.length === 3), 'cross-region flows go host -> gateway -> gateway -> host');
  t.throws(() => regionScaleScenario(10), RangeError, 'too small a size is refused');
});

t.test('zooroute probes only the peers its VTEPs carry tenant traffic to', async (t) => {
  const s = parseScenario(regionScaleScenario(SIZE));
  const w = buildWorld(s, 2);
  const segPairs = new Set<string>();
  for (const f of w.flows) for (const g of f.segments) segPairs.add(`${g.from}>${g.to}`);
  const sent = new Set<string>();
  let zp: ReturnType<typeof zooroutePolicy> | undefined;
  runMode(w, new VirtualClock(), (ctx) => {
    // The mode's transport posts by VTEP index (postIndex; post goes through it too).
    const postIndex = ctx.net.postIndex.bind(ctx.net);
    ctx.net.postIndex = (from, to, sport, payload, sink) => { sent.add(`${from}>${to}`); postIndex(from, to, sport, payload, sink); };
    return (zp = zooroutePolicy(ctx, (s.control ?? {}) as Partial<ControlConfig>));
  });
  t.ok(sent.size > 0, 'probes were sent');
  // A request goes along a segment, its reply back along it.
  const stray = [...sent].filter((p) => { const [a, b] = p.split('>'); return !segPairs.has(p) && !segPairs.has(`${b}>${a}`); });
  t.same(stray, [], 'every probe is between the ends of a segment that carries tenant traffic');
  t.equal(zp!.activePairs(), segPairs.size, 'the probed pairs are exactly the segments in use');
  const v = w.vteps.length;
  t.ok(segPairs.size < 0.25 * v * (v - 1), `far fewer than the full mesh (${segPairs.size} of ${v * (v - 1)} ordered pairs)`);
});

t.test('same seed, same JSON; the seed matters', async (t) => {
  const s = parseScenario(regionScaleScenario(SIZE));
  const a = JSON.stringify(simulate(s, { seed: 3 }));
  t.equal(JSON.stringify(simulate(s, { seed: 3 })), a, 'byte for byte');
  t.not(JSON.stringify(simulate(s, { seed: 4 })), a, 'another seed, another run');
  const r = JSON.parse(a) as ReturnType<typeof simulate>;
  t.equal(r.vteps, SIZE);
  t.ok(r.modes.static.outageSeconds > 0, 'the failures put static flows out');
  t.ok(r.probes.reduction > 0.95, `on-demand probing cuts the full mesh's cost by > 95% (${r.probes.reduction})`);
});

t.test('examples/region-scale.json is the generator\'s 10k output', async (t) => {
  const committed = readFileSync(new URL('../examples/region-scale.json', import.meta.url), 'utf8');
  t.equal(committed, JSON.stringify(regionScaleScenario(10_000), null, 2) + '\n');
  t.equal(buildWorld(parseScenario(JSON.parse(committed)), 1, { withoutTraffic: true }).vteps.length, 10_000, '10,000 VTEPs');
});
