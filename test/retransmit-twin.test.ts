// Property tests: the TCP retransmission kernel (assembly/retransmit.ts: tcpRetransmits) and its plain-TS
// twin (src/reference/retransmit.ts) agree on every byte of Wasm memory (the marks and the flow table)
// and on the count, for random sequences of segments of a few flows (IPv4 with and without options,
// IPv6), broken and truncated frames, and hostile descriptors; the kernel never traps and writes
// nothing else, at any time and stall threshold (wrapping times too). A model of one flow checks what
// the marks mean, a repeat and a repeat after a stall. ZR_FUZZ_RUNS raises the number of
// cases per property (default 2,000).
import t from 'tap';
import fc from 'fast-check';
import { Datapath, retransmitTable } from '../bindings/datapath.js';
import { DESC_SIZE, D_DATA_LEN, D_DATA_OFF, D_HASH, D_KEY, D_L3_OFF, D_L4_OFF, D_PEER, D_STATUS, KEY_FRAGMENT, KEY_L4, RT_AT, RT_END, RT_ENTRY, RT_PEER, RT_SPREAD, RT_TAG, RT_USED } from '../bindings/layout.js';
import { concat, ethernet, ipv4, ipv6, tcp, udp } from '../src/reference/frames.js';
import { putBe16, putBe32 } from '../src/reference/bytes.js';
import { tcpRetransmitsRef } from '../src/reference/retransmit.js';

const RUNS = Math.max(2_000, Number(process.env.ZR_FUZZ_RUNS ?? 0) || 0);
const BATCH = 8;
const SLOT = 512;
const FLOWS = 16; // small, so that flows share slots

const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: BATCH, slotSize: SLOT, maxPeers: 1, retransmitFlows: FLOWS });
const batch = dp.batch();
const br = batch.region;
const { table, mask } = retransmitTable(dp)!;
const mem = (): Uint8Array => new Uint8Array(br.memory.buffer);

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 0xa), MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 0xb);
const V6_A = new Uint8Array(16).fill(0x20), V6_B = new Uint8Array(16).fill(0x30);

/** A TCP segment: sequence number, flags byte and, with `doff` (in words), a header of that size (options zero). */
function tcpSegment(sport: number, dport: number, seq: number, payload: number, flags = 0x18, doff = 5): Uint8Array {
  const h = tcp(sport, dport, new Uint8Array(Math.max(0, doff * 4 - 20) + payload).fill(0x61));
  putBe32(h, 4, seq >>> 0);
  h[12] = (doff & 15) << 4;
  h[13] = flags;
  return h;
}

