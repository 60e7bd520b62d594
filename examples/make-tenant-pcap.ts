// Generates examples/tenant.pcap: 30 s of tenant traffic between VMs of one virtual network, as a
// vSwitch would hand it to its VTEP before encapsulation. Deterministic: running it again writes the
// same bytes (test/pcap-example.test.ts checks that the committed file is its output).
//
//   node --import tsx examples/make-tenant-pcap.ts [OUT.pcap]
//
// Flows (all checksums valid):
//   ARP who-has / reply, then a DNS query and answer;
//   TCP 192.168.10.11:40112 -> 192.168.10.21:80: handshake, 4 HTTP requests/s answered, FIN exchange;
//   UDP 192.168.10.11:5004 -> 192.168.10.31:5004, 10 packets/s of 160 bytes (voice-like);
//   ICMP echo 192.168.10.11 -> 192.168.10.41, one request and reply per second;
//   IPv6 UDP [fd00:10::11]:9000 -> [fd00:10::21]:9000, 5 packets/s;
//   802.1Q VLAN 100, UDP 192.168.20.11 -> 192.168.20.21:8125, 2 packets/s;
//   a 4000-byte UDP datagram 192.168.10.21 -> 192.168.10.11:2049 every 5 s, in three IPv4 fragments.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { PcapWriter } from '../src/pcap/writer.js';

const START = 1_757_318_400; // 2025-09-08 08:00:00 UTC
const SECONDS = 30;

const mac = (s: string): number[] => s.split(':').map((h) => parseInt(h, 16));
const ip4 = (s: string): number[] => s.split('.').map(Number);
function ip6(s: string): number[] {
  const [head, tail = ''] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => { const v = parseInt(g, 16); return [v >> 8, v & 255]; });
}

const VM = {
  a: { mac: mac('52:54:00:0a:00:11'), ip: ip4('192.168.10.11'), ip6: ip6('fd00:10::11') },
  b: { mac: mac('52:54:00:0a:00:21'), ip: ip4('192.168.10.21'), ip6: ip6('fd00:10::21') },
  c: { mac: mac('52:54:00:0a:00:31'), ip: ip4('192.168.10.31') },
  d: { mac: mac('52:54:00:0a:00:41'), ip: ip4('192.168.10.41') },
  dns: { mac: mac('52:54:00:0a:00:02'), ip: ip4('192.168.10.2') },
  v1: { mac: mac('52:54:00:14:00:11'), ip: ip4('192.168.20.11') },
  v2: { mac: mac('52:54:00:14:00:21'), ip: ip4('192.168.20.21') },
};

const be16 = (v: number): number[] => [(v >> 8) & 255, v & 255];
const be32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

/** Internet checksum (RFC 1071) over the bytes. */
function csum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function ether(dst: number[], src: number[], type: number, payload: number[], vlan?: number): number[] {
  const tag = vlan === undefined ? [] : [...be16(0x8100), ...be16(vlan)];
  const f = [...dst, ...src, ...tag, ...be16(type), ...payload];
  while (f.length < 60) f.push(0); // Ethernet minimum (without FCS)
  return f;
}

let ipId = 0x1000;
function ipv4(src: number[], dst: number[], proto: number, payload: number[], o: { id?: number; flagsFrag?: number; totalPayload?: number } = {}): number[] {
  const h = [0x45, 0, ...be16(20 + payload.length), ...be16(o.id ?? (ipId++ & 0xffff)), ...be16(o.flagsFrag ?? 0x4000), 64, proto, 0, 0, ...src, ...dst];
  const c = csum(h);
  h[10] = c >> 8; h[11] = c & 255;
  return [...h, ...payload];
}

function l4sum(pseudo: number[], seg: number[], at: number): number[] {
  const c = csum([...pseudo, ...seg]) || 0xffff;
  seg[at] = c >> 8; seg[at + 1] = c & 255;
  return seg;
}
const pseudo4 = (src: number[], dst: number[], proto: number, len: number): number[] => [...src, ...dst, 0, proto, ...be16(len)];
const pseudo6 = (src: number[], dst: number[], proto: number, len: number): number[] => [...src, ...dst, ...be32(len), 0, 0, 0, proto];

function udp(sp: number, dp: number, data: number[], pseudo: (len: number) => number[]): number[] {
  const seg = [...be16(sp), ...be16(dp), ...be16(8 + data.length), 0, 0, ...data];
  return l4sum(pseudo(seg.length), seg, 6);
}

