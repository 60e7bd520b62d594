// Replay through the datapath and the simulated underlay: a constant flow whose default port crosses a
// black-holed spine loses every packet in static mode while zooroute moves it; OUT holds the frames on
// the ports the datapath used (the default by candidates[hash mod N], the moved one after the switch);
// the inner-address reader and the VTEP mapping rules.
import t from 'tap';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, readPackets } from '../src/pcap/index.js';
import { buildWorld, parseScenario, BIN_MS, type Scenario } from '../src/sim/index.js';
import { flowKey } from '../src/reference/flow-hash.js';
import { replay } from '../src/replay/replay.js';
import { formatReplay } from '../src/replay/replay-text.js';
import { replayReportInput } from '../src/replay/replay-report.js';
import { readInnerAddresses, newInnerAddresses, ADDR_IPV4, ADDR_IPV6, ADDR_MAC } from '../src/replay/inner-address.js';
import { VtepMapper, loadMapFile, MapFileError, parseIPv6, foldIPv6 } from '../src/replay/vtep-map.js';

const dir = mkdtempSync(join(tmpdir(), 'zr-replay-'));

/** Ethernet/IPv4/UDP frame (checksums not needed by the datapath's encap). */
function udpFrame(src: number[], dst: number[], sport: number, dport: number, payload = 18, vlans = 0): Uint8Array {
  const tags = vlans * 4;
  const f = new Uint8Array(14 + tags + 20 + 8 + payload);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
  for (let v = 0; v < vlans; v++) f.set([0x81, 0x00, 0, 100 + v], 12 + 4 * v);
  const l3 = 14 + tags;
  f.set([0x08, 0x00], l3 - 2);
  f.set([0x45, 0, 0, 20 + 8 + payload, 0, 1, 0x40, 0, 64, 17, 0, 0, ...src, ...dst], l3);
  f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 8 + payload, 0, 0], l3 + 20);
  return f;
}

async function writeCapture(path: string, frames: Array<{ ms: number; data: Uint8Array }>): Promise<void> {
  const w = await PcapWriter.open(path, { nanos: true });
  const t0 = 1_700_000_000;
  for (const f of frames) w.write({ tsSec: t0 + Math.floor(f.ms / 1000), tsNsec: Math.round((f.ms % 1000) * 1e6), data: f.data });
  await w.close();
}

