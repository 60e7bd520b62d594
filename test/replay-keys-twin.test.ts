// Property tests: replay's kernels (assembly/replay.ts: replayKeys, replayMemoInsert, replayRetemplate)
// and their plain-TS twin (src/reference/replay-keys.ts) agree on every byte of Wasm memory and every
// answer, for well-formed and malformed tenant frames (VLAN tags, IPv4 with options and fragments,
// IPv6, ARP, runts, cut headers), hostile descriptors, any timestamps and any memo contents. A kernel
// never traps and touches nothing outside its rows, memo and peer (the whole memory is compared).
// replayKeys agrees with replay's TS reader (inner-address.ts); a retemplated peer is byte for byte the
// peer setPeer builds in a core made with that local address. ZR_FUZZ_RUNS raises the cases (default 2,000).
import t from 'tap';
import fc from 'fast-check';
import { Datapath, coreImage } from '../bindings/datapath.js';
import { ReplayCore } from '../bindings/replay-core.js';
import { formatIPv4 } from '../bindings/index.js';
import { DESC_SIZE, D_DATA_LEN, D_DATA_OFF, PEER_SIZE, RK_SIZE, RM_SIZE, TS_STRIDE } from '../bindings/layout.js';
import { replayKeysRef, replayMemoInsertRef, replayRetemplateRef } from '../src/reference/replay-keys.js';
import { newInnerAddresses, readInnerAddressesAt } from '../src/replay/inner-address.js';

const RUNS = Math.max(2_000, Number(process.env.ZR_FUZZ_RUNS ?? 0) || 0);
const BATCH = 8;
const SLOT = 256;
const MEMO = 16; // few slots: collisions and evictions are common

const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: BATCH, slotSize: SLOT, maxPeers: 4, records: { inputBytes: 64, outputBytes: 64 } });
const rc = new ReplayCore(dp, MEMO);
const br = dp.batch().region;
const ts = dp.records().region.ts;
const mem = (): Uint8Array => new Uint8Array(br.memory.buffer);

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const be16 = (v: number): number[] => [v >> 8, v & 255];
const be32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
/** Small address and port pools, so that 5-tuples repeat and the memo hits. */
const addr = fc.oneof(fc.constantFrom(0xc0a80001, 0xc0a80101, 0x0a000001), u32);
const port = fc.oneof(fc.constantFrom(80, 443, 10000), u16);

const tags = fc.array(fc.constantFrom(0x8100, 0x88a8), { maxLength: 3 }).map((ts) => ts.flatMap((t) => [...be16(t), 0, 7]));
const ipv4 = fc.record({
  ihl: fc.oneof({ weight: 5, arbitrary: fc.constant(5) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  version: fc.oneof({ weight: 8, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  frag: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: u16 }),
  proto: fc.oneof(fc.constantFrom(6, 17), u8), src: addr, dst: addr, sport: port, dport: port,
}).map((p) => [
  ...be16(0x0800), (p.version << 4) | p.ihl, 0, 0, 40, 0, 1, ...be16(p.frag), 64, p.proto, 0, 0, ...be32(p.src), ...be32(p.dst),
  ...new Array(Math.max(0, p.ihl * 4 - 20)).fill(1), ...be16(p.sport), ...be16(p.dport), 0, 8, 0, 0,
]);
const ipv6 = fc.record({ version: fc.oneof(fc.constant(6), u8.map((v) => v & 15)), nh: u8, a: fc.uint8Array({ minLength: 32, maxLength: 32 }) })
  .map((p) => [...be16(0x86dd), p.version << 4, 0, 0, 0, 0, 8, p.nh, 64, ...p.a, 1, 2, 3, 4, 0, 8, 0, 0]);
const arp = fc.record({ hl: fc.oneof(fc.constant(6), u8), pl: fc.oneof(fc.constant(4), u8), s: addr, d: addr })
  .map((p) => [...be16(0x0806), 0, 1, 8, 0, p.hl, p.pl, 0, 1, 2, 0, 0, 0, 0, 1, ...be32(p.s), 0, 0, 0, 0, 0, 0, ...be32(p.d)]);
const other = fc.uint8Array({ maxLength: 40 }).map((b) => [...b]);
/** A frame: MACs, tags, a payload, then cut anywhere (or left whole). */
const frame = fc.record({
  macs: fc.uint8Array({ minLength: 12, maxLength: 12 }), tags, body: fc.oneof(ipv4, ipv4, ipv6, arp, other),
  cut: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 100 }) }),
}).map((f) => {
  const all = [...f.macs, ...f.tags, ...f.body];
  return Uint8Array.from(f.cut >= 0 ? all.slice(0, f.cut) : all);
});
const packet = fc.record({
  frame,
  off: fc.oneof({ weight: 6, arbitrary: fc.constant(64) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: SLOT + 8 }) }, { weight: 1, arbitrary: u32 }),
  badLen: fc.oneof({ weight: 8, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: u32 }),
  sec: fc.oneof(fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(Number)),
  nsec: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), u32),
});
const keysCase = fc.record({
  packets: fc.array(packet, { maxLength: BATCH }),
  t0Sec: fc.oneof(fc.constant(1_700_000_000), fc.integer({ min: 0, max: 0xffffffff })),
  t0Nsec: fc.integer({ min: 0, max: 999_999_999 }),
  memo: fc.uint8Array({ minLength: MEMO * RM_SIZE, maxLength: MEMO * RM_SIZE }),
  /** Flow ids written into the rows before the insert (-1: none). */
  ids: fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 5 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), { minLength: BATCH, maxLength: BATCH }),
  prefill: fc.boolean(),
});

