// IpIndex (the zooroute mode's VTEP-by-address table) answers as a Map of the same addresses does,
// for addresses given signed or unsigned, present or not.
import t from 'tap';
import fc from 'fast-check';
import { IpIndex } from '../src/sim/ip-index.js';

t.test('IpIndex.get is Map.get of the first index of each address, -1 when absent', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 300 }),
    fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 50 }),
    (ips, probes) => {
      const idx = new IpIndex(ips);
      const ref = new Map<number, number>();
      ips.forEach((ip, i) => { if (!ref.has(ip)) ref.set(ip, i); });
      for (const ip of [...ips, ...probes]) {
        const want = ref.get(ip) ?? -1;
        if (idx.get(ip) !== want || idx.get(ip | 0) !== want) return false;
      }
      return true;
    },
  ), { numRuns: 300 });
  // Dense runs of addresses (how scenarios give VTEPs) and the top of the range.
  const ips = Array.from({ length: 10000 }, (_, i) => (0x0a000001 + i) >>> 0).concat([0xffffffff, 0x80000000, 0]);
  const idx = new IpIndex(ips);
  t.ok(ips.every((ip, i) => idx.get(ip) === i), 'every address of a 10k run found');
  t.equal(idx.get(0x0b000000), -1, 'an absent address is -1');
  t.equal(new IpIndex([]).get(1), -1, 'an empty index finds nothing');
});
