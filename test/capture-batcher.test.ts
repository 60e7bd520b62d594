// EncapBatcher without libpcap: frames arrive one at a time, a virtual timer stands in for the
// flush timer, and the sink must receive exactly what per-frame encapsulation produces.
import t from 'tap';
import fc from 'fast-check';
import { Datapath, OUTER_LEN, parseIPv4, type DatapathConfig } from '../bindings/index.js';
import { EncapBatcher, type FlushTimer, type FrameSink, type Timestamp } from '../src/capture/encap-batcher.js';
import { ethernet, ipv4, udp, tcp, concat } from '../src/reference/frames.js';

/** A timer that fires only when the test says so. */
class VirtualTimer implements FlushTimer {
  armed: { ms: number; fn: () => void } | undefined;
  sets = 0;
  set(ms: number, fn: () => void): unknown { this.armed = { ms, fn }; this.sets++; return this.armed; }
  clear(h: unknown): void { if (this.armed === h) this.armed = undefined; }
  fire(): void { const a = this.armed; this.armed = undefined; a?.fn(); }
}

class ArraySink implements FrameSink {
  readonly failReason = 'send_failed';
  frames: { data: Uint8Array; ts: Timestamp }[] = [];
  failEvery = 0;
  #n = 0;
  put(frame: Uint8Array, ts: Timestamp): boolean {
    this.#n++;
    if (this.failEvery > 0 && this.#n % this.failEvery === 0) return false;
    this.frames.push({ data: frame.slice(), ts: { ...ts } });
    return true;
  }
}

const config: DatapathConfig = { localIp: '192.0.2.1', batchSize: 8, slotSize: 2048 };
const peer = { remoteIp: '192.0.2.2', vni: 4242, mac: '02:00:00:00:00:aa' };
const mac = (x: number): Uint8Array => Uint8Array.of(2, 0, 0, 0, 0, x);

function udpFrame(sport: number, len = 0): Uint8Array {
  return ethernet(mac(1), mac(2), 0x0800, ipv4({ src: parseIPv4('10.0.0.1'), dst: parseIPv4('10.0.0.2'), proto: 17 }, udp(sport, 7000, new Uint8Array(len))));
}

/** Encapsulate each frame alone in its own Datapath: what batching must not change. */
function oneByOne(frames: Uint8Array[]): (Uint8Array | null)[] {
  const dp = Datapath.create({ ...config, batchSize: 1 });
  dp.setPeer(0, peer);
  const b = dp.batch();
  return frames.map((f) => {
    b.clear();
    if (f.length > b.maxFrame) return null;
    b.push(f, 0);
    dp.encap(b);
    return b.status(0) === 0 ? b.output(0).slice() : null;
  });
}

t.test('a full batch is encapsulated at once; a partial one waits for the timer', async (t) => {
  const dp = Datapath.create(config);
  dp.setPeer(0, peer);
  const sink = new ArraySink();
  const timer = new VirtualTimer();
  const bt = new EncapBatcher(dp, sink, { peer: 0, flushMs: 1, timer });
  const frames = Array.from({ length: 11 }, (_, i) => udpFrame(1000 + i, i));
  frames.forEach((f, i) => bt.add(f, { sec: 100, nsec: i }));
  t.equal(sink.frames.length, 8, 'the full batch of 8 went out without the timer');
  t.equal(bt.pending, 3);
  t.equal(timer.armed?.ms, 1, 'a timer is armed for the partial batch');
  timer.fire();
  t.equal(sink.frames.length, 11);
  t.equal(bt.pending, 0);
  t.equal(bt.stats.batches, 2, 'two Wasm calls for 11 frames');
  t.same(sink.frames.map((f) => f.ts.nsec), frames.map((_, i) => i), 'each frame keeps its capture time');
  const want = oneByOne(frames);
  sink.frames.forEach((f, i) => t.same(f.data, want[i], `frame ${i} as encapsulated alone`));
  const f0 = sink.frames[0].data;
  t.equal(f0.length, frames[0].length + OUTER_LEN);
  t.same(f0.subarray(OUTER_LEN), frames[0], 'inner frame untouched');
  t.equal((f0[36] << 8) | f0[37], 4789, 'UDP destination port 4789');
  t.equal((f0[46] << 16) | (f0[47] << 8) | f0[48], 4242, 'VNI');
  t.same(bt.stats, { frames: 11, encapsulated: 11, dropped: {}, batches: 2 });
});

t.test('oversize, truncated, runt and failed sends are dropped by reason', async (t) => {
  const dp = Datapath.create(config);
  dp.setPeer(0, peer);
  const sink = new ArraySink();
  sink.failEvery = 2;
  const timer = new VirtualTimer();
  const bt = new EncapBatcher(dp, sink, { peer: 0, timer });
  bt.add(new Uint8Array(bt.maxFrame + 1), { sec: 0, nsec: 0 });
  bt.add(udpFrame(1), { sec: 0, nsec: 0 }, true);
  bt.add(new Uint8Array(10), { sec: 0, nsec: 0 }); // shorter than an Ethernet header
  bt.add(udpFrame(2), { sec: 0, nsec: 0 });
  bt.add(udpFrame(3), { sec: 0, nsec: 0 });
  bt.flush();
  t.equal(timer.armed, undefined, 'an explicit flush cancels the timer');
  t.same(bt.stats.dropped, { oversize: 1, truncated: 1, runt: 1, send_failed: 1 });
  t.equal(bt.stats.encapsulated, 1);
  t.equal(bt.stats.frames, 5);
});

t.test('any arrival pattern gives exactly the per-frame encapsulation, in order', async (t) => {
  const frameArb = fc.oneof(
    fc.record({ sport: fc.integer({ min: 1, max: 65535 }), len: fc.integer({ min: 0, max: 300 }) }).map(({ sport, len }) => udpFrame(sport, len)),
    fc.integer({ min: 1, max: 65535 }).map((p) => ethernet(mac(3), mac(4), 0x0800, ipv4({ src: 1, dst: 2, proto: 6 }, tcp(p, 80)))),
    fc.uint8Array({ minLength: 0, maxLength: 120 }),
    fc.uint8Array({ minLength: 0, maxLength: 64 }).map((p) => concat(mac(5), mac(6), Uint8Array.of(0x86, 0xdd), p)),
  );
  // Each step adds a frame, and sometimes the timer fires after it.
  const steps = fc.array(fc.record({ frame: frameArb, fire: fc.boolean() }), { maxLength: 40 });
  fc.assert(fc.property(steps, fc.integer({ min: 1, max: 8 }), (ss, batchSize) => {
    const dp = Datapath.create({ ...config, batchSize });
    dp.setPeer(0, peer);
    const sink = new ArraySink();
    const timer = new VirtualTimer();
    const bt = new EncapBatcher(dp, sink, { peer: 0, timer });
    ss.forEach((s, i) => { bt.add(s.frame, { sec: i, nsec: 0 }); if (s.fire) timer.fire(); });
    bt.flush();
    const want = oneByOne(ss.map((s) => s.frame));
    const kept = want.map((w, i) => ({ w, i })).filter((x) => x.w !== null);
    if (sink.frames.length !== kept.length) return false;
    if (bt.stats.frames !== ss.length) return false;
    const dropped = Object.values(bt.stats.dropped).reduce((a, b) => a + b, 0);
    if (bt.stats.encapsulated + dropped !== ss.length) return false;
    return kept.every((k, j) => sink.frames[j].ts.sec === k.i && Buffer.compare(sink.frames[j].data, k.w as Uint8Array) === 0);
  }), { numRuns: 200 });
  t.pass('batched and per-frame encapsulation agree');
});

t.test('the pcap sink writes a batch in one loop: the same file as a frame at a time', async (t) => {
  const { PcapSink } = await import('../src/capture/sinks.js');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'zr-sink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const frames = Array.from({ length: 20 }, (_, k) => udpFrame(1000 + k, k * 7));
  const write = async (perFrame: boolean): Promise<Buffer> => {
    const dp = Datapath.create(config);
    dp.setPeer(0, peer);
    const real = await PcapSink.open(join(dir, `${perFrame}.pcap`));
    // The same sink with putBatch hidden: the batcher then calls put() per frame.
    const sink: FrameSink = perFrame ? { failReason: real.failReason, put: (f, ts) => real.put(f, ts) } : real;
    const timer = new VirtualTimer();
    const b = new EncapBatcher(dp, sink, { peer: 0, timer });
    frames.forEach((f, k) => b.add(f, { sec: 1_700_000_000 + k, nsec: k * 1000 + 7 }));
    b.flush();
    t.equal(b.stats.encapsulated, frames.length, `${perFrame ? 'put' : 'putBatch'}: every frame written`);
    await real.close();
    return readFileSync(join(dir, `${perFrame}.pcap`));
  };
  const [one, batch] = [await write(true), await write(false)];
  t.ok(one.length > 24 + frames.length * 16, 'records were written');
  t.ok(Buffer.compare(one, batch) === 0, 'byte-identical files');
});
