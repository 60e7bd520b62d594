// Property tests: replay's per-packet decision kernels (assembly/replay.ts: replayScanCount,
// replayEncapPlan) and their plain-TS twin (src/reference/replay-plan.ts) agree on every byte of Wasm
// memory and every answer, for random and malformed keys rows (ids past the flow rows, negative ids,
// any bins), descriptors, flow rows (garbage tallies, forced-port lists outside their area, sources past
// 2^31) and forced-port lists (unsorted ones too). A kernel never traps and touches nothing outside its
// rows, tables and per-batch areas (the whole memory is compared). The tallies add up to a plain count
// per (flow, bin), and the plan gives each packet the port its flow's list names for its bin.
// ZR_FUZZ_RUNS raises the cases (default 2,000).
import t from 'tap';
import fc from 'fast-check';
import { Datapath } from '../bindings/datapath.js';
import { ReplayCore } from '../bindings/replay-core.js';
import {
  DESC_SIZE, D_DATA_LEN, D_FORCE, D_PEER, RK_SIZE, RK_FLOW, RK_BIN, RF_SIZE, RF_BIN, RF_COUNT, RF_BYTES, RF_SRC, RF_PEER, RF_FORCED_AT,
  RF_FORCED_LEN, RP_SIZE, RP_BIN, RP_PORT, RS_SIZE, RS_FLOW, RS_BIN, RS_COUNT, RS_BYTES, RC_SPILLS, RC_REPLAYED, RC_FORCED, RC_RUNS, RR_SIZE,
  RR_SRC, RR_FROM, RR_TO,
} from '../bindings/layout.js';
import { replayEncapPlanRef, replayScanCountRef } from '../src/reference/replay-plan.js';

const RUNS = Math.max(2_000, Number(process.env.ZR_FUZZ_RUNS ?? 0) || 0);
const BATCH = 8;
const SLOT = 256;
const FLOWS = 6;   // flow rows: ids 6 and up are the caller's
const FORCED = 12; // forced-port entries

const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: BATCH, slotSize: SLOT, maxPeers: 4, records: { inputBytes: 64, outputBytes: 64 } });
const rc = new ReplayCore(dp, 16, { flowRows: FLOWS, forcedPorts: FORCED });
const br = dp.batch().region;
const mem = (): Uint8Array => new Uint8Array(br.memory.buffer);
const dv = (): DataView => new DataView(br.memory.buffer);

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const id = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: FLOWS - 1 }) }, { weight: 1, arbitrary: fc.constant(-1) },
  { weight: 1, arbitrary: fc.integer({ min: FLOWS, max: FLOWS + 3 }) }, { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) });
const bin = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: u32 });
const row = fc.record({ id, bin, len: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 14, max: 1514 }) }, { weight: 1, arbitrary: u32 }) });
const rows = fc.array(row, { maxLength: BATCH });
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

function putRows(rs: { id: number; bin: number; len: number }[]): void {
  const d = dv();
  rs.forEach((r, i) => {
    d.setInt32(rc.keysAddr + i * RK_SIZE + RK_FLOW, r.id, true);
    d.setUint32(rc.keysAddr + i * RK_SIZE + RK_BIN, r.bin, true);
    d.setUint32(br.desc + i * DESC_SIZE + D_DATA_LEN, r.len, true);
  });
  dp.batch().length = rs.length;
}

const scanCase = fc.record({
  /** Several batches in a row: tallies carry over between calls. */
  batches: fc.array(rows, { minLength: 1, maxLength: 4 }),
  /** Flow rows as left before (zero, or garbage: a count near wrapping, any bytes). */
  flows: fc.oneof(fc.constant(new Uint8Array(FLOWS * RF_SIZE)), bytes(FLOWS * RF_SIZE),
    fc.array(fc.record({ bin: fc.integer({ min: 0, max: 4 }), count: fc.oneof(fc.constant(0xffffffff), fc.constant(0xfffffffe), u32) }), { minLength: FLOWS, maxLength: FLOWS })
      .map((fs) => { const b = new Uint8Array(FLOWS * RF_SIZE), d = new DataView(b.buffer); fs.forEach((f, i) => { d.setUint32(i * RF_SIZE + RF_BIN, f.bin, true); d.setUint32(i * RF_SIZE + RF_COUNT, f.count, true); d.setBigUint64(i * RF_SIZE + RF_BYTES, 0xfffffffffffff000n, true); }); return b; })),
  junk: bytes(BATCH * (RS_SIZE + 4)),
});

