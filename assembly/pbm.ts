// PBM, priority-based bitmap matching: one N-bit bitmap per peer (bit i = candidate i usable) and G
// priority groups, each a circular shift of the fallback scan. A flow whose default candidate k is
// usable keeps it; otherwise the hash picks group g and the flow takes the first usable candidate
// scanning upwards from k + shift[g] (wrapping): one N-bit rotation and one ctz.
// The shifts are shared by every peer, except for peers the control plane gave their own: a small
// preference table (4-way buckets, two bucket choices, tag = peer + 1) holds those peers' G starts,
// absolute candidates (the talk's circular-shift masks) at the ports it prefers. docs/tables.md.
import { PBM_PREF_WAYS } from "./layout";
import { reserve } from "./memory";

export let pbmBase: usize = 0;
export let pbmShiftBase: usize = 0;
export let prefTagBase: usize = 0;
export let prefShiftBase: usize = 0;
export let pbmWords: u32 = 1;      // u32 words per peer: 1 when N <= 32, else 2
export let pbmPeers: u32 = 0;
export let pbmN: u32 = 0;
export let pbmMaskN: u64 = 0;      // the low N bits
export let pbmGroups: u32 = 1;
export let prefBuckets: u32 = 0;

/**
 * Reserve bitmaps for `peers` peers of `n` candidates, `groups` shared shifts and `prefSlots`
 * preference slots (a multiple of 4, or 0). Returns the bytes reserved, or 0.
 */
export function pbmInit(peers: u32, n: u32, groups: u32, prefSlots: u32): u32 {
  if (prefSlots % PBM_PREF_WAYS != 0) return 0;
  const words: u32 = n <= 32 ? 1 : 2;
  const bytes = peers * words * 4;
  const b = reserve(bytes);
  const s = reserve(groups);
  const t = reserve(prefSlots * 2 + 2);
  const ps = reserve(prefSlots * groups + 1);
  if (b == 0 || s == 0 || t == 0 || ps == 0) return 0;
  pbmBase = b; pbmShiftBase = s; prefTagBase = t; prefShiftBase = ps;
  pbmWords = words; pbmPeers = peers; pbmN = n; pbmGroups = groups; prefBuckets = prefSlots / PBM_PREF_WAYS;
  pbmMaskN = n == 64 ? 0xffffffffffffffff : ((<u64>1 << <u64>n) - 1);
  // Default group shifts until the control plane writes its own (the same rule as src/tables/pbm.ts).
  for (let g: u32 = 0; g < groups; g++) store<u8>(s + g, <u8>(defaultShift(g, n, groups)));
  return bytes + groups + prefSlots * (2 + groups);
}

/** Group g scans from k + 1 + g*N/G: the G groups start evenly around the ring. */
export function defaultShift(g: u32, n: u32, groups: u32): u32 {
  return (1 + (g * n) / groups) % n;
}

export function pbmWriteBitmap(index: u32, value: u32): bool {
  if (index >= pbmPeers * pbmWords) return false;
  // Bits beyond N would name candidates that do not exist.
  const w = index % pbmWords;
  const valid = <u32>(pbmMaskN >> (<u64>w << 5));
  if ((value & ~valid) != 0) return false;
  store<u32>(pbmBase + (<usize>index << 2), value);
  return true;
}

export function pbmReadBitmap(index: u32): u32 {
  if (index >= pbmPeers * pbmWords) return 0xffffffff;
  return load<u32>(pbmBase + (<usize>index << 2));
}

export function pbmWriteShift(g: u32, value: u32): bool {
  if (g >= pbmGroups || value >= pbmN) return false;
  store<u8>(pbmShiftBase + g, <u8>value);
  return true;
}

export function pbmReadShift(g: u32): u32 {
  if (g >= pbmGroups) return 0xffffffff;
  return <u32>load<u8>(pbmShiftBase + g);
}

export function pbmWritePrefTag(slot: u32, value: u32): bool {
  if (slot >= prefBuckets * PBM_PREF_WAYS || value > pbmPeers) return false;
  store<u16>(prefTagBase + (<usize>slot << 1), <u16>value);
  return true;
}

export function pbmReadPrefTag(slot: u32): u32 {
  if (slot >= prefBuckets * PBM_PREF_WAYS) return 0xffffffff;
  return <u32>load<u16>(prefTagBase + (<usize>slot << 1));
}