type KeysCase = typeof keysCase extends fc.Arbitrary<infer T> ? T : never;

function setUp(c: KeysCase): void {
  const m = mem(), d = new DataView(m.buffer);
  m.fill(0xa5, rc.keysAddr, rc.keysAddr + BATCH * RK_SIZE);
  m.set(c.memo, rc.memoAddr);
  c.packets.forEach((p, i) => {
    const slot = br.arena + i * SLOT;
    m.fill(0x5a, slot, slot + SLOT);
    const off = p.off, at = Math.min(off, SLOT);
    m.set(p.frame.subarray(0, Math.max(0, SLOT - at)), slot + at);
    d.setUint32(br.desc + i * DESC_SIZE + D_DATA_OFF, off, true);
    d.setUint32(br.desc + i * DESC_SIZE + D_DATA_LEN, p.badLen >= 0 ? p.badLen : p.frame.length, true);
    d.setBigUint64(ts + i * TS_STRIDE, BigInt(Math.min(p.sec, 2 ** 64 - 2 ** 11)), true);
    d.setUint32(ts + i * TS_STRIDE + 8, p.nsec, true);
  });
  dp.batch().length = c.packets.length;
}

t.test('replayKeys and replayMemoInsert: Wasm and twin write the same memory', async (t) => {
  let hits = 0, rows = 0;
  fc.assert(fc.property(keysCase, (c) => {
    setUp(c);
    if (c.prefill) {
      // A memo that knows some of these packets: keys once, give ids, insert (in both, compared below).
      rc.keys(c.t0Sec, c.t0Nsec);
      const d = new DataView(mem().buffer);
      for (let i = 0; i < c.packets.length; i++) d.setInt32(rc.keysAddr + i * RK_SIZE, c.ids[i], true);
      rc.memoInsert();
    }
    const before = mem().slice();
    const n = c.packets.length;
    const wasm = rc.keys(c.t0Sec, c.t0Nsec);
    const ref = replayKeysRef(before, br.desc, br.arena, n, SLOT, ts, c.t0Sec, c.t0Nsec, rc.memoAddr, rc.memoMask, rc.keysAddr);
    if (wasm !== ref || Buffer.compare(mem(), before) !== 0) return false;
    hits += wasm; rows += n;
    const d = new DataView(mem().buffer);
    for (let i = 0; i < n; i++) d.setInt32(rc.keysAddr + i * RK_SIZE, c.ids[i], true);
    const before2 = mem().slice();
    const w2 = rc.memoInsert();
    const r2 = replayMemoInsertRef(before2, rc.memoAddr, rc.memoMask, rc.keysAddr, n);
    return w2 === r2 && Buffer.compare(mem(), before2) === 0;
  }), { numRuns: RUNS });
  t.ok(hits > 0, `${hits} memo hits over ${rows} rows`);
});

