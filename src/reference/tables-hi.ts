// Reference twin of assembly/hi.ts: hierarchical indexing's two-level lookup over the same cells.

/**
 * Candidate for `hash` towards `peer`: k = hash mod n; level 1 (u16 per peer) 0 -> k; else level-2
 * block l1-1, entry floor(k / m) (u8: 0 empty -> k, else the recorded candidate + 1).
 */
export function hiSelectRef(
  l1: Uint16Array, l2: Uint8Array, n: number, m: number, peer: number, hash: number,
): number {
  const k = (hash >>> 0) % n;
  const slot = l1[peer]!;
  if (slot === 0) return k;
  const perBlock = Math.ceil(n / m);
  const e = l2[(slot - 1) * perBlock + Math.floor(k / m)]!;
  return e === 0 ? k : e - 1;
}
