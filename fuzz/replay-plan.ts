// The replay passes' per-packet decision kernels under the fuzzer (assembly/replay.ts: replayScanCount,
// replayEncapPlan; twin src/reference/replay-plan.ts), in a rig of their own (fuzz/rig.ts).
//
// Keys rows as replayKeys leaves them: flow ids mostly among a small set below the flow cap (so that
// flows repeat within a batch and across batches), -1, ids at and past the cap, any i32; bins mostly
// rising by 0-2 from row to row, now and then any u32 (0xffffffff included). The flow rows keep their
// tallies from batch to batch, as a scan pass's do, and are filled with random bytes now and then
// (counts at 0xffffffff: the wrap spill). For the plan, flow rows hold forced-port lists inside the
// forced area, sorted by bin, or hostile ones (past the area's end, lengths that wrap, unsorted bins,
// sources at and past 2^31). The flow cap and the forced cap are any value up to their areas' sizes.
import { DESC_SIZE, RF_COUNT, D_DATA_LEN, D_FORCE, D_PEER, RC_FORCED, RC_MAX_BIN, RC_REPLAYED, RC_RUNS, RC_SIZE, RC_SPILLS, RC_TODO,
  RF_FORCED_AT, RF_FORCED_LEN, RF_PEER, RF_SIZE, RF_SRC, RK_BIN, RK_FLOW, RK_SIZE, RP_BIN, RP_PORT, RP_SIZE, RR_SIZE, RS_SIZE } from '../bindings/layout.js';
import type { Prng } from '../src/reference/index.js';
import { replayEncapPlanRef, replayScanCountRef } from '../src/reference/replay-plan.js';
import { checkCall, Rig, tallyOutcome, type CallTally } from './rig.js';

/** Flow rows and forced-port entries of the rig's areas (the caps in use are at most these). */
export const PLAN_FLOWS = 64;
export const PLAN_FORCED = 256;

type PlanRegions = 'keys' | 'desc' | 'flows' | 'forced' | 'todo' | 'spill' | 'src' | 'runs' | 'ctl';

export class ReplayPlanFuzz {
  #rig: Rig<PlanRegions>;

  constructor(readonly batch: number) { this.#rig = this.#newRig(); }

  #newRig(): Rig<PlanRegions> {
    const b = this.batch;
    return new Rig({
      keys: b * RK_SIZE, desc: b * DESC_SIZE, flows: PLAN_FLOWS * RF_SIZE, forced: PLAN_FORCED * RP_SIZE,
      todo: b * 4, spill: b * RS_SIZE, src: b * 4, runs: b * RR_SIZE, ctl: RC_SIZE,
    });
  }

