// The prr mode's rules (docs/simulator.md, "prr"), each pinned: only TCP has a timer; the timer is RFC
// 6298's from the path's RTT (1 s before the first sample), doubling per expiry; only IPv6 TCP flows get
// a new outer port (the flow label is what the VTEP's hash sees change); UDP and IPv4 ports never move.
// And the traffic mix: the generator honours it, and bad values are refused with a ScenarioError.
import t, { type Test } from 'tap';
import { parseScenario, ScenarioError, DEFAULT_MIX, type Scenario } from '../src/sim/scenario.js';
import { buildWorld, BIN_MS, type World } from '../src/sim/world.js';
import { runMode, type PortPolicy } from '../src/sim/engine.js';
import { prrPolicy, prrCanRepath, PRR_DEFAULTS, type PrrPolicy } from '../src/sim/prr-mode.js';
import { staticPolicy } from '../src/sim/static-mode.js';
import { simulate } from '../src/sim/simulate.js';
import { VirtualClock } from '../src/control/clock.js';

const FAIL_AT = 20_000, FAIL_FOR = 10_000;

type Kind = { proto: number; family: 'ipv4' | 'ipv6' };
const KINDS: Record<string, Kind> = { udp4: { proto: 17, family: 'ipv4' }, udp6: { proto: 17, family: 'ipv6' }, tcp4: { proto: 6, family: 'ipv4' }, tcp6: { proto: 6, family: 'ipv6' } };

