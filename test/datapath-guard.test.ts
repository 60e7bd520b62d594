// Guard bytes: the kernels write only where they may and read only the frame they are given.
// Odd slots hold invalid descriptors and nothing but guard bytes; each used slot is guard bytes except
// its frame. After a kernel every guard byte is intact (no stray writes), and the same batch under a
// second guard pattern gives identical descriptors and outputs (no stray reads).
import t from 'tap';
import { Status } from '../bindings/layout.js';
import type { PacketBatch } from '../bindings/batch.js';
import {
  Mirror, Prng, diffBatches, ethernet, icmp, ipv4, ipv6, tcp, udp, writeOuterHeader, type Kernel,
} from '../src/reference/index.js';

const SLOT = 2048;
const N = 32;
const m = new Mirror({ localIp: '10.0.0.1', batchSize: N, slotSize: SLOT, maxPeers: 4, mtu: 1400, hashSeed: 5 });
m.setPeer(0, { remoteIp: '10.0.0.2', vni: 42 });
m.setPeer(1, { remoteIp: '10.0.0.3', vni: 43, candidates: [7, 8, 9] });

/** Well-formed and malformed inner frames, different every round. */
function innerFrames(r: Prng): Uint8Array[] {
  const mac = (): Uint8Array => r.bytes(6);
  const v6 = (): Uint8Array => r.bytes(16);
  const good = [
    ethernet(mac(), mac(), 0x0800, ipv4({ src: r.u32(), dst: r.u32(), proto: 6 }, tcp(r.int(0, 65535), 80, r.bytes(r.int(0, 1400))))),
    ethernet(mac(), mac(), 0x0800, ipv4({ src: r.u32(), dst: r.u32(), proto: 17, options: r.bytes(12), moreFragments: true }, udp(1, 2, r.bytes(100))), [{ tpid: 0x8100, tci: 5 }]),
    ethernet(mac(), mac(), 0x86dd, ipv6(v6(), v6(), 58, icmp(128, 0, r.int(0, 65535), 1), [{ type: 0, extLen: 1 }, { type: 44, fragOffset: 3 }]), [{ tpid: 0x88a8, tci: 1 }, { tpid: 0x8100, tci: 2 }]),
    ethernet(mac(), mac(), 0x0806, r.bytes(28)),
  ];
  const bad = [
    r.bytes(r.int(0, 13)),                          // runt
    r.bytes(r.int(14, 1400)),                       // noise
    good[0].subarray(0, r.int(14, 53)),             // truncated inside the IPv4 or TCP header
    Uint8Array.from(good[2].subarray(0, 62 + r.int(0, 20))),
  ];
  const badIhl = Uint8Array.from(good[0]); badIhl[14] = 0x4f;  // IHL 60: options swallow the TCP header, or run past a short frame
  const bogusExt = Uint8Array.from(good[2]); bogusExt[22 + 41] = 0xff; // hop-by-hop length 255
  return [...good, ...bad, badIhl, bogusExt];
}

/** VXLAN frames around some inner frames, intact and corrupted. */
function outerFrames(r: Prng, inner: Uint8Array[]): Uint8Array[] {
  return inner.map((f, k) => {
    const o = new Uint8Array(50 + f.length);
    o.set(f, 50);
    writeOuterHeader(o, 0, {
      dstMac: r.bytes(6), srcMac: r.bytes(6), tos: 0, ttl: 64, id: k, srcIp: r.u32(), dstIp: r.u32(),
      sport: r.int(49152, 65535), dport: 4789, vni: 42, innerLen: f.length,
    });
    if (k % 3 === 1) o[r.int(0, 49)] ^= 1 << r.int(0, 7);
    return k % 4 === 3 ? o.subarray(0, r.int(0, o.length)) : o;
  });
}

/** Slot i's guard byte at position k under pattern p. */
const guard = (p: number, i: number, k: number): number => (p * 0x9e + i * 31 + k * 7) & 0xff;

interface Placed { off: number; len: number }