const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;
function tcp(sp: number, dp: number, seq: number, ack: number, flags: number, data: number[], pseudo: (len: number) => number[]): number[] {
  const opts = flags & SYN ? [2, 4, ...be16(1460), 1, 1, 4, 2] : []; // MSS, NOP, NOP, SACK permitted
  const hl = 20 + opts.length;
  const seg = [...be16(sp), ...be16(dp), ...be32(seq), ...be32(flags & ACK ? ack : 0), (hl / 4) << 4, flags, ...be16(64240), 0, 0, 0, 0, ...opts, ...data];
  return l4sum(pseudo(seg.length), seg, 16);
}

/** Deterministic payload bytes (xorshift), so the file is the same on every run. */
function bytes(n: number, seed: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: n }, () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x & 255; });
}
const text = (s: string): number[] => [...new TextEncoder().encode(s)];

interface Pkt { t: number; order: number; frame: number[] }
const pkts: Pkt[] = [];
let order = 0;
/** t in microseconds from START. */
const emit = (t: number, frame: number[]): void => { pkts.push({ t: Math.round(t), order: order++, frame }); };

// ARP: a asks for b, b answers.
const arp = (op: number, sm: number[], sip: number[], tm: number[], tip: number[]): number[] =>
  [...be16(1), ...be16(0x0800), 6, 4, ...be16(op), ...sm, ...sip, ...tm, ...tip];
emit(0, ether([255, 255, 255, 255, 255, 255], VM.a.mac, 0x0806, arp(1, VM.a.mac, VM.a.ip, [0, 0, 0, 0, 0, 0], VM.b.ip)));
emit(180, ether(VM.a.mac, VM.b.mac, 0x0806, arp(2, VM.b.mac, VM.b.ip, VM.a.mac, VM.a.ip)));

// DNS: a resolves db.tenant.internal.
const qname = [...'db.tenant.internal'.split('.').flatMap((l) => [l.length, ...text(l)]), 0];
const query = [...be16(0x4a2f), ...be16(0x0100), ...be16(1), 0, 0, 0, 0, 0, 0, ...qname, ...be16(1), ...be16(1)];
const answer = [...be16(0x4a2f), ...be16(0x8180), ...be16(1), ...be16(1), 0, 0, 0, 0, ...qname, ...be16(1), ...be16(1),
  0xc0, 0x0c, ...be16(1), ...be16(1), ...be32(300), ...be16(4), ...VM.b.ip];
const p4 = (s: number[], d: number[], proto: number) => (len: number): number[] => pseudo4(s, d, proto, len);
emit(900, ether(VM.dns.mac, VM.a.mac, 0x0800, ipv4(VM.a.ip, VM.dns.ip, 17, udp(53001, 53, query, p4(VM.a.ip, VM.dns.ip, 17)))));
emit(1450, ether(VM.a.mac, VM.dns.mac, 0x0800, ipv4(VM.dns.ip, VM.a.ip, 17, udp(53, 53001, answer, p4(VM.dns.ip, VM.a.ip, 17)))));

