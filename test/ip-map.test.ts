// IpMap: the address-keyed map of the per-probe lookups (keys stored as int32).
import t from 'tap';
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