t.test('replayKeys reads the addresses, ports and L4 flag replay\'s TS reader does', async (t) => {
  fc.assert(fc.property(fc.array(frame, { minLength: 1, maxLength: BATCH }), (frames) => {
    const c: KeysCase = {
      packets: frames.map((f) => ({ frame: f, off: 64, badLen: -1, sec: 1_700_000_000, nsec: 0 })),
      t0Sec: 1_700_000_000, t0Nsec: 0, memo: new Uint8Array(MEMO * RM_SIZE), ids: new Array(BATCH).fill(-1), prefill: false,
    };
    setUp(c);
    rc.keys(c.t0Sec, c.t0Nsec);
    const { keyU32, keyU8, keyU16 } = rc.views;
    const a = newInnerAddresses();
    return frames.every((f, i) => {
      readInnerAddressesAt(f, 0, f.length, a);
      const k = (rc.keysAddr + i * RK_SIZE) >>> 2;
      return keyU8[(k << 2) + 12] === a.family && keyU32[k + 1] === a.src >>> 0 && keyU32[k + 2] === a.dst >>> 0 && keyU8[(k << 2) + 13] === a.proto
        && keyU8[(k << 2) + 14] === (a.l4 ? 1 : 0) && keyU16[(k << 1) + 8] === a.sport && keyU16[(k << 1) + 9] === a.dport;
    });
  }), { numRuns: RUNS });
  t.pass();
});

t.test('replayKeys: bins as replay computes them in TS', async (t) => {
  const c: KeysCase = {
    packets: [0, 99_999_999, 100_000_000, 1_000_000_000, 5].map((ns, i) => ({ frame: new Uint8Array(60), off: 64, badLen: -1, sec: 1_700_000_000 + (i === 4 ? -1 : 0), nsec: ns % 1e9 + (i === 3 ? 0 : 0) })),
    t0Sec: 1_700_000_000, t0Nsec: 0, memo: new Uint8Array(MEMO * RM_SIZE), ids: new Array(BATCH).fill(-1), prefill: false,
  };
  setUp(c);
  rc.keys(c.t0Sec, c.t0Nsec);
  const bins = c.packets.map((_, i) => rc.views.keyU32[((rc.keysAddr + i * RK_SIZE) >>> 2) + 5]);
  t.same(bins, [0, 0, 1, 0, 0], 'floor(ms / 100), earlier than time zero counts as zero');
});

t.test('replayRetemplate: the peer setPeer builds under that local address, and the twin agrees', async (t) => {
  fc.assert(fc.property(u32, u32, u32, fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 5 }), (a, b, remote, vni, idx) => {
    const one = Datapath.create({ localIp: formatIPv4(a), maxPeers: 4, batchSize: 1, slotSize: 256, records: { inputBytes: 64, outputBytes: 64 } });
    const two = Datapath.create({ localIp: formatIPv4(b), maxPeers: 4, batchSize: 1, slotSize: 256, records: { inputBytes: 64, outputBytes: 64 } });
    const peer = { remoteIp: formatIPv4(remote), vni, candidates: [1000, 2000, 3000] };
    const i = idx % 4;
    one.setPeer(i, peer); two.setPeer(i, peer);
    const c1 = new ReplayCore(one, 1);
    const img = coreImage(one), base = img.words[0], count = img.words[1];
    const copy = new Uint8Array(img.memory.buffer).slice();
    const refOk = replayRetemplateRef(copy, base, count, idx, b);
    let wasmOk = true;
    try { c1.retemplate(idx, b); } catch { wasmOk = false; }
    if (refOk !== wasmOk || refOk !== (idx < 4)) return false;
    if (Buffer.compare(new Uint8Array(img.memory.buffer), copy) !== 0) return false;
    if (!refOk) return true;
    const img2 = coreImage(two);
    const p1 = new Uint8Array(img.memory.buffer, base + i * PEER_SIZE, PEER_SIZE), p2 = new Uint8Array(img2.memory.buffer, img2.words[0] + i * PEER_SIZE, PEER_SIZE);
    return Buffer.compare(p1, p2) === 0;
  }), { numRuns: 200 });
  t.pass();
});

t.test('replayRetemplate refuses a peer not configured', async (t) => {
  const fresh = Datapath.create({ localIp: '10.0.0.9', maxPeers: 2, batchSize: 1, slotSize: 256, records: { inputBytes: 64, outputBytes: 64 } });
  const c = new ReplayCore(fresh, 1);
  t.throws(() => c.retemplate(1, 1), /not configured/);
  t.throws(() => c.retemplate(7, 1), /not configured/);
});
