// The fast-path tables' TS twins against the slow path's definition, on random health states.
import t from 'tap';
import fc from 'fast-check';
import {
  SlowPathTable, createFastTable, FlatTable, PbmTable, HiTable, type TableKind, type PortState, type FastTable,
} from '../src/tables/index.js';

const KINDS: readonly TableKind[] = ['flat', 'pbm', 'hi'];

interface Port { healthy: boolean; group: number; since: number }
const portArb = fc.record({ healthy: fc.boolean(), group: fc.integer({ min: 0, max: 3 }), since: fc.integer({ min: 0, max: 1000 }) });
/** N candidates (1..64) with random states, mostly healthy so that failures are the interesting minority. */
const peerArb = fc.integer({ min: 1, max: 64 }).chain((n) => fc.array(
  fc.oneof({ weight: 3, arbitrary: portArb.map((p) => ({ ...p, healthy: true })) }, { weight: 1, arbitrary: portArb }),
  { minLength: n, maxLength: n }));
const hashesArb = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 200 });

function ports(n: number, base = 50000): number[] { return Array.from({ length: n }, (_, i) => base + i); }

function apply(slow: SlowPathTable, peer: number, states: readonly Port[]): void {
  states.forEach((s, c) => slow.setPort(peer, c, { healthy: s.healthy, group: s.group, failureFreeSince: s.since }));
}

function table(kind: TableKind, slow: SlowPathTable, n: number, peers = 4): FastTable {
  return createFastTable(kind, slow, { peers, candidates: n });
}

/** The slow path's definition of a valid choice. */
function checkChoice(states: readonly Readonly<PortState>[], hash: number, c: number): string | undefined {
  const n = states.length;
  if (!(Number.isInteger(c) && c >= 0 && c < n)) return `candidate ${c} outside 0..${n - 1}`;
  const anyHealthy = states.some((s) => s.healthy);
  if (anyHealthy && !states[c]!.healthy) return `bad candidate ${c} chosen while a healthy one exists`;
  if (states.every((s) => s.healthy) && c !== hash % n) return `all healthy but ${c} != default ${hash % n}`;
  return undefined;
}

t.test('every table: healthy whenever any candidate is, the default when all are, deterministic', async (t) => {
  for (const kind of KINDS) {
    fc.assert(fc.property(peerArb, hashesArb, (states, hashes) => {
      const n = states.length;
      // Built before the changes (incremental) and after them (compiled from the state).
      const slow = new SlowPathTable();
      const inc = table(kind, slow, n);
      slow.addPeer(2, ports(n));
      apply(slow, 2, states);
      const fresh = table(kind, slow, n);
      const st = slow.ports(2);
      for (const h of hashes) {
        for (const tb of [inc, fresh]) {
          const c = tb.select(2, h);
          const why = checkChoice(st, h, c);
          if (why) throw new Error(`${kind}: ${why}`);
          if (tb.select(2, h) !== c) throw new Error(`${kind}: not deterministic`);
        }
        // Flat is a function of the current state alone; PBM and HI keep what they wrote at a failure.
        if (kind === 'flat' && inc.select(2, h) !== fresh.select(2, h)) throw new Error(`${kind}: incremental != fresh`);
      }
    }), { numRuns: 300 });
    t.pass(`${kind}: 300 random states`);
  }
});

