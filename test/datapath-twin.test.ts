// Property tests: the Wasm kernels (encap, hash, decap) and their plain-TS twin agree on every input —
// status codes, all 48 descriptor bytes and every byte of every slot — for well-formed and malformed
// frames, random peers and candidate counts, forced ports, MTU limits and hostile descriptors.
// ZR_FUZZ_RUNS raises the number of cases per property (default 10,000).
import t from 'tap';
import fc from 'fast-check';
import { formatIPv4, formatMac } from '../bindings/addr.js';
import type { PacketBatch } from '../bindings/batch.js';
import { Status } from '../bindings/layout.js';
import {
  Mirror, Prng, diffBatches, ethernet, icmp, ipv4, ipv4Checksum, ipv6, tcp, udp, writeOuterHeader,
  type Ipv6Ext, type Kernel, type VlanTag,
} from '../src/reference/index.js';

const RUNS = Math.max(10_000, Number(process.env.ZR_FUZZ_RUNS ?? 0) || 0);
const SLOT = 2048;
const BATCH = 8;
const PEERS = 4;

// Datapaths with different global settings; a case picks one. Peers are set per case.
const POOL = [
  new Mirror({ localIp: '10.0.0.1', batchSize: BATCH, maxPeers: PEERS, slotSize: SLOT }),
  new Mirror({ localIp: '192.168.7.9', localMac: '0a:1b:2c:3d:4e:5f', batchSize: BATCH, maxPeers: PEERS, slotSize: SLOT, hashSeed: 0xdeadbeef, mtu: 1400, ttl: 1, dscp: 46, decapVni: 42 }),
  new Mirror({ localIp: '172.16.0.254', batchSize: BATCH, maxPeers: PEERS, slotSize: SLOT, hashSeed: 12345, mtu: 600, ttl: 255, dscp: 63, vxlanPort: 8472, portRange: { lo: 1000, hi: 1100 } }),
  new Mirror({ localIp: '1.2.3.4', batchSize: BATCH, maxPeers: PEERS, slotSize: SLOT, hashSeed: 0xffffffff, mtu: 100, portRange: { lo: 60000, hi: 60063 } }),
];

// ---- frames ----
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const byte = fc.integer({ min: 0, max: 255 });
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const vlans = fc.array(fc.record({ tpid: fc.constantFrom<0x8100 | 0x88a8>(0x8100, 0x88a8), tci: u16 }), { maxLength: 2 });

const wellFormed = fc.record({
  dst: mac, src: mac, vlans,
  kind: fc.constantFrom('v4', 'v6', 'other'),
  v4: fc.record({
    src: u32, dst: u32, id: u16, optWords: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 })), df: fc.boolean(),
    frag: fc.constantFrom('none', 'none', 'first', 'later'), fragOff: fc.integer({ min: 1, max: 0x1fff }), mf: fc.boolean(),
  }),
  v6: fc.record({
    src: fc.uint8Array({ minLength: 16, maxLength: 16 }), dst: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    exts: fc.array(fc.record({
      type: fc.constantFrom<0 | 43 | 44 | 60>(0, 43, 44, 60), extLen: fc.integer({ min: 0, max: 3 }),
      fragOffset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x1fff })), moreFragments: fc.boolean(),
    }), { maxLength: 4 }),
  }),
  proto: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(6, 17, 1, 58) }, { weight: 1, arbitrary: byte }),
  sport: u16, dport: u16,
  icmpType: fc.oneof(fc.constantFrom(0, 8, 128, 129), byte), icmpId: u16,
  etherType: fc.oneof(fc.constantFrom(0x0806, 0x88cc, 0x8847, 0x0800, 0x86dd, 0x8100), u16),
  size: fc.oneof(fc.integer({ min: 14, max: 128 }), fc.integer({ min: 14, max: 1500 })),
  fill: u32,
});
type WellFormed = typeof wellFormed extends fc.Arbitrary<infer T> ? T : never;

function transport(s: WellFormed, rnd: Prng): Uint8Array {
  if (s.proto === 6) return tcp(s.sport, s.dport);
  if (s.proto === 17) return udp(s.sport, s.dport);
  if (s.proto === 1 || s.proto === 58) return icmp(s.icmpType, 0, s.icmpId, 1);
  return rnd.bytes(8);
}

