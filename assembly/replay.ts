// Replay's per-packet decisions in bulk (docs/replay.md, "Bulk path"; docs/memory-layout.md has the
// layouts). replayKeys reads every packet of a batch (frames placed by pcapIngest, timestamps in its ts
// area) into a keys row: the inner addresses replay maps to VTEPs, the IPv4 5-tuple, the 100 ms bin and
// the flow id a 5-tuple memo in linear memory already knows. replayMemoInsert fills the memo from rows
// whose flow the caller resolved. replayRetemplate points a peer's outer-header template at another local
// address, so that one core serves every source VTEP of a replay. Every access stays inside the
// packet's slot, its rows and the memo; a bad descriptor gives family 0, never a read outside.
// replayScanCount and replayEncapPlan make the two passes' per-packet decisions for the rows the memo
// knew (a count in the flow's open bin; the flow's peer row, forced port and source run), leaving every
// other row to the caller in a todo list. src/reference/replay-keys.ts and replay-plan.ts are the TS twins.
import {
  DESC_SIZE, D_DATA_LEN, D_DATA_OFF, P_FLAGS, P_SUM, P_TEMPLATE, TS_STRIDE,
  RK_SIZE, RK_FLOW, RK_SRC, RK_DST, RK_FAMILY, RK_PROTO, RK_L4, RK_SPORT, RK_DPORT, RK_BIN,
  RK_FAMILY_IPV4, RK_FAMILY_IPV6, RK_FAMILY_MAC, RM_SIZE, RM_SRC, RM_DST, RM_PORTS, RM_PROTO, RM_ID,
  D_PEER, D_FORCE, RF_SIZE, RF_BIN, RF_COUNT, RF_BYTES, RF_SRC, RF_PEER, RF_FORCED_AT, RF_FORCED_LEN,
  RP_SIZE, RP_BIN, RP_PORT, RS_SIZE, RS_FLOW, RS_BIN, RS_COUNT, RS_BYTES, RR_SIZE, RR_SRC, RR_FROM, RR_TO,
  RC_TODO, RC_SPILLS, RC_REPLAYED, RC_MAX_BIN, RC_FORCED, RC_RUNS,
} from "./layout";
import { peerAt, peerCount } from "./peers";

// @ts-ignore: decorator
@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
// @ts-ignore: decorator
@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
/** 16 bytes (an IPv6 address) folded to 32 bits: the xor of its four words. */
// @ts-ignore: decorator
@inline function fold16(p: usize): u32 { return be32(p) ^ be32(p + 4) ^ be32(p + 8) ^ be32(p + 12); }
/** 6 bytes (a MAC) folded to 32 bits. */
// @ts-ignore: decorator
@inline function fold6(p: usize): u32 { return be32(p + 2) ^ be16(p); }

/** The memo slot of a 5-tuple (a multiplicative mix; any spread will do, the twin uses the same). */
// @ts-ignore: decorator
@inline function memoSlot(src: u32, dst: u32, ports: u32, proto: u32, mask: u32): u32 {
  let h = ((src ^ (dst * 0x85ebca6b)) * 0x9e3779b1) ^ ((ports + proto) * 0xc2b2ae35);
  h ^= h >>> 15;
  return h & mask;
}

/**
 * An IPv4 TCP/UDP row's ports into keys row k, and its flow from the memo when the memo holds its
 * 5-tuple (RK_FLOW = id, else left as it is); 1 on a memo hit, else 0. Shared by replayKeys' fast
 * path and its general one.
 */
@inline function ipv4Ports(k: usize, src: u32, dst: u32, proto: u32, sport: u32, dport: u32, memo: usize, memoMask: u32): u32 {
  store<u8>(k, 1, RK_L4);
  store<u16>(k, <u16>sport, RK_SPORT); store<u16>(k, <u16>dport, RK_DPORT);
  const ports = (sport << 16) | dport;
  const m = memo + <usize>memoSlot(src, dst, ports, proto, memoMask) * RM_SIZE;
  const id = load<u32>(m, RM_ID);
  if (id != 0 && load<u32>(m, RM_SRC) == src && load<u32>(m, RM_DST) == dst && load<u32>(m, RM_PORTS) == ports && load<u32>(m, RM_PROTO) == proto) {
    store<i32>(k, <i32>(id - 1), RK_FLOW);
    return 1;
  }
  return 0;
}

