// Fragments and spread: every fragment of a datagram (IPv4 or IPv6, first or later) takes the same
// hash and so the same outer source port; different flows spread evenly over the candidates.
import t from 'tap';
import { Datapath } from '../bindings/datapath.js';
import { KEY_FRAGMENT, KEY_L3, Status } from '../bindings/layout.js';
import { Prng, ethernet, icmp, ipv4, ipv6, tcp, udp, type VlanTag } from '../src/reference/index.js';

const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: 256, maxPeers: 4, hashSeed: 77 });
dp.setPeer(0, { remoteIp: '10.0.0.2', vni: 1 });                       // 32 candidates (mask path)
dp.setPeer(1, { remoteIp: '10.0.0.3', vni: 1, candidates: Array.from({ length: 24 }, (_, k) => 40000 + k) }); // modulo path
const mac = Uint8Array.from([2, 0, 0, 0, 0, 7]);

/** Encapsulate frames towards `peer`, 256 at a time; returns [hash, sport, candidate, key] per frame. */
function encapAll(frames: Uint8Array[], peer = 0): { hash: number; sport: number; cand: number; key: number }[] {
  const b = dp.batch();
  const out: { hash: number; sport: number; cand: number; key: number }[] = [];
  for (let at = 0; at < frames.length; at += b.capacity) {
    b.clear();
    for (const f of frames.slice(at, at + b.capacity)) b.push(f, peer);
    dp.encap(b);
    for (let i = 0; i < b.length; i++) {
      if (b.status(i) !== Status.OK) throw new Error(`frame ${at + i}: status ${b.status(i)}`);
      out.push({ hash: b.hash(i), sport: b.sport(i), cand: b.candidate(i), key: b.keyKind(i) });
    }
  }
  return out;
}

/** An IPv4 datagram carrying `l4`, cut into fragments of at most `chunk` bytes (a multiple of 8). */
function v4Fragments(src: number, dst: number, proto: number, id: number, l4: Uint8Array, chunk: number, tags: VlanTag[] = []): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < l4.length; at += chunk) {
    const more = at + chunk < l4.length;
    out.push(ethernet(mac, mac, 0x0800, ipv4({ src, dst, proto, id, moreFragments: more, fragOffset: at / 8 }, l4.subarray(at, at + chunk)), tags));
  }
  return out;
}

function v6Fragments(src: Uint8Array, dst: Uint8Array, proto: number, id: number, l4: Uint8Array, chunk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < l4.length; at += chunk) {
    const more = at + chunk < l4.length;
    out.push(ethernet(mac, mac, 0x86dd, ipv6(src, dst, proto, l4.subarray(at, at + chunk),
      [{ type: 0 }, { type: 44, fragOffset: at / 8, moreFragments: more, identification: id }])));
  }
  return out;
}

t.test('all fragments of a datagram share hash and port', async (t) => {
  const r = new Prng(1);
  let datagrams = 0;
  for (let k = 0; k < 100; k++) {
    const tags: VlanTag[] = k % 3 === 0 ? [{ tpid: 0x8100, tci: k }] : [];
    const v4 = v4Fragments(r.u32(), r.u32(), k % 2 ? 6 : 17, k, k % 2 ? tcp(r.int(0, 65535), 443, r.bytes(3000)) : udp(r.int(0, 65535), 53, r.bytes(2000)), 800, tags);
    const v6 = v6Fragments(r.bytes(16), r.bytes(16), 17, k, udp(r.int(0, 65535), 4000, r.bytes(2500)), 1000);
    for (const [name, frags] of [['IPv4', v4], ['IPv6', v6]] as const) {
      const res = encapAll(frags, k % 2);
      if (res.length < 3) t.fail(`${name} datagram ${k} has ${res.length} fragments`);
      for (const x of res) {
        if (x.hash !== res[0].hash || x.sport !== res[0].sport) t.fail(`${name} datagram ${k}: fragments hash apart`);
        if (x.key !== (KEY_L3 | KEY_FRAGMENT)) t.fail(`${name} datagram ${k}: key ${x.key}`);
      }
      datagrams++;
    }
  }
  t.equal(datagrams, 200, '100 IPv4 and 100 IPv6 datagrams, 3 or more fragments each, one port per datagram');
});

/** Pearson's chi-square of counts against a uniform spread. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
}

t.test('flows spread over the candidates', async (t) => {
  const r = new Prng(2);
  const kinds: [string, () => Uint8Array][] = [
    ['IPv4 TCP', () => ethernet(mac, mac, 0x0800, ipv4({ src: r.u32(), dst: r.u32(), proto: 6 }, tcp(r.int(1024, 65535), 443)))],
    ['IPv6 UDP', () => ethernet(mac, mac, 0x86dd, ipv6(r.bytes(16), r.bytes(16), 17, udp(r.int(1024, 65535), 53)))],
    // One host pair, many pings: the echo identifier alone must spread them.
    ['ICMP echo ids', () => ethernet(mac, mac, 0x0800, ipv4({ src: 0x0a000001, dst: 0x0a000002, proto: 1 }, icmp(8, 0, r.int(0, 65535), 1)))],
    ['IPv4 fragments', () => v4Fragments(r.u32(), r.u32(), 6, 1, tcp(1, 2, r.bytes(100)), 64)[1]],
  ];
  for (const [name, make] of kinds) {
    for (const [peer, n] of [[0, 32], [1, 24]]) {
      const res = encapAll(Array.from({ length: 20_000 }, make), peer);
      const counts = new Array<number>(n).fill(0);
      for (const x of res) counts[x.cand]++;
      const chi = chiSquare(counts);
      // df = n-1: mean n-1, sd sqrt(2(n-1)); allow about 7 sd over the mean.
      const bound = n - 1 + 7 * Math.sqrt(2 * (n - 1));
      t.ok(chi < bound, `${name} over ${n} candidates: chi-square ${chi.toFixed(1)} < ${bound.toFixed(0)}`);
      t.ok(Math.min(...counts) > 0, `${name}: every candidate used`);
    }
  }
});
