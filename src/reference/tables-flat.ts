// Reference twin of assembly/flat.ts: the flat baseline's lookup over the same cells.

/**
 * Candidate for `hash` towards `peer` in a flat table of `n` u16 entries per peer (port, 0 = unusable):
 * hash mod n, then the first usable entry scanning upwards with wrap-around; none usable -> hash mod n.
 */
export function flatSelectRef(entries: Uint16Array, n: number, peer: number, hash: number): number {
  const k = (hash >>> 0) % n;
  for (let j = 0; j < n; j++) {
    const c = (k + j) % n;
    if (entries[peer * n + c] !== 0) return c;
  }
  return k;
}
