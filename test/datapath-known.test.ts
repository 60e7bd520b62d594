// Known answers: hand-built frames through the Wasm datapath give exactly the expected bytes, keys
// and status codes (outer header field by field, MTU, NO_PEER, RUNT, BAD_DESC, key offsets).
import t from 'tap';
import { Datapath } from '../bindings/datapath.js';
import { jhash2 } from '../bindings/jhash.js';
import { KEY_FRAGMENT, KEY_L2, KEY_L3, KEY_L4, Status } from '../bindings/layout.js';
import { ethernet, icmp, ipv4, ipv6, onesSum16, tcp, udp } from '../src/reference/index.js';

const innerDst = Uint8Array.from([0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]);
const innerSrc = Uint8Array.from([0x00, 0x00, 0x5e, 0x00, 0x53, 0x02]);
// 192.0.2.1:1234 -> 198.51.100.2:80, TCP, 10 bytes of payload: a 64-byte inner frame.
const inner = ethernet(innerDst, innerSrc, 0x0800,
  ipv4({ src: 0xc0000201, dst: 0xc6336402, proto: 6 }, tcp(1234, 80, new Uint8Array(10).fill(0x61))));

function datapath(extra: Partial<Parameters<typeof Datapath.create>[0]> = {}): Datapath {
  const dp = Datapath.create({ localIp: '10.1.2.3', localMac: '02:11:22:33:44:55', dscp: 46, batchSize: 8, maxPeers: 16, ...extra });
  dp.setPeer(0, { remoteIp: '10.9.8.7', mac: '02:66:77:88:99:aa', vni: 0x123456, candidates: [50000, 50001, 50002, 50003] });
  return dp;
}

t.test('outer header, byte for byte', async (t) => {
  t.equal(inner.length, 64);
  const dp = datapath();
  dp.ipId = 0x1234;
  const b = dp.batch();
  b.push(inner, 0, 55555);
  b.push(inner, 0);
  t.equal(dp.encap(b), 2);
  const expected = Uint8Array.from([
    0x02, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00, // Ethernet
    0x45, 0xb8, 0x00, 0x64, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x09, 0x8a, // IPv4: DSCP 46, len 100, id, DF, TTL 64, UDP, checksum
    0x0a, 0x01, 0x02, 0x03, 0x0a, 0x09, 0x08, 0x07,
    0xd9, 0x03, 0x12, 0xb5, 0x00, 0x50, 0x00, 0x00, // UDP: 55555 -> 4789, length 80, checksum 0
    0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00, // VXLAN: I flag, VNI 0x123456
  ]);
  const out = b.output(0);
  t.equal(out.length, 114, 'outer frame = 50 + inner');
  t.same([...out.subarray(0, 50)], [...expected], 'outer header of the forced-port packet');
  t.same([...out.subarray(50)], [...inner], 'inner frame untouched');
  t.equal(onesSum16(out, 14, 20), 0xffff, 'IPv4 header checksum valid');
  t.equal(b.sport(0), 55555);
  t.equal(b.candidate(0), -1, 'forced port has no candidate');

  // Second packet: id advanced by one, port = candidates[hash mod 4], hash = jhash2 of the 5-tuple key.
  const o2 = b.output(1);
  t.same([o2[18], o2[19]], [0x12, 0x35], 'identification advances per packet');
  t.equal(onesSum16(o2, 14, 20), 0xffff, 'checksum valid with the new id');
  const le = (x: Uint8Array, i: number): number => (x[i] | (x[i + 1] << 8) | (x[i + 2] << 16) | (x[i + 3] << 24)) >>> 0;
  const h = jhash2([le(inner, 26), le(inner, 30), le(inner, 34)], (4 << 24) + 6);
  t.equal(b.hash(1), h, 'hash = jhash2(src, dst, ports; seed + 4<<24 + proto)');
  t.equal(b.candidate(1), h % 4);
  t.equal(b.sport(1), 50000 + (h % 4));
  t.equal((o2[34] << 8) | o2[35], b.sport(1), 'chosen port on the wire');
  t.equal(b.keyKind(1), KEY_L4);
  t.equal(b.l3Offset(1), 14);
  t.equal(b.l4Offset(1), 34);
  t.equal(dp.ipId, 0x1236);

  // And back: decap hands the inner frame, VNI, port and outer addresses.
  b.setRaw(0, b.headroom - 50, 114);
  b.setRaw(1, b.headroom - 50, 114);
  t.equal(dp.decap(b), 2);
  t.same([...b.output(0)], [...inner]);
  t.equal(b.vni(0), 0x123456);
  t.equal(b.sport(0), 55555);
  t.equal(b.outerSrc(0), 0x0a010203);
  t.equal(b.outerDst(0), 0x0a090807);
});