/**
 * Fill keys rows [0, count) from the batch's frames and timestamps. t0Sec/t0Nsec: time zero; a
 * packet's bin is floor(ms / 100) with ms = (sec - t0Sec) * 1000 + (nsec - t0Nsec) / 1e6 (0 when not
 * positive), as replay computes it in TS. memoMask + 1 slots at `memo` (a power of two). Returns the
 * number of packets the memo knew.
 */
export function replayKeys(desc: usize, arena: usize, count: u32, slotSize: u32, ts: usize, t0Sec: f64, t0Nsec: f64, memo: usize, memoMask: u32, keys: usize): u32 {
  let hits: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const d = desc + <usize>i * DESC_SIZE;
    const k = keys + <usize>i * RK_SIZE;
    const off = load<u32>(d, D_DATA_OFF), len = load<u32>(d, D_DATA_LEN);
    const t = ts + <usize>i * TS_STRIDE;
    let ms = (<f64>load<u64>(t) - t0Sec) * 1000 + (<f64>load<u32>(t, 8) - t0Nsec) / 1e6;
    if (!(ms > 0)) ms = 0;
    const b = Math.floor(ms / 100);
    store<u32>(k, b >= 4294967295 ? 0xffffffff : <u32>b, RK_BIN);
    store<i32>(k, -1, RK_FLOW);
    store<u32>(k, 0, RK_PROTO - 1); // family, proto, l4, pad
    store<u32>(k, 0, RK_SPORT);     // sport, dport
    if (!(off <= slotSize && len <= slotSize - off)) { store<u64>(k, 0, RK_SRC); continue; }
    const f = arena + <usize>i * slotSize + off;
    const e = f + <usize>len;
    if (len < 14) {
      store<u8>(k, <u8>RK_FAMILY_MAC, RK_FAMILY);
      store<u32>(k, len >= 12 ? fold6(f + 6) : 0, RK_SRC);
      store<u32>(k, len >= 6 ? fold6(f) : 0, RK_DST);
      continue;
    }
    if (len >= 38 && (load<u32>(f, 12) & 0xffffff) == 0x450008) {
      // Fast path: untagged IPv4 without options, ports inside the frame — what the general path below
      // does for it, at constant offsets.
      const src = be32(f + 26), dst = be32(f + 30), proto = <u32>load<u8>(f, 23);
      store<u8>(k, <u8>RK_FAMILY_IPV4, RK_FAMILY);
      store<u32>(k, src, RK_SRC); store<u32>(k, dst, RK_DST);
      store<u8>(k, <u8>proto, RK_PROTO);
      if ((load<u16>(f, 20) & 0xff3f) == 0 && (proto == 6 || proto == 17)) {
        hits += ipv4Ports(k, src, dst, proto, be16(f + 34), be16(f + 36), memo, memoMask);
      }
      continue;
    }
    let o = f + 12;
    let type = be16(o);
    for (let tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8) && o + 6 <= e; tags++) {
      o += 4;
      type = be16(o);
    }
    const l3 = o + 2;
    if (type == 0x0800 && l3 + 20 <= e && (load<u8>(l3) >> 4) == 4) {
      const src = be32(l3 + 12), dst = be32(l3 + 16), proto = <u32>load<u8>(l3, 9);
      store<u8>(k, <u8>RK_FAMILY_IPV4, RK_FAMILY);
      store<u32>(k, src, RK_SRC); store<u32>(k, dst, RK_DST);
      store<u8>(k, <u8>proto, RK_PROTO);
      const ihl = <usize>(load<u8>(l3) & 15) << 2;
      const frag = be16(l3 + 6) & 0x3fff;
      const l4 = l3 + ihl;
      if (frag == 0 && (proto == 6 || proto == 17) && ihl >= 20 && l4 + 4 <= e) {
        hits += ipv4Ports(k, src, dst, proto, be16(l4), be16(l4 + 2), memo, memoMask);
      }
      continue;
    }
    if (type == 0x86dd && l3 + 40 <= e && (load<u8>(l3) >> 4) == 6) {
      store<u8>(k, <u8>RK_FAMILY_IPV6, RK_FAMILY);
      store<u32>(k, fold16(l3 + 8), RK_SRC); store<u32>(k, fold16(l3 + 24), RK_DST);
      store<u8>(k, load<u8>(l3, 6), RK_PROTO);
      continue;
    }
    if (type == 0x0806 && l3 + 28 <= e && load<u8>(l3, 4) == 6 && load<u8>(l3, 5) == 4) {
      store<u8>(k, <u8>RK_FAMILY_IPV4, RK_FAMILY);
      store<u32>(k, be32(l3 + 14), RK_SRC); store<u32>(k, be32(l3 + 24), RK_DST);
      continue;
    }
    store<u8>(k, <u8>RK_FAMILY_MAC, RK_FAMILY);
    store<u32>(k, fold6(f + 6), RK_SRC); store<u32>(k, fold6(f), RK_DST);
  }
  return hits;
}