  /** Keys rows [0, count) and the descriptors' data lengths, as replayKeys and the batch leave them. */
  #rows(r: Prng, count: number, dv: DataView, flowCap: number): void {
    const g = this.#rig.regions;
    const hot = Array.from({ length: r.int(1, 12) }, () => r.int(0, Math.max(0, flowCap + 2)));
    let bin = r.int(0, 3) === 0 ? r.u32() : r.int(0, 600);
    for (let i = 0; i < count; i++) {
      const k = g.keys.at + i * RK_SIZE;
      for (let a = 0; a < RK_SIZE; a += 4) dv.setUint32(k + a, r.u32(), true); // the fields it must not read
      const x = r.int(0, 31);
      const id = x < 24 ? hot[r.int(0, hot.length - 1)]! : x < 27 ? -1 : x < 29 ? flowCap + r.int(0, 3) : x < 30 ? 0x7fffffff : r.u32() | 0;
      dv.setInt32(k + RK_FLOW, id, true);
      const y = r.int(0, 31);
      bin = y === 0 ? r.u32() : y === 1 ? 0xffffffff : Math.min(0xffffffff, bin + (r.int(0, 3) === 0 ? r.int(0, 2) : 0));
      dv.setUint32(k + RK_BIN, bin >>> 0, true);
      const d = g.desc.at + i * DESC_SIZE;
      for (let a = 0; a < DESC_SIZE; a += 4) dv.setUint32(d + a, r.u32(), true);
      dv.setUint32(d + D_DATA_LEN, r.int(0, 7) === 0 ? r.u32() : r.int(14, 1514), true);
    }
  }

  /**
   * One batch of `count` rows through replayScanCount, then (new rows, new flow tables) through
   * replayEncapPlan. Adds into the tallies.
   */
  run(r: Prng, count: number, ts: CallTally, tp: CallTally, tally: (k: string, n?: number) => void, fail: (m: string) => void): void {
    if (!this.#scan(r, count, ts, tally, fail)) { this.#rig = this.#newRig(); return; }
    if (!this.#plan(r, count, tp, tally, fail)) this.#rig = this.#newRig();
  }

  #scan(r: Prng, count: number, t: CallTally, tally: (k: string, n?: number) => void, fail: (m: string) => void): boolean {
    const rig = this.#rig, g = rig.regions, mem = rig.mem, lo = rig.lo, dv = new DataView(mem.buffer);
    const flowCap = r.int(0, 7) === 0 ? r.int(0, PLAN_FLOWS) : PLAN_FLOWS;
    this.#rows(r, count, dv, flowCap);
    const h = r.int(0, 63);
    if (h === 0) mem.fill(0, g.flows.at, g.flows.at + g.flows.bytes);
    else if (h === 1) for (let a = g.flows.at; a < g.flows.at + g.flows.bytes; a += 4) dv.setUint32(a, r.u32(), true);
    else if (h === 2) for (let f = 0; f < flowCap; f++) dv.setUint32(g.flows.at + f * RF_SIZE + RF_COUNT, 0xffffffff - r.int(0, 1), true); // counts about to wrap
    for (const name of ['todo', 'spill', 'ctl'] as const) for (let a = g[name].at; a < g[name].at + g[name].bytes; a += 4) dv.setUint32(a, r.u32(), true);
    const taken = (i: number): boolean => { const id = dv.getInt32(g.keys.at + i * RK_SIZE + RK_FLOW, true); return id >= 0 && id < flowCap; };
    const ids = new Set<number>();
    for (let i = 0; i < count; i++) if (taken(i)) ids.add(dv.getInt32(g.keys.at + i * RK_SIZE + RK_FLOW, true));
    const todoN = count - [...Array(count).keys()].filter(taken).length;
    const o = checkCall(rig, r, {
      wasm: () => rig.core.replayScanCount(g.keys.at, g.desc.at, count, g.flows.at, flowCap, g.todo.at, g.spill.at, g.ctl.at),
      twin: (c) => replayScanCountRef(c, g.keys.at - lo, g.desc.at - lo, count, g.flows.at - lo, flowCap, g.todo.at - lo, g.spill.at - lo, g.ctl.at - lo),
      guards: [[g.keys.at + count * RK_SIZE, g.keys.at + g.keys.bytes], [g.desc.at + count * DESC_SIZE, g.desc.at + g.desc.bytes],
        [g.flows.at + flowCap * RF_SIZE, g.flows.at + g.flows.bytes], [g.todo.at + count * 4, g.todo.at + g.todo.bytes],
        [g.spill.at + count * RS_SIZE, g.spill.at + g.spill.bytes], [g.ctl.at + RC_FORCED, g.ctl.at + RC_SIZE],
        [g.forced.at, g.forced.at + g.forced.bytes], [g.src.at, g.src.at + g.src.bytes], [g.runs.at, g.runs.at + g.runs.bytes]],
      // It reads each row's flow id; a counted row's bin and data length, and its flow's row. Nothing else.
      hide: (v) => {
        for (let i = 0; i < count; i++) {
          const k = g.keys.at + i * RK_SIZE, d = g.desc.at + i * DESC_SIZE;
          const bin = dv.getUint32(k + RK_BIN, true);
          mem.fill(v, k, k + RK_FLOW); mem.fill(v, k + RK_FLOW + 4, k + RK_SIZE);
          if (taken(i)) dv.setUint32(k + RK_BIN, bin, true);
          mem.fill(v, d, d + D_DATA_LEN); mem.fill(v, d + D_DATA_LEN + 4, d + DESC_SIZE);
          if (!taken(i)) mem.fill(v, d + D_DATA_LEN, d + D_DATA_LEN + 4);
        }
        for (let f = 0; f < flowCap; f++) if (!ids.has(f)) mem.fill(v, g.flows.at + f * RF_SIZE, g.flows.at + (f + 1) * RF_SIZE);
        for (const name of ['todo', 'spill', 'ctl'] as const) mem.fill(v, g[name].at, g[name].at + g[name].bytes); // written, never read
      },
      outputs: (c) => {
        const cv = new DataView(c.buffer, c.byteOffset, c.byteLength);
        const spills = cv.getUint32(g.ctl.at - lo + RC_SPILLS, true);
        const out: [number, number][] = [[g.todo.at, g.todo.at + todoN * 4], [g.spill.at, g.spill.at + Math.min(count, spills) * RS_SIZE], [g.ctl.at, g.ctl.at + RC_FORCED]];
        for (const f of ids) out.push([g.flows.at + f * RF_SIZE, g.flows.at + (f + 1) * RF_SIZE]);
        return out;
      },
    });
    if (!tallyOutcome(o, t, 'replayScanCount', fail)) return false;
    tally('replayScanCount:todo', o.result);
    tally('replayScanCount:tallied', dv.getUint32(g.ctl.at + RC_REPLAYED, true));
    const sp = dv.getUint32(g.ctl.at + RC_SPILLS, true);
    tally('replayScanCount:spills', sp);
    if (dv.getUint32(g.ctl.at + RC_MAX_BIN, true) === 0xffffffff) tally('replayScanCount:max-bin-saturated');
    return true;
  }

  #plan(r: Prng, count: number, t: CallTally, tally: (k: string, n?: number) => void, fail: (m: string) => void): boolean {
    const rig = this.#rig, g = rig.regions, mem = rig.mem, lo = rig.lo, dv = new DataView(mem.buffer);
    const flowCap = r.int(0, 7) === 0 ? r.int(0, PLAN_FLOWS) : PLAN_FLOWS;
    const forcedCap = r.int(0, 7) === 0 ? r.int(0, PLAN_FORCED) : PLAN_FORCED;
    this.#rows(r, count, dv, flowCap);
    // Forced-port lists: consecutive, sorted by bin, inside the forced area; hostile now and then.
    let next = 0;
    for (let f = 0; f < PLAN_FLOWS; f++) {
      const row = g.flows.at + f * RF_SIZE;
      const len = r.int(0, 3) === 0 ? 0 : Math.min(r.int(1, 8), PLAN_FORCED - next);
      // Bins around those of the batch's rows (a row of the flow finds its bin's entry, or one beside it).
      const near = count > 0 ? dv.getUint32(g.keys.at + r.int(0, count - 1) * RK_SIZE + RK_BIN, true) : 0;
      let bin = Math.max(0, near - r.int(0, 6));
      for (let e = next; e < next + len; e++) {
        bin = Math.min(0xffffffff, bin + (r.int(0, 5) === 0 ? 0 : r.int(1, 2)));
        dv.setUint32(g.forced.at + e * RP_SIZE + RP_BIN, r.int(0, 31) === 0 ? r.u32() : bin, true);
        dv.setUint32(g.forced.at + e * RP_SIZE + RP_PORT, r.u32(), true); // port in the low half, the rest not to be read
      }
      dv.setUint32(row + RF_SRC, r.int(0, 15) === 0 ? [0x7fffffff, 0x80000000, r.u32()][r.int(0, 2)]! : r.int(0, 3), true);
      dv.setUint32(row + RF_PEER, r.u32(), true); // RF_PEER (u16) and two bytes not to be read
      const hostile = r.int(0, 15);
      dv.setUint32(row + RF_FORCED_AT, hostile === 0 ? r.u32() : hostile === 1 ? forcedCap + r.int(0, 2) : next, true);
      dv.setUint32(row + RF_FORCED_LEN, hostile === 2 ? r.u32() : hostile === 3 ? 0xffffffff : len, true);
      next += len;
    }
    for (const name of ['todo', 'src', 'runs', 'ctl'] as const) for (let a = g[name].at; a < g[name].at + g[name].bytes; a += 4) dv.setUint32(a, r.u32(), true);
    const rowOf = (i: number): number => { const id = dv.getInt32(g.keys.at + i * RK_SIZE + RK_FLOW, true); return id >= 0 && id < flowCap ? id : -1; };
    const planned = (i: number): boolean => {
      const f = rowOf(i);
      if (f < 0) return false;
      const row = g.flows.at + f * RF_SIZE, at = dv.getUint32(row + RF_FORCED_AT, true), len = dv.getUint32(row + RF_FORCED_LEN, true);
      return at <= forcedCap && len <= forcedCap - at && dv.getUint32(row + RF_SRC, true) <= 0x7fffffff;
    };
    const plan = Array.from({ length: count }, (_, i) => planned(i));
    const ids = new Set<number>();
    for (let i = 0; i < count; i++) if (rowOf(i) >= 0) ids.add(rowOf(i));
    const lists = new Uint8Array(PLAN_FORCED); // forced entries some planned row's list holds
    for (let i = 0; i < count; i++) {
      if (!plan[i]) continue;
      const row = g.flows.at + rowOf(i) * RF_SIZE, at = dv.getUint32(row + RF_FORCED_AT, true), len = dv.getUint32(row + RF_FORCED_LEN, true);
      lists.fill(1, at, at + len);
    }
    const todoN = plan.filter((p) => !p).length;
    const o = checkCall(rig, r, {
      wasm: () => rig.core.replayEncapPlan(g.keys.at, g.desc.at, count, g.flows.at, flowCap, g.forced.at, forcedCap, g.src.at, g.todo.at, g.runs.at, g.ctl.at),
      twin: (c) => replayEncapPlanRef(c, g.keys.at - lo, g.desc.at - lo, count, g.flows.at - lo, flowCap, g.forced.at - lo, forcedCap, g.src.at - lo, g.todo.at - lo, g.runs.at - lo, g.ctl.at - lo),
      guards: [[g.keys.at + count * RK_SIZE, g.keys.at + g.keys.bytes], [g.desc.at + count * DESC_SIZE, g.desc.at + g.desc.bytes],
        [g.flows.at + flowCap * RF_SIZE, g.flows.at + g.flows.bytes], [g.forced.at + forcedCap * RP_SIZE, g.forced.at + g.forced.bytes],
        [g.todo.at + count * 4, g.todo.at + g.todo.bytes], [g.src.at + count * 4, g.src.at + g.src.bytes],
        [g.runs.at + count * RR_SIZE, g.runs.at + g.runs.bytes], [g.spill.at, g.spill.at + g.spill.bytes],
        [g.ctl.at + RC_SPILLS, g.ctl.at + RC_FORCED], [g.ctl.at + RC_RUNS + 4, g.ctl.at + RC_SIZE]],
      // It reads each row's flow id and, for a flow below the cap, its row; a planned row's bin and
      // its flow's forced entries (bins and ports). The descriptors, todo, sources, runs and control
      // words it only writes.
      hide: (v) => {
        for (let i = 0; i < count; i++) {
          const k = g.keys.at + i * RK_SIZE, d = g.desc.at + i * DESC_SIZE;
          const keep = plan[i] ? dv.getUint32(k + RK_BIN, true) : 0;
          mem.fill(v, k, k + RK_FLOW); mem.fill(v, k + RK_FLOW + 4, k + RK_SIZE);
          if (plan[i]) dv.setUint32(k + RK_BIN, keep, true);
          mem.fill(v, d, d + DESC_SIZE);
        }
        for (let f = 0; f < PLAN_FLOWS; f++) {
          const row = g.flows.at + f * RF_SIZE;
          if (f >= flowCap) continue; // guarded
          if (!ids.has(f)) mem.fill(v, row, row + RF_SIZE); else mem.fill(v, row + RF_PEER + 2, row + RF_FORCED_AT); // past RF_PEER's u16
        }
        for (let e = 0; e < forcedCap; e++) {
          const a = g.forced.at + e * RP_SIZE;
          if (lists[e] === 0) mem.fill(v, a, a + RP_SIZE); else mem.fill(v, a + RP_PORT + 2, a + RP_SIZE);
        }
        for (const name of ['todo', 'src', 'runs'] as const) mem.fill(v, g[name].at, g[name].at + g[name].bytes);
        mem.fill(v, g.ctl.at, g.ctl.at + RC_SIZE);
      },
      outputs: (c) => {
        const cv = new DataView(c.buffer, c.byteOffset, c.byteLength);
        const runs = cv.getUint32(g.ctl.at - lo + RC_RUNS, true);
        const out: [number, number][] = [[g.todo.at, g.todo.at + todoN * 4], [g.src.at, g.src.at + count * 4], [g.runs.at, g.runs.at + Math.min(count, runs) * RR_SIZE],
          [g.ctl.at + RC_TODO, g.ctl.at + RC_TODO + 4], [g.ctl.at + RC_FORCED, g.ctl.at + RC_RUNS + 4]];
        for (let i = 0; i < count; i++) {
          if (!plan[i]) continue;
          const d = g.desc.at + i * DESC_SIZE;
          out.push([d + D_PEER, d + D_PEER + 2], [d + D_FORCE, d + D_FORCE + 2]);
        }
        return out;
      },
    });
    if (!tallyOutcome(o, t, 'replayEncapPlan', fail)) return false;
    tally('replayEncapPlan:todo', o.result);
    tally('replayEncapPlan:planned', count - o.result);
    tally('replayEncapPlan:forced', dv.getUint32(g.ctl.at + RC_FORCED, true));
    tally('replayEncapPlan:runs', dv.getUint32(g.ctl.at + RC_RUNS, true));
    return true;
  }
}
