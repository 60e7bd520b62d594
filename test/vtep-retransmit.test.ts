// The retransmission trigger in the live datapath: a Vtep with control.retransmitTrigger marks its
// tenants' TCP retransmissions in Wasm after encap (Datapath.markRetransmits) and reports each to the
// control plane (VtepControl.noteRetransmission) with the peer and the outer source port it left on.
// Two Vteps on a virtual clock joined by an in-memory underlay, as in test/vtep-facade.test.ts.
import t from 'tap';
import { Vtep, VirtualClock, type FrameBatch, type VtepEvent } from '../src/control/index.js';
import { parseIPv4 } from '../bindings/index.js';
import { ethernet, ipv4, tcp } from '../src/reference/frames.js';
import { putBe32 } from '../src/reference/bytes.js';
import { parseAgentConfig } from '../src/agent/index.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => i * 5 + 1);
const IP_A = '192.168.1.2', IP_B = '192.168.2.2';
const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 0xaa), MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 0xab);
const PEER_B = parseIPv4(IP_B);

const copyAll = (f: FrameBatch): Uint8Array[] => Array.from({ length: f.length }, (_, i) => Uint8Array.from(f.frame(i)));
const outerSport = (f: Uint8Array): number => (f[34] << 8) | f[35];
/** Tenant VXLAN (VNI 42) as opposed to probes. */
const isData = (f: Uint8Array): boolean => f.length > 50 && f[46] === 0 && f[47] === 0 && f[48] === 42;

/** A tenant TCP segment from A's VM to B's (or to `dst`): inner source port `flow`, sequence number `seq`, `len` bytes of data. */
function segment(flow: number, seq: number, len: number, dst: Uint8Array = MAC_B): Uint8Array {
  const s = tcp(flow, 443, new Uint8Array(len).fill(0x55));
  putBe32(s, 4, seq);
  return ethernet(dst, MAC_A, 0x0800, ipv4({ src: 0x0a010001, dst: 0x0a010002, proto: 6 }, s));
}

interface Side { vtep: Vtep; wire: Uint8Array[]; events: VtepEvent[] }

const ipOf = (k: number): string => `192.168.${k + 1}.2`;
const macOf = (k: number): Uint8Array => Uint8Array.of(2, 0, 0, 0, 0, 0xaa + k);

/**
 * VTEPs 0..n-1 (A = 0 at 192.168.1.2, B = 1 at 192.168.2.2, ...), each the others' peer, VM MACs
 * macOf(k); underlay frames go to their outer destination on the next pump, except A's that `drop` names.
 */
function mesh(clock: VirtualClock, retransmitTrigger: boolean, n = 2): { sides: Side[]; run: (ms: number) => void; drop: { a: (f: Uint8Array) => boolean } } {
  const inflight: Uint8Array[][] = [];
  const drop = { a: (_f: Uint8Array): boolean => false };
  const byIp = new Map<number, Side>();
  const sides = Array.from({ length: n }, (_, k): Side => {
    const s = { wire: [], events: [] } as unknown as Side;
    s.vtep = new Vtep({
      clock, localIp: ipOf(k), localMac: Uint8Array.of(2, 0, 0, 0, 1, k), gatewayMac: '02:00:00:00:01:01', vni: 42, secret: SECRET,
      control: { probeMode: 'full', retransmitTrigger },
      sendUnderlay: (f) => {
        const frames = copyAll(f);
        s.wire.push(...frames);
        inflight.push(k === 0 ? frames.filter((x) => !drop.a(x)) : frames);
      },
      deliverTenant: () => undefined,
      onEvent: (e) => s.events.push(e),
    });
    byIp.set(parseIPv4(ipOf(k)), s);
    return s;
  });
  sides.forEach((s, k) => sides.forEach((_, j) => { if (j !== k) s.vtep.addPeer(ipOf(j), { macs: [macOf(j)] }); }));
  const pump = (): void => {
    for (const frames of inflight.splice(0)) {
      for (const f of frames) byIp.get(((f[30] << 24) | (f[31] << 16) | (f[32] << 8) | f[33]) >>> 0)?.vtep.receiveUnderlay([f]);
    }
  };
  const run = (ms: number): void => { for (let i = 0; i < ms; i += 5) { clock.advance(5); pump(); pump(); } };
  return { sides, run, drop };
}

