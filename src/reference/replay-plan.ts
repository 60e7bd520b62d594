// The plain-TS twin of replayScanCount and replayEncapPlan (assembly/replay.ts): the same arguments,
// addresses into a copy of the Wasm memory, the same bytes written, the same answer.
// test/replay-plan-twin.test.ts runs both on random and malformed rows and tables and compares the memory.
import {
  DESC_SIZE, D_DATA_LEN, D_FORCE, D_PEER, RK_SIZE, RK_FLOW, RK_BIN,
  RF_SIZE, RF_BIN, RF_COUNT, RF_BYTES, RF_SRC, RF_PEER, RF_FORCED_AT, RF_FORCED_LEN, RP_SIZE, RP_BIN, RP_PORT,
  RS_SIZE, RS_FLOW, RS_BIN, RS_COUNT, RS_BYTES, RR_SIZE, RR_SRC, RR_FROM, RR_TO,
  RC_TODO, RC_SPILLS, RC_REPLAYED, RC_MAX_BIN, RC_FORCED, RC_RUNS,
} from '../../bindings/layout.js';

const U64 = (1n << 64n) - 1n;

/** replayScanCount on `mem`: memo hits of flows below flowCap tallied into their flow rows; returns the todo count. */
export function replayScanCountRef(mem: Uint8Array, keys: number, desc: number, count: number, flows: number, flowCap: number, todo: number, spill: number, ctl: number): number {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  let nTodo = 0, spills = 0, tallied = 0, maxBin = 0;
  for (let i = 0; i < count; i++) {
    const k = keys + i * RK_SIZE;
    const id = dv.getInt32(k + RK_FLOW, true);
    if (id < 0 || id >= flowCap) { dv.setUint32(todo + nTodo * 4, i, true); nTodo++; continue; }
    const bin = dv.getUint32(k + RK_BIN, true);
    const len = dv.getUint32(desc + i * DESC_SIZE + D_DATA_LEN, true);
    const r = flows + id * RF_SIZE;
    let n = dv.getUint32(r + RF_COUNT, true);
    if (n !== 0 && (dv.getUint32(r + RF_BIN, true) !== bin || n === 0xffffffff)) {
      const sp = spill + spills * RS_SIZE;
      dv.setUint32(sp + RS_FLOW, id, true);
      dv.setUint32(sp + RS_BIN, dv.getUint32(r + RF_BIN, true), true);
      dv.setUint32(sp + RS_COUNT, n, true);
      dv.setUint32(sp + RS_COUNT + 4, 0, true);
      dv.setBigUint64(sp + RS_BYTES, dv.getBigUint64(r + RF_BYTES, true), true);
      spills++;
      n = 0;
    }
    if (n === 0) { dv.setUint32(r + RF_BIN, bin, true); dv.setBigUint64(r + RF_BYTES, 0n, true); }
    dv.setUint32(r + RF_COUNT, n + 1, true);
    dv.setBigUint64(r + RF_BYTES, (dv.getBigUint64(r + RF_BYTES, true) + BigInt(len)) & U64, true);
    tallied++;
    if (bin > maxBin) maxBin = bin;
  }
  dv.setUint32(ctl + RC_TODO, nTodo, true);
  dv.setUint32(ctl + RC_SPILLS, spills, true);
  dv.setUint32(ctl + RC_REPLAYED, tallied, true);
  dv.setUint32(ctl + RC_MAX_BIN, maxBin, true);
  return nTodo;
}

/** replayEncapPlan on `mem`: peer rows, forced ports, sources and runs of the rows it serves; returns the todo count. */
export function replayEncapPlanRef(mem: Uint8Array, keys: number, desc: number, count: number, flows: number, flowCap: number, forced: number, forcedCap: number,
  srcOut: number, todo: number, runs: number, ctl: number): number {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  let nTodo = 0, nForced = 0, nRuns = 0, runSrc = 0, open = false;
  for (let i = 0; i < count; i++) {
    const k = keys + i * RK_SIZE, so = srcOut + i * 4;
    const id = dv.getInt32(k + RK_FLOW, true);
    const r = flows + id * RF_SIZE;
    const inRows = id >= 0 && id < flowCap;
    const at = inRows ? dv.getUint32(r + RF_FORCED_AT, true) : 0, len = inRows ? dv.getUint32(r + RF_FORCED_LEN, true) : 0;
    const src = inRows ? dv.getUint32(r + RF_SRC, true) : 0;
    if (!inRows || !(at <= forcedCap && len <= forcedCap - at && src <= 0x7fffffff)) {
      dv.setInt32(so, -1, true);
      dv.setUint32(todo + nTodo * 4, i, true);
      nTodo++;
      open = false;
      continue;
    }
    const bin = dv.getUint32(k + RK_BIN, true);
    let lo = at, hi = at + len;
    while (lo < hi) {
      const mid = lo + ((hi - lo) >>> 1);
      if (dv.getUint32(forced + mid * RP_SIZE + RP_BIN, true) < bin) lo = mid + 1; else hi = mid;
    }
    const port = lo < at + len && dv.getUint32(forced + lo * RP_SIZE + RP_BIN, true) === bin ? dv.getUint16(forced + lo * RP_SIZE + RP_PORT, true) : 0;
    const d = desc + i * DESC_SIZE;
    dv.setUint16(d + D_PEER, dv.getUint16(r + RF_PEER, true), true);
    dv.setUint16(d + D_FORCE, port, true);
    if (port !== 0) nForced++;
    dv.setUint32(so, src, true);
    if (open && src === runSrc) {
      dv.setUint32(runs + (nRuns - 1) * RR_SIZE + RR_TO, i + 1, true);
    } else {
      const ru = runs + nRuns * RR_SIZE;
      dv.setUint32(ru + RR_SRC, src, true); dv.setUint32(ru + RR_FROM, i, true); dv.setUint32(ru + RR_TO, i + 1, true);
      nRuns++; open = true; runSrc = src;
    }
  }
  dv.setUint32(ctl + RC_TODO, nTodo, true);
  dv.setUint32(ctl + RC_FORCED, nForced, true);
  dv.setUint32(ctl + RC_RUNS, nRuns, true);
  return nTodo;
}
