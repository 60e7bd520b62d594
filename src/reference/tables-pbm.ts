// Reference twin of assembly/pbm.ts, written as the definition (a plain scan) rather than rotations
// and ctz, so that the property tests compare two different derivations of the same rule.

/** Slots per preference bucket (PBM_PREF_WAYS). */
export const PREF_WAYS = 4;

/** PBM's register arrays, as the Wasm core holds them. */
export interface PbmCells {
  /** u32 words per peer (1 when N <= 32, else 2); word 0 holds candidates 0..31. */
  bitmaps: Uint32Array;
  wordsPerPeer: number;
  /** Shared shift of each group (its length is G). */
  shifts: Uint8Array;
  /** Preference slots: peer + 1, 0 = free; a multiple of PREF_WAYS of them. */
  prefTags: Uint16Array;
  /** The G shifts of each preference slot. */
  prefShifts: Uint8Array;
}

function usable(t: PbmCells, peer: number, c: number): boolean {
  return ((t.bitmaps[peer * t.wordsPerPeer + (c >>> 5)]! >>> (c & 31)) & 1) === 1;
}

/** The priority group a hash picks: its high 16 bits scaled to 0..groups-1 (hash mod n used the low ones). */
export function pbmGroupOf(hash: number, groups: number): number {
  return ((hash >>> 16) * groups) >>> 16;
}

/** A 32-bit value scaled to 0..buckets-1 by its multiply-high (exact: the product stays below 2^53). */
function scale(x: number, buckets: number): number {
  return Math.floor(((x >>> 0) * buckets) / 2 ** 32);
}

/** The two buckets a peer's preference slot may be in: two multiplicative mixes of peer + 1, scaled. */
export function prefBuckets(peer: number, buckets: number): [number, number] {
  return [scale(Math.imul(peer + 1, 0x9e3779b1), buckets), scale(Math.imul(peer + 1, 0x85ebca6b), buckets)];
}

/** The preference slot holding `peer`, or -1. */
export function prefSlotOf(t: PbmCells, peer: number): number {
  const buckets = t.prefTags.length / PREF_WAYS;
  if (buckets === 0) return -1;
  for (const b of prefBuckets(peer, buckets)) {
    for (let w = 0; w < PREF_WAYS; w++) if (t.prefTags[b * PREF_WAYS + w] === peer + 1) return b * PREF_WAYS + w;
  }
  return -1;
}

/**
 * Candidate for `hash` towards `peer`: the default k = hash mod n when usable; otherwise the first
 * usable candidate scanning upwards (wrapping) from the hash's group's start: the peer's own start
 * (an absolute candidate) when it has a preference slot, else k + the group's shared shift; nothing
 * usable -> k.
 */
export function pbmSelectRef(t: PbmCells, n: number, peer: number, hash: number): number {
  const k = (hash >>> 0) % n;
  if (usable(t, peer, k)) return k;
  const groups = t.shifts.length;
  const g = pbmGroupOf(hash, groups);
  const slot = prefSlotOf(t, peer);
  const start = slot >= 0 ? t.prefShifts[slot * groups + g]! : k + t.shifts[g]!;
  for (let j = 0; j < n; j++) {
    const c = (start + j) % n;
    if (usable(t, peer, c)) return c;
  }
  return k;
}