/** Vteps A and B of a mesh of two. */
function pair(clock: VirtualClock, retransmitTrigger: boolean): { a: Side; b: Side; run: (ms: number) => void; drop: { a: (f: Uint8Array) => boolean } } {
  const { sides: [a, b], run, drop } = mesh(clock, retransmitTrigger);
  return { a: a!, b: b!, run, drop };
}

for (const trigger of [true, false]) {
  t.test(`trigger ${trigger ? 'on' : 'off'}: a repeated segment ${trigger ? 'is reported once, on its port' : 'is not looked at'}`, async (t) => {
    const clock = new VirtualClock(0);
    const { a, b, run } = pair(clock, trigger);
    a.vtep.start(); b.vtep.start();
    a.vtep.encapTenant([segment(9, 1, 10)]); // tenant traffic: the peer is probed
    run(1500); // every port answered: the control plane takes reports only on ports it has seen work
    t.equal(a.vtep.control.ports(PEER_B).filter((p) => p.state === 'good').length, 32, 'every port to B good');
    const retransmits = (): number => a.vtep.control.stats().retransmits;

    a.vtep.encapTenant([segment(1000, 5000, 100), segment(1000, 5100, 100), segment(2000, 7, 0), segment(2000, 7, 50)]);
    t.equal(retransmits(), 0, 'new data, a pure ACK and its flow\'s first data: nothing');
    run(20);
    a.vtep.encapTenant([segment(1000, 5000, 100)]);
    t.equal(retransmits(), 0, 'a repeat 20 ms after the flow\'s last new data (a fast retransmit, the flow still moving): nothing');
    run(180); // the flow has sent nothing new for 200 ms: the tenant's retransmission timer (min RTO 200 ms)
    const sentBefore = a.vtep.metrics().peers[0].probe.sent;
    a.vtep.encapTenant([segment(1000, 5000, 100), segment(2000, 57, 20)]);
    const repeatPort = outerSport(a.wire.filter(isData).at(-2)!);
    t.equal(retransmits(), trigger ? 1 : 0, trigger ? 'the repeat counted, the other flow\'s new data not' : 'no report without the trigger');
    if (trigger) {
      const port = a.vtep.control.ports(PEER_B).find((p) => p.sport === repeatPort)!;
      t.ok(port !== undefined && port.state === 'good', 'the port is still up: one report is never enough');
      run(5);
      t.ok(a.vtep.metrics().peers[0].probe.sent > sentBefore, 'a confirming probe left');
    }
    run(300);
    t.equal(a.vtep.control.ports(PEER_B).filter((p) => p.state === 'good').length, 32, 'its probe answered: every port still good');
    t.notOk(a.events.some((e) => e.type === 'port-down'), 'no port went down');
    a.vtep.encapTenant([segment(1000, 5200, 100)]);
    run(200);
    a.vtep.encapTenant([segment(1000, 5200, 100)]);
    t.equal(retransmits(), trigger ? 2 : 0, 'a later repeat after a stall counts again once the port is clear');
    a.vtep.stop(); b.vtep.stop();
  });
}

t.test('a peer removed and added again (its row reused) starts with none of its old flows', async (t) => {
  const clock = new VirtualClock(0);
  const { a, b, run } = pair(clock, true);
  a.vtep.start(); b.vtep.start();
  a.vtep.encapTenant([segment(9, 1, 10)]);
  run(1500);
  const retransmits = (): number => a.vtep.control.stats().retransmits;
  a.vtep.encapTenant([segment(1000, 5000, 100)]);
  const row = a.vtep.control.peerRow(PEER_B);
  a.vtep.removePeer(IP_B);
  a.vtep.addPeer(IP_B, { macs: [MAC_B] });
  t.equal(a.vtep.control.peerRow(PEER_B), row, 'the same row again');
  a.vtep.encapTenant([segment(9, 11, 10)]);
  run(1500); // probed afresh: reports are taken again once its ports answer
  t.equal(a.vtep.control.ports(PEER_B).filter((p) => p.state === 'good').length, 32, 'every port to B good again');
  a.vtep.encapTenant([segment(1000, 5000, 100)]);
  t.equal(retransmits(), 0, 'the same segment after the re-add is its flow\'s first, not a repeat');
  run(200); // a timeout's repeat: the flow sent nothing new for 200 ms
  a.vtep.encapTenant([segment(1000, 5000, 100)]);
  t.equal(retransmits(), 1, 'sent again: a repeat');
  a.vtep.stop(); b.vtep.stop();
});

