// EthernetFramer (--dlt enet) frame by frame, without root: the header each link type gets, the
// frames it refuses and why, and the CLI's drop counts and usage errors. Real captures of every link
// type: test/dlt-enet.test.ts.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMac } from '../bindings/index.js';
import { decodeCapture } from '../src/pcap/index.js';
import { EthernetFramer } from '../src/pcap/to-ethernet.js';
import { classicPcap, concat, epb, idb, shb } from './fixtures/capture-bytes.js';
import { tenantFrame } from './fixtures/frames.js';
import { zooroute } from './fixtures/cli.js';

const hex = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
const DST = '02dd00000001', SRC = '02ee00000002';
const framer = (cookedSource = true): EthernetFramer => new EthernetFramer({ dst: parseMac('02:dd:00:00:00:01'), src: parseMac('02:ee:00:00:00:02'), cookedSource });

// An IPv4 and an IPv6 packet (just enough of a header for the version nibble), as the link layer carries them.
const ip4 = Uint8Array.from([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 2, 3, 4, 0, 8, 0, 0]);
const ip6 = Uint8Array.from([0x60, 0, 0, 0, 0, 8, 17, 64, ...new Array<number>(32).fill(0xfd), 1, 2, 3, 4, 0, 8, 0, 0]);
const cat = (...parts: ArrayLike<number>[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const sll = (proto: number, hatype = 1, alen = 6): Uint8Array => cat([0, 4, hatype >> 8, hatype & 255, 0, alen, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0, proto >> 8, proto & 255]);
const sll2 = (proto: number, hatype = 1, alen = 6): Uint8Array => cat([proto >> 8, proto & 255, 0, 0, 0, 0, 0, 3, hatype >> 8, hatype & 255, 0, alen, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0]);

t.test('each link type gets dst MAC, src MAC and the EtherType of what it carries', async (t) => {
  const f = framer();
  const cases: Array<[string, number, Uint8Array, string]> = [
    ['RAW IPv4', 101, ip4, `${DST}${SRC}0800${hex(ip4)}`],
    ['RAW IPv6', 101, ip6, `${DST}${SRC}86dd${hex(ip6)}`],
    ['IPV4', 228, ip4, `${DST}${SRC}0800${hex(ip4)}`],
    ['IPV6', 229, ip6, `${DST}${SRC}86dd${hex(ip6)}`],
    ['NULL little-endian AF_INET', 0, cat([2, 0, 0, 0], ip4), `${DST}${SRC}0800${hex(ip4)}`],
    ['NULL big-endian AF_INET6 (FreeBSD 28)', 0, cat([0, 0, 0, 28], ip6), `${DST}${SRC}86dd${hex(ip6)}`],
    ['NULL little-endian AF_INET6 (Linux 10)', 0, cat([10, 0, 0, 0], ip6), `${DST}${SRC}86dd${hex(ip6)}`],
    ['LOOP AF_INET6 (OpenBSD 24)', 108, cat([0, 0, 0, 24], ip6), `${DST}${SRC}86dd${hex(ip6)}`],
    ['SLL, Ethernet source kept', 113, cat(sll(0x0800), ip4), `${DST}aabbccddeeff0800${hex(ip4)}`],
    ['SLL ARP', 113, cat(sll(0x0806), [1, 2, 3]), `${DST}aabbccddeeff0806010203`],
    ['SLL loopback (ARPHRD 772): no Ethernet source', 113, cat(sll(0x86dd, 772), ip6), `${DST}${SRC}86dd${hex(ip6)}`],
    ['SLL2, Ethernet source kept', 276, cat(sll2(0x86dd), ip6), `${DST}aabbccddeeff86dd${hex(ip6)}`],
    ['SLL2 802.1Q', 276, cat(sll2(0x8100), [0, 5, 8, 0], ip4), `${DST}aabbccddeeff810000050800${hex(ip4)}`],
  ];
  for (const [name, lt, data, want] of cases) t.equal(hex(f.frame(lt, data) ?? new Uint8Array(0)), want, name);
  const eth = tenantFrame(3);
  t.equal(f.frame(1, eth), eth, 'Ethernet passes through as it is');
  t.equal(hex(framer(false).frame(113, cat(sll(0x0800), ip4))!), `${DST}${SRC}0800${hex(ip4)}`, 'cookedSource false: the given source MAC');
  t.equal(EthernetFramer.growth(101), 14);
  t.equal(EthernetFramer.growth(113), -2);
  t.equal(EthernetFramer.growth(276), -6);
  t.equal(EthernetFramer.growth(0), 10);
});

t.test('frames that cannot be converted are refused with the reason', async (t) => {
  const f = framer();
  const cases: Array<[string, number, Uint8Array, string]> = [
    ['802.11', 105, ip4, 'link_type_unsupported'],
    ['RAW that is not IP', 101, Uint8Array.from([0x12, 0, 0]), 'not_ip'],
    ['empty RAW', 101, new Uint8Array(0), 'not_ip'],
    ['NULL family AF_UNIX', 0, cat([1, 0, 0, 0], ip4), 'not_ip'],
    ['NULL shorter than its header', 0, Uint8Array.from([2, 0]), 'link_header_runt'],
    ['SLL 802.2 LLC (protocol 0x0004)', 113, cat(sll(0x0004), [0x42, 0x42, 3]), 'not_ethertype'],
    ['SLL shorter than its header', 113, sll(0x0800).subarray(0, 15), 'link_header_runt'],
    ['SLL2 netlink-ish protocol 0x0010', 276, cat(sll2(0x0010, 824), [0]), 'not_ethertype'],
  ];
  for (const [name, lt, data, why] of cases) {
    t.equal(f.frame(lt, data), undefined, `${name}: refused`);
    t.equal(f.refused, why, `${name}: ${why}`);
  }
});

t.test('encap --dlt enet counts refused frames by reason; MAC flags only with --dlt enet', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zooroute-enet-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A pcapng with an SLL interface (two good frames, one LLC) and an 802.11 one (one frame).
  const inp = join(dir, 'mixed.pcapng');
  writeFileSync(inp, concat(shb(true), idb(true, 113, 65535), idb(true, 105, 65535),
    epb(true, 0, 1n, cat(sll(0x0800), ip4)), epb(true, 0, 2n, cat(sll(0x0004), [0x42, 0x42, 3])), epb(true, 1, 3n, ip4), epb(true, 0, 4n, cat(sll(0x0806), tenantFrame(1).subarray(14)))));
  const out = join(dir, 'out.pcapng');
  const base = ['--vni', '5', '--local', '10.0.0.1', '--remote', '10.0.0.2'];
  const r = zooroute('encap', inp, '-o', out, ...base, '--dlt', 'enet', '--json');
  t.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { frames: number; encapsulated: number; dropped: Record<string, number> };
  t.same(doc, { ...doc, frames: 4, encapsulated: 2, dropped: { not_ethertype: 1, link_type_unsupported: 1 } });
  const inner = decodeCapture(readFileSync(out)).records.map((x) => hex(x.data.subarray(50, 64)));
  t.same(inner, ['020000000004aabbccddeeff0800', '020000000004aabbccddeeff0806'], 'the default destination MAC, the cooked source');
  // A classic RAW capture: the snaplen grows by the added header, so a frame at the snaplen still fits.
  const raw = join(dir, 'raw.pcap');
  const big = new Uint8Array(1500);
  big.set(ip4);
  writeFileSync(raw, classicPcap([{ sec: 1, frac: 0, data: big }], { linkType: 101, snaplen: 1500 }));
  const rr = zooroute('encap', raw, '-o', join(dir, 'raw-out.pcap'), ...base, '--dlt', 'enet');
  t.equal(rr.code, 0, rr.stderr);
  t.match(rr.stderr, /1 frames, 1 encapsulated, 0 dropped/);
  for (const flag of ['--enet-dmac', '--enet-smac']) {
    const u = zooroute('encap', raw, '-o', join(dir, 'x.pcap'), ...base, flag, '02:00:00:00:00:09');
    t.equal(u.code, 2);
    t.equal(u.stderr, `zooroute: ${flag}: only with --dlt enet (the input is taken as Ethernet without it)\n`);
  }
  const bad = zooroute('encap', raw, '-o', join(dir, 'x.pcap'), ...base, '--dlt', 'enet', '--enet-dmac', 'nope');
  t.equal(bad.code, 2);
  t.equal(bad.stderr, 'zooroute: --enet-dmac: not a MAC address: "nope"\n');
  const dlt = zooroute('encap', raw, '-o', join(dir, 'x.pcap'), ...base, '--dlt', 'ppp');
  t.equal(dlt.code, 2);
  t.match(dlt.stderr, /^zooroute: .*--dlt.*ppp.*\n$/);
});