export function pbmWritePrefShift(index: u32, value: u32): bool {
  if (index >= prefBuckets * PBM_PREF_WAYS * pbmGroups || value >= pbmN) return false;
  store<u8>(prefShiftBase + <usize>index, <u8>value);
  return true;
}

export function pbmReadPrefShift(index: u32): u32 {
  if (index >= prefBuckets * PBM_PREF_WAYS * pbmGroups) return 0xffffffff;
  return <u32>load<u8>(prefShiftBase + <usize>index);
}

// @ts-ignore: decorator
@inline const LANES: u64 = 0x0001000100010001;

/** The way (0..3) of the 4 x u16 tags in `tags` equal to `tag`, or 4: SWAR zero-lane search. */
// @ts-ignore: decorator
@inline function wayOf(tags: u64, tag: u32): u32 {
  const x = tags ^ (<u64>tag * LANES);
  const z = (x - LANES) & ~x & (LANES << 15);  // lowest set lane marks the first tag equal to `tag`
  return <u32>ctz<u64>(z) >> 4;                // 64 >> 4 = 4 when none
}

/** The preference slot holding peer's shifts, or -1: its two buckets, four ways each. */
// @ts-ignore: decorator
@inline function prefSlot(peer: u32): i32 {
  const nb = prefBuckets;
  if (nb == 0) return -1;
  const tag = peer + 1;
  // Bucket = multiply-high of a 32-bit mix by the bucket count (no division); src/reference/tables-pbm.ts.
  const b1 = <u32>((<u64>(tag * 0x9e3779b1) * <u64>nb) >> 32);
  const w1 = wayOf(load<u64>(prefTagBase + (<usize>b1 << 3)), tag);
  if (w1 < PBM_PREF_WAYS) return <i32>(b1 * PBM_PREF_WAYS + w1);
  const b2 = <u32>((<u64>(tag * 0x85ebca6b) * <u64>nb) >> 32);
  const w2 = wayOf(load<u64>(prefTagBase + (<usize>b2 << 3)), tag);
  return w2 < PBM_PREF_WAYS ? <i32>(b2 * PBM_PREF_WAYS + w2) : -1;
}

/** x rotated right by s within the low n bits (mask = the low n bits, 0 <= s < n). */
// @ts-ignore: decorator
@inline function rotrN(x: u64, s: u32, n: u32, mask: u64): u64 {
  // For n = 64, s = 0: x << 64 is x << 0 in Wasm, and x | x = x.
  return ((x >> <u64>s) | (x << <u64>(n - s))) & mask;
}

/** Candidate index for peer `peer` (< pbmPeers, checked by the caller), hash h, default candidate k. */
// @ts-ignore: decorator
@inline export function pbmSelect(peer: u32, h: u32, k: u32): u32 {
  const w: u64 = pbmWords == 1
    ? <u64>load<u32>(pbmBase + (<usize>peer << 2))
    : load<u64>(pbmBase + (<usize>peer << 3));
  // The common case, the default candidate usable, costs one bit test.
  if (((w >> <u64>k) & 1) != 0 || w == 0) return k;  // nothing usable: the default candidate too
  return pbmFallback(peer, h, k, w);
}

/**
 * The default candidate k is unusable and something is: the hash's group decides where to scan from.
 * A peer with a preference slot scans from the group's own start, a candidate written by the control
 * plane (absolute: every failed port of the peer shares the preferred ports); any other peer from
 * k + the group's shared shift (relative: failed ports spread their flows apart).
 */
// @ts-ignore: decorator
@inline function pbmFallback(peer: u32, h: u32, k: u32, w: u64): u32 {
  const n = pbmN, mask = pbmMaskN;
  const g = ((h >>> 16) * pbmGroups) >>> 16;            // high hash bits; k used the low ones
  const slot = prefSlot(peer);
  let c: u32;
  if (slot >= 0) c = <u32>load<u8>(prefShiftBase + <usize>(<u32>slot * pbmGroups + g)); // < n: checked on write
  else {
    c = k + <u32>load<u8>(pbmShiftBase + g);
    c = select<u32>(c - n, c, c >= n);
  }
  const j = <u32>ctz<u64>(rotrN(w, c, n, mask));        // first usable from c
  c += j;
  return select<u32>(c - n, c, c >= n);
}