t.test('random histories keep the invariants, and each change costs O(1) register writes', async (t) => {
  const stepArb = fc.record({ cand: fc.nat(), healthy: fc.boolean(), group: fc.integer({ min: 0, max: 2 }), since: fc.nat(100) });
  for (const kind of KINDS) {
    let maxWrites = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.array(stepArb, { maxLength: 60 }), hashesArb, (n, steps, hashes) => {
      const slow = new SlowPathTable();
      const tb = table(kind, slow, n);
      slow.addPeer(1, ports(n));
      // HI: the entry, entries that recorded the port, the level-1 slot. PBM: the bitmap word, and at a
      // peer's first failure its preference slot (G shifts + tag).
      const bound = kind === 'hi' ? Math.ceil(n / 8) + 1 : kind === 'pbm' ? 4 + 2 : 1;
      for (const s of steps) {
        const before = tb.registerWrites;
        slow.setPort(1, s.cand % n, { healthy: s.healthy, group: s.group, failureFreeSince: s.since });
        const w = tb.registerWrites - before;
        maxWrites = Math.max(maxWrites, w);
        if (w > bound) throw new Error(`${kind}: one change made ${w} writes (bound ${bound})`);
        for (const h of hashes) {
          const why = checkChoice(slow.ports(1), h, tb.select(1, h));
          if (why) throw new Error(`${kind}: ${why}`);
        }
      }
    }), { numRuns: 200 });
    t.pass(`${kind}: at most ${maxWrites} register writes per port change`);
  }
});

/** Choices of `hashes` towards peer 0 before and after `change`. */
function moves(tb: FastTable, hashes: readonly number[], change: () => void): { before: number[]; after: number[] } {
  const before = hashes.map((h) => tb.select(0, h));
  change();
  return { before, after: hashes.map((h) => tb.select(0, h)) };
}

t.test('PBM: a failure moves only the flows that were on the failed port', async (t) => {
  fc.assert(fc.property(peerArb, fc.nat(), hashesArb, (states, f0, hashes) => {
    const n = states.length;
    const slow = new SlowPathTable();
    const tb = table('pbm', slow, n);
    slow.addPeer(0, ports(n));
    apply(slow, 0, states);
    const f = f0 % n;
    if (!slow.port(0, f).healthy) return;
    const { before, after } = moves(tb, hashes, () => slow.setPort(0, f, { healthy: false }));
    before.forEach((b, i) => {
      if (b !== f && after[i] !== b) throw new Error(`flow ${hashes[i]} moved from ${b} though ${f} failed`);
      if (b === f && after[i] === f && slow.ports(0).some((s) => s.healthy)) throw new Error('flow stayed on the failed port');
    });
  }), { numRuns: 500 });
  t.pass('500 random states');
});

// Stated tolerance: in a peer of N = 32 with G = 4 and one failed port, the failed port's flows split
// over 4 distinct healthy ports, each taking 25% +- 5 points (8000 flows).
t.test('PBM: the flows of a failed port spread over G healthy ports within the stated tolerance', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 0x7fffffff }), (f, seed) => {
    const slow = new SlowPathTable();
    const tb = new PbmTable(slow, { peers: 1, candidates: 32, groups: 4 });
    slow.addPeer(0, ports(32));
    // Flows whose default port is f: hash = f + 32 * random.
    let x = seed;
    const hashes = Array.from({ length: 8000 }, () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return ((x & ~31) | f) >>> 0; });
    const { after } = moves(tb, hashes, () => slow.setPort(0, f, { healthy: false }));
    const count = new Map<number, number>();
    for (const c of after) count.set(c, (count.get(c) ?? 0) + 1);
    if (count.size !== 4 || count.has(f)) throw new Error(`moved to ${[...count.keys()]}`);
    for (const [c, k] of count) if (Math.abs(k / hashes.length - 0.25) > 0.05) throw new Error(`port ${c} took ${k / hashes.length}`);
  }), { numRuns: 32 });
  t.pass('4 targets, 25% +- 5 points each');
});

