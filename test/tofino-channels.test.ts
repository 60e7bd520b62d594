// The two update channels: PCIe transactions and packet-triggered negotiation packets.
import t from 'tap';
import fc from 'fast-check';
import { VirtualClock } from '../src/control/clock.js';
import { InNetworkChannel, type InNetworkOptions } from '../src/tofino/in-network.js';
import {
  FLAG_DONE, MARKER_END, MARKER_PKT, RECORDS_AT, RECORD_BYTES, frameBytes, negotiationProblem, readHeader, readRecords, updatesPerFrame,
} from '../src/tofino/negotiation-format.js';
import { interleaveByRegister, packUpdates } from '../src/tofino/negotiation-packer.js';
import { PcieChannel } from '../src/tofino/pcie.js';
import { Pipeline } from '../src/tofino/pipeline.js';
import { applyDirect, UpdateSet } from '../src/tofino/update-set.js';

/** Four arrays, one of each width, in different stages. */
function pipeline(): Pipeline {
  const p = new Pipeline();
  p.allocate({ name: 'u8', width: 8, size: 17, stage: 0 });
  p.allocate({ name: 'u16', width: 16, size: 9, stage: 0 });
  p.allocate({ name: 'u32', width: 32, size: 33, stage: 3 });
  p.allocate({ name: 'pair', width: 64, size: 5, stage: 11 });
  return p;
}

function cells(p: Pipeline): number[][] {
  return p.registers.map((r) => Array.from(r.cells));
}

function set(rows: [number, number, number, number?][]): UpdateSet {
  const s = new UpdateSet(2);
  for (const [id, i, lo, hi] of rows) s.push(id, i, lo, hi ?? 0);
  return s;
}

t.test('PCIe: one transaction per write, time from the configured rate', async (t) => {
  const p = pipeline();
  const clock = new VirtualClock();
  const ch = new PcieChannel(p, clock);
  const r = ch.apply(set([[0, 1, 7], [2, 32, 0xdeadbeef], [3, 4, 1, 2], [9, 0, 1], [0, 17, 1], [1, 0, 0x10000]]));
  t.same({ applied: r.applied, refused: r.refused, transactions: r.transactions }, { applied: 3, refused: 3, transactions: 6 });
  t.equal(r.seconds, 6 / 10_000);
  t.ok(Math.abs(clock.now() - 0.6) < 1e-12, 'the clock (ms) moved by the modelled time, nothing slept');
  t.equal(p.register(2)!.read(32), 0xdeadbeef);
  t.equal(p.register(3)!.readHi(4), 2);
  t.equal(new PcieChannel(p, clock, 250).apply(set([[0, 0, 1]])).seconds, 1 / 250);
  t.throws(() => new PcieChannel(p, clock, 0), RangeError);
});

t.test('negotiation frames: real bytes, PKT records, EndFlag last, size limit respected', async (t) => {
  t.equal(updatesPerFrame(1500), 90, '(1500 - 30) / 16 = 91 records, the last one the EndFlag');
  const s = new UpdateSet();
  for (let i = 0; i < 200; i++) s.push(i % 3, i, i * 3);
  const frames = packUpdates(s, { firstSeq: 7 });
  t.same(frames.map((f) => f.length), [1486, 1486, frameBytes(20)]);
  t.same(frames.map((f) => readHeader(f).seq), [7, 8, 9]);
  for (const f of frames) t.equal(negotiationProblem(f), undefined);
  t.equal(frames[0]![RECORDS_AT], MARKER_PKT);
  t.equal(frames[2]![frames[2]!.length - RECORD_BYTES], MARKER_END);
  const records = frames.flatMap(readRecords);
  t.same(records.slice(0, 4), [
    { regId: 0, index: 0, lo: 0, hi: 0 }, { regId: 1, index: 1, lo: 3, hi: 0 },
    { regId: 2, index: 2, lo: 6, hi: 0 }, { regId: 0, index: 3, lo: 9, hi: 0 },
  ], 'round robin over arrays');
  t.same(records.map((r) => r.index).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i), 'every update exactly once');
  t.throws(() => packUpdates(s, { maxPacketBytes: 40 }), RangeError);
  // Each array's own order is kept by the interleaving.
  const order = Array.from(interleaveByRegister(set([[1, 0, 1], [0, 0, 2], [1, 0, 3], [1, 0, 4], [0, 0, 5]])));
  t.same(order, [1, 0, 4, 2, 3]);
});

