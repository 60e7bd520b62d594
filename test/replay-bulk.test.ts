// Replay's bulk path (classic Ethernet pcap: pcapIngest, replayKeys, encap and pcapEmit over runs of one
// source VTEP) gives exactly what the general path (records as columns, a JS decision per frame) gives:
// the same report, the same per-bin series and the same output file, byte for byte, on random captures
// with several VTEPs, memo misses and evictions, IPv6/ARP/other frames, runts the datapath drops, frames
// too long to replay, records cut by the capture, and broken captures (the same error, at the same offset).
import t from 'tap';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../src/pcap/index.js';
import { parseScenario } from '../src/sim/index.js';
import { replay } from '../src/replay/replay.js';

const dir = mkdtempSync(join(tmpdir(), 'zr-replay-bulk-'));
const RUNS = Math.max(12, Math.floor((Number(process.env.ZR_FUZZ_RUNS ?? 0) || 0) / 100));

const scenario = parseScenario({
  kind: 'replay', name: 'bulk-vs-general', seed: 9, durationMs: 5000,
  topology: { kind: 'leaf-spine', leaves: 3, spines: 4 },
  vteps: [
    { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
    { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
    { name: 'c', ip: '10.0.0.3', inner: ['192.168.2.0/24'], attach: 'leaf2' },
  ],
  failures: [{ name: 'hole', type: 'switch-down', atMs: 300, durationMs: 900, switch: 'spine1' }],
});

const be16 = (v: number): number[] => [v >> 8, v & 255];
const addrs = [[192, 168, 0, 1], [192, 168, 0, 2], [192, 168, 1, 1], [192, 168, 2, 7], [10, 1, 2, 3]];
const pkt = fc.record({
  kind: fc.integer({ min: 0, max: 11 }), s: fc.integer({ min: 0, max: 4 }), d: fc.integer({ min: 0, max: 4 }),
  sport: fc.oneof(fc.integer({ min: 1000, max: 1003 }), fc.integer({ min: 0, max: 0xffff })), dport: fc.constantFrom(53, 80),
  gapUs: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 400_000 })), cut: fc.boolean(),
});
function frameOf(p: { kind: number; s: number; d: number; sport: number; dport: number }): Uint8Array {
  const eth = (type: number, vlan: boolean): number[] => [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...(vlan ? [0x81, 0, 0, 5] : []), ...be16(type)];
  const ip = (proto: number, frag: number, l4: number[]): number[] => [0x45, 0, ...be16(20 + l4.length), 0, 1, ...be16(frag), 64, proto, 0, 0, ...addrs[p.s], ...addrs[p.d], ...l4];
  const udp = [...be16(p.sport), ...be16(p.dport), 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
  switch (p.kind) {
    case 0: case 1: case 2: return Uint8Array.from([...eth(0x0800, false), ...ip(17, 0, udp)]);
    case 3: return Uint8Array.from([...eth(0x0800, true), ...ip(6, 0, [...udp, ...new Array(12).fill(0)])]);
    case 4: return Uint8Array.from([...eth(0x0800, false), ...ip(17, 0x2000, udp)]);
    case 5: return Uint8Array.from([...eth(0x0800, false), ...ip(1, 0, [8, 0, 0, 0, 0, 1, 0, 1])]);
    case 6: return Uint8Array.from([...eth(0x86dd, false), 0x60, 0, 0, 0, 0, 8, 17, 64, ...new Array(15).fill(0xfd), p.s, ...new Array(15).fill(0xfd), p.d, ...udp.slice(0, 8)]);
    case 7: return Uint8Array.from([...eth(0x0806, false), 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, ...addrs[p.s], 0, 0, 0, 0, 0, 0, ...addrs[p.d]]);
    case 8: return Uint8Array.from([2, 0, 0, 0, p.d, p.sport & 255, 2, 0, 0, 0, p.s, (p.sport * 7) & 255]); // a runt: the datapath drops it
    case 9: return new Uint8Array(16400).fill(p.s); // longer than a slot: skipped
    case 10: return Uint8Array.from([...eth(0x88cc, false), ...new Array(30).fill(p.d)]);
    default: return Uint8Array.from([...eth(0x0800, false), ...ip(17, 0, udp), ...new Array(p.sport % 200).fill(9)]);
  }
}

interface Pkt { kind: number; s: number; d: number; sport: number; dport: number; gapUs: number; cut: boolean }

async function writeCapture(path: string, pkts: Pkt[], nanos: boolean): Promise<void> {
  const w = await PcapWriter.open(path, { nanos, snaplen: 65535 });
  let us = 0;
  for (const p of pkts) {
    us += p.gapUs;
    const data = frameOf(p);
    w.write({ tsSec: 1_700_000_000 + Math.floor(us / 1e6), tsNsec: (us % 1e6) * 1000 + (nanos ? p.sport % 1000 : 0), data, origLen: p.cut ? data.length + 3 : undefined });
  }
  await w.close();
}

t.test('bulk and general paths: the same report, series and output', async (t) => {
  let cases = 0;
  await fc.assert(fc.asyncProperty(fc.array(pkt, { minLength: 0, maxLength: 700 }), fc.boolean(), fc.boolean(), async (pkts, nanos, withOut) => {
    const input = join(dir, 'in.pcap');
    await writeCapture(input, pkts, nanos);
    const outB = withOut ? join(dir, 'bulk.pcap') : undefined, outG = withOut ? join(dir, 'general.pcap') : undefined;
    const bulk = await replay({ input, scenario, out: outB });
    const general = await replay({ input, scenario, out: outG, bulk: false });
    t.same(bulk.report, general.report);
    t.same(bulk.series, general.series);
    if (withOut) t.ok(Buffer.compare(readFileSync(outB!), readFileSync(outG!)) === 0, 'output byte for byte');
    cases++;
  }), { numRuns: RUNS });
  t.ok(cases >= RUNS);
});

t.test('runts the datapath drops: counted alike', async (t) => {
  // Runts are keyed by their MACs, mapped to VTEPs by hash: some pairs differ and are encapsulated (dropped).
  const pkts = Array.from({ length: 60 }, (_, i) => ({ kind: i % 4 === 0 ? 0 : 8, s: i % 5, d: (i * 3 + 1) % 5, sport: 1000 + i, dport: 53, gapUs: 10, cut: false }));
  const input = join(dir, 'drops.pcap');
  await writeCapture(input, pkts, false);
  const bulk = await replay({ input, scenario });
  const general = await replay({ input, scenario, bulk: false });
  t.same(bulk.report.frameCounts, general.report.frameCounts);
  t.same(Object.keys(bulk.report.frameCounts.dropped), Object.keys(general.report.frameCounts.dropped), 'in the same order');
  t.ok(Object.keys(bulk.report.frameCounts.dropped).length > 0, `dropped ${JSON.stringify(bulk.report.frameCounts.dropped)}`);
});

t.test('a broken capture: the same error at the same offset on both paths', async (t) => {
  const input = join(dir, 'whole.pcap');
  await writeCapture(input, Array.from({ length: 300 }, (_, i) => ({ kind: i % 3, s: i % 3, d: (i + 1) % 3, sport: 1000 + (i % 7), dport: 80, gapUs: 100, cut: false })), false);
  const whole = readFileSync(input);
  for (const cut of [whole.length - 5, whole.length - 40, 24 + 16 + 60 + 7]) {
    const broken = join(dir, `broken-${cut}.pcap`);
    writeFileSync(broken, whole.subarray(0, cut));
    const errOf = async (bulk: boolean): Promise<string> => { try { await replay({ input: broken, scenario, bulk }); return 'no error'; } catch (e) { return (e as Error).message; } };
    const [b, g] = [await errOf(true), await errOf(false)];
    t.equal(b, g, `cut at ${cut}: ${g}`);
    t.match(g, /byte offset \d+/);
  }
  // An absurd capture length is refused alike.
  const absurd = Buffer.from(whole);
  absurd.writeUInt32LE(0x7fffffff, 24 + 8);
  const p = join(dir, 'absurd.pcap');
  writeFileSync(p, absurd);
  const errs = await Promise.all([true, false].map(async (bulk) => { try { await replay({ input: p, scenario, bulk }); return ''; } catch (e) { return (e as Error).message; } }));
  t.equal(errs[0], errs[1], errs[1]);
});

t.test('more than 64 VTEPs: the encap pass has a core of its own, and still the same outputs', async (t) => {
  const many = parseScenario({
    kind: 'replay', name: 'many-vteps', seed: 4, durationMs: 3000,
    topology: { kind: 'leaf-spine', leaves: 4, spines: 4 },
    vteps: Array.from({ length: 70 }, (_, k) => ({ name: `v${k}`, ip: `10.0.${k >> 8}.${(k & 255) + 1}`, inner: [`192.168.${k}.0/24`], attach: `leaf${k % 4}` })),
    failures: [{ name: 'hole', type: 'switch-down', atMs: 100, durationMs: 800, switch: 'spine2' }],
  });
  const input = join(dir, 'many.pcap');
  const w = await PcapWriter.open(input, { nanos: true });
  for (let i = 0; i < 3000; i++) {
    const s = i % 70, d = (i * 7 + 3) % 70, sport = 1000 + (i % 97);
    const f = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, s, 1, 192, 168, d, 1, sport >> 8, sport & 255, 0, 53, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    w.write({ tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1_000_000, data: f });
  }
  await w.close();
  const outB = join(dir, 'many-bulk.pcap'), outG = join(dir, 'many-general.pcap');
  const bulk = await replay({ input, scenario: many, out: outB });
  const general = await replay({ input, scenario: many, out: outG, bulk: false });
  t.same(bulk.report, general.report);
  t.ok(bulk.report.flows > 100, `${bulk.report.flows} flows`);
  t.ok(Buffer.compare(readFileSync(outB), readFileSync(outG)) === 0, 'output byte for byte');
});

t.test('more flows than the core\'s flow rows, more moved ports than its forced-port area: TS takes those, and still the same outputs', async (t) => {
  // 17000 flows (the core serves flow ids below 16384 in Wasm), each sending one frame in every 100 ms
  // bin for 2 s through the black hole: a frame on a moved port is a (flow, bin) entry of the forced-port
  // lists, and there are more of them than the area's 65536.
  const FLOWS = 17_000;
  const input = join(dir, 'wide.pcap');
  const w = await PcapWriter.open(input, { nanos: true });
  for (let b = 0; b < 20; b++) {
    for (let i = 0; i < FLOWS; i++) {
      const sport = 1024 + (i % 60000), s = 1 + (i >> 12);
      const f = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 0, s, 192, 168, 1 + (i & 1), 1, sport >> 8, sport & 255, 0, 53, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
      const ns = b * 100_000_000 + i * 1000;
      w.write({ tsSec: 1_700_000_000 + Math.floor(ns / 1e9), tsNsec: ns % 1e9, data: f });
    }
  }
  await w.close();
  const outB = join(dir, 'wide-bulk.pcap'), outG = join(dir, 'wide-general.pcap');
  const bulk = await replay({ input, scenario, out: outB });
  const general = await replay({ input, scenario, out: outG, bulk: false });
  t.same(bulk.report, general.report);
  t.same(bulk.series, general.series);
  t.ok(bulk.report.flows > 16384, `${bulk.report.flows} flows`);
  t.ok(bulk.report.frameCounts.forcedPort > 65536, `${bulk.report.frameCounts.forcedPort} frames on a moved port`);
  t.ok(Buffer.compare(readFileSync(outB), readFileSync(outG)) === 0, 'output byte for byte');
});

t.test('a core kept from an earlier replay (core-pool.ts) forgets that replay: flows, memo, peers', async (t) => {
  // The same 5-tuples in the opposite order: X's flow ids are Y's reversed, so a memo or a peer row left
  // over from Y would put X's frames in the wrong flows or on the wrong ports.
  const tuples = Array.from({ length: 40 }, (_, i) => ({ kind: i % 3, s: i % 3, d: (i + 1) % 3, sport: 2000 + i, dport: 80, gapUs: 700, cut: false }));
  const x = join(dir, 'pool-x.pcap'), y = join(dir, 'pool-y.pcap');
  await writeCapture(x, [...tuples, ...tuples], false);
  await writeCapture(y, [...tuples].reverse(), false);
  const first = await replay({ input: x, scenario, out: join(dir, 'pool-x1.pcap') });
  await replay({ input: y, scenario, out: join(dir, 'pool-y.out.pcap') });
  const again = await replay({ input: x, scenario, out: join(dir, 'pool-x2.pcap') });
  const general = await replay({ input: x, scenario, out: join(dir, 'pool-xg.pcap'), bulk: false });
  t.same(again.report, first.report);
  t.same(again.report, general.report);
  t.ok(Buffer.compare(readFileSync(join(dir, 'pool-x2.pcap')), readFileSync(join(dir, 'pool-x1.pcap'))) === 0, 'output byte for byte as the first time');
  t.ok(Buffer.compare(readFileSync(join(dir, 'pool-x2.pcap')), readFileSync(join(dir, 'pool-xg.pcap'))) === 0, 'and as the general path');
});
