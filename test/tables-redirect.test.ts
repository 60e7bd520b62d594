// The redirect table (hosts): its compiler against the slow path's definition on random failure and
// recovery histories, and its Wasm kernel against the TS twin, hostile cell values included.
import t from 'tap';
import fc from 'fast-check';
import { Datapath } from '../bindings/index.js';
import { SlowPathTable, RedirectTable, fastTableFor, createFastTable, type PortState } from '../src/tables/index.js';
import { redirectBucketOf, redirectCellIndex, redirectSelectRef } from '../src/reference/tables-redirect.js';
import { encapThroughTable } from './helpers/table-encap.js';
import { resolveControlConfig } from '../src/control/config.js';

function ports(n: number, base = 50000): number[] { return Array.from({ length: n }, (_, i) => base + i); }

/** One hash per (default candidate k, spread bucket s): k in the low bits, the bucket's first high value. */
function coverage(n: number, spread: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    for (let s = 0; s < spread; s++) {
      const hi = Math.ceil((s * 65536) / spread);
      const h = ((hi << 16) | k) >>> 0;
      if (h % n !== k || redirectBucketOf(h, spread) !== s) throw new Error(`coverage hash for ${k}, ${s} is wrong`);
      out.push(h);
    }
  }
  return out;
}

const shapeArb = fc.record({ n: fc.constantFrom(8, 16, 32, 64), spread: fc.constantFrom(1, 2, 4, 8) });
/** A health step toggles a port (and often restamps its rank and group); the others change rank or group alone. */
const stepArb = fc.record({
  cand: fc.nat(63),
  what: fc.constantFrom('health', 'health', 'health', 'health', 'group', 'since'),
  restamp: fc.boolean(),
  group: fc.nat(3),
  since: fc.nat(1000),
});
const initArb = fc.array(fc.record({ group: fc.nat(3), since: fc.nat(1000) }), { minLength: 64, maxLength: 64 });
const hashesArb = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 100 });
type Step = { cand: number; what: string; restamp: boolean; group: number; since: number };

/** The change a step makes to the current state of port `c`. */
function change(st: Readonly<PortState>, s: Step): Partial<PortState> {
  if (s.what === 'group') return { group: s.group };
  if (s.what === 'since') return { failureFreeSince: s.since };
  return s.restamp ? { healthy: !st.healthy, group: s.group, failureFreeSince: s.since } : { healthy: !st.healthy };
}

/** The slow path's definition of a valid choice. */
function checkChoice(states: readonly Readonly<PortState>[], hash: number, c: number): string | undefined {
  const n = states.length, k = hash % n;
  if (!(Number.isInteger(c) && c >= 0 && c < n)) return `candidate ${c} outside 0..${n - 1}`;
  const anyHealthy = states.some((s) => s.healthy);
  if (anyHealthy && !states[c]!.healthy) return `bad candidate ${c} chosen while a healthy one exists`;
  if (states.every((s) => s.healthy) && c !== k) return `all healthy but ${c} != default ${k}`;
  if (!anyHealthy && c !== k) return `none healthy but ${c} != default ${k}`;
  return undefined;
}

/** Where a failed port's flows may go: its healthy same-group ports when its group has any, else every healthy port. */
function eligible(states: readonly Readonly<PortState>[], c: number): number[] {
  const healthy = states.map((s, i) => (s.healthy && i !== c ? i : -1)).filter((i) => i >= 0);
  const g = states[c]!.group;
  const same = g === 0 ? [] : healthy.filter((i) => states[i]!.group === g);
  return same.length > 0 ? same : healthy;
}

interface HistoryStats { updates: number; writes: number; maxWrites: number }

/**
 * Runs a random history on peer 1 of a 3-peer table and checks, after every step, every invariant the
 * brief states. Throws on the first violation.
 */