/** Lay the batch out under guard pattern p; returns where each used slot's frame is. */
function layout(b: PacketBatch, p: number, frames: Uint8Array[], offs: number[], kernel: Kernel): (Placed | undefined)[] {
  b.clear();
  const placed: (Placed | undefined)[] = [];
  for (let i = 0; i < b.capacity; i++) {
    const slot = b.rawSlot(i);
    for (let k = 0; k < SLOT; k++) slot[k] = guard(p, i, k);
  }
  for (let i = 0; i < N; i++) {
    if (i % 2 === 1) {
      // Unused slot: a descriptor no kernel may accept.
      const bad = [[SLOT + 1, 0], [100, SLOT - 99], [0xffffffff, 0xffffffff], [SLOT, 1]][(i >> 1) % 4];
      if (kernel === 'encap' && i % 8 === 7) b.setRaw(i, 49, 10, 0); // no headroom
      else b.setRaw(i, bad[0], bad[1], 0);
      placed.push(undefined);
      continue;
    }
    const f = frames[(i >> 1) % frames.length];
    const off = Math.min(offs[i], SLOT - f.length);
    b.rawSlot(i).set(f, off);
    b.setRaw(i, off, f.length, (i >> 1) % 3, 0);
    placed.push({ off, len: f.length });
  }
  return placed;
}

interface Outcome { desc: Uint8Array[]; out: Uint8Array[] }
let guardBytes = 0;

function runKernel(kernel: Kernel, b: PacketBatch, p: number, frames: Uint8Array[], offs: number[]): Outcome & { stray: string[] } {
  const placed = layout(b, p, frames, offs, kernel);
  m.ipId = 1000;
  const r = m.run(kernel, b);
  const stray = diffBatches(b, r.twin);
  for (let i = 0; i < b.capacity; i++) {
    const slot = b.rawSlot(i);
    const pl = placed[i];
    if (i < N && i % 2 === 1 && b.status(i) !== Status.BAD_DESC) stray.push(`unused slot ${i} got status ${b.status(i)}`);
    // Writable: the 50 bytes in front of an encapsulated frame. The frame itself is never written.
    const wlo = pl && kernel === 'encap' && b.status(i) === Status.OK ? pl.off - 50 : -1;
    for (let k = 0; k < SLOT; k++) {
      if (pl && k >= pl.off && k < pl.off + pl.len) {
        if (slot[k] !== frames[(i >> 1) % frames.length][k - pl.off]) { stray.push(`slot ${i}: frame byte ${k - pl.off} changed`); break; }
        continue;
      }
      if (wlo >= 0 && k >= wlo && k < pl!.off) continue;
      if (slot[k] !== guard(p, i, k)) { stray.push(`slot ${i}: guard byte ${k} changed`); break; }
      guardBytes++;
    }
  }
  const n = b.length;
  return {
    stray,
    desc: Array.from({ length: n }, (_, i) => b.descriptor(i)),
    out: Array.from({ length: n }, (_, i) => b.output(i).slice()),
  };
}

for (const kernel of ['encap', 'hash', 'decap'] as const) {
  t.test(`${kernel}: guard bytes intact, results independent of them`, async (t) => {
    const b = m.dp.batch();
    const statuses = new Set<number>();
    guardBytes = 0;
    for (let round = 0; round < 40; round++) {
      const r = new Prng(round * 7919 + 1);
      const inner = innerFrames(r);
      const frames = kernel === 'decap' ? outerFrames(r, inner) : inner;
      const offs = Array.from({ length: N }, () => r.int(50, 400));
      const a = runKernel(kernel, b, 1, frames, offs);
      const c = runKernel(kernel, b, 2, frames, offs);
      if (a.stray.length + c.stray.length > 0) t.fail(`round ${round}: ${[...a.stray, ...c.stray].slice(0, 5).join('; ')}`);
      for (let i = 0; i < N; i++) {
        if (Buffer.compare(a.desc[i], c.desc[i]) !== 0 || Buffer.compare(a.out[i], c.out[i]) !== 0) {
          t.fail(`round ${round} packet ${i}: outputs depend on the guard pattern`);
        }
        statuses.add(new DataView(a.desc[i].buffer).getUint16(36, true));
      }
    }
    t.ok(guardBytes > 40 * 2 * N * 1000, `${guardBytes} guard bytes checked intact`);
    t.ok(statuses.has(Status.OK) && statuses.has(Status.BAD_DESC), `statuses seen: ${[...statuses].sort((x, y) => x - y).join(',')}`);
    t.ok(statuses.size >= 3, 'malformed frames among them');
  });
}