/**
 * Remember the flow of every keys row [0, count) with RK_L4 set and RK_FLOW >= 0 (and below 2^32 - 1)
 * in the memo, evicting whatever held its slot. Returns the number written.
 */
export function replayMemoInsert(memo: usize, memoMask: u32, keys: usize, count: u32): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const k = keys + <usize>i * RK_SIZE;
    const id = load<i32>(k, RK_FLOW);
    if (load<u8>(k, RK_L4) == 0 || id < 0) continue;
    const src = load<u32>(k, RK_SRC), dst = load<u32>(k, RK_DST), proto = <u32>load<u8>(k, RK_PROTO);
    const ports = (<u32>load<u16>(k, RK_SPORT) << 16) | <u32>load<u16>(k, RK_DPORT);
    const m = memo + <usize>memoSlot(src, dst, ports, proto, memoMask) * RM_SIZE;
    store<u32>(m, src, RM_SRC); store<u32>(m, dst, RM_DST); store<u32>(m, ports, RM_PORTS); store<u32>(m, proto, RM_PROTO);
    store<u32>(m, <u32>id + 1, RM_ID);
    n++;
  }
  return n;
}

/**
 * Make configured peer `i`'s outer-header template carry `localIp` (host order) as its source, with
 * the partial checksum setPeer would have computed for it. False for a peer not configured.
 */
export function replayRetemplate(i: u32, localIp: u32): bool {
  if (i >= peerCount) return false;
  const r = peerAt(i);
  if (load<u16>(r, P_FLAGS) == 0) return false;
  const t = r + P_TEMPLATE;
  store<u32>(t, bswap<u32>(localIp), 26);
  let s: u32 = 0;
  for (let k: usize = 14; k < 34; k += 2) s += <u32>bswap<u16>(load<u16>(t + k));
  store<u32>(r, s, P_SUM);
  return true;
}

/**
 * The scan pass's tally of keys rows [0, count): a row whose RK_FLOW is a flow id below flowCap is
 * counted into that flow's row (RF_*: its open bin's packets and bytes, bytes = the descriptor's
 * data_len); a flow's open tally goes to the spill rows (RS_*) when a packet of another bin comes, or
 * when its count would wrap. Every other row (no flow, an id past flowCap) goes to the todo list (u32
 * row indices) for the caller. Writes RC_TODO, RC_SPILLS, RC_REPLAYED (rows tallied) and RC_MAX_BIN;
 * returns the todo count. The spill area needs count rows at most.
 */
export function replayScanCount(keys: usize, desc: usize, count: u32, flows: usize, flowCap: u32, todo: usize, spill: usize, ctl: usize): u32 {
  let nTodo: u32 = 0, spills: u32 = 0, tallied: u32 = 0, maxBin: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const k = keys + <usize>i * RK_SIZE;
    const id = load<i32>(k, RK_FLOW);
    if (id < 0 || <u32>id >= flowCap) {
      store<u32>(todo + (<usize>nTodo << 2), i);
      nTodo++;
      continue;
    }
    const bin = load<u32>(k, RK_BIN);
    const len = load<u32>(desc + <usize>i * DESC_SIZE, D_DATA_LEN);
    const r = flows + <usize>id * RF_SIZE;
    let n = load<u32>(r, RF_COUNT);
    if (n != 0 && (load<u32>(r, RF_BIN) != bin || n == 0xffffffff)) {
      const sp = spill + <usize>spills * RS_SIZE;
      store<u32>(sp, <u32>id, RS_FLOW);
      store<u32>(sp, load<u32>(r, RF_BIN), RS_BIN);
      store<u32>(sp, n, RS_COUNT);
      store<u32>(sp, 0, RS_COUNT + 4);
      store<u64>(sp, load<u64>(r, RF_BYTES), RS_BYTES);
      spills++;
      n = 0;
    }
    if (n == 0) {
      store<u32>(r, bin, RF_BIN);
      store<u64>(r, 0, RF_BYTES);
    }
    store<u32>(r, n + 1, RF_COUNT);
    store<u64>(r, load<u64>(r, RF_BYTES) + <u64>len, RF_BYTES);
    tallied++;
    if (bin > maxBin) maxBin = bin;
  }
  store<u32>(ctl, nTodo, RC_TODO);
  store<u32>(ctl, spills, RC_SPILLS);
  store<u32>(ctl, tallied, RC_REPLAYED);
  store<u32>(ctl, maxBin, RC_MAX_BIN);
  return nTodo;
}