t.test('HI: a failure moves only the flows of the failed port\'s entry (and those on the failed port)', async (t) => {
  fc.assert(fc.property(peerArb, fc.nat(), hashesArb, (states, f0, hashes) => {
    const n = states.length;
    const slow = new SlowPathTable();
    const tb = table('hi', slow, n);
    slow.addPeer(0, ports(n));
    apply(slow, 0, states);
    const f = f0 % n;
    if (!slow.port(0, f).healthy) return;
    const entry = (h: number): number => Math.floor((h % n) / 8);
    const { before, after } = moves(tb, hashes, () => slow.setPort(0, f, { healthy: false }));
    before.forEach((b, i) => {
      if (after[i] !== b && entry(hashes[i]!) !== Math.floor(f / 8) && b !== f) throw new Error(`flow ${hashes[i]} outside the entry moved`);
    });
  }), { numRuns: 500 });
  // With no other failure, exactly the entry's flows move, all to one recorded port outside... or inside it.
  const slow = new SlowPathTable();
  const tb = new HiTable(slow, { peers: 1, candidates: 32 });
  slow.addPeer(0, ports(32));
  const hashes = Array.from({ length: 4096 }, (_, i) => Math.imul(i, 2654435761) >>> 0);
  const { before, after } = moves(tb, hashes, () => slow.setPort(0, 11, { healthy: false }));
  const moved = hashes.filter((_, i) => after[i] !== before[i]);
  t.ok(moved.every((h) => Math.floor((h % 32) / 8) === 1), 'only flows of entry 1 (candidates 8..15) moved');
  t.equal(new Set(moved.map((h) => tb.select(0, h))).size, 1, 'all to the one recorded port');
  t.ok(hashes.every((h, i) => Math.floor((h % 32) / 8) !== 1 || after[i] !== 11), 'none left on the failed port');
});

t.test('PBM points its groups at the preferred ports: same BackendID group first, then longest failure-free', async (t) => {
  const slow = new SlowPathTable();
  const tb = new PbmTable(slow, { peers: 1, candidates: 32, groups: 4 });
  slow.addPeer(0, ports(32));
  for (let c = 0; c < 32; c++) slow.setPort(0, c, { group: 1, failureFreeSince: 1000 });
  slow.setPort(0, 20, { group: 7, failureFreeSince: 500 });
  slow.setPort(0, 25, { group: 7, failureFreeSince: 100 });
  slow.setPort(0, 30, { group: 2, failureFreeSince: 5 });
  const hashes = Array.from({ length: 8000 }, (_, i) => ((Math.imul(i + 1, 2654435761) & ~31) | 3) >>> 0);
  const { after } = moves(tb, hashes, () => slow.setPort(0, 3, { group: 7, healthy: false }));
  const share = (c: number): number => after.filter((x) => x === c).length / after.length;
  // Same-group ports exist: all G priority groups point at them (best-ranked first, cyclically), none
  // at the longest failure-free port 30 of another group.
  t.ok(Math.abs(share(25) - 0.5) < 0.05 && Math.abs(share(20) - 0.5) < 0.05, `same-group ports 25 and 20 take ${share(25)}, ${share(20)}`);
  t.equal(share(30), 0, 'no flow leaves its BackendID group while the group has a healthy port');
  t.equal(new Set(after).size, 2, 'four priority groups over the two same-group ports');
  t.equal(tb.select(0, 9), 9, 'flows on healthy defaults stay');
  slow.setPort(0, 25, { healthy: false });
  t.ok(after.every((c, i) => c === 25 || tb.select(0, hashes[i]!) === c), 'a second failure moves only the flows that were on it');
  for (const c of [3, 25]) slow.setPort(0, c, { healthy: true });
  t.equal(tb.arrays().find((a) => a.name === 'pbm.pref.tag')!.cellsInUse, 0, 'recovered: preference slot freed');
});

t.test('PBM: later failures of a peer also land on its preferred ports, not wherever a scan points', async (t) => {
  // Ports 0..15 lost probes recently (a lossy path), 16..31 have been failure-free for long. Lossy
  // ports fail one after another, as under random loss: every failed port's flows must go to the
  // long failure-free ports, the starts written at the first failure.
  fc.assert(fc.property(fc.shuffledSubarray(Array.from({ length: 16 }, (_, i) => i), { minLength: 2, maxLength: 15 }), hashesArb, (order, hashes) => {
    const slow = new SlowPathTable();
    const tb = new PbmTable(slow, { peers: 1, candidates: 32, groups: 4 });
    slow.addPeer(0, ports(32));
    for (let c = 0; c < 32; c++) slow.setPort(0, c, { failureFreeSince: c < 16 ? 5000 + c : 100 + c });
    for (const f of order) {
      const { before, after } = moves(tb, hashes, () => slow.setPort(0, f, { healthy: false }));
      for (let i = 0; i < hashes.length; i++) {
        if (before[i] !== f && after[i] !== before[i]) return false; // only the failed port's flows move
        if (before[i] === f && after[i]! < 16) return false;       // and they go to the long failure-free ports
      }
    }
    return true;
  }), { numRuns: 300 });
  t.pass('300 random failure sequences');
});

