// The Wasm tables against their TS twins: batch lookups agree, and encapsulation chooses its source
// port through the peer's table (never a bad port while a healthy one exists; the twin's port).
import t from 'tap';
import fc from 'fast-check';
import { Datapath, type DatapathTable } from '../bindings/index.js';
import { SlowPathTable, createFastTable, fastTableFor, type TableKind, type FastTable } from '../src/tables/index.js';
import { selectPort, withTable, type RefPeer } from '../src/reference/index.js';
import { encapThroughTable, tableFrame } from './helpers/table-encap.js';

const KINDS: readonly TableKind[] = ['flat', 'pbm', 'hi'];
const PEERS = 6;

function setup(kind: DatapathTable, n: number, extra: { pbmGroups?: number; pbmPrefSlots?: number; hiGroupSize?: number; hiBlocks?: number } = {}) {
  const dp = Datapath.create({ localIp: '10.0.0.1', table: kind, candidates: n, maxPeers: PEERS, batchSize: 256, ...extra });
  const slow = new SlowPathTable();
  for (let p = 0; p < PEERS - 1; p++) {
    const peer = dp.setPeer(p, { remoteIp: `10.0.1.${p + 1}`, vni: 100 + p });
    slow.addPeer(p, peer.candidates);
  }
  return { dp, slow, table: fastTableFor(dp, slow) };
}

const stepArb = fc.record({ peer: fc.nat(PEERS - 2), cand: fc.nat(), healthy: fc.boolean(), group: fc.nat(3), since: fc.nat(50) });

t.test('Wasm lookupBatch agrees with the TS twin after random changes', async (t) => {
  for (const kind of KINDS) {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 8 }), fc.constantFrom(1, 2, 4, 8, 16),
      fc.array(stepArb, { maxLength: 80 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.nat(PEERS + 2)), { minLength: 1, maxLength: 256 }),
      (n, groups, m, steps, queries) => {
        // Small pools, so that PBM preference slots and HI blocks run out and collide.
        const { dp, slow, table } = setup(kind, n, { pbmGroups: groups, pbmPrefSlots: 4, hiGroupSize: m, hiBlocks: 2 });
        for (const s of steps) slow.setPort(s.peer, s.cand % n, { healthy: s.healthy, group: s.group, failureFreeSince: s.since });
        const lb = dp.lookupBatch();
        lb.length = queries.length;
        queries.forEach(([h, p], i) => { lb.hashes[i] = h; lb.peers[i] = p; });
        const done = dp.lookup(lb);
        let inRange = 0;
        queries.forEach(([h, p], i) => {
          const want = p < PEERS ? table.select(p, h) : 0xffff;
          if (p < PEERS) inRange++;
          if (lb.out[i] !== want) throw new Error(`${kind} n=${n}: peer ${p} hash ${h}: wasm ${lb.out[i]} twin ${want}`);
        });
        if (done !== inRange) throw new Error(`lookup counted ${done}, expected ${inRange}`);
        for (const a of table.arrays()) {
          for (let i = 0; i < a.cells; i++) if (dp.readTable(a.name, i) !== table.read(a.name, i)) throw new Error(`${a.name}[${i}] differs`);
        }
      }), { numRuns: 60 });
    t.pass(`${kind}: 60 random tables, every cell and lookup agree`);
  }
});

t.test('encap picks ports through the table: no bad port while a healthy one exists, the twin\'s port', async (t) => {
  for (const kind of KINDS) {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 120 }), (steps) => {
      const { dp, slow, table } = setup(kind, 32);
      for (const s of steps) slow.setPort(s.peer, s.cand % 32, { healthy: s.healthy, group: s.group, failureFreeSince: s.since });
      const b = dp.batch();
      encapThroughTable(dp, slow, table, PEERS, kind, (p, i) => {
        // The datapath twin's port choice, routed through the same table.
        const ref: RefPeer = { remoteIp: 0, mac: new Uint8Array(6), vni: 0, candidates: dp.peer(p)!.candidates };
        const twin = selectPort(withTable(ref, { select: (h) => table.select(p, h) }), b.hash(i));
        if (twin.port !== b.sport(i)) throw new Error('reference selectPort disagrees');
      });
    }), { numRuns: 40 });
    t.pass(`${kind}: 40 random health histories x 200 packets`);
  }
});

t.test('all healthy: every table gives the default candidates[hash mod N]', async (t) => {
  const plain = Datapath.create({ localIp: '10.0.0.1', maxPeers: PEERS });
  plain.setPeer(0, { remoteIp: '10.0.1.1', vni: 100 });
  const pb = plain.batch();
  for (let i = 0; i < 100; i++) pb.push(tableFrame(i), 0);
  plain.encap(pb);
  for (const kind of KINDS) {
    const { dp } = setup(kind, 32);
    const b = dp.batch();
    for (let i = 0; i < 100; i++) b.push(tableFrame(i), 0);
    dp.encap(b);
    t.same(Array.from({ length: 100 }, (_, i) => b.sport(i)), Array.from({ length: 100 }, (_, i) => pb.sport(i)), `${kind} = default`);
  }
});

