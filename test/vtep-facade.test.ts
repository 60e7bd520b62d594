// The Vtep facade on its own, as an embedder drives it: two VTEPs on a virtual clock joined by an
// in-memory underlay. Probes are answered and consumed with no flush from the embedder (timers
// flush their own), tenant frames cross both ways, a black-holed port fails over with the events an
// embedder sees, and the send callbacks' answers (SentCount) are honoured.
import t from 'tap';
import { Vtep, VirtualClock, buildProbeInnerFrame, type FrameBatch, type VtepEvent, type VtepOptions } from '../src/control/index.js';
import { parseIPv4 } from '../bindings/index.js';
import { tenantFrame } from './helpers/tenant-frame.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
const IP_A = '192.168.1.2', IP_B = '192.168.2.2';
const MAC_A = [2, 0, 0, 0, 0, 0xaa], MAC_B = [2, 0, 0, 0, 0, 0xbb];


const copyAll = (f: FrameBatch): Uint8Array[] => Array.from({ length: f.length }, (_, i) => Uint8Array.from(f.frame(i)));
const outerSport = (f: Uint8Array): number => (f[34] << 8) | f[35];
const isData = (f: Uint8Array): boolean => f.length > 50 && f[46] === 0 && f[47] === 0 && f[48] === 42;
const isProbe = (f: Uint8Array): boolean => f.length > 50 && f[46] === 0xff && f[47] === 0xff && f[48] === 0xff;
/** The frames copied into one buffer (at odd offsets, a junk byte between): views of it, as a receive batch hands them over. */
function packed(frames: Uint8Array[]): Uint8Array[] {
  const buf = new Uint8Array(frames.reduce((n, f) => n + f.length + 3, 1));
  let o = 1;
  return frames.map((f) => { buf.set(f, o); const v = buf.subarray(o, o + f.length); o += f.length + 3; return v; });
}

interface Side { vtep: Vtep; wire: Uint8Array[]; vm: Uint8Array[]; events: VtepEvent[] }

/** Two Vteps; underlay frames cross on the next turn of `pump`, unless `drop` says otherwise. */
function pair(clock: VirtualClock, extra: Partial<VtepOptions> = {}, pack = false): { a: Side; b: Side; pump: () => void; drop: { a: (f: Uint8Array) => boolean } } {
  const inflight: [Side, Uint8Array[]][] = [];
  const drop = { a: (_f: Uint8Array): boolean => false };
  const make = (ip: string, mac: number[], peer: string, peerMac: number[], isA: boolean): Side => {
    const s: Side = { wire: [], vm: [], events: [] } as unknown as Side;
    s.vtep = new Vtep({
      clock, localIp: ip, localMac: Uint8Array.from(mac), gatewayMac: '02:00:00:00:01:01', vni: 42, secret: SECRET,
      control: { probeMode: 'full' },
      sendUnderlay: (f) => {
        const frames = copyAll(f);
        s.wire.push(...frames);
        inflight.push([isA ? b : a, isA ? frames.filter((x) => !drop.a(x)) : frames]);
      },
      deliverTenant: (f) => { s.vm.push(...copyAll(f)); },
      onEvent: (e) => s.events.push(e),
      ...extra,
    });
    s.vtep.addPeer(peer, { macs: [Uint8Array.from(peerMac)] });
    return s;
  };
  const a: Side = make(IP_A, MAC_A, IP_B, MAC_B, true);
  const b: Side = make(IP_B, MAC_B, IP_A, MAC_A, false);
  const pump = (): void => { for (const [to, frames] of inflight.splice(0)) to.vtep.receiveUnderlay(pack ? packed(frames) : frames); };
  return { a, b, pump, drop };
}

function run(clock: VirtualClock, pump: () => void, ms: number): void {
  for (let i = 0; i < ms; i += 5) { clock.advance(5); pump(); pump(); }
}