const base = {
  kind: 'replay', name: 'one-flow', seed: 5, durationMs: 12000,
  topology: { kind: 'leaf-spine', leaves: 2, spines: 4 },
  vteps: [
    { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
    { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
  ],
};

t.test('static loses every packet through a black-holed spine; zooroute recovers; OUT has the ports used', async (t) => {
  // 100 packets/s for 12 s of one UDP flow a -> b.
  const frame = udpFrame([192, 168, 0, 1], [192, 168, 1, 1], 1000, 2000);
  const pcap = join(dir, 'flow.pcap');
  await writeCapture(pcap, Array.from({ length: 1200 }, (_, i) => ({ ms: i * 10 + 1, data: frame })));

  // Which spine does the flow's default port cross? Fail exactly that one, 3 s .. 9 s.
  const healthy = parseScenario(base);
  const w0 = buildWorld(healthy, undefined, { withoutTraffic: true });
  const [a, b] = w0.vteps;
  const cands = w0.candidates(b.ip);
  const hash = flowKey(frame, 0).hash;
  const def = cands[hash % cands.length];
  const path = w0.underlay.path(a.node, b.node, def);
  const spine = w0.graph.names[w0.graph.to[path[1]]];
  t.match(spine, /^spine\d$/, 'the default path crosses a spine');
  const scenario: Scenario = parseScenario({ ...base, failures: [{ name: 'hole', type: 'switch-down', atMs: 3000, durationMs: 6000, switch: spine }] });

  const out = join(dir, 'flow-out.pcap');
  const run = await replay({ input: pcap, scenario, out });
  const r = run.report;
  t.equal(r.frames, 1200);
  t.equal(r.flows, 1);
  t.equal(r.frameCounts.encapsulated, 1200, 'every frame encapsulated');
  const f = r.perFlow[0];
  t.equal(f.srcVtep, 'a'); t.equal(f.dstVtep, 'b'); t.equal(f.hash, hash, 'the Wasm hash is the reference hash');
  t.equal(f.modes.static.lost, 600, 'static: all 600 packets sent during the black hole are lost');
  t.equal(r.modes.static.maskedFailures, 0);
  t.equal(f.modes.static.recoverMs, 6000, 'static stays out for the whole failure');
  t.ok(f.modes.zooroute.lost < 100, `zooroute lost ${f.modes.zooroute.lost}`);
  t.ok(f.modes.zooroute.recoverMs <= 1000, `zooroute recovered within ${f.modes.zooroute.recoverMs} ms`);
  t.equal(r.modes.zooroute.maskedFailures, 1, 'zooroute masks the failure');
  t.equal(run.series.static.lost.reduce((x, y) => x + y, 0), 600, 'series sum to the flow totals');
  t.equal(run.series.zooroute.delivered.length, 120, 'one bin per 100 ms of capture');

  // OUT: frames in order, outer ports as used. Before the failure the default; later a moved one that
  // avoids the failed spine; never a port outside the candidates.
  const sports: number[] = [];
  for await (const rec of readPackets(out)) {
    const d = rec.data;
    t.equal((d[12] << 8) | d[13], 0x0800);
    sports.push((d[34] << 8) | d[35]);
    if (sports.length === 1) t.same([...d.subarray(50)], [...frame], 'the inner frame is untouched');
  }
  t.equal(sports.length, 1200);
  t.ok(sports.every((p) => cands.includes(p)), 'every port is a candidate');
  t.ok(sports.slice(0, 300).every((p) => p === def), 'before the failure: the default port');
  const late = sports[850];
  t.not(late, def, 'late in the failure the flow left the default port');
  const latePath = w0.underlay.path(a.node, b.node, late);
  t.notOk([...latePath].some((l) => w0.graph.names[w0.graph.to[l]] === spine), 'and its path avoids the failed spine');
  t.equal(r.frameCounts.forcedPort, sports.filter((p) => p !== def).length, 'forced ports are exactly the moved frames');
  // Bins: the port in OUT is the port zooroute's run used for that bin.
  const bin = (i: number): number => Math.floor((i * 10 + 1) / BIN_MS);
  t.equal(sports[850], sports[851], `same bin ${bin(850)}, same port`);
});

t.test('a sparse flow: empty bins do not break its run of outage (docs/replay.md)', async (t) => {
  // Two packets a second (one every 5 bins) for 12 s; the same black hole 3 s .. 9 s on its default path.
  const frame = udpFrame([192, 168, 0, 1], [192, 168, 1, 1], 1000, 2000);
  const pcap = join(dir, 'sparse.pcap');
  await writeCapture(pcap, Array.from({ length: 24 }, (_, i) => ({ ms: i * 500 + 1, data: frame })));
  const w0 = buildWorld(parseScenario(base), undefined, { withoutTraffic: true });
  const [a, b] = w0.vteps;
  const cands = w0.candidates(b.ip);
  const path = w0.underlay.path(a.node, b.node, cands[flowKey(frame, 0).hash % cands.length]);
  const spine = w0.graph.names[w0.graph.to[path[1]]];
  const scenario = parseScenario({ ...base, failures: [{ name: 'hole', type: 'switch-down', atMs: 3000, durationMs: 6000, switch: spine }] });
  const run = await replay({ input: pcap, scenario });
  const f = run.report.perFlow[0].modes.static;
  t.equal(f.lost, 12, 'static loses the 12 packets sent during the black hole');
  // Lossy bins 30, 35, ..., 85: one run from bin 30 through bin 85, the empty bins between included.
  t.equal(f.recoverMs, 5600, 'one run from the first to the last lost packet');
  t.equal(f.outageSeconds, 5.6);
  t.equal(run.report.modes.static.maskedFailures, 0, 'so static does not mask the failure');
  t.equal(run.report.modes.static.perFailure[0].longestOutMs, 5600, 'the simulator ledger agrees with the replay');
});

t.test('examples/switch-card-failure: static masks nothing once empty bins stop breaking runs', async (t) => {
  const scenario = parseScenario(JSON.parse(readFileSync('examples/switch-card-failure.scenario.json', 'utf8')));
  const run = await replay({ input: 'examples/tenant.pcap', scenario });
  const r = run.report;
  t.equal(r.modes.static.maskedFailures, 0, 'the card failure is not masked in static mode');
  const tcp = r.perFlow.find((f) => f.proto === 6 && f.sport === 40112);
  t.ok(tcp, 'the TCP flow 192.168.10.11:40112 > 192.168.10.21:80');
  // The card fails at 5 s for 2 minutes, past the capture's 30 s end.
  t.ok(tcp!.modes.static.lost >= 200, `static lost ${tcp!.modes.static.lost} of ${tcp!.packets}`);
  t.ok(tcp!.modes.static.recoverMs > 20000, `its run of outage lasts ${tcp!.modes.static.recoverMs} ms, not one bin`);
  t.equal(r.recovery.static.maxMs, Math.max(...r.perFlow.map((f) => f.modes.static.recoverMs)), 'recovery max is the longest flow run');
  // The HTML report lists the flows the CLI lists, in the same order, with the same figures.
  const text = formatReplay(r).split('\n');
  const flows = replayReportInput(run).scenarios[0].flows!;
  t.equal(flows.rows.length, 6, 'six flows lost packets');
  for (const row of flows.rows) {
    const line = text.find((l) => l.startsWith(`${String(row.flow)} `));
    t.ok(line, `the CLI lists ${String(row.flow)}`);
    t.match(line!, `${String(row['static lost'])} / ${Number(row['static outage s']).toFixed(1)} / ${String(row['static recover ms'])}`);
  }
  t.same(flows.rows.map((x) => x.flow), text.filter((l) => / p\d+ /.test(l)).map((l) => l.split(/\s{2,}/)[0].trim()), 'same order');
});

t.test('no failure: every frame on candidates[hash mod N] of its peer', async (t) => {
  const frames = Array.from({ length: 64 }, (_, i) => ({ ms: i * 5, data: udpFrame([192, 168, 0, 1 + (i % 8)], [192, 168, 1, 1], 3000 + i, 80) }));
  const pcap = join(dir, 'many.pcap');
  await writeCapture(pcap, frames);
  const scenario = parseScenario(base);
  const out = join(dir, 'many-out.pcap');
  const run = await replay({ input: pcap, scenario, out });
  t.equal(run.report.flows, 64);
  t.equal(run.report.modes.zooroute.lostPackets, 0);
  const w = buildWorld(scenario, undefined, { withoutTraffic: true });
  const cands = w.candidates(w.vteps[1].ip);
  let i = 0;
  for await (const rec of readPackets(out)) {
    const d = rec.data;
    t.equal((d[34] << 8) | d[35], cands[flowKey(frames[i].data, 0).hash % cands.length], `frame ${i}`);
    t.equal(((d[26] << 24) | (d[27] << 16) | (d[28] << 8) | d[29]) >>> 0, w.vteps[0].ip, 'outer source is the source VTEP');
    i++;
  }
  t.equal(i, 64);
});

t.test('inner addresses', async (t) => {
  const a = newInnerAddresses();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
    readInnerAddresses(bytes, a);
    return [ADDR_IPV4, ADDR_IPV6, ADDR_MAC].includes(a.family) && a.src >>> 0 === a.src && a.dst >>> 0 === a.dst;
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 2 })),
    ([s, d, sp, dp, vlans]) => {
      const bs = (x: number): number[] => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];
      readInnerAddresses(udpFrame(bs(s), bs(d), sp, dp, 4, vlans), a);
      return a.family === ADDR_IPV4 && a.src === s && a.dst === d && a.sport === sp && a.dport === dp && a.proto === 17;
    }));
  const arp = new Uint8Array(42);
  arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
  arp.set([192, 168, 0, 7], 28); arp.set([192, 168, 1, 9], 38);
  readInnerAddresses(arp, a);
  t.same([a.family, a.src, a.dst], [ADDR_IPV4, 0xc0a80007, 0xc0a80109], 'ARP: sender and target addresses');
});