/** Virtual ms from the start of a black hole on a flow's port until the port goes down (the flow's segment repeated at 200 ms). */
function blackHole(trigger: boolean): { downMs: number; retransmits: number } {
  const clock = new VirtualClock(0);
  const { a, b, run, drop } = pair(clock, trigger);
  a.vtep.start(); b.vtep.start();
  a.vtep.encapTenant([segment(9, 1, 10)]);
  run(1500);
  a.vtep.encapTenant([segment(3000, 1, 500)]);
  const sport = outerSport(a.wire.filter(isData).at(-1)!);
  drop.a = (f) => outerSport(f) === sport;
  const lostAt = clock.now();
  run(200); // the tenant's retransmission timer (min RTO 200 ms)
  a.vtep.encapTenant([segment(3000, 1, 500)]);
  const retransmits = a.vtep.control.stats().retransmits;
  const until = clock.now() + 5000;
  while (clock.now() < until && !a.events.some((e) => e.type === 'port-down' && e.sport === sport)) run(5);
  const down = a.events.some((e) => e.type === 'port-down' && e.sport === sport);
  a.vtep.stop(); b.vtep.stop();
  return { downMs: down ? clock.now() - lostAt : Infinity, retransmits };
}

t.test('a black-holed port goes down sooner with the trigger: the repeat and the probe it causes are both lost', async (t) => {
  const on = blackHole(true), off = blackHole(false);
  t.equal(on.retransmits, 1, 'the repeat reported');
  t.equal(off.retransmits, 0, 'nothing reported without the trigger');
  t.ok(Number.isFinite(on.downMs) && Number.isFinite(off.downMs), 'the port went down either way');
  t.ok(on.downMs < off.downMs, `sooner with the trigger: ${on.downMs} ms vs ${off.downMs} ms (virtual clock)`);
});

t.test('a segment flooded to every peer (unknown destination MAC) is one segment to each, not a repeat', async (t) => {
  const clock = new VirtualClock(0);
  const { sides: [a, b, c], run } = mesh(clock, true, 3);
  for (const s of [a!, b!, c!]) s.vtep.start();
  a!.vtep.encapTenant([segment(9, 1, 10), segment(9, 11, 10, macOf(2))]);
  run(1500);
  for (const k of [1, 2]) t.equal(a!.vtep.control.ports(parseIPv4(ipOf(k))).filter((p) => p.state === 'good').length, 32, `every port to peer ${k} good`);
  const unknown = Uint8Array.of(2, 0, 0, 0, 0, 0x77);
  const before = a!.vtep.counters.encapPackets;
  a!.vtep.encapTenant([segment(4000, 100, 200, unknown)]);
  t.equal(a!.vtep.counters.encapPackets - before, 2, 'flooded to both peers');
  t.equal(a!.vtep.control.stats().retransmits, 0, 'no report');
  run(200);
  a!.vtep.encapTenant([segment(4000, 100, 200, unknown)]);
  t.equal(a!.vtep.control.stats().retransmits, 2, 'sent again: a repeat towards each peer');
  for (const s of [a!, b!, c!]) s.vtep.stop();
});

t.test('the agent\'s JSON config sets it: control.retransmitTrigger', async (t) => {
  const base = {
    vmIface: 'vm0', underlay: { iface: 'up0', localIp: IP_A, gatewayMac: '02:00:00:00:01:01' }, vni: 42,
    secret: '00112233445566778899aabbccddeeff', peers: [{ ip: IP_B }],
  };
  t.equal(parseAgentConfig(JSON.stringify(base)).control.retransmitTrigger, true, 'on by default');
  t.equal(parseAgentConfig(JSON.stringify({ ...base, control: { retransmitTrigger: false } })).control.retransmitTrigger, false, 'off when asked (the talk\'s design)');
  t.throws(() => parseAgentConfig(JSON.stringify({ ...base, control: { retransmitTrigger: 'yes' } })), /retransmitTrigger must be a boolean/, 'a non-boolean refused');
  t.equal(parseAgentConfig(JSON.stringify(base)).control.retransmitStallMs, 100, 'a repeat is reported after 100 ms without new data by default');
  t.equal(parseAgentConfig(JSON.stringify({ ...base, control: { retransmitStallMs: 250 } })).control.retransmitStallMs, 250, 'the stall set');
  for (const bad of [-1, 1.5, 60_001, 'x']) t.throws(() => parseAgentConfig(JSON.stringify({ ...base, control: { retransmitStallMs: bad } })), /retransmitStallMs/, `stall ${String(bad)} refused`);
});
