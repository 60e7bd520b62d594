// The stateful middlebox model: instance choice by outer 5-tuple, resets when a session moves,
// source-port learning, and BackendIDs reaching the prober in zooroute mode.
import t from 'tap';
import { Middlebox } from '../src/sim/middlebox.js';
import { parseScenario } from '../src/sim/scenario.js';
import { buildWorld } from '../src/sim/world.js';
import { runMode } from '../src/sim/engine.js';
import { zooroutePolicy, type ZooroutePolicy } from '../src/sim/zooroute-mode.js';
import { VirtualClock } from '../src/control/clock.js';
import { simulate } from '../src/sim/simulate.js';

t.test('sessions, resets and watched ports', async (t) => {
  const m = new Middlebox(0x0a000101, 4, 7);
  const src = 0x0a000001;
  const ports = Array.from({ length: 64 }, (_, i) => 49152 + i * 97);
  const inst = ports.map((p) => m.instanceFor(src, p));
  t.same(inst, ports.map((p) => m.instanceFor(src, p)), 'deterministic');
  t.equal(new Set(inst).size, 4, 'ports spread over every instance');
  const key = (sport: number) => ({ outerSrc: src, outerSport: sport, innerDst: 0xac100001, innerDport: 443 });
  t.equal(m.onData(1, key(ports[0])), false, 'a new session');
  t.equal(m.onData(1, key(ports[0])), false, 'same session again');
  const same = ports.find((p, i) => i > 0 && inst[i] === inst[0])!;
  const other = ports.find((_, i) => inst[i] !== inst[0])!;
  t.equal(m.onData(1, key(same)), false, 'another port on the same instance keeps the session');
  t.equal(m.onData(1, key(other)), true, 'a port on another instance resets it');
  t.equal(m.resets, 1);
  m.onData(2, key(ports[5]));
  const w = m.watchedPorts();
  t.same([...w.keys()], [src]);
  t.same([...w.get(src)!].sort(), [other, ports[5]].sort(), 'the ports in the session tables now');
});

t.test('zooroute: probe replies carry the instance MACs, so ports group by backend', async (t) => {
  const s = parseScenario({
    name: 'mb', seed: 2, durationMs: 3000,
    topology: { kind: 'leaf-spine', leaves: 2, spines: 2 },
    control: { probeMode: 'full' },
    vteps: [
      { name: 'c', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
      { name: 'slb', ip: '10.0.0.9', inner: ['172.16.0.0/24'], attach: 'leaf1', middlebox: { instances: 3 } },
    ],
    traffic: { flows: [{ src: '192.168.0.1', dst: '172.16.0.10', dport: 443 }] },
  });
  const w = buildWorld(s);
  let zp: ZooroutePolicy | undefined;
  runMode(w, new VirtualClock(), (ctx) => (zp = zooroutePolicy(ctx, s.control ?? {})));
  const ctl = zp!.controls()[0]; // the client's (the middlebox VTEP answers but has no peers of its own)
  const view = ctl.ports(w.vteps[1].ip);
  const groups = new Set(view.map((p) => p.group));
  t.equal(groups.size, 3, `ports fall into one group per instance (${[...groups].join(',')})`);
  // Ports in one group are exactly the ports the middlebox hashes to one instance.
  const m = new Middlebox(w.vteps[1].ip, 3, w.seed);
  let mismatches = 0;
  for (const a of view) for (const b of view) {
    if ((a.group === b.group) !== (m.instanceFor(w.vteps[0].ip, a.sport) === m.instanceFor(w.vteps[0].ip, b.sport))) mismatches++;
  }
  t.equal(mismatches, 0, 'same group <=> same instance, for every pair of ports');
});

t.test('simulate: with middlebox sensing, sessions whose port fails keep their backend; the share without is reported', async (t) => {
  // 6 client hosts, 60 sessions to an SLB with 3 instances; a spine fails silently for 4 s, so about
  // a quarter of the candidate ports black-hole and the sessions on them must move.
  const hosts = 6;
  const scenario = (probeMode: 'full' | 'partial') => parseScenario({
    name: 'sensing', seed: 3, durationMs: 9000, control: { probeMode },
    topology: { kind: 'leaf-spine', leaves: 4, spines: 4 },
    vteps: [
      { name: 'h', count: hosts, ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
      { name: 'slb', ip: '10.0.9.1', inner: ['172.16.0.0/24'], attach: 'leaf3', middlebox: { instances: 3 } },
    ],
    traffic: {
      flows: Array.from({ length: 60 }, (_, i) => ({
        src: `192.168.${i % hosts}.${1 + Math.floor(i / hosts)}`, dst: '172.16.0.10', sport: 20000 + i, dport: 443, ratePps: 50, tenant: `t${i % 3}`,
      })),
    },
    failures: [{ name: 'spine1 down', type: 'switch-down', atMs: 3000, durationMs: 4000, switch: 'spine1' }],
  });
  const r = simulate(scenario('full'));
  const withS = r.middlebox.sensing, without = r.middlebox.noSensing!;
  t.ok(withS.moves >= 10, `sessions moved port when their port failed (${withS.moves})`);
  t.equal(withS.resets, 0, `with sensing no moved session landed on another instance (${withS.moves} moved)`);
  t.ok(without.resets > 0, `without sensing some did (${without.resets} of ${without.moves})`);
  t.comment(`full probing: SLB sessions kept on their instance: ${(100 * (withS.keptShare ?? 0)).toFixed(1)}% with middlebox sensing, ${(100 * (without.keptShare ?? 0)).toFixed(1)}% without`);
  // Partial probing knows the groups of the ports in use and of the backups only; backups cover the
  // in-use ports' groups (scouting unprobed ports for a group with no known spare).
  const p = simulate(scenario('partial'));
  const pw = p.middlebox.sensing, po = p.middlebox.noSensing!;
  t.ok(pw.moves >= 10, `partial probing: sessions moved (${pw.moves})`);
  t.ok(pw.resets < po.resets, `partial probing: sensing resets fewer sessions (${pw.resets} of ${pw.moves}, against ${po.resets} of ${po.moves})`);
  t.comment(`partial probing: ${(100 * (pw.keptShare ?? 0)).toFixed(1)}% kept with sensing, ${(100 * (po.keptShare ?? 0)).toFixed(1)}% without`);
});