function runHistory(n: number, spread: number, init: readonly { group: number; since: number }[], steps: readonly Step[], extra: readonly number[], stats: HistoryStats): void {
  const slow = new SlowPathTable();
  const tb = new RedirectTable(slow, { peers: 3, candidates: n, spread });
  slow.addPeer(0, ports(n, 40000));
  slow.addPeer(1, ports(n));
  for (let c = 0; c < n; c++) slow.setPort(1, c, { group: init[c]!.group, failureFreeSince: init[c]!.since });
  if (tb.registerWrites !== 0) throw new Error('rank and group changes on healthy ports wrote cells');
  const hashes = [...coverage(n, spread), ...extra];
  let choice = hashes.map((h) => tb.select(1, h));
  for (const s of steps) {
    const c = s.cand % n;
    const before = slow.ports(1).map((p) => ({ ...p }));
    const w0 = tb.registerWrites;
    slow.setPort(1, c, change(before[c]!, s));
    const w = tb.registerWrites - w0;
    const states = slow.ports(1);
    const now = hashes.map((h) => tb.select(1, h));
    const failed = before[c]!.healthy && !states[c]!.healthy;
    const recovered = !before[c]!.healthy && states[c]!.healthy;
    if (failed || recovered) {
      stats.updates++; stats.writes += w; stats.maxWrites = Math.max(stats.maxWrites, w);
      if (w > n * spread) throw new Error(`one update made ${w} writes (bound N*S = ${n * spread})`);
    } else if (w !== 0) throw new Error(`a rank or group change alone made ${w} writes`);
    hashes.forEach((h, i) => {
      const why = checkChoice(states, h, now[i]!);
      if (why) throw new Error(why);
      if (tb.select(1, h) !== now[i]) throw new Error('not deterministic');
      if (now[i] === choice[i]) return;
      // Who may move: on a failure only the flows that were on the failed port; on a recovery only
      // the recovered port's own flows and flows that had no healthy port; otherwise nobody.
      if (failed && choice[i] !== c) throw new Error(`port ${c} failed, but flow ${h} moved from healthy ${choice[i]} to ${now[i]}`);
      if (recovered && h % n !== c && before[choice[i]!]!.healthy) throw new Error(`port ${c} recovered, but flow ${h} moved from healthy ${choice[i]} to ${now[i]}`);
      if (!failed && !recovered) throw new Error(`a rank or group change moved flow ${h}`);
      // A flow that moves at a failure lands in its default port's BackendID group when that group has a healthy port.
      if (failed) {
        const ok = eligible(states, h % n);
        if (ok.length > 0 && !ok.includes(now[i]!)) throw new Error(`flow ${h} (default ${h % n}, group ${states[h % n]!.group}) moved to ${now[i]} outside its group`);
      }
    });
    if (failed) {
      const ok = eligible(states, c);
      const targets = Array.from({ length: spread }, (_, b) => tb.target(1, c, b));
      // Spread: min(S, eligible) distinct ports; same group when it has a healthy port.
      if (new Set(targets).size !== Math.min(spread, Math.max(ok.length, 1))) throw new Error(`failed port ${c}: ${new Set(targets).size} distinct targets, expected min(${spread}, ${ok.length})`);
      if (ok.length > 0 && !targets.every((x) => ok.includes(x))) throw new Error(`failed port ${c}: targets ${targets} outside ${ok}`);
      // Rank: bucket 0 is the longest failure-free eligible port; the buckets are in rank order.
      if (ok.length > 0) {
        const best = Math.min(...ok.map((x) => states[x]!.failureFreeSince));
        if (states[targets[0]!]!.failureFreeSince !== best) throw new Error(`failed port ${c}: bucket 0 goes to ${targets[0]}, not a longest failure-free port`);
        for (let b = 1; b < Math.min(spread, ok.length); b++) {
          if (states[targets[b]!]!.failureFreeSince < states[targets[b - 1]!]!.failureFreeSince) throw new Error(`failed port ${c}: buckets out of rank order`);
        }
      }
    }
    choice = now;
  }
  // The other peer's cells were never touched.
  for (let i = 0; i < n * spread; i++) if (tb.read('redirect', i) !== 0) throw new Error('peer 0 cells written');
}