t.test('probes answered and consumed, tenant frames both ways, one port black-holed fails over', async (t) => {
  const clock = new VirtualClock(0);
  const { a, b, pump, drop } = pair(clock);
  a.vtep.start(); b.vtep.start();
  a.vtep.encapTenant(Array.from({ length: 16 }, (_, s) => tenantFrame(MAC_B, MAC_A, s)));
  pump();
  t.equal(b.vm.length, 16, 'every tenant frame reached B\'s VM side');
  t.same(Array.from(b.vm[3]), Array.from(tenantFrame(MAC_B, MAC_A, 3)), 'unchanged');
  b.vtep.encapTenant([tenantFrame(MAC_A, MAC_B, 1)]);
  pump();
  t.equal(a.vm.length, 1, 'and back');
  run(clock, pump, 1500);
  const peerB = parseIPv4(IP_B);
  t.equal(a.vtep.control.ports(peerB).filter((p) => p.state === 'good').length, 32, 'every port to B probed good, with no flush from the embedder');
  const m = a.vtep.metrics();
  t.ok(m.peers[0].probe.answered > 32, `${m.peers[0].probe.answered} replies matched`);
  t.ok(m.peers[0].probe.repliesSent > 32, 'A answered B\'s probes');
  t.equal(m.counters.encapPackets, 16);
  t.equal(m.counters.decapPackets, 1);
  t.ok(m.counters.probeFrames > 64);

  const sport = outerSport(a.wire.find(isData)!);
  drop.a = (f) => outerSport(f) === sport;
  for (let k = 0; k < 8; k++) {
    a.vtep.encapTenant(Array.from({ length: 16 }, (_, s) => tenantFrame(MAC_B, MAC_A, s)));
    run(clock, pump, 200);
  }
  t.ok(a.events.some((e) => e.type === 'port-down' && e.sport === sport), 'the broken port went down');
  t.ok(a.events.some((e) => e.type === 'switch' && e.sport === sport), 'a switch, since it carried flows');
  const switched = a.events.filter((e) => e.type === 'flow-switched');
  t.ok(switched.length > 0 && switched.every((e) => e.type === 'flow-switched' && e.peerIp === peerB), `${switched.length} flows switched`);
  t.ok(switched.some((e) => e.type === 'flow-switched' && e.from === sport), 'away from the broken port');
  t.notOk(a.wire.filter(isData).slice(-16).map(outerSport).includes(sport), 'no data leaves on the broken port any more');
  t.equal(a.vtep.counters.flowSwitches, switched.length);
  a.vtep.stop(); b.vtep.stop();
});

t.test('probe frames: inner headers as buildProbeInnerFrame makes them; probes in a shared receive buffer are read as in frames of their own', async (t) => {
  const clock = new VirtualClock(0);
  const { a, b, pump } = pair(clock, {}, true);
  a.vtep.start(); b.vtep.start();
  a.vtep.encapTenant([tenantFrame(MAC_B, MAC_A, 0)]);
  b.vtep.encapTenant([tenantFrame(MAC_A, MAC_B, 0)]);
  run(clock, pump, 1500);
  const peerB = parseIPv4(IP_B), peerA = parseIPv4(IP_A);
  t.equal(a.vtep.control.ports(peerB).filter((p) => p.state === 'good').length, 32, 'every port to B good, each probe and reply read out of a shared buffer');
  t.equal(b.vtep.control.ports(peerA).filter((p) => p.state === 'good').length, 32, 'and every port to A');
  for (const [side, src, dst] of [[a, peerA, peerB], [b, peerB, peerA]] as const) {
    const probes = side.wire.filter(isProbe);
    t.ok(probes.length > 64, `${probes.length} probe frames sent`);
    const bad = probes.filter((f) => {
      const inner = f.subarray(50);
      return !Buffer.from(inner).equals(Buffer.from(buildProbeInnerFrame(inner.subarray(42), { srcIp: src, dstIp: dst })));
    });
    t.equal(bad.length, 0, 'every probe\'s inner frame is the reference frame of its payload');
  }

  // The same request, in a frame of its own and in a shared buffer after another frame, to two
  // Vteps in the same state: the same reply, byte for byte.
  const c2 = new VirtualClock(0);
  const x = pair(c2), y = pair(c2);
  x.a.vtep.start();
  x.a.vtep.encapTenant([tenantFrame(MAC_B, MAC_A, 0)]);
  c2.advance(400);
  const req = x.a.wire.find(isProbe)!;
  t.ok(req !== undefined, 'a request to answer');
  x.b.wire.length = 0; y.b.wire.length = 0;
  x.b.vtep.receiveUnderlay([Uint8Array.from(req), Uint8Array.from(req)]);
  y.b.vtep.receiveUnderlay(packed([tenantFrame(MAC_B, MAC_A, 1), req, req]));
  t.equal(x.b.wire.filter(isProbe).length, 2, 'both copies answered');
  t.same(y.b.wire.filter(isProbe).map((f) => Array.from(f)), x.b.wire.filter(isProbe).map((f) => Array.from(f)), 'the same replies');
});

t.test('send callbacks: a short SentCount and a throw count as send_failed; stop drops what is batched', async (t) => {
  const clock = new VirtualClock(0);
  let answer: number | 'throw' = 3;
  const v = new Vtep({
    clock, localIp: IP_A, localMac: '02:00:00:00:00:aa', gatewayMac: '02:00:00:00:01:01', vni: 42, secret: SECRET, batchSize: 8,
    sendUnderlay: (f: FrameBatch) => { if (answer === 'throw') throw new Error('ENOBUFS'); return Math.min(answer, f.length); },
    deliverTenant: () => undefined,
  });
  v.addPeer(IP_B, { macs: ['02:00:00:00:00:bb'] });
  v.encapTenant(Array.from({ length: 5 }, (_, s) => tenantFrame(MAC_B, MAC_A, s)));
  t.equal(v.counters.encapPackets, 3, 'three sent');
  t.equal(v.counters.drops.get('send_failed'), 2, 'two not');
  answer = 'throw';
  t.throws(() => v.encapTenant([tenantFrame(MAC_B, MAC_A, 0)]), /ENOBUFS/, 'a callback\'s exception propagates');
  t.equal(v.counters.drops.get('send_failed'), 3, 'a throwing callback sent nothing');
  t.equal(v.pending, 0, 'and its batch is gone');
  answer = 0;
  for (let s = 0; s < 8; s++) v.pushTenant(tenantFrame(MAC_B, MAC_A, s));
  t.equal(v.counters.drops.get('send_failed'), 11, 'a full batch is flushed at once');
  v.pushTenant(tenantFrame(MAC_B, MAC_A, 0));
  v.pushTenant(new Uint8Array(10));
  t.equal(v.counters.drops.get('runt'), 1);
  t.equal(v.pending, 1);
  v.stop();
  t.equal(v.counters.drops.get('stopped'), 1, 'the batched frame is dropped at stop');
  t.equal(v.pending, 0);
});