t.test('replayScanCount: Wasm and twin write the same memory', async (t) => {
  let tallied = 0, spilled = 0, todo = 0;
  fc.assert(fc.property(scanCase, (c) => {
    mem().set(c.flows, rc.flowsAddr);
    for (const b of c.batches) {
      mem().set(c.junk.subarray(0, BATCH * 4), rc.todoAddr);
      mem().set(c.junk.subarray(BATCH * 4), rc.spillAddr);
      putRows(b);
      const before = mem().slice();
      const w = rc.scanCount();
      const r = replayScanCountRef(before, rc.keysAddr, br.desc, b.length, rc.flowsAddr, FLOWS, rc.todoAddr, rc.spillAddr, rc.ctlAddr);
      if (w !== r || Buffer.compare(mem(), before) !== 0) return false;
      todo += w; tallied += dv().getUint32(rc.ctlAddr + RC_REPLAYED, true); spilled += dv().getUint32(rc.ctlAddr + RC_SPILLS, true);
    }
    return true;
  }), { numRuns: RUNS });
  t.ok(tallied > 0 && spilled > 0 && todo > 0, `${tallied} rows tallied, ${spilled} spills, ${todo} left to the caller`);
});

t.test('replayScanCount: spills and the open tallies add up to a plain count per flow and bin', async (t) => {
  fc.assert(fc.property(fc.array(fc.array(fc.record({ id: fc.integer({ min: -1, max: FLOWS + 1 }), bin: fc.integer({ min: 0, max: 3 }), len: fc.integer({ min: 14, max: 1514 }) }), { maxLength: BATCH }), { maxLength: 6 }), (batches) => {
    mem().fill(0, rc.flowsAddr, rc.flowsAddr + FLOWS * RF_SIZE);
    const want = new Map<string, [number, number]>(), got = new Map<string, [number, number]>();
    const add = (m: Map<string, [number, number]>, f: number, b: number, n: number, by: number): void => {
      const e = m.get(`${f}/${b}`) ?? [0, 0]; e[0] += n; e[1] += by; m.set(`${f}/${b}`, e);
    };
    let left = 0, expectLeft = 0;
    for (const b of batches) {
      putRows(b);
      left += rc.scanCount();
      const d = dv();
      for (let j = 0; j < d.getUint32(rc.ctlAddr + RC_SPILLS, true); j++) {
        const sp = rc.spillAddr + j * RS_SIZE;
        add(got, d.getUint32(sp + RS_FLOW, true), d.getUint32(sp + RS_BIN, true), d.getUint32(sp + RS_COUNT, true), Number(d.getBigUint64(sp + RS_BYTES, true)));
      }
      for (const r of b) if (r.id >= 0 && r.id < FLOWS) add(want, r.id, r.bin, 1, r.len); else expectLeft++;
    }
    const d = dv();
    for (let f = 0; f < FLOWS; f++) {
      const r = rc.flowsAddr + f * RF_SIZE, n = d.getUint32(r + RF_COUNT, true);
      if (n > 0) add(got, f, d.getUint32(r + RF_BIN, true), n, Number(d.getBigUint64(r + RF_BYTES, true)));
    }
    const norm = (m: Map<string, [number, number]>): string => JSON.stringify([...m].sort());
    return left === expectLeft && norm(got) === norm(want);
  }), { numRuns: RUNS });
  t.pass();
});

/** Well-formed plan tables: each flow a source, a peer row and a sorted list of distinct bins. */
const planTables = fc.array(fc.record({ src: fc.integer({ min: 0, max: 3 }), peer: fc.integer({ min: 0, max: 3 }), bins: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: FORCED / FLOWS }), port: fc.integer({ min: 1, max: 0xffff }) }),
  { minLength: FLOWS, maxLength: FLOWS });
type PlanFlow = { src: number; peer: number; bins: number[]; port: number };

function putPlan(fs: PlanFlow[]): Map<string, number> {
  const d = dv(), port = new Map<string, number>();
  let at = 0;
  fs.forEach((f, i) => {
    const r = rc.flowsAddr + i * RF_SIZE, bins = [...f.bins].sort((a, b) => a - b);
    d.setUint32(r + RF_SRC, f.src, true); d.setUint16(r + RF_PEER, f.peer, true);
    d.setUint32(r + RF_FORCED_AT, at, true); d.setUint32(r + RF_FORCED_LEN, bins.length, true);
    for (const b of bins) {
      d.setUint32(rc.forcedAddr + at * RP_SIZE + RP_BIN, b, true); d.setUint16(rc.forcedAddr + at * RP_SIZE + RP_PORT, f.port + b, true);
      port.set(`${i}/${b}`, (f.port + b) & 0xffff || 0);
      at++;
    }
  });
  return port;
}