t.test('VTEP mapping: map file, serving VTEP, hash fallback', async (t) => {
  const w = buildWorld(parseScenario({ ...base, vteps: [...base.vteps, { name: 'c', ip: '10.0.0.3', attach: 'leaf1' }] }), undefined, { withoutTraffic: true });
  const mapFile = join(dir, 'map.json');
  writeFileSync(mapFile, JSON.stringify({ inner: { '192.168.0.128/25': 'c', 'fd00::1': 'b' } }));
  const m = new VtepMapper(w, loadMapFile(mapFile, w));
  t.equal(m.vtepOf(ADDR_IPV4, 0xc0a80001), 0, 'served by a');
  t.equal(m.vtepOf(ADDR_IPV4, 0xc0a80081), 2, 'the map file first');
  t.equal(m.vtepOf(ADDR_IPV6, foldIPv6(parseIPv6('fd00::1')!)), 1, 'IPv6 by the map file');
  t.equal(m.hashed, 0);
  const x = m.vtepOf(ADDR_IPV4, 0x0a090807);
  t.ok(x >= 0 && x < 3, 'unserved: some VTEP by hash');
  t.equal(m.vtepOf(ADDR_IPV4, 0x0a090807), x, 'and always the same');
  t.equal(m.hashed, 1);
  t.same([...parseIPv6('fd00:10::21')!], [0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21]);
  t.equal(parseIPv6('1::2::3'), undefined);
  writeFileSync(mapFile, JSON.stringify({ inner: { '192.168.0.0/24': 'nobody' } }));
  t.throws(() => loadMapFile(mapFile, w), MapFileError);
  writeFileSync(mapFile, JSON.stringify({ inner: { '300.1.1.1': 'a' } }));
  t.throws(() => loadMapFile(mapFile, w), /not an IPv4 address or prefix/);
});