t.test('PBM and HI: a first failure keeps every flow of the failed port in its BackendID group when it can', async (t) => {
  // Random all-healthy peers with random groups (0 = unknown) and failure-free times; one port fails.
  const healthyPeerArb = peerArb.map((ps) => ps.map((p) => ({ ...p, healthy: true })));
  for (const kind of ['pbm', 'hi'] as const) {
    fc.assert(fc.property(healthyPeerArb, fc.nat(), hashesArb, (states, f0, hashes) => {
      const n = states.length;
      const f = f0 % n;
      const slow = new SlowPathTable();
      const tb = createFastTable(kind, slow, { peers: 1, candidates: n, groupSize: 1 });
      slow.addPeer(0, ports(n));
      apply(slow, 0, states);
      slow.setPort(0, f, { healthy: false });
      const st = slow.ports(0);
      const g = st[f]!.group;
      const sameExists = g !== 0 && st.some((s, c) => c !== f && s.healthy && s.group === g);
      for (const h of hashes) {
        if (h % n !== f) continue;
        const c = tb.select(0, h);
        if (sameExists && st[c]!.group !== g) throw new Error(`${kind}: flow of failed ${f} (group ${g}) went to ${c} (group ${st[c]!.group})`);
      }
    }), { numRuns: 300 });
    t.pass(`${kind}: 300 random peers, every flow of the failed port stays in its group when a healthy port of it exists`);
  }
});

t.test('HI records the preferred port: same BackendID group first, then longest failure-free', async (t) => {
  const slow = new SlowPathTable();
  const tb = new HiTable(slow, { peers: 2, candidates: 32 });
  slow.addPeer(0, ports(32));
  for (let c = 0; c < 32; c++) slow.setPort(0, c, { group: 1, failureFreeSince: 1000 });
  slow.setPort(0, 20, { group: 7, failureFreeSince: 500 });
  slow.setPort(0, 25, { group: 7, failureFreeSince: 100 });
  slow.setPort(0, 30, { group: 2, failureFreeSince: 5 });
  slow.setPort(0, 3, { group: 7, healthy: false });
  const hashIn = (c: number): number => c + 32 * 12345;
  t.equal(tb.select(0, hashIn(3)), 25, 'same group as the failed port, longest failure-free within it');
  t.equal(tb.select(0, hashIn(5)), 25, 'every flow of the entry uses the recorded port');
  t.equal(tb.select(0, hashIn(9)), 9, 'other entries untouched');
  slow.setPort(0, 25, { healthy: false });
  t.equal(tb.select(0, hashIn(3)), 20, 'recorded port failed: next in the same group');
  slow.setPort(0, 20, { healthy: false });
  t.equal(tb.select(0, hashIn(3)), 30, 'group exhausted: the longest failure-free of any group');
  slow.setPort(0, 20, { healthy: true, failureFreeSince: 1 });
  t.equal(tb.select(0, hashIn(3)), 30, 'a still-healthy recorded port is kept: flows do not move again');
  for (const c of [3, 25]) slow.setPort(0, c, { healthy: true });
  t.equal(tb.select(0, hashIn(3)), 3, 'all of the entry healthy again: back to the default');
  t.equal((tb as HiTable).blocksInUse, 0, 'no failure left: no level-2 block');
});