t.test('random histories: healthy choice, minimal moves, spread, group and rank, bounded writes', async (t) => {
  const stats: HistoryStats = { updates: 0, writes: 0, maxWrites: 0 };
  fc.assert(fc.property(shapeArb, initArb, fc.array(stepArb, { minLength: 10, maxLength: 150, size: 'large' }), hashesArb, ({ n, spread }, init, steps, extra) => {
    runHistory(n, spread, init, steps, extra, stats);
  }), { numRuns: 250 });
  t.ok(stats.updates > 1000, `${stats.updates} health updates checked`);
  t.comment(`register writes per health update: mean ${(stats.writes / stats.updates).toFixed(2)}, max ${stats.maxWrites} (bound N*S)`);
});

t.test('groups all 0: a failed port goes to its min(S, healthy) longest failure-free ports', async (t) => {
  fc.assert(fc.property(shapeArb, fc.array(fc.nat(1000), { minLength: 64, maxLength: 64 }), fc.nat(63), fc.array(fc.nat(63), { maxLength: 62 }), ({ n, spread }, since, f0, down0) => {
    const slow = new SlowPathTable();
    const tb = new RedirectTable(slow, { peers: 1, candidates: n, spread });
    slow.addPeer(0, ports(n));
    for (let c = 0; c < n; c++) slow.setPort(0, c, { failureFreeSince: since[c]! });
    const f = f0 % n;
    for (const d of down0) if (d % n !== f) slow.setPort(0, d % n, { healthy: false });
    slow.setPort(0, f, { healthy: false });
    const states = slow.ports(0);
    // The definition: longest failure-free first, ties to the nearest after f on the ring.
    const ring = (c: number): number => (c - f + n) % n;
    const healthy = states.map((s, i) => (s.healthy ? i : -1)).filter((i) => i >= 0)
      .sort((a, b) => states[a]!.failureFreeSince - states[b]!.failureFreeSince || ring(a) - ring(b));
    const got = coverage(n, spread).filter((h) => h % n === f).map((h) => tb.select(0, h));
    if (healthy.length === 0) return got.every((c) => c === f);
    const want = healthy.slice(0, Math.min(spread, healthy.length));
    // Bucket s takes the (s mod len)-th best.
    return got.every((c, s) => c === want[s % want.length]);
  }), { numRuns: 400 });
  t.pass('400 random ranks and failures');
});

t.test('lossy ports failing one after another all land on the long failure-free ports', async (t) => {
  // The live agent's case: ports 0..15 lossy (recent losses), 16..31 failure-free for long. With PBM
  // only the first failure followed the preference; here every one does.
  fc.assert(fc.property(fc.shuffledSubarray(Array.from({ length: 16 }, (_, i) => i), { minLength: 2, maxLength: 15 }), fc.constantFrom(1, 2, 4, 8), hashesArb, (order, spread, hashes) => {
    const slow = new SlowPathTable();
    const tb = new RedirectTable(slow, { peers: 1, candidates: 32, spread });
    slow.addPeer(0, ports(32));
    for (let c = 0; c < 32; c++) slow.setPort(0, c, { failureFreeSince: c < 16 ? 5000 + c : 100 + c });
    const all = [...coverage(32, spread), ...hashes];
    for (const f of order) {
      const before = all.map((h) => tb.select(0, h));
      slow.setPort(0, f, { healthy: false });
      for (let i = 0; i < all.length; i++) {
        const now = tb.select(0, all[i]!);
        if (before[i] !== f && now !== before[i]) return false;
        if (before[i] === f && now < 16) return false;
      }
    }
    return true;
  }), { numRuns: 200 });
  t.pass('200 random failure orders');
});