// TCP a:40112 -> b:80, HTTP/1.1 keep-alive.
{
  const c2s = p4(VM.a.ip, VM.b.ip, 6), s2c = p4(VM.b.ip, VM.a.ip, 6);
  const toB = (seg: number[]): number[] => ether(VM.b.mac, VM.a.mac, 0x0800, ipv4(VM.a.ip, VM.b.ip, 6, seg));
  const toA = (seg: number[]): number[] => ether(VM.a.mac, VM.b.mac, 0x0800, ipv4(VM.b.ip, VM.a.ip, 6, seg));
  let cs = 0x1c2d3e4f, ss = 0x7a6b5c4d;
  let t = 2000;
  emit(t, toB(tcp(40112, 80, cs, 0, SYN, [], c2s))); cs++;
  emit(t + 240, toA(tcp(80, 40112, ss, cs, SYN | ACK, [], s2c))); ss++;
  emit(t + 300, toB(tcp(40112, 80, cs, ss, ACK, [], c2s)));
  for (let k = 0; t + 250_000 < SECONDS * 1e6 - 300_000; k++) {
    t = 2000 + 250_000 * (k + 1);
    const req = text(`GET /api/v1/items/${k} HTTP/1.1\r\nHost: b.tenant.internal\r\nUser-Agent: inventory/2.3\r\nAccept: application/json\r\n\r\n`);
    const body = `{"id":${k},"name":"item-${k}","stock":${(k * 37) % 500},"tags":["a","b"],"pad":"${'x'.repeat(400)}"}`;
    const resp = text(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    emit(t, toB(tcp(40112, 80, cs, ss, PSH | ACK, req, c2s))); cs += req.length;
    emit(t + 410, toA(tcp(80, 40112, ss, cs, PSH | ACK, resp, s2c))); ss += resp.length;
    emit(t + 460, toB(tcp(40112, 80, cs, ss, ACK, [], c2s)));
  }
  t += 100_000;
  emit(t, toB(tcp(40112, 80, cs, ss, FIN | ACK, [], c2s))); cs++;
  emit(t + 230, toA(tcp(80, 40112, ss, cs, FIN | ACK, [], s2c))); ss++;
  emit(t + 290, toB(tcp(40112, 80, cs, ss, ACK, [], c2s)));
}

// UDP a -> c, 10 packets/s.
for (let k = 0; k < SECONDS * 10; k++) {
  const data = [0x80, 0x00, ...be16(k), ...be32(k * 1280), ...be32(0x5eed1234), ...bytes(148, 20_000 + k)];
  emit(5_000 + k * 100_000, ether(VM.c.mac, VM.a.mac, 0x0800, ipv4(VM.a.ip, VM.c.ip, 17, udp(5004, 5004, data, p4(VM.a.ip, VM.c.ip, 17)))));
}

// ICMP echo a -> d, once a second.
for (let k = 0; k < SECONDS; k++) {
  const echo = (type: number): number[] => {
    const m = [type, 0, 0, 0, ...be16(0x0b1e), ...be16(k + 1), ...bytes(56, 7)];
    const c = csum(m); m[2] = c >> 8; m[3] = c & 255;
    return m;
  };
  const t = 7_000 + k * 1_000_000;
  emit(t, ether(VM.d.mac, VM.a.mac, 0x0800, ipv4(VM.a.ip, VM.d.ip, 1, echo(8))));
  emit(t + 320, ether(VM.a.mac, VM.d.mac, 0x0800, ipv4(VM.d.ip, VM.a.ip, 1, echo(0))));
}

// IPv6 UDP a -> b, 5 packets/s.
for (let k = 0; k < SECONDS * 5; k++) {
  const data = [...be32(k), ...bytes(60, 30_000 + k)];
  const seg = udp(9000, 9000, data, (len) => pseudo6(VM.a.ip6, VM.b.ip6, 17, len));
  const ip = [0x60, 0, 0, 0, ...be16(seg.length), 17, 64, ...VM.a.ip6, ...VM.b.ip6, ...seg];
  emit(11_000 + k * 200_000, ether(VM.b.mac, VM.a.mac, 0x86dd, ip));
}

// VLAN 100: v1 -> v2 metrics, 2 packets/s.
for (let k = 0; k < SECONDS * 2; k++) {
  const data = text(`vswitch.rx_packets:${1000 + 37 * k}|c`);
  emit(13_000 + k * 500_000, ether(VM.v2.mac, VM.v1.mac, 0x0800, ipv4(VM.v1.ip, VM.v2.ip, 17, udp(41000, 8125, data, p4(VM.v1.ip, VM.v2.ip, 17))), 100));
}

// A 4000-byte UDP datagram b -> a every 5 s, cut into three IPv4 fragments (1480 + 1480 + 1048 bytes).
for (let k = 0; k < SECONDS / 5; k++) {
  const dgram = udp(2049, 944, bytes(4000, 40_000 + k), p4(VM.b.ip, VM.a.ip, 17));
  const id = 0x7000 + k;
  for (let off = 0, n = 0; off < dgram.length; off += 1480, n++) {
    const part = dgram.slice(off, off + 1480);
    const more = off + 1480 < dgram.length ? 0x2000 : 0;
    emit(17_000 + k * 5_000_000 + n * 15, ether(VM.a.mac, VM.b.mac, 0x0800, ipv4(VM.b.ip, VM.a.ip, 17, part, { id, flagsFrag: more | (off / 8) })));
  }
}

pkts.sort((x, y) => x.t - y.t || x.order - y.order);

const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'tenant.pcap');
const w = await PcapWriter.open(out, { snaplen: 65535 });
for (const p of pkts) {
  const sec = START + Math.floor(p.t / 1e6);
  w.write({ tsSec: sec, tsNsec: (p.t % 1e6) * 1000, data: Uint8Array.from(p.frame) });
}
await w.close();
process.stderr.write(`wrote ${pkts.length} frames to ${out}\n`);
