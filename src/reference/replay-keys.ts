// The plain-TS twin of assembly/replay.ts (replayKeys, replayMemoInsert, replayRetemplate): the same
// arguments, addresses into a copy of the Wasm memory, the same bytes written.
// test/replay-keys-twin.test.ts runs both on random and malformed frames and compares the memory.
import {
  DESC_SIZE, D_DATA_LEN, D_DATA_OFF, PEER_SIZE, P_FLAGS, P_SUM, P_TEMPLATE, TS_STRIDE,
  RK_SIZE, RK_FLOW, RK_SRC, RK_DST, RK_FAMILY, RK_PROTO, RK_L4, RK_SPORT, RK_DPORT, RK_BIN,
  RK_FAMILY_IPV4, RK_FAMILY_IPV6, RK_FAMILY_MAC, RM_SIZE, RM_SRC, RM_DST, RM_PORTS, RM_PROTO, RM_ID,
} from '../../bindings/layout.js';

function memoSlot(src: number, dst: number, ports: number, proto: number, mask: number): number {
  let h = Math.imul(src ^ Math.imul(dst, 0x85ebca6b), 0x9e3779b1) ^ Math.imul((ports + proto) | 0, 0xc2b2ae35);
  h ^= h >>> 15;
  return (h & mask) >>> 0;
}

/** replayKeys (assembly/replay.ts) on `mem`: keys rows for packets [0, count); returns the memo hits. */
export function replayKeysRef(
  mem: Uint8Array, desc: number, arena: number, count: number, slotSize: number, ts: number,
  t0Sec: number, t0Nsec: number, memo: number, memoMask: number, keys: number,
): number {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const be16 = (p: number): number => dv.getUint16(p, false);
  const be32 = (p: number): number => dv.getUint32(p, false);
  const fold16 = (p: number): number => (be32(p) ^ be32(p + 4) ^ be32(p + 8) ^ be32(p + 12)) >>> 0;
  const fold6 = (p: number): number => (be32(p + 2) ^ be16(p)) >>> 0;
  let hits = 0;
  for (let i = 0; i < count; i++) {
    const d = desc + i * DESC_SIZE, k = keys + i * RK_SIZE;
    const off = dv.getUint32(d + D_DATA_OFF, true), len = dv.getUint32(d + D_DATA_LEN, true);
    const t = ts + i * TS_STRIDE;
    let ms = (Number(dv.getBigUint64(t, true)) - t0Sec) * 1000 + (dv.getUint32(t + 8, true) - t0Nsec) / 1e6;
    if (!(ms > 0)) ms = 0;
    const b = Math.floor(ms / 100);
    dv.setUint32(k + RK_BIN, b >= 4294967295 ? 0xffffffff : b, true);
    dv.setInt32(k + RK_FLOW, -1, true);
    dv.setUint32(k + RK_FAMILY, 0, true);
    dv.setUint32(k + RK_SPORT, 0, true);
    const row = (family: number, src: number, dst: number): void => {
      mem[k + RK_FAMILY] = family; dv.setUint32(k + RK_SRC, src, true); dv.setUint32(k + RK_DST, dst, true);
    };
    if (!(off <= slotSize && len <= slotSize - off)) { row(0, 0, 0); continue; }
    const f = arena + i * slotSize + off, e = f + len;
    if (len < 14) { row(RK_FAMILY_MAC, len >= 12 ? fold6(f + 6) : 0, len >= 6 ? fold6(f) : 0); continue; }
    let o = f + 12;
    let type = be16(o);
    for (let tags = 0; tags < 2 && (type === 0x8100 || type === 0x88a8) && o + 6 <= e; tags++) { o += 4; type = be16(o); }
    const l3 = o + 2;
    if (type === 0x0800 && l3 + 20 <= e && mem[l3] >> 4 === 4) {
      const src = be32(l3 + 12), dst = be32(l3 + 16), proto = mem[l3 + 9];
      row(RK_FAMILY_IPV4, src, dst);
      mem[k + RK_PROTO] = proto;
      const ihl = (mem[l3] & 15) * 4;
      const frag = be16(l3 + 6) & 0x3fff;
      const l4 = l3 + ihl;
      if (frag === 0 && (proto === 6 || proto === 17) && ihl >= 20 && l4 + 4 <= e) {
        const sport = be16(l4), dport = be16(l4 + 2);
        mem[k + RK_L4] = 1;
        dv.setUint16(k + RK_SPORT, sport, true); dv.setUint16(k + RK_DPORT, dport, true);
        const ports = ((sport << 16) | dport) >>> 0;
        const m = memo + memoSlot(src, dst, ports, proto, memoMask) * RM_SIZE;
        const id = dv.getUint32(m + RM_ID, true);
        if (id !== 0 && dv.getUint32(m + RM_SRC, true) === src && dv.getUint32(m + RM_DST, true) === dst && dv.getUint32(m + RM_PORTS, true) === ports && dv.getUint32(m + RM_PROTO, true) === proto) {
          dv.setInt32(k + RK_FLOW, id - 1, true);
          hits++;
        }
      }
      continue;
    }
    if (type === 0x86dd && l3 + 40 <= e && mem[l3] >> 4 === 6) { row(RK_FAMILY_IPV6, fold16(l3 + 8), fold16(l3 + 24)); mem[k + RK_PROTO] = mem[l3 + 6]; continue; }
    if (type === 0x0806 && l3 + 28 <= e && mem[l3 + 4] === 6 && mem[l3 + 5] === 4) { row(RK_FAMILY_IPV4, be32(l3 + 14), be32(l3 + 24)); continue; }
    row(RK_FAMILY_MAC, fold6(f + 6), fold6(f));
  }
  return hits;
}

/** replayMemoInsert on `mem`: every L4 row with a flow id goes into the memo; returns the number written. */
export function replayMemoInsertRef(mem: Uint8Array, memo: number, memoMask: number, keys: number, count: number): number {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const k = keys + i * RK_SIZE;
    const id = dv.getInt32(k + RK_FLOW, true);
    if (mem[k + RK_L4] === 0 || id < 0) continue;
    const src = dv.getUint32(k + RK_SRC, true), dst = dv.getUint32(k + RK_DST, true), proto = mem[k + RK_PROTO];
    const ports = ((dv.getUint16(k + RK_SPORT, true) << 16) | dv.getUint16(k + RK_DPORT, true)) >>> 0;
    const m = memo + memoSlot(src, dst, ports, proto, memoMask) * RM_SIZE;
    dv.setUint32(m + RM_SRC, src, true); dv.setUint32(m + RM_DST, dst, true); dv.setUint32(m + RM_PORTS, ports, true); dv.setUint32(m + RM_PROTO, proto, true);
    dv.setUint32(m + RM_ID, id + 1, true);
    n++;
  }
  return n;
}

/** replayRetemplate on `mem`, with the peer table at `peerBase` holding `peerCount` peers. */
export function replayRetemplateRef(mem: Uint8Array, peerBase: number, peerCount: number, i: number, localIp: number): boolean {
  if (i >= peerCount) return false;
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const r = peerBase + i * PEER_SIZE;
  if (dv.getUint16(r + P_FLAGS, true) === 0) return false;
  const t = r + P_TEMPLATE;
  dv.setUint32(t + 26, localIp >>> 0, false);
  let s = 0;
  for (let k = 14; k < 34; k += 2) s += dv.getUint16(t + k, false);
  dv.setUint32(r + P_SUM, s >>> 0, true);
  return true;
}
