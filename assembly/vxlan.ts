// RFC 7348 encapsulation and decapsulation over a batch. Each descriptor i owns slot i of the arena;
// a kernel reads and writes only inside that slot. docs/memory-layout.md has the layout.
import {
  DESC_SIZE, D_CAND, D_DATA_LEN, D_DATA_OFF, D_HASH, D_KEY, D_L3_OFF, D_L4_OFF, D_OUTER_DST,
  D_OUTER_SRC, D_OUT_LEN, D_OUT_OFF, D_PEER, D_FORCE, D_SPORT, D_STATUS, D_VNI, OUTER_LEN, P_FLAGS, P_SUM,
  P_TEMPLATE, ST_BAD_DESC, ST_BAD_IP_CHECKSUM, ST_BAD_IP_HEADER, ST_BAD_IP_LENGTH, ST_BAD_UDP_LENGTH,
  ST_BAD_VXLAN_FLAGS, ST_INNER_RUNT, ST_IP_FRAGMENT, ST_MTU, ST_NOT_IPV4, ST_NOT_UDP,
  ST_NOT_VXLAN_PORT, ST_NO_PEER, ST_OK, ST_RUNT, ST_VNI_FILTERED, ST_VXLAN_TRUNCATED,
} from "./layout";
import { mtu, seed, vniFilter, vxlanPort } from "./config";
import { parseHash } from "./parse";
import { peerAt, peerCount } from "./peers";
import { selectPort } from "./select";

export let ipId: u32 = 0;
export function setIpId(v: u32): void { ipId = v & 0xffff; }
export function getIpId(): u32 { return ipId; }

// @ts-ignore: decorator
@inline function clearOut(d: usize, status: u16): void {
  store<u64>(d, 0, D_OUT_OFF);   // out off + out len
  store<u64>(d, 0, D_HASH);      // hash + vni
  store<u64>(d, 0, D_OUTER_SRC); // outer src + dst
  store<u64>(d, 0, D_STATUS);    // status, key, l3, l4
  store<u16>(d, 0, D_SPORT);
  store<u16>(d, 0xffff, D_CAND); // cand = none; D_FORCE (in) is left alone
  store<u16>(d, status, D_STATUS);
}

/** Validated slot-relative offset and length, or -1. `head` is the room needed in front. */
// @ts-ignore: decorator
@inline function frameOk(off: u32, len: u32, slotSize: u32, head: u32): bool {
  return off >= head && off <= slotSize && len <= slotSize - off;
}

/** Parse + hash only: the flow hash and key of every frame. Returns the number hashed. */
export function hashBatch(desc: usize, arena: usize, count: u32, slotSize: u32): u32 {
  let ok: u32 = 0;
  const s = seed;
  for (let i: u32 = 0; i < count; i++) {
    const d = desc + <usize>i * DESC_SIZE;
    const off = load<u32>(d, D_DATA_OFF), len = load<u32>(d, D_DATA_LEN);
    if (!frameOk(off, len, slotSize, 0)) { clearOut(d, ST_BAD_DESC); continue; }
    if (len < 14) { clearOut(d, ST_RUNT); continue; }
    const p = arena + <usize>i * slotSize + off;
    clearOut(d, ST_OK);
    store<u32>(d, parseHash(p, len, s, d), D_HASH);
    store<u32>(d, off, D_OUT_OFF); store<u32>(d, len, D_OUT_LEN);
    ok++;
  }
  return ok;
}

/**
 * Encapsulate every frame towards its peer. The outer header is written in the slot's headroom in
 * front of the frame, which never moves. A descriptor's non-zero `force` forces that source port.
 */