t.test('peers: unknown destinations go to every peer; maxPeers holds; removal forgets the peer', async (t) => {
  const clock = new VirtualClock(0);
  const sent: Uint8Array[] = [];
  const v = new Vtep({
    clock, localIp: IP_A, localMac: '02:00:00:00:00:aa', gatewayMac: '02:00:00:00:01:01', vni: 42, secret: SECRET, maxPeers: 2,
    sendUnderlay: (f) => { sent.push(...copyAll(f)); }, deliverTenant: () => undefined,
  });
  v.addPeer(IP_B);
  v.addPeer('192.168.3.2');
  t.throws(() => v.addPeer('192.168.4.2'), RangeError, 'a third peer does not fit');
  t.throws(() => v.addPeer(IP_A), RangeError, 'the VTEP itself is no peer');
  v.encapTenant([tenantFrame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], MAC_A, 0)]);
  const dst = (f: Uint8Array): number => ((f[30] << 24) | (f[31] << 16) | (f[32] << 8) | f[33]) >>> 0;
  t.same(sent.map(dst).sort(), [parseIPv4(IP_B), parseIPv4('192.168.3.2')].sort(), 'broadcast: one copy per peer');
  v.removePeer(IP_B);
  t.same(v.peers(), [parseIPv4('192.168.3.2')]);
  v.addPeer('192.168.4.2');
  t.equal(v.peers().length, 2, 'its row is free again');
  const nested = new Vtep({
    clock, localIp: IP_A, localMac: '02:00:00:00:00:aa', gatewayMac: '02:00:00:00:01:01', vni: 42, secret: SECRET,
    sendUnderlay: () => { nested.pushTenant(tenantFrame(MAC_B, MAC_A, 0)); }, deliverTenant: () => undefined,
  });
  nested.addPeer(IP_B);
  t.throws(() => nested.encapTenant([tenantFrame(MAC_B, MAC_A, 0)]), /own send callback/, 'feeding a Vtep from its send callback throws');
  t.throws(() => new Vtep({
    clock, localIp: IP_A, localMac: '02:00:00:00:00:aa', gatewayMac: '02:00:00:00:01:01', vni: 0xffffff, secret: SECRET,
    sendUnderlay: () => undefined, deliverTenant: () => undefined,
  }), /probe VNI/);
});

t.test('flushProbesOnTimer false: timers queue probes, flush() sends them with the replies, flush(false) keeps them', async (t) => {
  const clock = new VirtualClock(0);
  const { a, b, pump } = pair(clock, { flushProbesOnTimer: false });
  a.vtep.start(); b.vtep.start();
  a.vtep.encapTenant([tenantFrame(MAC_B, MAC_A, 0)]); // B is active for A: probed
  pump();
  a.wire.length = 0;
  clock.advance(400); // every port's first probe is due within one interval
  t.equal(a.wire.length, 0, 'nothing sent by the timers themselves');
  t.ok(a.vtep.pending > 0, `${a.vtep.pending} probes wait in the batch`);
  a.vtep.encapTenant([tenantFrame(MAC_B, MAC_A, 1)]); // encapTenant flushes everything
  t.ok(a.wire.length > 1 && a.wire.filter(isProbe).length === a.wire.length - 1, 'one flush sent the tenant frame and the queued probes');
  const before = a.wire.length;
  clock.advance(300);
  a.vtep.pushTenant(tenantFrame(MAC_B, MAC_A, 2));
  a.vtep.flush(false);
  t.equal(a.wire.length - before, 1, 'flush(false) sent the tenant frame only');
  t.ok(a.vtep.pending > 0, 'the probes still wait');
  a.vtep.flush();
  t.ok(a.wire.length - before > 1, 'flush() sent them');
  // Replies and probes go out together per flush: the pair converges as with timer flushes.
  for (let i = 0; i < 300; i++) { clock.advance(5); pump(); a.vtep.flush(); b.vtep.flush(); pump(); }
  t.equal(a.vtep.control.ports(parseIPv4(IP_B)).filter((p) => p.state === 'good').length, 32, 'every port to B good');
});