t.test('a pass writes each array at most once; the rest wait for the next pass', async (t) => {
  const p = pipeline();
  const ch = new InNetworkChannel(p, new VirtualClock());
  const [f] = packUpdates(set([[2, 5, 1], [2, 5, 2], [2, 5, 3], [0, 1, 9]]));
  const r = ch.receive(f!, ch.options.cpuPort);
  t.equal(r.outcome, 'done');
  t.equal(r.length, frameBytes(0), 'only the EndFlag is left');
  const h = readHeader(f!);
  t.same(h, { seq: 0, flags: FLAG_DONE, count: 1, passes: 3, applied: 4, refused: 0 });
  t.equal(p.register(2)!.read(5), 3, 'writes to one cell land in packet order');
  t.equal(p.register(0)!.read(1), 9);
  t.same({ passes: ch.counters.passes, recirculations: ch.counters.recirculations }, { passes: 3, recirculations: 2 });
  // Modelled time: 4 records + EndFlag = 110 bytes in; then 2 records left (78 bytes) and 1 (62 bytes)
  // go round the loopback; each frame costs 24 more bytes on the wire.
  t.equal(ch.modelledSeconds, ((110 + 24) * 8) / 100e9 + ((78 + 24 + 62 + 24) * 8) / 100e9);
});

t.test('send packs, injects from the CPU port and advances the clock by the modelled time', async (t) => {
  const clock = new VirtualClock(5);
  const ch = new InNetworkChannel(pipeline(), clock, { lineRateBps: 1e9, recirculationBps: 1e6 });
  const s = new UpdateSet();
  for (let i = 0; i < 200; i++) s.push(2, i % 33, i);
  const r = ch.send(s);
  t.same({ updates: r.updates, packets: r.packets, applied: r.applied, refused: r.refused }, { updates: 200, packets: 3, applied: 200, refused: 0 });
  t.equal(r.passes, 200, 'one array: one record per pass');
  t.equal(r.recirculations, 197);
  t.equal(r.seconds, ch.modelledSeconds);
  t.ok(Math.abs(clock.now() - (5 + r.seconds * 1000)) < 1e-9);
  t.ok(ch.counters.recirculatedBits / 1e6 > ch.counters.injectedBits / 1e9, 'the slow loopback dominates');
});

t.test('the parser window bounds the records a pass sees', async (t) => {
  const p = pipeline();
  const ch = new InNetworkChannel(p, new VirtualClock(), { recordsPerPass: 2 });
  const [f] = packUpdates(set([[0, 0, 1], [1, 0, 1], [2, 0, 1], [3, 0, 1, 1]]));
  ch.receive(f!, ch.options.cpuPort);
  t.equal(readHeader(f!).passes, 2);
  t.equal(ch.counters.applied, 4);
});