/** 16 flows of each kind between two VTEPs over 4 spines; `failure` overrides the spine black hole. */
function scenario(opts: { failure?: Record<string, unknown>; linkLatencyMs?: number; startMs?: number } = {}): Scenario {
  const flows = Object.values(KINDS).flatMap((k, j) => Array.from({ length: 16 }, (_, i) => ({
    src: '192.168.0.1', dst: '192.168.1.1', sport: 20000 + 100 * j + i, dport: 443, ratePps: 100, ...k,
    ...(opts.startMs !== undefined ? { startMs: opts.startMs } : {}),
  })));
  return parseScenario({
    name: 'prr', seed: 5, durationMs: 40_000,
    topology: { kind: 'leaf-spine', leaves: 2, spines: 4, ...(opts.linkLatencyMs ? { link: { latencyMs: opts.linkLatencyMs } } : {}) },
    vteps: [
      { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
      { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
    ],
    traffic: { flows },
    failures: [{ name: 'f', atMs: FAIL_AT, durationMs: FAIL_FOR, ...(opts.failure ?? { type: 'switch-down', switch: 'spine0' }) }],
  });
}

/** Run prr, recording every port each flow's first segment used, per bin. */
function runPrr(w: World): { p: PrrPolicy; ports: number[][]; outage: number } {
  const ports: number[][] = w.flows.map(() => []);
  let p!: PrrPolicy;
  const out = runMode(w, new VirtualClock(), (ctx) => {
    p = prrPolicy(ctx);
    const wrapped: PortPolicy = { ...p, port: (f, k, s) => { const x = p.port(f, k, s); if (k === 0) ports[f.id].push(x); return x; } };
    return wrapped;
  });
  return { p, ports, outage: out.ledger.outageSeconds() };
}

const crossesSpine0 = (w: World, id: number, port: number): boolean => {
  const f = w.flows[id], s = f.segments[0];
  const spine0 = w.graph.node('spine0');
  return [...w.underlay.path(w.vteps[s.from].node, w.vteps[s.to].node, port)].some((l) => w.graph.to[l] === spine0);
};

t.test('UDP and IPv4 flows never change port under prr; UDP has no timer at all', async (t) => {
  const w = buildWorld(scenario());
  const { p, ports } = runPrr(w);
  const hit = w.flows.filter((f) => crossesSpine0(w, f.id, ports[f.id][0]));
  for (const kind of ['udp4', 'udp6', 'tcp4']) {
    const k = KINDS[kind];
    const own = hit.filter((f) => f.proto === k.proto && f.family === k.family);
    t.ok(own.length > 0, `${kind}: ${own.length} flows cross the dead spine`);
    for (const f of w.flows.filter((x) => x.proto === k.proto && x.family === k.family)) {
      t.ok(!prrCanRepath(f), `${kind} flow ${f.id} cannot re-path`);
      t.same(new Set(ports[f.id]).size, 1, `${kind} flow ${f.id} keeps one port for the whole run`);
    }
  }
  const udp = new Set(w.flows.filter((f) => f.proto === 17).map((f) => f.id));
  t.equal(p.timeouts.filter((e) => udp.has(e.flow)).length, 0, 'no UDP flow ever times out');
  const tcp4 = new Set(hit.filter((f) => f.proto === 6 && f.family === 'ipv4').map((f) => f.id));
  const t4 = p.timeouts.filter((e) => tcp4.has(e.flow));
  t.ok(t4.length >= tcp4.size, 'IPv4 TCP flows on the dead spine do time out');
  t.ok(t4.every((e) => !e.rehashed), 'but an IPv4 timeout draws no new label');
});

t.test('an IPv6 TCP flow re-rolls its port after an RTO of max(200 ms, SRTT + 4 RTTVAR) and escapes', async (t) => {
  const w = buildWorld(scenario());
  const { p, ports } = runPrr(w);
  const hit = w.flows.filter((f) => prrCanRepath(f) && crossesSpine0(w, f.id, ports[f.id][0]));
  t.ok(hit.length > 0, `${hit.length} IPv6 TCP flows start on the dead spine`);
  const failBin = FAIL_AT / BIN_MS, endBin = (FAIL_AT + FAIL_FOR) / BIN_MS;
  for (const f of hit) {
    const mine = p.timeouts.filter((e) => e.flow === f.id);
    t.ok(mine.length > 0, `flow ${f.id} timed out`);
    // Datacenter RTT (< 1 ms) puts the RTO at Linux's 200 ms floor; the first expiry closes the bin
    // that ends 200 ms after the loss began.
    t.equal(mine[0].rtoMs, PRR_DEFAULTS.minRtoMs, `flow ${f.id}: first RTO is the 200 ms floor`);
    t.equal(mine[0].atMs, FAIL_AT + 200, `flow ${f.id}: first RTO at loss + 200 ms`);
    t.ok(mine.every((e) => e.rehashed), `flow ${f.id}: every RTO draws a new label`);
    t.not(ports[f.id][failBin + 2], ports[f.id][0], `flow ${f.id}: a new port in the bin after the RTO`);
    t.notOk(crossesSpine0(w, f.id, ports[f.id][endBin - 1]), `flow ${f.id}: off the dead spine before the failure ends`);
  }
  t.ok(p.stats().rehashes > 0 && p.stats().rehashes === p.timeouts.filter((e) => e.rehashed).length, 'rehashes counted');
});

t.test('the RTO doubles per retry while nothing gets through', async (t) => {
  // The destination's access link: every path is dead, so no re-roll helps and the timer keeps backing off.
  const w = buildWorld(scenario({ failure: { type: 'endpoint', vtep: 'b' } }));
  const { p } = runPrr(w);
  const tcp6 = w.flows.find((f) => prrCanRepath(f))!;
  const seq = p.timeouts.filter((e) => e.flow === tcp6.id);
  t.same(seq.map((e) => e.rtoMs), [200, 400, 800, 1600, 3200], 'RTO 200, 400, 800, 1600, 3200 ms within the 10 s failure');
  for (let i = 1; i < seq.length; i++) t.equal(seq[i].atMs - seq[i - 1].atMs, seq[i - 1].rtoMs * 2, `retry ${i + 1} comes one doubled RTO after retry ${i}`);
  const tcp4 = w.flows.find((f) => f.proto === 6 && f.family === 'ipv4')!;
  t.same(p.timeouts.filter((e) => e.flow === tcp4.id).map((e) => e.rtoMs), [200, 400, 800, 1600, 3200], 'IPv4 TCP backs off the same way');
  t.equal(p.stats().retriesMax, 5);
});

t.test('the RTO comes from the path RTT once sampled, and is 1 s before any sample', async (t) => {
  // 60 ms per fabric link: one way 120.02 ms, RTT 240.04 ms, above the 200 ms floor; RTTVAR has decayed
  // over 200 samples.
  const w = buildWorld(scenario({ failure: { type: 'endpoint', vtep: 'b' }, linkLatencyMs: 60 }));
  const { p } = runPrr(w);
  const first = p.timeouts.find((e) => e.flow === w.flows.find(prrCanRepath)!.id)!;
  t.ok(Math.abs(first.rtoMs - 240.04) < 0.01, `first RTO ${first.rtoMs} ms = SRTT + 4 RTTVAR of a 240.04 ms RTT`);
  // Flows starting inside the failure have no sample: RFC 6298's initial 1 s.
  const late = buildWorld(scenario({ failure: { type: 'endpoint', vtep: 'b' }, startMs: FAIL_AT + 1000 }));
  const r = runPrr(late);
  const f = late.flows.find(prrCanRepath)!;
  t.same(r.p.timeouts.filter((e) => e.flow === f.id).map((e) => e.rtoMs), [1000, 2000, 4000], 'initial RTO 1 s, then 2 s, 4 s');
});

t.test('simulate reports prr beside the other modes', async (t) => {
  const s = scenario();
  const r = simulate(s);
  t.same(Object.keys(r.modes), ['zooroute', 'static', 'opportunistic', 'prr']);
  t.same(Object.keys(r.outageCutVsStatic), ['zooroute', 'opportunistic', 'prr']);
  const p = r.modes.prr;
  t.equal(p.tcpFlows, 32); t.equal(p.repathableFlows, 16);
  t.ok(p.outageSeconds < r.modes.static.outageSeconds, 'prr saves the IPv6 TCP flows');
  t.ok(p.outageSeconds > r.modes.opportunistic.outageSeconds, 'the ideal re-hash saves everyone: it bounds prr');
  // Static's outage minus what the IPv6 TCP flows lost: the other flows are out exactly as in static.
  const w = buildWorld(s);
  const st = runMode(w, new VirtualClock(), () => staticPolicy(w));
  const others = w.flows.filter((f) => !prrCanRepath(f));
  const pr = runPrr(w);
  t.ok(pr.outage >= sumOut(st.ledger, others), 'prr never helps a flow it cannot re-path');
});

function sumOut(ledger: { longestRunMs(flow: number, from: number, to: number): number }, flows: { id: number }[]): number {
  // Every hit flow that cannot move is out for the whole failure in static mode.
  return flows.reduce((n, f) => n + ledger.longestRunMs(f.id, FAIL_AT / BIN_MS, (FAIL_AT + FAIL_FOR) / BIN_MS) / 1000, 0);
}

function genScenario(mix?: Record<string, unknown>): unknown {
  return {
    name: 'mix', seed: 3, durationMs: 1000,
    topology: { kind: 'leaf-spine', leaves: 4, spines: 2 },
    vteps: [{ name: 'h', ip: '10.0.0.1', inner: ['192.168.0.1'], count: 200 }],
    traffic: { generator: { maxPeerShare: 0.25, flowsPerPeer: 4, ...(mix ? { mix } : {}) } },
  };
}

/** Share within 4 standard deviations of a binomial(n, p). */
function near(t: Test, got: number, n: number, p: number, what: string): void {
  const sd = Math.sqrt(n * p * (1 - p));
  t.ok(Math.abs(got - n * p) <= 4 * sd + 1, `${what}: ${got} of ${n}, expected ${(n * p).toFixed(0)} +- ${(4 * sd).toFixed(0)}`);
}

t.test('the generator honours the mix, and has a stated default', async (t) => {
  for (const mix of [{ tcp: 0.7, ipv6: 0.4 }, { tcp: 1, ipv6: 0 }, { tcp: 0, ipv6: 1 }, undefined]) {
    const w = buildWorld(parseScenario(genScenario(mix)));
    const n = w.flows.length;
    t.ok(n > 1000, `${n} flows`);
    const want = { ...DEFAULT_MIX, ...mix };
    near(t, w.flows.filter((f) => f.proto === 6).length, n, want.tcp, `TCP, mix ${JSON.stringify(mix)}`);
    near(t, w.flows.filter((f) => f.family === 'ipv6').length, n, want.ipv6, `IPv6, mix ${JSON.stringify(mix)}`);
    t.ok(w.flows.every((f) => f.proto === 6 || f.proto === 17), 'TCP or UDP only');
  }
  // The mix draws from its own stream: who talks to whom does not depend on it.
  const a = buildWorld(parseScenario(genScenario({ tcp: 0.2 }))), b = buildWorld(parseScenario(genScenario({ tcp: 0.9, ipv6: 0.9 })));
  t.same(a.flows.map((f) => [f.srcInner, f.dstInner, f.sport]), b.flows.map((f) => [f.srcInner, f.dstInner, f.sport]), 'same pairs and ports');
});

t.test('bad mix, family and prr values are refused with a ScenarioError naming the field', async (t) => {
  const bad: [unknown, string, RegExp][] = [
    [{ tcp: 1.5 }, 'traffic.generator.mix.tcp', /between 0 and 1, got 1.5/],
    [{ ipv6: -0.1 }, 'traffic.generator.mix.ipv6', /between 0 and 1/],
    [{ tcp: '80%' }, 'traffic.generator.mix.tcp', /between 0 and 1, got "80%"/],
    [{ udp: 0.2 }, 'traffic.generator.mix.udp', /unknown field/],
    [0.8, 'traffic.generator.mix', /expected an object/],
  ];
  for (const [mix, field, reason] of bad) {
    const s = genScenario() as { traffic: { generator: Record<string, unknown> } };
    s.traffic.generator.mix = mix;
    refused(t, s, field, reason);
  }
  const flow = scenario() as unknown as { traffic: { flows: Record<string, unknown>[] } };
  flow.traffic.flows[0].family = 'ipv5';
  refused(t, flow, 'traffic.flows[0].family', /"ipv4" or "ipv6", got "ipv5"/);
  refused(t, { ...(scenario() as object), prr: { minRtoMs: 500, maxRtoMs: 100 } }, 'prr.maxRtoMs', /at least minRtoMs \(500\)/);
  refused(t, { ...(scenario() as object), prr: { rto: 1 } }, 'prr.rto', /unknown field/);
});

function refused(t: Test, s: unknown, field: string, reason: RegExp): void {
  try {
    parseScenario(s);
    t.fail(`${field}: accepted`);
  } catch (e) {
    t.ok(e instanceof ScenarioError, `${field}: a ScenarioError`);
    const x = e as ScenarioError;
    t.equal(x.field, field);
    t.match(x.reason, reason);
  }
}