export function encapBatch(desc: usize, arena: usize, count: u32, slotSize: u32): u32 {
  let ok: u32 = 0;
  // The underlay MTU when set, and in any case IPv4's own 65535-byte limit on the total length.
  const s = seed, m = mtu != 0 && mtu < 0xffff ? mtu : 0xffff, np = peerCount;
  let id = ipId;
  for (let i: u32 = 0; i < count; i++) {
    const d = desc + <usize>i * DESC_SIZE;
    const off = load<u32>(d, D_DATA_OFF), len = load<u32>(d, D_DATA_LEN);
    const forced = <u32>load<u16>(d, D_FORCE);
    const peer = <u32>load<u16>(d, D_PEER);
    if (!frameOk(off, len, slotSize, OUTER_LEN)) { clearOut(d, ST_BAD_DESC); continue; }
    if (len < 14) { clearOut(d, ST_RUNT); continue; }
    if (peer >= np || load<u16>(peerAt(peer), P_FLAGS) == 0) { clearOut(d, ST_NO_PEER); continue; }
    if (len + 36 > m) { clearOut(d, ST_MTU); continue; }
    const r = peerAt(peer);
    const p = arena + <usize>i * slotSize + off;
    const h = parseHash(p, len, s, d);
    let sport: u32;
    if (forced != 0) { sport = forced; store<u16>(d, 0xffff, D_CAND); }
    else sport = selectPort(r, h, d);
    // Outer header from the peer's template: 3 x v128 + u16 = 50 bytes (SIMD: a few % over 6 x u64).
    const o = p - OUTER_LEN;
    const t = r + P_TEMPLATE;
    v128.store(o, v128.load(t, 0), 0);
    v128.store(o, v128.load(t, 16), 16);
    v128.store(o, v128.load(t, 32), 32);
    store<u16>(o, load<u16>(t, 48), 48);
    const totlen = len + 36;
    const ident = id & 0xffff;
    id++;
    let sum = load<u32>(r, P_SUM) + totlen + ident;
    sum = (sum & 0xffff) + (sum >> 16);
    sum += sum >> 16;
    store<u16>(o, bswap<u16>(<u16>totlen), 16);
    store<u16>(o, bswap<u16>(<u16>ident), 18);
    store<u16>(o, bswap<u16>(<u16>~sum), 24);
    store<u16>(o, bswap<u16>(<u16>sport), 34);
    store<u16>(o, bswap<u16>(<u16>(len + 16)), 38);
    // Descriptor outputs in four stores (V8 merges none): out off + len, hash + VNI 0, outer
    // src + dst 0, port + status OK. The parser has written key and offsets, selectPort the candidate.
    store<u64>(d, <u64>(off - OUTER_LEN) | (<u64>(len + OUTER_LEN) << 32), D_OUT_OFF);
    store<u64>(d, <u64>h, D_HASH);
    store<u64>(d, 0, D_OUTER_SRC);
    store<u32>(d, sport | (<u32>ST_OK << 16), D_SPORT);
    ok++;
  }
  ipId = id & 0xffff;
  return ok;
}

// @ts-ignore: decorator
@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }

/** Decapsulate one frame; returns a status and fills the descriptor's outputs on success. */
// @ts-ignore: decorator
@inline function decapOne(d: usize, p: usize, off: u32, len: u32): u16 {
  // Fast path: untagged outer IPv4 without options — the same checks in the same order as below,
  // at constant offsets.
  if (len >= 50 && (load<u32>(p, 12) & 0xffffff) == 0x450008) {
    let sum: u64 = <u64>load<u32>(p, 14) + <u64>load<u32>(p, 18) + <u64>load<u32>(p, 22) + <u64>load<u32>(p, 26) + <u64>load<u32>(p, 30);
    sum = (sum & 0xffffffff) + (sum >> 32);
    let s32 = <u32>sum + <u32>(sum >> 32);
    s32 = (s32 & 0xffff) + (s32 >> 16);
    s32 = (s32 & 0xffff) + (s32 >> 16);
    if (s32 != 0xffff) return ST_BAD_IP_CHECKSUM;
    const totlen = be16(p + 16);
    if (totlen < 20 || totlen + 14 > len) return ST_BAD_IP_LENGTH;
    if ((load<u16>(p, 20) & 0xff3f) != 0) return ST_IP_FRAGMENT;
    if (load<u8>(p, 23) != 17) return ST_NOT_UDP;
    if (totlen < 28) return ST_BAD_UDP_LENGTH;
    const ulen = be16(p + 38);
    if (ulen < 8 || ulen > totlen - 20) return ST_BAD_UDP_LENGTH;
    if (be16(p + 36) != vxlanPort) return ST_NOT_VXLAN_PORT;
    if (ulen < 16) return ST_VXLAN_TRUNCATED;
    if ((load<u8>(p, 42) & 0x08) == 0) return ST_BAD_VXLAN_FLAGS;
    const vni = bswap<u32>(load<u32>(p, 46)) >> 8;
    if (vniFilter != 0xffffffff && vni != vniFilter) return ST_VNI_FILTERED;
    if (ulen < 30) return ST_INNER_RUNT;
    store<u64>(d, <u64>(off + 50) | (<u64>(ulen - 16) << 32), D_OUT_OFF);
    store<u32>(d, vni, D_VNI);
    store<u64>(d, <u64>bswap<u32>(load<u32>(p, 26)) | (<u64>bswap<u32>(load<u32>(p, 30)) << 32), D_OUTER_SRC);
    store<u16>(d, <u16>be16(p + 34), D_SPORT);
    return ST_OK;
  }
  let et = be16(p + 12);
  let ip: u32 = 14;
  if ((et == 0x8100 || et == 0x88a8) && len >= 18) {
    et = be16(p + 16); ip = 18;
    if ((et == 0x8100 || et == 0x88a8) && len >= 22) { et = be16(p + 20); ip = 22; }
  }
  if (et != 0x0800) return ST_NOT_IPV4;
  if (ip + 20 > len) return ST_BAD_IP_HEADER;
  const q = p + ip;
  const vihl = <u32>load<u8>(q);
  const ihl = (vihl & 15) << 2;
  if ((vihl >> 4) != 4 || ihl < 20 || ip + ihl > len) return ST_BAD_IP_HEADER;
  // Header checksum: one's-complement sum over 32-bit words folds to 0xffff when valid; the sum is
  // independent of byte order, so the words are loaded little-endian.
  let sum: u64 = 0;
  for (let k: u32 = 0; k < ihl; k += 4) sum += <u64>load<u32>(q + k);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  let s32 = <u32>sum;
  s32 = (s32 & 0xffff) + (s32 >> 16);
  s32 = (s32 & 0xffff) + (s32 >> 16);
  if (s32 != 0xffff) return ST_BAD_IP_CHECKSUM;
  const totlen = be16(q + 2);
  if (totlen < ihl || ip + totlen > len) return ST_BAD_IP_LENGTH;
  if ((be16(q + 6) & 0x3fff) != 0) return ST_IP_FRAGMENT;
  if (load<u8>(q, 9) != 17) return ST_NOT_UDP;
  if (totlen - ihl < 8) return ST_BAD_UDP_LENGTH;
  const u = q + ihl;
  const ulen = be16(u + 4);
  if (ulen < 8 || ulen > totlen - ihl) return ST_BAD_UDP_LENGTH;
  if (be16(u + 2) != vxlanPort) return ST_NOT_VXLAN_PORT;
  if (ulen < 16) return ST_VXLAN_TRUNCATED;
  if ((load<u8>(u, 8) & 0x08) == 0) return ST_BAD_VXLAN_FLAGS;
  const vni = bswap<u32>(load<u32>(u, 12)) >> 8;
  if (vniFilter != 0xffffffff && vni != vniFilter) return ST_VNI_FILTERED;
  const inner = ulen - 16;
  if (inner < 14) return ST_INNER_RUNT;
  store<u32>(d, off + ip + ihl + 16, D_OUT_OFF);
  store<u32>(d, inner, D_OUT_LEN);
  store<u32>(d, vni, D_VNI);
  store<u32>(d, bswap<u32>(load<u32>(q, 12)), D_OUTER_SRC);
  store<u32>(d, bswap<u32>(load<u32>(q, 16)), D_OUTER_DST);
  store<u16>(d, <u16>be16(u), D_SPORT);
  return ST_OK;
}

/** Validate and strip the outer headers; the inner frame is handed back in place, never copied. */
export function decapBatch(desc: usize, arena: usize, count: u32, slotSize: u32): u32 {
  let ok: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const d = desc + <usize>i * DESC_SIZE;
    const off = load<u32>(d, D_DATA_OFF), len = load<u32>(d, D_DATA_LEN);
    if (!frameOk(off, len, slotSize, 0)) { clearOut(d, ST_BAD_DESC); continue; }
    if (len < 14) { clearOut(d, ST_RUNT); continue; }
    clearOut(d, ST_OK);
    const st = decapOne(d, arena + <usize>i * slotSize + off, off, len);
    if (st != ST_OK) { clearOut(d, st); continue; }
    ok++;
  }
  return ok;
}