/** An Ethernet frame carrying the segment of flow `flow` (0..5: IPv4, 2 and 5 with options, 3 and 4 IPv6). */
function flowFrame(flow: number, seq: number, payload: number, flags = 0x18, doff = 5): Uint8Array {
  const seg = tcpSegment(40000 + flow, 80, seq, payload, flags, doff);
  if (flow === 3 || flow === 4) return ethernet(MAC_B, MAC_A, 0x86dd, ipv6(V6_A, V6_B, 6, seg));
  const options = flow === 2 || flow === 5 ? new Uint8Array(8).fill(1) : undefined;
  return ethernet(MAC_B, MAC_A, 0x0800, ipv4({ src: 0x0a000001, dst: 0x0a000002 + (flow & 1), proto: 6, options }, seg));
}

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const BASES = [0, 1000, 0x7fffff00, 0xffffff80];
const segmentArb = fc.record({
  flow: fc.integer({ min: 0, max: 5 }),
  // Sequence numbers near a few bases (wrapping ones too), so that ends repeat, pass and fall behind.
  base: fc.constantFrom(...BASES),
  delta: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: -300, max: 300 }) }, { weight: 1, arbitrary: u32 }),
  payload: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 120 }) }, { weight: 1, arbitrary: fc.constant(0) }),
  flags: fc.constantFrom(0x18, 0x10, 0x02, 0x11, 0x12),
  // TCP options (timestamps: 8 words) or none.
  doff: fc.constantFrom(5, 5, 6, 8),
});
// What happens to the frame after it is built.
const damageArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.integer({ min: 0, max: 200 }) }) },
  // A few bytes short: the IP length then runs past the frame by just that much.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('short' as const), by: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: 200 }), value: fc.integer({ min: 0, max: 255 }) }) },
  // Lengths and data offset are what the kernel trusts least: overwrite IP length fields and the TCP data offset.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lengths' as const), ipLen: u16, doff: fc.integer({ min: 0, max: 15 }) }) },
);
const packetArb = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('tcp' as const), seg: segmentArb, damage: damageArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('udp' as const), payload: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fragment' as const), seg: segmentArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 120 }) }) },
);
// Descriptor fields the hash kernel wrote, overwritten (each rarely) by hostile values.
const hostileArb = fc.option(fc.record({
  status: fc.option(fc.oneof(fc.constant(0), u16), { nil: undefined }),
  key: fc.option(fc.oneof(fc.constant(KEY_L4), fc.constant(KEY_L4 | KEY_FRAGMENT), u16), { nil: undefined }),
  l3: fc.option(fc.oneof(fc.integer({ min: 0, max: 80 }), u16), { nil: undefined }),
  l4: fc.option(fc.oneof(fc.integer({ min: 0, max: 120 }), u16), { nil: undefined }),
  hash: fc.option(u32, { nil: undefined }),
  off: fc.option(fc.oneof(fc.integer({ min: 0, max: SLOT + 4 }), u32), { nil: undefined }),
  len: fc.option(fc.oneof(fc.integer({ min: 0, max: SLOT + 4 }), u32), { nil: undefined }),
  // The peer is an input the hash kernel leaves alone; the flow table keys on it.
  peer: fc.option(u16, { nil: undefined }),
}), { freq: 6, nil: undefined });
// Mostly peer 0; peers 1, 16 and 32 send the same flows (a flooded frame goes to each peer). With 16
// slots, peers 0, 16 and 32 put a flow in the same slot: only the peer in the entry tells them apart.
const peerArb = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 16, 32) });
const caseArb = fc.array(fc.array(fc.record({ packet: packetArb, peer: peerArb, hostile: hostileArb }), { maxLength: BATCH }), { minLength: 1, maxLength: 4 });
type Packet = typeof packetArb extends fc.Arbitrary<infer T> ? T : never;

function build(p: Packet): Uint8Array {
  switch (p.kind) {
    case 'udp': return ethernet(MAC_B, MAC_A, 0x0800, ipv4({ src: 1, dst: 2, proto: 17 }, udp(5, 6, new Uint8Array(p.payload))));
    case 'random': return p.bytes;
    case 'fragment': {
      const s = p.seg;
      return ethernet(MAC_B, MAC_A, 0x0800, ipv4({ src: 1, dst: 2, proto: 6, moreFragments: true }, tcpSegment(1, 2, s.base + s.delta, s.payload)));
    }
    case 'tcp': {
      const s = p.seg, f = flowFrame(s.flow, s.base + s.delta, s.payload, s.flags, s.doff), d = p.damage;
      if (d.kind === 'cut') return f.subarray(0, Math.min(d.at, f.length));
      if (d.kind === 'short') return f.subarray(0, Math.max(0, f.length - d.by));
      if (d.kind === 'flip') { if (d.at < f.length) f[d.at] = d.value; return f; }
      if (d.kind === 'lengths') {
        const v6 = s.flow === 3 || s.flow === 4, ihl = v6 ? 40 : s.flow === 2 || s.flow === 5 ? 28 : 20;
        putBe16(f, 14 + (v6 ? 4 : 2), d.ipLen);
        f[14 + ihl + 12] = d.doff << 4;
      }
      return f;
    }
  }
}