const planCase = fc.record({
  rows,
  tables: fc.oneof(planTables.map((p) => ({ plan: p, raw: undefined })), fc.record({ plan: fc.constant(undefined), raw: fc.tuple(bytes(FLOWS * RF_SIZE), bytes(FORCED * RP_SIZE)) }),
    // Well-formed, then one flow's list or source spoilt.
    fc.record({ plan: planTables, spoil: fc.integer({ min: 0, max: FLOWS - 1 }), at: u32, len: u32, src: fc.oneof(fc.constant(-1), u32) }).map((s) => ({ plan: s.plan, raw: undefined, spoil: s })),
  ),
  junk: bytes(BATCH * (4 + 4 + RR_SIZE)),
  peers: fc.array(u16, { minLength: BATCH, maxLength: BATCH }),
});

t.test('replayEncapPlan: Wasm and twin write the same memory', async (t) => {
  let planned = 0, todo = 0, forced = 0;
  fc.assert(fc.property(planCase, (c) => {
    if (c.tables.plan !== undefined) {
      putPlan(c.tables.plan);
      const s = (c.tables as { spoil?: { spoil: number; at: number; len: number; src: number } }).spoil;
      if (s !== undefined) {
        const r = rc.flowsAddr + s.spoil * RF_SIZE, d = dv();
        d.setUint32(r + RF_FORCED_AT, s.at, true); d.setUint32(r + RF_FORCED_LEN, s.len, true);
        if (s.src >= 0) d.setUint32(r + RF_SRC, s.src, true);
      }
    } else {
      mem().set(c.tables.raw![0], rc.flowsAddr); mem().set(c.tables.raw![1], rc.forcedAddr);
    }
    mem().set(c.junk.subarray(0, BATCH * 4), rc.todoAddr);
    mem().set(c.junk.subarray(BATCH * 4, BATCH * 8), rc.srcAddr);
    mem().set(c.junk.subarray(BATCH * 8), rc.runsAddr);
    putRows(c.rows);
    c.peers.forEach((p, i) => { dv().setUint16(br.desc + i * DESC_SIZE + D_PEER, p, true); dv().setUint16(br.desc + i * DESC_SIZE + D_FORCE, p ^ 1, true); });
    const before = mem().slice();
    const w = rc.encapPlan();
    const r = replayEncapPlanRef(before, rc.keysAddr, br.desc, c.rows.length, rc.flowsAddr, FLOWS, rc.forcedAddr, FORCED, rc.srcAddr, rc.todoAddr, rc.runsAddr, rc.ctlAddr);
    if (w !== r || Buffer.compare(mem(), before) !== 0) return false;
    todo += w; planned += c.rows.length - w; forced += dv().getUint32(rc.ctlAddr + RC_FORCED, true);
    return true;
  }), { numRuns: RUNS });
  t.ok(planned > 0 && todo > 0 && forced > 0, `${planned} rows planned, ${forced} forced, ${todo} left to the caller`);
});

t.test('replayEncapPlan: each packet gets its flow\'s peer row and the port its list names for its bin; runs cover the batch', async (t) => {
  fc.assert(fc.property(planTables, fc.array(fc.record({ id: fc.integer({ min: 0, max: FLOWS - 1 }), bin: fc.integer({ min: 0, max: 6 }), len: fc.constant(60) }), { maxLength: BATCH }), (plan, rs) => {
    const port = putPlan(plan);
    putRows(rs);
    if (rc.encapPlan() !== 0) return false;
    const d = dv();
    const ok = rs.every((r, i) => d.getUint16(br.desc + i * DESC_SIZE + D_PEER, true) === plan[r.id].peer
      && d.getUint16(br.desc + i * DESC_SIZE + D_FORCE, true) === (port.get(`${r.id}/${r.bin}`) ?? 0)
      && d.getInt32(rc.srcAddr + i * 4, true) === plan[r.id].src);
    // Runs: maximal, in order, covering [0, n) with the rows' sources.
    let next = 0, lastSrc = -1;
    for (let j = 0; j < d.getUint32(rc.ctlAddr + RC_RUNS, true); j++) {
      const ru = rc.runsAddr + j * RR_SIZE, s = d.getUint32(ru + RR_SRC, true), a = d.getUint32(ru + RR_FROM, true), b = d.getUint32(ru + RR_TO, true);
      if (a !== next || b <= a || s === lastSrc) return false;
      for (let i = a; i < b; i++) if (plan[rs[i].id].src !== s) return false;
      next = b; lastSrc = s;
    }
    return ok && next === rs.length;
  }), { numRuns: RUNS });
  t.pass();
});

t.test('ReplayCore refuses bad caps', async (t) => {
  t.throws(() => new ReplayCore(dp, 16, { flowRows: -1 }), /flow rows/);
  t.throws(() => new ReplayCore(dp, 16, { forcedPorts: 1.5 }), /forced ports/);
});
