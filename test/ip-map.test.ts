// IpMap: the address-keyed map of the per-probe lookups (keys stored as int32).
import t from 'tap';
import fc from 'fast-check';
import { IpMap } from '../src/control/ip-map.js';

t.test('an address finds its entry in either 32-bit form; oldest first out', (t) => {
  const m = new IpMap<string>();
  const hi = 0xac140001; // 172.20.0.1: above 2^31 as an unsigned number
  m.set(hi, 'a');
  t.equal(m.get(hi), 'a');
  t.equal(m.get(hi | 0), 'a', 'the signed form is the same address');
  m.set(0x0a000001, 'b');
  m.set(hi | 0, 'c');
  t.equal(m.size, 2, 'setting the signed form replaced the entry');
  t.same([...m.values()], ['c', 'b'], 'insertion order kept for the replaced entry');
  m.deleteOldest();
  t.equal(m.get(hi), undefined, 'the oldest went first');
  t.equal(m.delete(0x0a000001), true);
  t.equal(m.size, 0);
  m.deleteOldest();
  t.equal(m.size, 0, 'deleteOldest on an empty map does nothing');
  t.end();
});

t.test('agrees with a Map under random sets, deletes and deleteOldest (the open-addressing index)', (t) => {
  // Few distinct addresses (many collisions and runs to shift back on delete) or any 32-bit ones.
  const addr = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0xffffffff }));
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), ip: addr, v: fc.integer() }),
    fc.record({ kind: fc.constant('delete' as const), ip: addr, v: fc.constant(0) }),
    fc.record({ kind: fc.constant('oldest' as const), ip: fc.constant(0), v: fc.constant(0) }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
    const m = new IpMap<number>();
    const ref = new Map<number, number>();
    const seen = new Set<number>();
    for (const o of ops) {
      seen.add(o.ip);
      if (o.kind === 'set') { m.set(o.ip, o.v); ref.set(o.ip | 0, o.v); }
      else if (o.kind === 'delete') { if (m.delete(o.ip) !== ref.delete(o.ip | 0)) return false; }
      else { m.deleteOldest(); const k = ref.keys().next(); if (k.done !== true) ref.delete(k.value); }
      if (m.size !== ref.size) return false;
    }
    for (const ip of seen) if (m.get(ip) !== ref.get(ip | 0) || m.get(ip >>> 0) !== ref.get(ip | 0)) return false;
    return [...m.values()].join() === [...ref.values()].join();
  }), { numRuns: 300 });
  t.pass('IpMap matched a Map');
  t.end();
});