t.test('only the CPU port may update; bad records are refused and counted; malformed packets dropped', async (t) => {
  const p = pipeline();
  const ch = new InNetworkChannel(p, new VirtualClock());
  const [f] = packUpdates(set([[0, 2, 5]]));
  t.equal(ch.receive(f!.slice(), 3).outcome, 'not-cpu-port');
  t.equal(p.register(0)!.read(2), 0, 'a packet from a front-panel port changes nothing');
  t.equal(ch.counters.notCpuPort, 1);

  const [g] = packUpdates(set([[4, 0, 1], [0, 17, 1], [0, 3, 256], [1, 1, 0, 1], [2, 32, 8], [3, 4, 1, 7]]));
  t.equal(ch.receive(g!, ch.options.cpuPort).outcome, 'done');
  t.same(readHeader(g!), { seq: 0, flags: FLAG_DONE, count: 1, passes: 1, applied: 2, refused: 4 });
  t.same(cells(p)[0], new Array(17).fill(0), 'refused records never applied');
  t.equal(p.register(2)!.read(32), 8);
  t.equal(p.register(3)!.readHi(4), 7);

  const good = packUpdates(set([[0, 1, 1], [0, 2, 2]]))[0]!;
  const broken: [string, Uint8Array][] = [
    ['truncated', good.subarray(0, good.length - 1)],
    ['empty', new Uint8Array(0)],
    ['wrong EtherType', Uint8Array.from(good, (b, i) => (i === 12 ? 0x08 : b))],
    ['bad marker', Uint8Array.from(good, (b, i) => (i === RECORDS_AT + RECORD_BYTES ? 0x51 : b))],
    ['no EndFlag', Uint8Array.from(good, (b, i) => (i === good.length - RECORD_BYTES ? MARKER_PKT : b))],
    ['count too large', Uint8Array.from(good, (b, i) => (i === 23 ? 9 : b))],
    ['already done', Uint8Array.from(good, (b, i) => (i === 17 ? FLAG_DONE : b))],
  ];
  for (const [why, bytes] of broken) {
    t.ok(negotiationProblem(bytes), why);
    t.equal(ch.receive(bytes, ch.options.cpuPort).outcome, 'malformed', why);
  }
  const jumbo = new UpdateSet();
  for (let i = 0; i < 95; i++) jumbo.push(0, 0, 1);
  const [long] = packUpdates(jumbo, { maxPacketBytes: 1600 });
  t.equal(negotiationProblem(long!), undefined, 'well-formed, but 1566 bytes');
  t.equal(ch.receive(long!, ch.options.cpuPort).outcome, 'malformed', 'longer than the 1500-byte limit');
  t.equal(ch.counters.malformed, broken.length + 1);
  t.same(cells(p)[0], new Array(17).fill(0), 'nothing from a malformed packet is applied');
});

const updateArb = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 34 }), fc.nat({ max: 0x3ff }), fc.nat({ max: 3 }))
  .map(([id, index, lo, hi]) => [id, index, id === 2 ? lo * 0x400000 : lo, id === 3 ? hi : hi === 3 ? 1 : 0] as [number, number, number, number]);

t.test('property: both channels leave the registers exactly as applying the updates directly', async (t) => {
  fc.assert(fc.property(
    fc.array(updateArb, { maxLength: 300 }),
    fc.integer({ min: 64, max: 1500 }),
    fc.integer({ min: 1, max: 24 }),
    (rows, maxPacketBytes, recordsPerPass) => {
      const updates = set(rows);
      const direct = pipeline();
      const expect = applyDirect(direct, updates);
      const viaPcie = pipeline();
      const pcie = new PcieChannel(viaPcie, new VirtualClock()).apply(updates);
      const viaPackets = pipeline();
      const opts: Partial<InNetworkOptions> = { maxPacketBytes, recordsPerPass };
      const packets = new InNetworkChannel(viaPackets, new VirtualClock(), opts).send(updates);
      return JSON.stringify(cells(viaPcie)) === JSON.stringify(cells(direct)) &&
        JSON.stringify(cells(viaPackets)) === JSON.stringify(cells(direct)) &&
        pcie.applied === expect.applied && pcie.refused === expect.refused &&
        packets.applied === expect.applied && packets.refused === expect.refused;
    },
  ), { numRuns: 300 });
  t.pass('300 random update sets agree');
});

t.test('property: random bytes and corrupted packets never crash the decoder or the pipeline', async (t) => {
  const p = pipeline();
  const ch = new InNetworkChannel(p, new VirtualClock());
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1600 }), fc.boolean(), (bytes, cpu) => {
    negotiationProblem(bytes);
    const r = ch.receive(bytes, cpu ? ch.options.cpuPort : 1);
    return r.outcome === 'done' || r.outcome === 'malformed' || r.outcome === 'not-cpu-port';
  }), { numRuns: 1000 });
  const base = packUpdates(set([[0, 1, 1], [1, 2, 2], [2, 3, 3], [3, 4, 4, 4]]))[0]!;
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
    const f = base.slice();
    for (const [at, v] of edits) f[at] = v;
    const before = ch.counters.applied + ch.counters.refused;
    const r = ch.receive(f, ch.options.cpuPort);
    const handled = ch.counters.applied + ch.counters.refused - before;
    return r.outcome === 'malformed' ? handled === 0 : handled === readRecords(base).length;
  }), { numRuns: 1000 });
  t.ok(p.registers.every((r) => r.cells.every((_, i) => r.accepts(r.isPair ? i >> 1 : i, r.read(r.isPair ? i >> 1 : i), r.readHi(r.isPair ? i >> 1 : i)))));
  t.pass('no crash');
});
