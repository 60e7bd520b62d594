// HI, hierarchical indexing: every M candidates share one entry. Level 1 holds a u16 per peer: 0 when
// the peer has no recorded failure (the flow keeps its default candidate), else the index + 1 of a
// level-2 block from a pool. A block holds ceil(N/M) u8 entries: 0 = empty (all M fine, the default
// candidate), else the recorded working candidate + 1, used by every flow of that entry. docs/tables.md.
import { reserve } from "./memory";

export let hiL1: usize = 0;
export let hiL2: usize = 0;
export let hiPeers: u32 = 0;
export let hiBlocks: u32 = 0;
export let hiN: u32 = 0;
export let hiE: u32 = 0;       // entries per block
export let hiShift: u32 = 3;   // log2 M

/** Reserve level 1 for `peers` peers and a pool of `blocks` level-2 blocks; M = 1 << shift. */
export function hiInit(peers: u32, n: u32, shift: u32, blocks: u32): u32 {
  const m: u32 = 1 << shift;
  const e = (n + m - 1) >> shift;
  const l1Bytes = peers * 2, l2Bytes = blocks * e;
  const a = reserve(l1Bytes);
  const b = reserve(l2Bytes > 0 ? l2Bytes : 1);
  if (a == 0 || b == 0) return 0;
  hiL1 = a; hiL2 = b; hiPeers = peers; hiBlocks = blocks; hiN = n; hiE = e; hiShift = shift;
  return l1Bytes + l2Bytes;
}

export function hiWriteL1(peer: u32, value: u32): bool {
  if (peer >= hiPeers || value > hiBlocks) return false;
  store<u16>(hiL1 + (<usize>peer << 1), <u16>value);
  return true;
}

export function hiReadL1(peer: u32): u32 {
  if (peer >= hiPeers) return 0xffffffff;
  return <u32>load<u16>(hiL1 + (<usize>peer << 1));
}

export function hiWriteL2(index: u32, value: u32): bool {
  if (index >= hiBlocks * hiE || value > hiN) return false;
  store<u8>(hiL2 + <usize>index, <u8>value);
  return true;
}

export function hiReadL2(index: u32): u32 {
  if (index >= hiBlocks * hiE) return 0xffffffff;
  return <u32>load<u8>(hiL2 + <usize>index);
}

/** Candidate index for peer `peer` (< hiPeers, checked by the caller) with default candidate k. */
// @ts-ignore: decorator
@inline export function hiSelect(peer: u32, k: u32): u32 {
  const s = <u32>load<u16>(hiL1 + (<usize>peer << 1));
  if (s == 0) return k;
  const e = <u32>load<u8>(hiL2 + <usize>((s - 1) * hiE + (k >> hiShift)));
  return select<u32>(k, e - 1, e == 0);
}
