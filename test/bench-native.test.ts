// The bench's native twins (bench/native/zr_bench.c) against the Wasm kernels on the same memory:
// for every table kind, well-formed and malformed frames (runts, noise, truncations, VLAN tags, IPv4
// options and fragments, IPv6 extension headers, bad descriptors, unknown peers, forced ports, corrupted
// VXLAN frames), hash, encap and decap must leave byte-identical memory. The twins are a benchmark
// baseline: if they drifted from the Wasm kernels, vsNative would compare different work.
// Skips (outside CI) without a C compiler.
import t from 'tap';
import fc from 'fast-check';
import { missing, which } from './helpers/needs.js';
import { loadNative } from '../bench/native.js';
import { TABLE_KINDS, frame64, sameBytes, nativeCall, setupFastpath } from '../bench/fastpath.js';
import { Prng, ethernet, icmp, ipv4, ipv6, tcp, udp } from '../src/reference/index.js';
import type { PacketBatch } from '../bindings/batch.js';

const skip = missing('a C compiler', which('cc') !== undefined || which('gcc') !== undefined, 'apt-get install build-essential; .ci/run has it');

/** A mixed bag of inner frames from seed `s`, at most `max` bytes. */
function innerFrames(s: number, max: number): Uint8Array[] {
  const r = new Prng(s);
  const mac = (): Uint8Array => r.bytes(6), v6 = (): Uint8Array => r.bytes(16);
  const pay = (): Uint8Array => r.bytes(r.int(0, 8));
  const good = [
    frame64(r, 4), frame64(r, 6),
    ethernet(mac(), mac(), 0x0800, ipv4({ src: r.u32(), dst: r.u32(), proto: 6 }, tcp(r.int(0, 65535), 80, pay()))),
    ethernet(mac(), mac(), 0x0800, ipv4({ src: r.u32(), dst: r.u32(), proto: 17, options: r.bytes(4), moreFragments: r.int(0, 1) === 1 }, udp(1, 2, pay())), [{ tpid: 0x8100, tci: 5 }]),
    ethernet(mac(), mac(), 0x86dd, ipv6(v6(), v6(), 58, icmp(128, 0, r.int(0, 65535), 1), [{ type: 0, extLen: 0 }, { type: 44, fragOffset: r.int(0, 3) }])),
    ethernet(mac(), mac(), 0x86dd, ipv6(v6(), v6(), 6, tcp(r.int(0, 65535), 443), [{ type: 60, extLen: 0 }])),
    ethernet(mac(), mac(), 0x0800, ipv4({ src: r.u32(), dst: r.u32(), proto: 1 }, icmp(8, 0, r.int(0, 65535), 1))),
    ethernet(mac(), mac(), 0x0806, r.bytes(28)),
  ];
  const bad = [r.bytes(r.int(0, 13)), r.bytes(r.int(14, max)), good[0]!.subarray(0, r.int(14, 40)), good[1]!.subarray(0, r.int(14, 60))];
  const ihl = Uint8Array.from(good[2]!); ihl[14] = 0x4f;
  return [...good, ...bad, ihl].filter((f) => f.length <= max);
}

/** Fill b from frames (cycled), with peers in and out of range, some forced ports and some bad descriptors. */
function fill(b: PacketBatch, frames: Uint8Array[], r: Prng, peers: number): void {
  b.clear();
  for (let i = 0; !b.full; i++) {
    const peer = r.int(0, 9) === 0 ? peers + r.int(0, 3) : r.int(0, peers - 1);
    const force = r.int(0, 7) === 0 ? r.int(1, 65535) : 0;
    b.push(frames[i % frames.length]!, peer, force);
  }
  for (let j = 0; j < 4; j++) {
    const i = r.int(0, b.length - 1);
    b.setRaw(i, r.int(0, b.slotSize + 8), r.int(0, b.slotSize + 8), r.int(0, peers - 1));
  }
}

t.test('native twins agree with the Wasm kernels byte for byte', { skip: skip ?? false }, async (t) => {
  const nat = loadNative();
  if (!('kernels' in nat)) { t.fail(`the native twins did not build although a compiler is there: ${nat.skipped}`); return; }
  const k = nat.kernels;
  for (const kind of TABLE_KINDS) {
    const { dp, batches } = setupFastpath(kind, 7);
    const b = batches['64B'], outer = batches['64B-v6'];
    // The comparison is not vacuous: a 'twin' that returns the count but writes nothing differs.
    if (kind === 'none') {
      const n = b.length;
      dp.encap(b);
      t.match(sameBytes(dp, k, () => dp.encap(b), () => n), /differs|id/, 'a twin that does nothing is caught');
      b.clear(); const r = new Prng(3); while (!b.full) b.push(frame64(r, 4), r.int(0, 1023));
    }
    // The bench's own batches first, exactly as they are timed.
    t.equal(sameBytes(dp, k, () => dp.encap(b), nativeCall(k, dp, b, 'encap')), undefined, `${kind}: bench batch, encap`);
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      const r = new Prng(seed);
      fill(b, innerFrames(seed, b.maxFrame), r, 1024);
      const same = (what: string, w: () => number, n: () => number): void => {
        const d = sameBytes(dp, k, w, n);
        if (d !== undefined) throw new Error(`${kind} ${what} (seed ${seed}): ${d}`);
      };
      same('hash', () => dp.hash(b), nativeCall(k, dp, b, 'hash'));
      same('encap', () => dp.encap(b), nativeCall(k, dp, b, 'encap'));
      // The encapsulated frames, some corrupted, through decap.
      outer.clear();
      for (let i = 0; i < b.length && !outer.full; i++) {
        const o = Uint8Array.from(b.output(i).length >= 14 ? b.output(i) : b.input(i));
        if (o.length > outer.maxFrame) continue;
        if (r.int(0, 3) === 0 && o.length > 0) o[r.int(0, Math.min(o.length, 50) - 1)] ^= 1 << r.int(0, 7);
        outer.push(o, 0);
      }
      same('decap', () => dp.decap(outer), nativeCall(k, dp, outer, 'decap'));
    }), { numRuns: 25, seed: 17 });
    t.pass(`${kind}: 25 random batches agree (hash, encap, decap)`);
  }
});
