// Flat baseline table: what a naive gateway stores. Per peer, one u16 entry per candidate: the port
// when usable, 0 when not (0 is never a source port). Lookup: hash mod N, then the first usable entry
// scanning upwards with wrap-around; none usable -> the default candidate. docs/tables.md.
import { reserve } from "./memory";

export let flatBase: usize = 0;
export let flatN: u32 = 0;
export let flatPeers: u32 = 0;

/** Reserve the table for `peers` peers of `n` candidates. Returns the bytes reserved, 0 on failure. */
export function flatInit(peers: u32, n: u32): u32 {
  const bytes = peers * n * 2;
  const b = reserve(bytes);
  if (b == 0) return 0;
  flatBase = b; flatN = n; flatPeers = peers;
  return bytes;
}

export function flatWrite(index: u32, value: u32): bool {
  if (index >= flatPeers * flatN || value > 0xffff) return false;
  store<u16>(flatBase + (<usize>index << 1), <u16>value);
  return true;
}

export function flatRead(index: u32): u32 {
  if (index >= flatPeers * flatN) return 0xffffffff;
  return <u32>load<u16>(flatBase + (<usize>index << 1));
}

/** Candidate index for default candidate k of peer `peer` (< flatPeers, checked by the caller). */
// @ts-ignore: decorator
@inline export function flatSelect(peer: u32, k: u32): u32 {
  const n = flatN;
  const row = flatBase + (<usize>(peer * n) << 1);
  if (load<u16>(row + (<usize>k << 1)) != 0) return k;
  let c = k;
  for (let j: u32 = 1; j < n; j++) {
    c++;
    if (c == n) c = 0;
    if (load<u16>(row + (<usize>c << 1)) != 0) return c;
  }
  return k;
}
