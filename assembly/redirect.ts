// Redirect table (hosts): per peer, per candidate c, per spread bucket s one u8 cell. 0 = the flow
// stays on its default candidate; v > 0 = it uses candidate v - 1. The control plane writes, for
// every failed port, its S preferred healthy ports (same BackendID group first, then longest
// failure-free), so every failure, not only a peer's first, lands on the ports it prefers.
// Lookup: k = hash mod N, s = the hash's high 16 bits scaled to 0..S-1, one byte load, one compare.
// docs/tables.md.
import { reserve } from "./memory";

export let redirectBase: usize = 0;
export let redirectN: u32 = 0;
export let redirectS: u32 = 1;
export let redirectPeers: u32 = 0;

/** Reserve `peers` x `n` x `spread` cells. Returns the bytes reserved, 0 on failure. */
export function redirectInit(peers: u32, n: u32, spread: u32): u32 {
  const bytes = <u64>peers * <u64>n * <u64>spread;
  if (bytes > 0x7fffffff) return 0;
  const b = reserve(<u32>bytes);
  if (b == 0) return 0;
  redirectBase = b; redirectN = n; redirectS = spread; redirectPeers = peers;
  return <u32>bytes;
}

/**
 * Any byte is accepted: the lookup, not the writer, guarantees that a cell never names a candidate
 * beyond N (a value > N reads as 0, the default), so no cell content can lead it out of the row.
 */
export function redirectWrite(index: u32, value: u32): bool {
  if (index >= redirectPeers * redirectN * redirectS || value > 0xff) return false;
  store<u8>(redirectBase + <usize>index, <u8>value);
  return true;
}

export function redirectRead(index: u32): u32 {
  if (index >= redirectPeers * redirectN * redirectS) return 0xffffffff;
  return <u32>load<u8>(redirectBase + <usize>index);
}

/** Candidate index for hash h of peer `peer` (< redirectPeers, checked by the caller), default candidate k. */
// @ts-ignore: decorator
@inline export function redirectSelect(peer: u32, h: u32, k: u32): u32 {
  const s = ((h >>> 16) * redirectS) >>> 16;            // high hash bits; k used the low ones
  const v = <u32>load<u8>(redirectBase + <usize>((peer * redirectN + k) * redirectS + s));
  const c = v - 1;                                        // 0 wraps to 0xffffffff: both 0 and v > N fail c < N
  return c < redirectN ? c : k;
}