t.test('drop codes: MTU, NO_PEER, RUNT, BAD_DESC', async (t) => {
  const dp = datapath({ mtu: 100 });
  dp.setPeer(3, { remoteIp: '10.9.8.9', vni: 7 });
  dp.removePeer(3);
  dp.ipId = 10;
  const b = dp.batch();
  const big = new Uint8Array(65); big.set(inner);
  b.push(inner, 0);                  // 64 + 36 = 100: fits exactly
  b.push(big, 0);                    // 101 > 100
  b.push(inner, 1);                  // never configured
  b.push(inner, 3);                  // removed
  b.push(inner, 0xffff);             // beyond the table
  b.push(inner.subarray(0, 13), 0);  // shorter than Ethernet
  b.push(new Uint8Array(0), 0);
  b.setRaw(7, 10, 64, 0);            // no room for the outer header
  t.equal(dp.encap(b), 1);
  t.same(Array.from({ length: 8 }, (_, i) => b.status(i)),
    [Status.OK, Status.MTU, Status.NO_PEER, Status.NO_PEER, Status.NO_PEER, Status.RUNT, Status.RUNT, Status.BAD_DESC]);
  for (let i = 1; i < 8; i++) {
    t.equal(b.output(i).length, 0, `dropped packet ${i} has no output`);
    t.equal(b.candidate(i), -1);
    t.equal(b.hash(i), 0);
  }
  t.equal(dp.ipId, 11, 'only the sent packet took an identification');
  b.setRaw(0, 4000, 10);
  b.setRaw(1, 100, 2000);
  b.setRaw(2, 0xffffffff, 0xffffffff);
  t.equal(dp.hash(b), 3, 'hash needs no headroom: packets 3, 4 and 7 are hashed, 5 and 6 are runts');
  t.same([3, 4, 5, 6, 7].map((i) => b.status(i)), [Status.OK, Status.OK, Status.RUNT, Status.RUNT, Status.OK]);
  t.same([0, 1, 2].map((i) => b.status(i)), [Status.BAD_DESC, Status.BAD_DESC, Status.BAD_DESC]);
});

t.test('IPv4 total length is capped at 65535 even without an MTU', async (t) => {
  const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: 2, slotSize: 65536 + 128, headroom: 64, maxPeers: 1 });
  dp.setPeer(0, { remoteIp: '10.0.0.2', vni: 1 });
  const b = dp.batch();
  b.push(new Uint8Array(65499), 0); // 65499 + 36 = 65535
  b.push(new Uint8Array(65500), 0);
  t.equal(dp.encap(b), 1);
  t.equal(b.status(0), Status.OK);
  const o = b.output(0);
  t.equal((o[16] << 8) | o[17], 65535, 'total length field');
  t.equal(onesSum16(o, 14, 20), 0xffff, 'checksum valid');
  t.equal(b.status(1), Status.MTU, 'a 65536-byte IPv4 packet cannot be sent');
});

