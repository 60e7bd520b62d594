// The stateful middlebox model: instance choice by outer 5-tuple, resets when a session moves,
// source-port learning, and BackendIDs reaching the prober in zooroute mode.
import t from 'tap';
import { Middlebox } from '../src/sim/middlebox.js';
import { parseScenario } from '../src/sim/scenario.js';
import { buildWorld } from '../src/sim/world.js';
import { runMode } from '../src/sim/engine.js';
import { zooroutePolicy, type ZooroutePolicy } from '../src/sim/zooroute-mode.js';
import { VirtualClock } from '../src/control/clock.js';

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