function buildFrame(s: WellFormed): Uint8Array {
  const rnd = new Prng(s.fill);
  const tags: VlanTag[] = s.vlans;
  const head = 14 + 4 * tags.length;
  if (s.kind === 'other') return ethernet(s.dst, s.src, s.etherType, rnd.bytes(Math.max(0, s.size - head)), tags);
  if (s.kind === 'v4') {
    const v = s.v4;
    const later = v.frag === 'later';
    const l4 = later ? rnd.bytes(8) : transport(s, rnd);
    const used = head + 20 + 4 * v.optWords + l4.length;
    const pkt = ipv4({
      src: v.src, dst: v.dst, proto: s.proto, id: v.id, dontFragment: v.df, options: rnd.bytes(4 * v.optWords),
      moreFragments: v.frag === 'first' || (later && v.mf), fragOffset: later ? v.fragOff : 0,
    }, Buffer.concat([l4, rnd.bytes(Math.max(0, s.size - used))]));
    return ethernet(s.dst, s.src, 0x0800, pkt, tags);
  }
  const exts: Ipv6Ext[] = s.v6.exts;
  const l4 = transport(s, rnd);
  const extBytes = exts.reduce((n, e) => n + (e.type === 44 ? 8 : 8 * ((e.extLen ?? 0) + 1)), 0);
  const used = head + 40 + extBytes + l4.length;
  const pkt = ipv6(s.v6.src, s.v6.dst, s.proto, Buffer.concat([l4, rnd.bytes(Math.max(0, s.size - used))]), exts);
  return ethernet(s.dst, s.src, 0x86dd, pkt, tags);
}

const poke = fc.record({ pos: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 160 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1499 }) }), val: byte });
const malformed = fc.oneof(
  fc.record({ kind: fc.constant('random' as const), len: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 1500 })), fill: u32 }),
  fc.record({ kind: fc.constant('mutated' as const), frame: wellFormed, cut: fc.option(fc.integer({ min: 0, max: 200 })), pokes: fc.array(poke, { maxLength: 4 }) }),
);
type Malformed = typeof malformed extends fc.Arbitrary<infer T> ? T : never;

function buildMalformed(m: Malformed): Uint8Array {
  if (m.kind === 'random') return new Prng(m.fill).bytes(m.len);
  const f = buildFrame(m.frame);
  for (const p of m.pokes) if (p.pos < f.length) f[p.pos] = p.val;
  return m.cut === null ? f : f.subarray(0, Math.min(f.length, m.cut));
}

const anyFrame = fc.oneof(
  { weight: 3, arbitrary: wellFormed.map(buildFrame) },
  { weight: 2, arbitrary: malformed.map(buildMalformed) },
);

// ---- peers, descriptors, cases ----
const peerArb = fc.record({
  ip: u32, mac, vni: fc.oneof(fc.constant(42), fc.integer({ min: 0, max: 0xffffff })),
  n: fc.oneof(fc.constantFrom(1, 2, 4, 8, 16, 32, 64), fc.integer({ min: 1, max: 64 })),
  ports: fc.option(fc.array(fc.integer({ min: 1, max: 0xffff }), { minLength: 64, maxLength: 64 })),
});
type PeerSpec = typeof peerArb extends fc.Arbitrary<infer T> ? T : never;

function configurePeers(m: Mirror, peers: (PeerSpec | null)[]): void {
  peers.forEach((p, k) => {
    if (p === null) { m.removePeer(k); return; }
    const n = Math.min(p.n, m.dp.config.portRange.hi - m.dp.config.portRange.lo + 1);
    m.setPeer(k, { remoteIp: formatIPv4(p.ip), mac: formatMac(p.mac), vni: p.vni, candidates: p.ports?.slice(0, n) });
  });
}

const hostile = fc.record({
  off: fc.oneof(fc.integer({ min: 0, max: SLOT + 64 }), u32),
  len: fc.oneof(fc.integer({ min: 0, max: SLOT + 64 }), u32),
});
const placement = fc.record({
  off: fc.oneof({ weight: 6, arbitrary: fc.constant(64) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 300 }) }),
  hostile: fc.option(hostile, { freq: 8 }),
  fillByte: byte,
});
type Placement = typeof placement extends fc.Arbitrary<infer T> ? T : never;