t.test('flow keys and offsets', async (t) => {
  const dp = datapath({ hashSeed: 99 });
  const b = dp.batch();
  const v4 = ipv4({ src: 1, dst: 2, proto: 17 }, udp(53, 5353));
  const six = (n: number): Uint8Array => new Uint8Array(16).fill(n);
  b.push(ethernet(innerDst, innerSrc, 0x0800, v4, [{ tpid: 0x88a8, tci: 100 }, { tpid: 0x8100, tci: 200 }]));
  b.push(ethernet(innerDst, innerSrc, 0x86dd, ipv6(six(1), six(2), 6, tcp(1, 2), [{ type: 0 }])));
  b.push(ethernet(innerDst, innerSrc, 0x0800, ipv4({ src: 1, dst: 2, proto: 1 }, icmp(8, 0, 7, 1))));
  b.push(ethernet(innerDst, innerSrc, 0x0800, ipv4({ src: 1, dst: 2, proto: 1 }, icmp(8, 0, 7, 2))));
  b.push(ethernet(innerDst, innerSrc, 0x0800, ipv4({ src: 1, dst: 2, proto: 1 }, icmp(8, 0, 8, 1))));
  b.push(ethernet(innerDst, innerSrc, 0x0806, new Uint8Array(28)));
  b.push(ethernet(innerDst, innerSrc, 0x0800, ipv4({ src: 1, dst: 2, proto: 6, moreFragments: true }, tcp(1, 2))));
  b.push(ethernet(innerDst, innerSrc, 0x0800, ipv4({ src: 1, dst: 2, proto: 47 }, new Uint8Array(8))));
  t.equal(dp.hash(b), 8);
  t.same([0, 1, 2, 5, 6, 7].map((i) => [b.keyKind(i), b.l3Offset(i), b.l4Offset(i)]), [
    [KEY_L4, 22, 42],                // two VLAN tags skipped
    [KEY_L4, 14, 62],                // IPv6 + 8-byte hop-by-hop
    [KEY_L4, 14, 34],                // ICMP echo keyed by its identifier
    [KEY_L2, 0, 0],                  // ARP
    [KEY_L3 | KEY_FRAGMENT, 14, 0],  // first fragment: no ports
    [KEY_L3, 14, 0],                 // GRE: no ports known
  ]);
  t.equal(b.hash(2), b.hash(3), 'same echo id, other sequence: same flow');
  t.not(b.hash(2), b.hash(4), 'another echo id: another flow');
  const le = (x: Uint8Array, i: number): number => (x[i] | (x[i + 1] << 8) | (x[i + 2] << 16) | (x[i + 3] << 24)) >>> 0;
  const arp = b.input(5);
  t.equal(b.hash(5), jhash2([le(arp, 0), le(arp, 4), le(arp, 8)], 99 + (1 << 24) + 0x0806), 'L2 key: MACs and ethertype');
});

t.test('the forced port is an input: a batch encapsulated again chooses again, forced packets stay forced', async (t) => {
  const dp = datapath();
  const b = dp.batch();
  b.push(inner, 0);
  b.push(inner, 0, 1234);
  dp.encap(b);
  const chosen = b.sport(0);
  t.equal(b.candidate(0), chosen - 50000, 'first pass: chosen from the candidates');
  t.equal(b.sport(1), 1234, 'forced');
  dp.setPeer(0, { remoteIp: '10.9.8.7', mac: '02:66:77:88:99:aa', vni: 0x123456, candidates: [60000, 60001, 60002, 60003] });
  dp.encap(b);
  t.equal(b.sport(0), chosen - 50000 + 60000, 'second pass: the port written back is not taken as forced');
  t.equal(b.candidate(0), chosen - 50000);
  t.equal(b.sport(1), 1234, 'the forced port is still forced');
  t.equal(b.candidate(1), -1);
  b.setPeer(1, 0, 0);
  dp.encap(b);
  t.equal(b.sport(1), 60000 + b.candidate(1), 'setPeer(i, peer, 0) lets the table choose');
  // A dropped packet reports no port (outputs zeroed), and its forced input is kept.
  b.setPeer(1, 7, 4321); // no peer 7
  dp.encap(b);
  t.equal(b.status(1), Status.NO_PEER);
  t.equal(b.sport(1), 0, 'dropped: sport 0');
  b.setPeer(1, 0, 4321);
  dp.encap(b);
  t.equal(b.sport(1), 4321, 'the forced input survived the drop');
});