t.test('an empty capture and frames that stay on one VTEP replay to empty figures', async (t) => {
  const empty = join(dir, 'empty.pcap');
  await writeCapture(empty, []);
  const scenario = parseScenario(base);
  let r = (await replay({ input: empty, scenario })).report;
  t.same([r.frames, r.flows, r.modes.zooroute.sentPackets, r.frameCounts.encapsulated], [0, 0, 0, 0]);
  const local = join(dir, 'local.pcap');
  await writeCapture(local, [{ ms: 0, data: udpFrame([192, 168, 0, 1], [192, 168, 0, 2], 1, 2) }, { ms: 1, data: new Uint8Array(9) }]);
  r = (await replay({ input: local, scenario })).report;
  // The UDP frame has both ends on VTEP a; the 9-byte runt of zeros folds both its "addresses" to 0.
  t.same([r.frameCounts.total, r.frameCounts.local, r.frameCounts.replayed, r.flows], [2, 2, 0, 0], 'both delivered locally, nothing encapsulated');
});

t.test('the 5-tuple memo holds: frames with the same cacheable key get the same Wasm hash', async (t) => {
  // The memo (flow-cache.ts) reuses a flow's hash for any frame with the same IPv4 TCP/UDP 5-tuple;
  // check against the datapath that VLAN tags, IP options, payload and other header fields never
  // change that hash, and that frames the reader does not call cacheable are the ones it must not.
  const { Datapath } = await import('../bindings/index.js');
  const dp = Datapath.create({ localIp: '10.0.0.1', hashSeed: 77, batchSize: 2 });
  const b = dp.batch();
  const wasmHash = (f: Uint8Array): number => { b.clear(); b.push(f); dp.hash(b); return b.hash(0); };
  const a = newInnerAddresses();
  fc.assert(fc.property(
    fc.record({
      src: fc.integer({ min: 0, max: 0xffffffff }), dst: fc.integer({ min: 0, max: 0xffffffff }),
      sp: fc.integer({ min: 0, max: 65535 }), dp: fc.integer({ min: 0, max: 65535 }), tcp: fc.boolean(),
      vlans: fc.integer({ min: 0, max: 2 }), options: fc.integer({ min: 0, max: 10 }), ttl: fc.integer({ min: 0, max: 255 }),
      frag: fc.constantFrom(0, 0x4000, 0x2000, 0x0010), payload: fc.uint8Array({ maxLength: 40 }), cut: fc.integer({ min: 0, max: 80 }),
    }),
    (x) => {
      const bs = (v: number): number[] => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
      const build = (vlans: number, options: number, ttl: number, frag: number, payload: Uint8Array): Uint8Array => {
        const l3 = 14 + 4 * vlans, ihl = 20 + 4 * options;
        const f = new Uint8Array(l3 + ihl + 8 + payload.length);
        f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
        for (let v = 0; v < vlans; v++) f.set([v ? 0x81 : 0x88, v ? 0x00 : 0xa8, 0, 7], 12 + 4 * v);
        f.set([0x08, 0x00], l3 - 2);
        f.set([0x40 | (ihl / 4), 0, 0, 0, 0, 1, frag >> 8, frag & 255, ttl, x.tcp ? 6 : 17, 0, 0, ...bs(x.src), ...bs(x.dst)], l3);
        f.set([x.sp >> 8, x.sp & 255, x.dp >> 8, x.dp & 255], l3 + ihl);
        f.set(payload, l3 + ihl + 8);
        return f;
      };
      const full = build(x.vlans, x.options, x.ttl, x.frag, x.payload);
      const f = full.subarray(0, Math.max(14, full.length - x.cut));
      readInnerAddresses(f, a);
      if (!a.l4) return true; // not cacheable: always hashed by Wasm
      const canonical = build(0, 0, 64, 0, new Uint8Array(0));
      return a.src === x.src && a.dst === x.dst && a.sport === x.sp && a.dport === x.dp && wasmHash(f) === wasmHash(canonical);
    }), { numRuns: 3000 });
  t.pass('3000 frames');
});