t.test('the core refuses writes out of range, and peers the table cannot hold', async (t) => {
  const { dp } = setup('hi', 32, { hiBlocks: 4 });
  t.throws(() => dp.writeTable('hi.l1', 0, 5), RangeError, 'level-1 pointer beyond the pool');
  t.throws(() => dp.writeTable('hi.l2', 4 * 4, 1), RangeError, 'level-2 index beyond the pool');
  t.throws(() => dp.writeTable('hi.l2', 0, 33), RangeError, 'recorded candidate beyond N');
  t.throws(() => dp.writeTable('hi.l1', PEERS, 0), RangeError);
  t.throws(() => dp.writeTable('flat', 0, 1), RangeError, 'array of another kind');
  t.throws(() => dp.setPeer(5, { remoteIp: '10.0.9.9', vni: 1, candidates: [50000, 50001] }), RangeError, 'wrong candidate count');
  const p = setup('pbm', 20);
  t.throws(() => p.dp.writeTable('pbm.bitmap', 0, 1 << 20), RangeError, 'bits beyond N');
  t.throws(() => p.dp.writeTable('pbm.shift', 0, 20), RangeError, 'shift beyond N');
  t.throws(() => p.dp.writeTable('pbm.shift', 4, 1), RangeError, 'group beyond G');
  t.throws(() => Datapath.create({ localIp: '10.0.0.1' }).lookupBatch(), RangeError, 'no table reserved');
  t.throws(() => Datapath.create({ localIp: '10.0.0.1', table: 'hi', hiGroupSize: 3 }), RangeError);
  const g = p.dp.tableGeometry!;
  t.equal(g.pbmPrefSlots, 8, 'preference slots: maxPeers rounded up to 4-way buckets');
  t.equal(g.reservedBytes, PEERS * 4 + 4 + 8 * (2 + 4), 'PBM reserves a u32 per peer, a byte per group, and its preference slots');
  t.throws(() => p.dp.writeTable('pbm.pref.tag', 0, PEERS + 1), RangeError, 'tag naming no peer');
  t.throws(() => p.dp.writeTable('pbm.pref.shift', 8 * 4, 1), RangeError, 'preference shift beyond the slots');
  p.dp.usePeerTable(0, false);
  t.equal(p.dp.peer(0)!.table, 'default');
});

t.test('peers beyond 32 candidates use two bitmap words', async (t) => {
  const { dp, slow, table } = setup('pbm', 64);
  for (let c = 0; c < 64; c += 3) slow.setPort(1, c, { healthy: false });
  const lb = dp.lookupBatch();
  lb.length = 256;
  for (let i = 0; i < 256; i++) { lb.hashes[i] = Math.imul(i, 2654435761) >>> 0; lb.peers[i] = 1; }
  dp.lookup(lb);
  const twin = Array.from({ length: 256 }, (_, i) => (table as FastTable).select(1, lb.hashes[i]!));
  t.same(Array.from(lb.out), twin);
  t.ok(twin.every((c) => c % 3 !== 0), 'no bad candidate');
});

t.test('mirroring: shapes must match; detached and disposed tables stop writing', async (t) => {
  const dp = Datapath.create({ localIp: '10.0.0.1', table: 'pbm', maxPeers: PEERS, candidates: 32 });
  const slow = new SlowPathTable();
  t.throws(() => createFastTable('hi', new SlowPathTable(), { peers: PEERS, candidates: 32 }).attach(dp), RangeError, 'kind differs');
  t.throws(() => createFastTable('pbm', new SlowPathTable(), { peers: PEERS, candidates: 16 }).attach(dp), RangeError, 'N differs');
  t.throws(() => createFastTable('pbm', new SlowPathTable(), { peers: PEERS, candidates: 32, groups: 2 }).attach(dp), RangeError, 'G differs');
  const tb = fastTableFor(dp, slow);
  const p = dp.setPeer(0, { remoteIp: '10.0.1.1', vni: 1 });
  slow.addPeer(0, p.candidates);
  slow.setPort(0, 3, { healthy: false });
  t.equal(dp.readTable('pbm.bitmap', 0), (0xffffffff & ~(1 << 3)) >>> 0, 'mirrored write reached the core');
  tb.detach(dp);
  slow.setPort(0, 4, { healthy: false });
  t.equal(dp.readTable('pbm.bitmap', 0), (0xffffffff & ~(1 << 3)) >>> 0, 'detached: the core keeps the old cell');
  t.not(tb.read('pbm.bitmap', 0), dp.readTable('pbm.bitmap', 0), 'while the twin moved on');
  const w = tb.registerWrites;
  tb.dispose();
  slow.setPort(0, 5, { healthy: false });
  t.equal(tb.registerWrites, w, 'disposed: no longer follows the slow path');
});