/**
 * The encap pass's plan for keys rows [0, count): a row whose RK_FLOW is a flow id below flowCap, with
 * a forced-port list inside [0, forcedCap) entries and a source below 2^31, gets the flow's peer row
 * and its forced port for the row's bin (the list entry of that bin, found by binary search; 0 when
 * none) in its descriptor, and its source in srcOut (i32 per row). Every other row gets -1 in srcOut
 * and goes to the todo list for the caller. Runs (RR_*) of consecutive planned rows of one source are
 * written as if no row were left to the caller (with todo rows the caller makes its own). Writes
 * RC_TODO, RC_FORCED (rows given a port) and RC_RUNS; returns the todo count.
 */
export function replayEncapPlan(keys: usize, desc: usize, count: u32, flows: usize, flowCap: u32, forced: usize, forcedCap: u32,
  srcOut: usize, todo: usize, runs: usize, ctl: usize): u32 {
  let nTodo: u32 = 0, nForced: u32 = 0, nRuns: u32 = 0, runSrc: u32 = 0;
  let open = false;
  for (let i: u32 = 0; i < count; i++) {
    const k = keys + <usize>i * RK_SIZE;
    const so = srcOut + (<usize>i << 2);
    const id = load<i32>(k, RK_FLOW);
    let ok = id >= 0 && <u32>id < flowCap;
    let r: usize = 0, at: u32 = 0, len: u32 = 0, src: u32 = 0;
    if (ok) {
      r = flows + <usize>id * RF_SIZE;
      at = load<u32>(r, RF_FORCED_AT);
      len = load<u32>(r, RF_FORCED_LEN);
      src = load<u32>(r, RF_SRC);
      ok = at <= forcedCap && len <= forcedCap - at && src <= 0x7fffffff;
    }
    if (!ok) {
      store<i32>(so, -1);
      store<u32>(todo + (<usize>nTodo << 2), i);
      nTodo++;
      open = false;
      continue;
    }
    const bin = load<u32>(k, RK_BIN);
    let lo = at, hi = at + len;
    while (lo < hi) {
      const mid = lo + ((hi - lo) >>> 1);
      if (load<u32>(forced + <usize>mid * RP_SIZE, RP_BIN) < bin) lo = mid + 1;
      else hi = mid;
    }
    let port: u16 = 0;
    if (lo < at + len && load<u32>(forced + <usize>lo * RP_SIZE, RP_BIN) == bin) port = load<u16>(forced + <usize>lo * RP_SIZE, RP_PORT);
    const d = desc + <usize>i * DESC_SIZE;
    store<u16>(d, load<u16>(r, RF_PEER), D_PEER);
    store<u16>(d, port, D_FORCE);
    if (port != 0) nForced++;
    store<u32>(so, src);
    if (open && src == runSrc) {
      store<u32>(runs + <usize>(nRuns - 1) * RR_SIZE, i + 1, RR_TO);
    } else {
      const ru = runs + <usize>nRuns * RR_SIZE;
      store<u32>(ru, src, RR_SRC);
      store<u32>(ru, i, RR_FROM);
      store<u32>(ru, i + 1, RR_TO);
      nRuns++;
      open = true;
      runSrc = src;
    }
  }
  store<u32>(ctl, nTodo, RC_TODO);
  store<u32>(ctl, nForced, RC_FORCED);
  store<u32>(ctl, nRuns, RC_RUNS);
  return nTodo;
}