t.test('no healthy port: every flow keeps its default; the first recovery takes them all; peers come and go', async (t) => {
  const n = 8, spread = 4;
  const slow = new SlowPathTable();
  const tb = new RedirectTable(slow, { peers: 2, candidates: n, spread });
  slow.addPeer(1, ports(n));
  const hs = coverage(n, spread);
  for (let c = 0; c < n; c++) slow.setPort(1, c, { healthy: false });
  t.same(hs.map((h) => tb.select(1, h)), hs.map((h) => h % n), 'all bad: the default');
  for (let i = 0; i < n * spread; i++) if (tb.read('redirect', n * spread + i) !== 0) t.fail('a cell is set while nothing is healthy');
  slow.setPort(1, 5, { healthy: true });
  t.ok(hs.every((h) => tb.select(1, h) === 5), 'one recovery: every flow on it');
  slow.setPort(1, 2, { healthy: true });
  t.ok(hs.every((h) => tb.select(1, h) === (h % n === 2 ? 2 : 5)), 'the second recovery takes back its own flows only');
  const w = tb.registerWrites;
  slow.removePeer(1);
  t.ok(tb.registerWrites > w, 'removal zeroes the peer');
  t.equal(tb.footprint().usedBytes, 0);
  for (let i = 0; i < 2 * n * spread; i++) if (tb.read('redirect', i) !== 0) t.fail('cell left after removal');
  // A peer compiled after the fact (follow): unhealthy ports get targets at once.
  const slow2 = new SlowPathTable();
  slow2.addPeer(0, ports(n));
  slow2.setPort(0, 3, { healthy: false, group: 2 });
  slow2.setPort(0, 6, { group: 2, failureFreeSince: 9 });
  const late = createFastTable('redirect', slow2, { peers: 1, candidates: n, spread });
  t.ok(coverage(n, spread).filter((h) => h % n === 3).every((h) => late.select(0, h) === 6), 'added unhealthy: to its same-group port');
  t.same(late.footprint(), { allocatedBytes: n * spread, usedBytes: n * spread, arrays: late.arrays() }, 'N*S bytes per peer');
  t.throws(() => new RedirectTable(new SlowPathTable(), { peers: 1, candidates: 8, spread: 17 }), RangeError);
  t.throws(() => new RedirectTable(new SlowPathTable(), { peers: 1, candidates: 8, spread: 0 }), RangeError);
});

// ---- Wasm against the twin -----------------------------------------------------------------------

const PEERS = 5;

function setup(n: number, spread: number) {
  const dp = Datapath.create({ localIp: '10.0.0.1', table: 'redirect', candidates: n, maxPeers: PEERS, batchSize: 256, redirectSpread: spread });
  const slow = new SlowPathTable();
  for (let p = 0; p < PEERS - 1; p++) {
    const peer = dp.setPeer(p, { remoteIp: `10.0.1.${p + 1}`, vni: 100 + p });
    slow.addPeer(p, peer.candidates);
  }
  return { dp, slow, table: fastTableFor(dp, slow) as RedirectTable };
}

const wasmStepArb = fc.record({ peer: fc.nat(PEERS - 2), cand: fc.nat(63), healthy: fc.boolean(), group: fc.nat(3), since: fc.nat(50) });

t.test('Wasm lookupBatch agrees with the twin on random histories (N 1..64, S 1..16)', async (t) => {
  fc.assert(fc.property(
    fc.oneof(fc.constantFrom(8, 16, 32, 64), fc.integer({ min: 1, max: 64 })), fc.integer({ min: 1, max: 16 }),
    fc.array(wasmStepArb, { maxLength: 100, size: 'large' }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.nat(PEERS + 2)), { minLength: 1, maxLength: 256 }),
    (n, spread, steps, queries) => {
      const { dp, slow, table } = setup(n, spread);
      for (const s of steps) slow.setPort(s.peer, s.cand % n, { healthy: s.healthy, group: s.group, failureFreeSince: s.since });
      const lb = dp.lookupBatch();
      lb.length = queries.length;
      queries.forEach(([h, p], i) => { lb.hashes[i] = h; lb.peers[i] = p; });
      dp.lookup(lb);
      queries.forEach(([h, p], i) => {
        const want = p < PEERS ? table.select(p, h) : 0xffff;
        if (lb.out[i] !== want) throw new Error(`n=${n} S=${spread}: peer ${p} hash ${h}: wasm ${lb.out[i]} twin ${want}`);
      });
      for (let i = 0; i < PEERS * n * spread; i++) if (dp.readTable('redirect', i) !== table.read('redirect', i)) throw new Error(`redirect[${i}] differs`);
    }), { numRuns: 120 });
  t.pass('120 random tables: every cell and lookup agree');
});