/** Write frame into slot i at the placement's offset, the rest of the slot a fill byte; set its descriptor. */
function place(b: PacketBatch, i: number, frame: Uint8Array, at: Placement, peer: number, sport: number): void {
  const slot = b.rawSlot(i);
  slot.fill(at.fillByte);
  const off = Math.min(at.off, SLOT - frame.length);
  slot.set(frame, off);
  if (at.hostile === null) b.setRaw(i, off, frame.length, peer, sport);
  else b.setRaw(i, at.hostile.off, at.hostile.len, peer, sport);
}

const packetArb = fc.record({
  frame: anyFrame, at: placement,
  peer: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: PEERS - 1 }) }, { weight: 1, arbitrary: u16 }),
  sport: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }) }),
});
const caseArb = fc.record({
  cfg: fc.integer({ min: 0, max: POOL.length - 1 }),
  peers: fc.array(fc.option(peerArb, { freq: 6 }), { minLength: PEERS, maxLength: PEERS }),
  ipId: u16,
  packets: fc.array(packetArb, { minLength: 1, maxLength: BATCH }),
});

function statusesOf(b: PacketBatch): number[] {
  return Array.from({ length: b.length }, (_, i) => b.status(i));
}

/** The assertions a property reports through. */
interface Asserts { pass(msg: string): unknown; ok(v: unknown, msg: string): unknown }

function kernelProperty(t: Asserts, kernel: Kernel, expect: number[]): void {
  const seen = new Set<number>();
  fc.assert(fc.property(caseArb, (c) => {
    const m = POOL[c.cfg];
    configurePeers(m, c.peers);
    m.ipId = c.ipId;
    const b = m.dp.batch();
    b.clear();
    c.packets.forEach((p, i) => place(b, i, p.frame, p.at, p.peer, p.sport));
    const r = m.run(kernel, b);
    const diff = diffBatches(b, r.twin);
    if (diff.length > 0) throw new Error(`${kernel} differs: ${diff.join('; ')}`);
    if (r.wasm !== r.ref) throw new Error(`${kernel} count ${r.wasm} vs twin ${r.ref}`);
    if (m.dp.ipId !== m.state.ipId) throw new Error(`ip id ${m.dp.ipId} vs twin ${m.state.ipId}`);
    for (const s of statusesOf(b)) seen.add(s);
  }), { numRuns: RUNS });
  t.pass(`${RUNS} ${kernel} cases agree`);
  for (const s of expect) t.ok(seen.has(s), `${kernel} cases reached status ${s}`);
}

t.test('encap: Wasm and twin agree', async (t) => {
  kernelProperty(t, 'encap', [Status.OK, Status.BAD_DESC, Status.RUNT, Status.NO_PEER, Status.MTU]);
});

t.test('hash: Wasm and twin agree', async (t) => {
  kernelProperty(t, 'hash', [Status.OK, Status.BAD_DESC, Status.RUNT]);
});

// ---- decap ----
const outerArb = fc.record({
  inner: anyFrame,
  src: u32, dst: u32, sport: u16, id: u16, ttl: byte, tos: byte,
  vni: fc.oneof(fc.constant(42), fc.integer({ min: 0, max: 0xffffff })),
  dport: fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: u16 }),
  vlans,
  pokes: fc.array(fc.record({ pos: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 60 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1600 }) }), val: byte }), { maxLength: 3 }),
  udpLen: fc.option(fc.integer({ min: 0, max: 40 }), { freq: 8 }),
  fixChecksum: fc.boolean(),
  cut: fc.option(fc.integer({ min: 0, max: 120 }), { freq: 8 }),
  at: placement,
});
type OuterSpec = typeof outerArb extends fc.Arbitrary<infer T> ? T : never;

/** A VXLAN frame around o.inner, then corrupted as o says (possibly with a repaired IPv4 checksum). */
function buildOuter(o: OuterSpec, vxlanPort: number): Uint8Array {
  const plain = new Uint8Array(50 + o.inner.length);
  plain.set(o.inner, 50);
  writeOuterHeader(plain, 0, {
    dstMac: new Uint8Array([2, 0, 0, 0, 0, 1]), srcMac: new Uint8Array([2, 0, 0, 0, 0, 2]), tos: o.tos, ttl: o.ttl,
    id: o.id, srcIp: o.src, dstIp: o.dst, sport: o.sport, dport: o.dport < 0 ? vxlanPort : o.dport, vni: o.vni,
    innerLen: o.inner.length,
  });
  const f = o.vlans.length === 0 ? plain : Buffer.concat([
    plain.subarray(0, 12),
    ...o.vlans.map((v) => Uint8Array.from([v.tpid >> 8, v.tpid & 255, v.tci >> 8, v.tci & 255])),
    plain.subarray(12),
  ]);
  for (const p of o.pokes) if (p.pos < f.length) f[p.pos] = p.val;
  const ip = 12 + 4 * o.vlans.length + 2;
  if (o.udpLen !== null && ip + 26 <= f.length) { f[ip + 24] = o.udpLen >> 8; f[ip + 25] = o.udpLen & 255; }
  const ihl = (f[ip] & 15) << 2;
  if (o.fixChecksum && ihl >= 20 && ip + ihl <= f.length) {
    f[ip + 10] = 0; f[ip + 11] = 0;
    const c = ipv4Checksum(f, ip, ihl);
    f[ip + 10] = c >> 8; f[ip + 11] = c & 255;
  }
  return o.cut === null ? f : f.subarray(0, Math.min(f.length, o.cut));
}