/** Fill the batch, hash it (key, offsets, hash), apply hostile descriptors; then both kernels, on the same memory. */
function runBatch(packets: { packet: Packet; peer: number; hostile: (typeof hostileArb extends fc.Arbitrary<infer H> ? H : never) }[], now: number, stallMs: number): { wasm: number; ref: number; same: boolean } {
  batch.clear();
  for (const { packet, peer } of packets) batch.push(build(packet), peer);
  dp.hash(batch);
  const dv = new DataView(br.memory.buffer);
  packets.forEach(({ hostile: h }, i) => {
    if (h === undefined) return;
    const d = br.desc + i * DESC_SIZE;
    if (h.status !== undefined) dv.setUint16(d + D_STATUS, h.status, true);
    if (h.key !== undefined) dv.setUint16(d + D_KEY, h.key, true);
    if (h.l3 !== undefined) dv.setUint16(d + D_L3_OFF, h.l3, true);
    if (h.l4 !== undefined) dv.setUint16(d + D_L4_OFF, h.l4, true);
    if (h.hash !== undefined) dv.setUint32(d + D_HASH, h.hash, true);
    if (h.off !== undefined) dv.setUint32(d + D_DATA_OFF, h.off, true);
    if (h.len !== undefined) dv.setUint32(d + D_DATA_LEN, h.len, true);
    if (h.peer !== undefined) dv.setUint16(d + D_PEER, h.peer, true);
  });
  // Stale marks beyond and within the batch: every mark of the batch must be written.
  mem().fill(0xee, br.marks!, br.marks! + BATCH);
  const copy = mem().slice();
  const ref = tcpRetransmitsRef(copy, br.desc, br.arena, batch.length, SLOT, br.marks!, table, mask, now, stallMs);
  const wasm = dp.markRetransmits(batch, now, stallMs);
  return { wasm, ref, same: Buffer.compare(mem(), copy) === 0 };
}

t.test('Wasm and twin agree on marks and the flow table, for any frames and descriptors', async (t) => {
  let marked = 0, batches = 0;
  // Time starts anywhere in u32 (so it wraps), moves on by a step per batch; thresholds from none to all.
  const timeArb = fc.record({ t0: u32, steps: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 8 }), stall: fc.constantFrom(0, 1, 100, 250, 0xffffffff) });
  fc.assert(fc.property(caseArb, timeArb, (c, { t0, steps, stall }) => {
    let now = t0;
    for (const [k, packets] of c.entries()) {
      now = (now + steps[k % steps.length]) % 2 ** 32;
      const { wasm, ref, same } = runBatch(packets, now, stall);
      batches++;
      marked += wasm;
      if (wasm !== ref || !same) return false;
    }
    return true;
  }), { numRuns: RUNS });
  t.ok(marked > 0, `retransmissions seen (${marked} marks over ${batches} batches)`);
});

t.test('one flow: a mark is exactly a segment with payload ending no later than the highest end so far; after a stall when its last new data is stallMs old', async (t) => {
  const big = Datapath.create({ localIp: '10.0.0.1', batchSize: BATCH, slotSize: SLOT, maxPeers: 1, retransmitFlows: 1024 });
  const b = big.batch();
  const STALL = 100;
  fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), fc.constantFrom(...BASES), u32, fc.array(fc.record({ delta: fc.integer({ min: -400, max: 400 }), payload: fc.integer({ min: 0, max: 100 }), gap: fc.integer({ min: 0, max: 150 }) }), { minLength: 1, maxLength: 40 }), (flow, base, t0, segs) => {
    big.clearRetransmitFlows();
    let highest: number | undefined, lastNew = 0, now = t0;
    const want: string[] = [], got: string[] = [];
    for (let k = 0; k < segs.length; k += BATCH) {
      b.clear();
      const part = segs.slice(k, k + BATCH);
      now = (now + part[0].gap) % 2 ** 32; // one time per batch
      for (const s of part) b.push(flowFrame(flow, base + s.delta, s.payload));
      big.hash(b);
      big.markRetransmits(b, now, STALL);
      part.forEach((s, i) => {
        const end = (base + s.delta + s.payload) >>> 0;
        const after = highest === undefined || ((end - highest) | 0) > 0;
        want.push(after || s.payload === 0 ? 'none' : ((now - lastNew) >>> 0) >= STALL ? 'stalled' : 'repeat');
        if (after) { highest = end; lastNew = now; }
        got.push(!b.retransmitted(i) ? 'none' : b.retransmittedAfterStall(i) ? 'stalled' : 'repeat');
      });
    }
    return want.every((w, i) => w === got[i]);
  }), { numRuns: Math.min(RUNS, 1000) });
});