t.test('HI: a peer without failure costs its level-1 slot only; pool exhaustion is counted and retried', async (t) => {
  const slow = new SlowPathTable();
  const tb = new HiTable(slow, { peers: 3, candidates: 32, blocks: 1 });
  for (const p of [0, 1, 2]) slow.addPeer(p, ports(32));
  t.equal(tb.footprint().usedBytes, 3 * 2, 'three level-1 slots of 16 bits');
  slow.setPort(0, 1, { healthy: false });
  t.equal(tb.blocksInUse, 1);
  t.equal(tb.footprint().usedBytes, 3 * 2 + 4, 'plus one block of ceil(32/8) u8 entries');
  slow.setPort(1, 1, { healthy: false });
  t.equal(tb.overflows, 1, 'second failed peer finds the pool empty');
  t.equal(tb.select(1, 1), 1, 'and keeps its default candidate meanwhile');
  slow.setPort(0, 1, { healthy: true });
  t.not(tb.select(1, 1), 1, 'the freed block went to the waiting peer');
  t.equal(tb.blocksInUse, 1);
  slow.removePeer(1);
  t.equal(tb.blocksInUse, 0, 'removing a peer returns its block');
});

t.test('register writes: counted, told to sinks, and each kind\'s costs per change', async (t) => {
  for (const kind of KINDS) {
    const slow = new SlowPathTable();
    const tb = table(kind, slow, 32);
    const seen: number[] = [];
    const stop = tb.onWrite((w) => seen.push(w.index));
    slow.addPeer(0, ports(32));
    const afterAdd = tb.registerWrites;
    slow.setPort(0, 5, { healthy: false });
    const fail = tb.registerWrites - afterAdd;
    slow.setPort(0, 5, { group: 3, failureFreeSince: 9 });
    t.equal(tb.registerWrites - afterAdd, fail, `${kind}: a change of group or rank alone writes nothing`);
    t.equal(seen.length, tb.registerWrites, `${kind}: every write reached the sink`);
    stop();
    t.equal(fail, kind === 'hi' ? 2 : kind === 'pbm' ? 6 : 1, `${kind}: a first failure costs ${fail} write(s)`);
    const w1 = tb.registerWrites;
    slow.setPort(0, 20, { healthy: false });
    t.equal(tb.registerWrites - w1, 1, `${kind}: a second failure costs 1 write`);
    if (kind === 'pbm') {
      // Ports 6..9 are PBM's starts here (equal rank: nearest after the failed 5). A start that fails
      // is rewritten: one more write per priority group that started at it.
      const w2 = tb.registerWrites;
      slow.setPort(0, 7, { healthy: false });
      t.equal(tb.registerWrites - w2, 2, 'pbm: a failed start costs its bitmap write and one start write');
    }
    t.equal(afterAdd, kind === 'flat' ? 32 : kind === 'pbm' ? 1 : 0, `${kind}: adding a healthy peer costs ${afterAdd}`);
  }
});

t.test('shapes and arguments are checked', async (t) => {
  const slow = new SlowPathTable();
  t.throws(() => new FlatTable(slow, { peers: 0, candidates: 32 }), RangeError);
  t.throws(() => new HiTable(slow, { peers: 1, candidates: 32, groupSize: 6 }), RangeError);
  t.throws(() => new PbmTable(slow, { peers: 1, candidates: 32, groups: 0 }), RangeError);
  const tb = new PbmTable(slow, { peers: 2, candidates: 16 });
  t.throws(() => slow.addPeer(0, ports(8)), RangeError, 'candidate count must match the table');
  t.throws(() => slow.addPeer(5, ports(16)), RangeError, 'peer index outside the table');
  t.throws(() => tb.setGroupShifts([1, 2, 3]), RangeError);
  t.throws(() => tb.setGroupShifts([1, 2, 3, 16]), RangeError);
  t.throws(() => slow.setPort(9, 0, { healthy: false }), RangeError, 'unknown peer');
  t.throws(() => tb.select(2, 0), RangeError);
  slow.addPeer(1, ports(16));
  t.throws(() => slow.setPort(1, 0, { healthy: false, group: -1 }), RangeError, 'bad group');
  t.throws(() => slow.setPort(1, 0, { healthy: false, failureFreeSince: Number.NaN }), RangeError, 'bad clock time');
  t.ok(slow.port(1, 0).healthy, 'a refused change changes nothing');
  tb.dispose();
});
