// The reference twin on its own: known answers that do not go through Wasm, so a bug shared by both
// sides (which the property tests could not see) still shows here.
import t from 'tap';
import { jhash2 } from '../bindings/jhash.js';
import { KEY_FRAGMENT, KEY_L2, KEY_L3, KEY_L4, Status } from '../bindings/layout.js';
import {
  decodeDescriptor, encodeDescriptor, encapBatchRef, decapBatchRef, ethernet, flowKey, inputDescriptor, ipv4,
  ipv4Checksum, ipv6, onesSum16, refBatch, refOutput, selectPort, tcp, udp, writeOuterHeader,
  type RefState,
} from '../src/reference/index.js';

const mac = (b: number): Uint8Array => Uint8Array.from([2, 0, 0, 0, 0, b]);

t.test('one\'s-complement sum: RFC 1071 example and a real header', async (t) => {
  t.equal(onesSum16(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0, 8), 0xddf2, 'RFC 1071 section 3');
  // A well-known IPv4 header (Wikipedia's example): checksum 0xb861.
  const h = Uint8Array.from([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]);
  t.equal(ipv4Checksum(h, 0, 20), 0xb861);
  h[10] = 0xb8; h[11] = 0x61;
  t.equal(onesSum16(h, 0, 20), 0xffff);
});

t.test('outer header written field by field', async (t) => {
  const b = new Uint8Array(60).fill(0xee);
  writeOuterHeader(b, 5, {
    dstMac: mac(0xaa), srcMac: mac(0xbb), tos: 0xb8, ttl: 64, id: 0x1234, srcIp: 0x0a010203, dstIp: 0x0a090807,
    sport: 55555, dport: 4789, vni: 0x123456, innerLen: 64,
  });
  t.same([...b.subarray(5, 55)], [
    2, 0, 0, 0, 0, 0xaa, 2, 0, 0, 0, 0, 0xbb, 0x08, 0x00,
    0x45, 0xb8, 0x00, 0x64, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x09, 0x8a, 10, 1, 2, 3, 10, 9, 8, 7,
    0xd9, 0x03, 0x12, 0xb5, 0x00, 0x50, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00,
  ]);
  t.equal(b[4], 0xee, 'nothing written before');
  t.equal(b[55], 0xee, 'nothing written after');
});

t.test('flow keys', async (t) => {
  const le = (x: Uint8Array, i: number): number => (x[i] | (x[i + 1] << 8) | (x[i + 2] << 16) | (x[i + 3] << 24)) >>> 0;
  const f = ethernet(mac(1), mac(2), 0x0800, ipv4({ src: 0x01020304, dst: 0x05060708, proto: 17 }, udp(1000, 2000)));
  t.same(flowKey(f, 3), { hash: jhash2([le(f, 26), le(f, 30), le(f, 34)], 3 + (4 << 24) + 17), key: KEY_L4, l3: 14, l4: 34 });
  t.equal(le(f, 26), 0x04030201, 'key words are little-endian loads of network-order bytes');
  const frag = ethernet(mac(1), mac(2), 0x0800, ipv4({ src: 1, dst: 2, proto: 6, fragOffset: 100 }, new Uint8Array(40)));
  t.same(flowKey(frag, 0), { hash: jhash2([le(frag, 26), le(frag, 30), 0], (4 << 24) + 6), key: KEY_L3 | KEY_FRAGMENT, l3: 14, l4: 0 });
  const six = ethernet(mac(1), mac(2), 0x86dd, ipv6(new Uint8Array(16).fill(9), new Uint8Array(16).fill(8), 6, tcp(5, 6), [{ type: 60, extLen: 1 }]));
  const k6 = flowKey(six, 0);
  t.equal(k6.key, KEY_L4);
  t.equal(k6.l4, 14 + 40 + 16, 'destination options of 16 bytes skipped');
  const words = Array.from({ length: 8 }, (_, k) => le(six, 22 + 4 * k));
  t.equal(k6.hash, jhash2([...words, le(six, 70)], (6 << 24) + 6));
  const opt = Uint8Array.from(f); opt[14] = 0x46; // IHL 6: the first 4 bytes of UDP count as options
  t.same(flowKey(opt, 0), { ...flowKey(opt, 0), key: KEY_L4, l4: 38 }, 'ports read after a 24-byte header');
  const long = Uint8Array.from(f); long[14] = 0x4f;
  t.equal(flowKey(long, 0).key, KEY_L2, 'IHL 15 runs past the frame: L2 key');
  const v5 = Uint8Array.from(f); v5[14] = 0x55;
  t.equal(flowKey(v5, 0).key, KEY_L2, 'IP version 5: L2 key');
});

t.test('candidate choice is hash mod N', async (t) => {
  const peer = { remoteIp: 1, mac: mac(1), vni: 1, candidates: [10, 20, 30] };
  t.same(selectPort(peer, 7), { port: 20, cand: 1 });
  t.same(selectPort(peer, 0xffffffff), { port: 10, cand: 0xffffffff % 3 });
});

t.test('descriptor encoding round-trips', async (t) => {
  const d = { ...inputDescriptor(64, 100, 3, 4444), outOff: 14, outLen: 150, hash: 0xdeadbeef, vni: 0xabcdef, outerSrc: 0x0a000001, outerDst: 0xffffffff, status: 21, key: 0x103, l3: 18, l4: 0, sport: 5555, cand: 0xffff };
  t.same(decodeDescriptor(encodeDescriptor(d)), d);
});

t.test('twin encap then twin decap', async (t) => {
  const s: RefState = {
    config: { localIp: 0x0a000001, localMac: mac(1), ttl: 9, tos: 4, vxlanPort: 4789, mtu: 0, seed: 0 },
    peers: [{ remoteIp: 0x0a000002, mac: mac(2), vni: 77, candidates: [1111, 2222] }, undefined],
    ipId: 0xffff,
  };
  const inner = ethernet(mac(3), mac(4), 0x0800, ipv4({ src: 5, dst: 6, proto: 6 }, tcp(7, 8)));
  const slot = new Uint8Array(256);
  slot.set(inner, 64);
  const b = refBatch(256, [slot, slot], [inputDescriptor(64, inner.length, 0), inputDescriptor(64, inner.length, 1)]);
  t.equal(encapBatchRef(b, s), 1);
  t.equal(b.desc[1].status, Status.NO_PEER);
  t.equal(s.ipId, 0, 'identification wraps');
  const out = refOutput(b, 0);
  t.same([out[18], out[19]], [0xff, 0xff]);
  const d = refBatch(256, [b.arena.slice(0, 256)], [inputDescriptor(b.desc[0].outOff, b.desc[0].outLen)]);
  t.equal(decapBatchRef(d, s), 1);
  t.same([...refOutput(d, 0)], [...inner]);
  t.equal(d.desc[0].vni, 77);
  t.equal(d.desc[0].sport, b.desc[0].sport);
  t.ok(b.desc[0].sport === 1111 || b.desc[0].sport === 2222);
});