t.test('hostile cells: any byte written directly reads the same in Wasm and the twin, never out of the row', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 16 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 200 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.nat(PEERS - 1)), { minLength: 1, maxLength: 256 }),
    (n, spread, pokes, queries) => {
      const dp = Datapath.create({ localIp: '10.0.0.1', table: 'redirect', candidates: n, maxPeers: PEERS, batchSize: 256, redirectSpread: spread });
      const cells = new Uint8Array(PEERS * n * spread);
      // Pokes aimed at the queried cells too, so that hostile values are actually looked up.
      queries.forEach(([h, p], i) => {
        const j = redirectCellIndex(n, spread, p, h % n, redirectBucketOf(h, spread));
        const v = pokes[i % pokes.length]![1];
        dp.writeTable('redirect', j, v); cells[j] = v;
      });
      for (const [i0, v] of pokes) { const i = i0 % cells.length; dp.writeTable('redirect', i, v); cells[i] = v; }
      const lb = dp.lookupBatch();
      lb.length = queries.length;
      queries.forEach(([h, p], i) => { lb.hashes[i] = h; lb.peers[i] = p; });
      dp.lookup(lb);
      queries.forEach(([h, p], i) => {
        const want = redirectSelectRef(cells, n, spread, p, h);
        const v = cells[redirectCellIndex(n, spread, p, h % n, redirectBucketOf(h, spread))]!;
        if (want !== (v >= 1 && v <= n ? v - 1 : h % n)) throw new Error('twin: a value beyond N must read as 0');
        if (lb.out[i] !== want) throw new Error(`n=${n} S=${spread} cell ${v}: wasm ${lb.out[i]} twin ${want}`);
      });
    }), { numRuns: 200 });
  const dp = Datapath.create({ localIp: '10.0.0.1', table: 'redirect', candidates: 8, maxPeers: PEERS, redirectSpread: 4 });
  t.throws(() => dp.writeTable('redirect', 0, 256), RangeError, 'not a byte');
  t.throws(() => dp.writeTable('redirect', PEERS * 8 * 4, 1), RangeError, 'beyond the table');
  t.throws(() => dp.writeTable('flat', 0, 1), RangeError, 'array of another kind');
  t.throws(() => Datapath.create({ localIp: '10.0.0.1', table: 'redirect', redirectSpread: 17 }), RangeError);
  t.equal(dp.tableGeometry!.reservedBytes, PEERS * 8 * 4, 'N*S bytes per peer');
  t.equal(dp.tableCells('redirect'), PEERS * 8 * 4);
  t.throws(() => createFastTable('redirect', new SlowPathTable(), { peers: PEERS, candidates: 8, spread: 2 }).attach(dp), RangeError, 'spread differs');
});

t.test('encap picks ports through the redirect table: the twin\'s port, never a bad one while a good one exists', async (t) => {
  fc.assert(fc.property(fc.array(wasmStepArb, { minLength: 1, maxLength: 120 }), fc.constantFrom(1, 4, 8), (steps, spread) => {
    const { dp, slow, table } = setup(32, spread);
    for (const s of steps) slow.setPort(s.peer, s.cand % 32, { healthy: s.healthy, group: s.group, failureFreeSince: s.since });
    encapThroughTable(dp, slow, table, PEERS, `redirect S=${spread}`);
  }), { numRuns: 40 });
  t.pass('40 random health histories x 200 packets');
});

t.test('control config: redirectSpread defaults to 4 and is checked', async (t) => {
  t.equal(resolveControlConfig().redirectSpread, 4);
  t.equal(resolveControlConfig({ redirectSpread: 16 }).redirectSpread, 16);
  for (const bad of [0, 17, 2.5, Number.NaN]) t.throws(() => resolveControlConfig({ redirectSpread: bad }), RangeError, `redirectSpread ${bad}`);
});