t.test('worked example: a repeat while the flow moves is not after a stall; one after 100 ms of nothing new is, and so are its backed-off repeats', async (t) => {
  dp.clearRetransmitFlows();
  const at = (now: number, seq: number, payload: number): string => {
    batch.clear();
    batch.push(flowFrame(0, seq, payload));
    dp.hash(batch);
    dp.markRetransmits(batch, now, 100);
    return !batch.retransmitted(0) ? 'none' : batch.retransmittedAfterStall(0) ? 'stalled' : 'repeat';
  };
  t.same([at(1000, 0, 100), at(1010, 100, 100), at(1020, 100, 100)], ['none', 'none', 'repeat'], 'a fast retransmit 10 ms after new data');
  t.same([at(1110, 100, 100), at(1111, 100, 100), at(1500, 100, 100)], ['stalled', 'stalled', 'stalled'], '100 ms after the last new data, and every repeat after it (a repeat is not new data)');
  t.same([at(1600, 200, 100), at(1650, 200, 100)], ['none', 'repeat'], 'new data restarts the clock');
  t.same([at(0xffffffff - 10, 1000, 100), at(130, 1000, 100)], ['none', 'stalled'], 'times wrap mod 2^32');
  t.same([at(1, 5000, 100), at(1, 5000, 0)], ['none', 'none'], 'a pure ACK is never marked');
});

t.test('worked example: repeats, pure ACKs, wrap-around, IPv6, options; no mark for what is not whole TCP', async (t) => {
  dp.clearRetransmitFlows();
  const marks = (frames: Uint8Array[], peers: number[] = []): boolean[] => {
    batch.clear();
    frames.forEach((f, i) => batch.push(f, peers[i] ?? 0));
    dp.hash(batch);
    const n = dp.markRetransmits(batch);
    const m = frames.map((_, i) => batch.retransmitted(i));
    t.equal(n, m.filter(Boolean).length, 'the count is the number of marks');
    return m;
  };
  t.same(marks([flowFrame(0, 1000, 100), flowFrame(0, 1100, 100), flowFrame(0, 1000, 100), flowFrame(0, 1200, 0), flowFrame(0, 1100, 100), flowFrame(0, 1150, 100)]),
    [false, false, true, false, true, false], 'a repeat and an older segment are marked; a pure ACK and one going past are not');
  t.same(marks([flowFrame(1, 0xffffff00, 0x180), flowFrame(1, 0x50, 0x10), flowFrame(1, 0x80, 0x10)]), [false, true, false], 'ends compare across the wrap');
  t.same(marks([flowFrame(3, 7, 50), flowFrame(3, 7, 50), flowFrame(2, 7, 50), flowFrame(2, 7, 50)]), [false, true, false, true], 'IPv6 and IPv4 with options');
  t.same(marks([flowFrame(4, 1, 10, 0x02), flowFrame(4, 1, 10, 0x02)]), [false, true], 'SYN and FIN add nothing to the end: a repeat with data is marked');
  const whole = flowFrame(5, 9, 40);
  t.same(marks([whole, whole.subarray(0, whole.length - 1), concat(whole, new Uint8Array(6))]), [false, false, true], 'a truncated copy is not marked; Ethernet padding is fine');
  t.same(marks([flowFrame(0, 9000, 30), flowFrame(0, 9000, 30), flowFrame(0, 9000, 30)], [1, 2, 1]), [false, false, true],
    'a flow is (peer, hash): the same segment flooded to two peers is not a repeat, again to the first one is');
  const frag = ethernet(MAC_B, MAC_A, 0x0800, ipv4({ src: 0x0a000001, dst: 0x0a000002, proto: 6, moreFragments: true }, tcpSegment(40000, 80, 1000, 100)));
  t.same(marks([frag, frag]), [false, false], 'fragments are not marked');
  const u = ethernet(MAC_B, MAC_A, 0x0800, ipv4({ src: 1, dst: 2, proto: 17 }, udp(5, 6, new Uint8Array(30))));
  t.same(marks([u, u]), [false, false], 'UDP is not marked');
  // The flow table holds the flow's tag and highest end.
  batch.clear();
  batch.push(flowFrame(0, 5000, 10));
  dp.hash(batch);
  dp.markRetransmits(batch);
  let h = batch.hash(0);
  const dv = new DataView(br.memory.buffer);
  const entry = (e: number): number[] => [dv.getUint32(e + RT_TAG, true), dv.getUint32(e + RT_END, true), dv.getUint32(e + RT_AT, true), dv.getUint16(e + RT_USED, true), dv.getUint16(e + RT_PEER, true)];
  t.same(entry(table + (h & mask) * RT_ENTRY), [h, 5010, 0, 1, 0], 'entry: tag, end, time of the last new data (0: the default), in use, peer 0');
  batch.clear();
  batch.push(flowFrame(0, 9500, 10), 2); // after the flooded segment above (end 9030)
  dp.hash(batch);
  dp.markRetransmits(batch, 123.9, 100);
  h = batch.hash(0);
  t.same(entry(table + (((h + Math.imul(2, RT_SPREAD)) >>> 0) & mask) * RT_ENTRY), [h, 9510, 123, 1, 2], 'peer 2: its own slot; the time in whole ms');
});

