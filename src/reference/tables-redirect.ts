// Reference twin of assembly/redirect.ts: the redirect table's lookup over the same cells, written as
// the definition (explicit cases) rather than the kernel's single unsigned compare.

/** The spread bucket a hash picks: its high 16 bits scaled to 0..spread-1 (hash mod n used the low ones). */
export function redirectBucketOf(hash: number, spread: number): number {
  return ((hash >>> 16) * spread) >>> 16;
}

/** Index of cell (peer, candidate, bucket) in a table of `n` candidates and `spread` buckets per peer. */
export function redirectCellIndex(n: number, spread: number, peer: number, cand: number, bucket: number): number {
  return (peer * n + cand) * spread + bucket;
}

/**
 * Candidate for `hash` towards `peer`: k = hash mod n; the cell of (peer, k, bucket) holds v; v = 0
 * keeps k, 1 <= v <= n gives candidate v - 1, and a value beyond n (never written by the compiler)
 * reads as 0, the default, so no cell content can name a candidate outside the row.
 */
export function redirectSelectRef(cells: Uint8Array, n: number, spread: number, peer: number, hash: number): number {
  const k = (hash >>> 0) % n;
  const v = cells[redirectCellIndex(n, spread, peer, k, redirectBucketOf(hash, spread))] ?? 0;
  if (v === 0 || v > n) return k;
  return v - 1;
}