t.test('decap: Wasm and twin agree on corrupted VXLAN frames', async (t) => {
  const seen = new Set<number>();
  fc.assert(fc.property(fc.integer({ min: 0, max: POOL.length - 1 }), fc.array(outerArb, { minLength: 1, maxLength: BATCH }), (cfg, outs) => {
    const m = POOL[cfg];
    const b = m.dp.batch();
    b.clear();
    outs.forEach((o, i) => place(b, i, buildOuter(o, m.dp.config.vxlanPort), o.at, 0, 0));
    const r = m.run('decap', b);
    const diff = diffBatches(b, r.twin);
    if (diff.length > 0) throw new Error(`decap differs: ${diff.join('; ')}`);
    if (r.wasm !== r.ref) throw new Error(`decap count ${r.wasm} vs twin ${r.ref}`);
    for (const s of statusesOf(b)) seen.add(s);
  }), { numRuns: RUNS });
  t.pass(`${RUNS} decap cases agree`);
  const all = Object.values(Status).filter((s) => s !== Status.NO_PEER && s !== Status.MTU);
  for (const s of all) t.ok(seen.has(s), `decap cases reached status ${s}`);
});

t.test('decap of encap gives back the frame, the VNI and the source port', async (t) => {
  let checked = 0;
  fc.assert(fc.property(caseArb, (c) => {
    const m = POOL[c.cfg];
    configurePeers(m, c.peers);
    m.ipId = c.ipId;
    const b = m.dp.batch();
    b.clear();
    const inputs = c.packets.map((p, i) => {
      place(b, i, p.frame, { ...p.at, hostile: null }, p.peer, p.sport);
      return b.input(i).slice();
    });
    m.dp.encap(b);
    const sent = inputs.map((_, i) => ({ ok: b.status(i) === Status.OK, off: b.descriptor(i), sport: b.sport(i), peer: c.packets[i].peer }));
    // Point every descriptor at its outer frame and decapsulate in place.
    sent.forEach((s, i) => {
      const v = new DataView(s.off.buffer);
      b.setRaw(i, v.getUint32(8, true), v.getUint32(12, true));
    });
    const r = m.run('decap', b);
    const diff = diffBatches(b, r.twin);
    if (diff.length > 0) throw new Error(`decap differs: ${diff.join('; ')}`);
    sent.forEach((s, i) => {
      if (!s.ok) return;
      const peer = m.dp.peer(s.peer)!;
      const filtered = m.dp.config.decapVni !== undefined && peer.vni !== m.dp.config.decapVni;
      const want = filtered ? Status.VNI_FILTERED : inputs[i].length < 14 ? Status.INNER_RUNT : Status.OK;
      if (b.status(i) !== want) throw new Error(`packet ${i}: decap status ${b.status(i)}, expected ${want}`);
      if (want !== Status.OK) return;
      if (Buffer.compare(b.output(i), inputs[i]) !== 0) throw new Error(`packet ${i}: inner frame changed`);
      if (b.vni(i) !== peer.vni || b.sport(i) !== s.sport) throw new Error(`packet ${i}: vni ${b.vni(i)} sport ${b.sport(i)}, sent ${peer.vni} ${s.sport}`);
      if (b.outerSrc(i) !== m.dp.config.localIp || b.outerDst(i) !== peer.remoteIp) throw new Error(`packet ${i}: outer addresses`);
      checked++;
    });
  }), { numRuns: RUNS });
  t.ok(checked > RUNS, `${checked} frames went through encap and decap unchanged`);
});