t.test('clearRetransmitFlows(peer) forgets that peer\'s flows only', async (t) => {
  const four = Datapath.create({ localIp: '10.0.0.1', batchSize: BATCH, slotSize: SLOT, maxPeers: 4, retransmitFlows: 1024 });
  const b = four.batch();
  const marks = (peers: number[], seq: number): boolean[] => {
    b.clear();
    for (const p of peers) for (let f = 0; f < 3; f++) b.push(flowFrame(f, seq, 100), p);
    four.hash(b);
    four.markRetransmits(b);
    return Array.from({ length: b.length }, (_, i) => b.retransmitted(i));
  };
  t.same(marks([1, 3], 1000), Array(6).fill(false), 'first segments: no mark');
  four.clearRetransmitFlows(1);
  t.same(marks([1, 3], 1000), [false, false, false, true, true, true], 'peer 1 starts afresh; peer 3 still sees its repeats');
  four.clearRetransmitFlows();
  t.same(marks([1, 3], 1000), Array(6).fill(false), 'all forgotten');
  for (const bad of [-1, 4, 1.5]) t.throws(() => four.clearRetransmitFlows(bad), RangeError, `peer ${bad} refused`);
  const none = Datapath.create({ localIp: '10.0.0.1', batchSize: 4, maxPeers: 2 });
  t.doesNotThrow(() => none.clearRetransmitFlows(1), 'no table: nothing to clear');
});

t.test('configuration: the table is optional and sized by a power of two', async (t) => {
  const none = Datapath.create({ localIp: '10.0.0.1', batchSize: 4, maxPeers: 1 });
  none.batch().push(flowFrame(0, 1, 1));
  t.throws(() => none.markRetransmits(none.batch()), RangeError, 'no table: markRetransmits throws');
  t.throws(() => none.batch().retransmitted(0), RangeError, 'no marks: retransmitted throws');
  t.equal(retransmitTable(none), undefined);
  for (const bad of [8, 100, 2 ** 23, -16, 1.5]) t.throws(() => Datapath.create({ localIp: '10.0.0.1', maxPeers: 1, retransmitFlows: bad }), RangeError, `retransmitFlows ${bad} refused`);
  t.throws(() => batch.retransmitted(BATCH + 1), RangeError, 'index beyond the batch');
  t.throws(() => none.markRetransmits(batch), Error, 'a batch of another Datapath');
  for (const [now, stall] of [[NaN, 0], [-1, 0], [Infinity, 0], [0, -1], [0, 1.5], [0, 2 ** 32]]) {
    t.throws(() => dp.markRetransmits(batch, now, stall), RangeError, `time ${now}, stall ${stall} refused`);
  }
});
