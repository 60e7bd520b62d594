// The fast-path tables as the datapath sees them: reserved once at set-up, written only by the control
// plane (one register write per call), looked up per packet. One table kind per datapath; each peer's
// P_TABLE says whether it uses that table or the default candidates[hash mod N]. docs/tables.md.
import {
  CAND_NONE, P_FLAGS, P_NCAND, P_TABLE, TABLE_DEFAULT, TABLE_FLAT, TABLE_HI, TABLE_PBM, TABLE_REDIRECT, TA_FLAT,
  TA_HI_L1, TA_HI_L2, TA_PBM_BITMAP, TA_PBM_PREF_SHIFT, TA_PBM_PREF_TAG, TA_PBM_SHIFT, TA_REDIRECT,
} from "./layout";
import { peerAt, peerCount } from "./peers";
import { flatInit, flatRead, flatSelect, flatWrite } from "./flat";
import {
  pbmInit, pbmReadBitmap, pbmReadPrefShift, pbmReadPrefTag, pbmReadShift, pbmSelect, pbmWriteBitmap,
  pbmWritePrefShift, pbmWritePrefTag, pbmWriteShift,
} from "./pbm";
import { hiInit, hiReadL1, hiReadL2, hiSelect, hiWriteL1, hiWriteL2 } from "./hi";
import { redirectInit, redirectRead, redirectSelect, redirectWrite } from "./redirect";

export let tableKind: u32 = TABLE_DEFAULT;
export let tablePeers: u32 = 0;
export let tableN: u32 = 0;
export let tableMask: u32 = 0xffffffff; // N-1 when N is a power of two
let reservedBytes: u32 = 0;

/**
 * Reserve the tables of `kind` for `peers` peers of exactly `n` candidates each. `groups` is PBM's
 * G (1..64), or the redirect table's spread S (1..16) when kind is TABLE_REDIRECT; `pbmPrefSlots`
 * is PBM's preference slots (a multiple of 4); `hiShift` is log2 of HI's M (0..6) and `hiBlocks`
 * its level-2 pool. Once only.
 */
export function initTables(kind: u32, peers: u32, n: u32, groups: u32, pbmPrefSlots: u32, hiShift: u32, hiBlocks: u32): bool {
  if (tableKind != TABLE_DEFAULT) return false;
  if (peers == 0 || peers > 0xffff || n == 0 || n > 64) return false;
  let bytes: u32 = 0;
  if (kind == TABLE_FLAT) bytes = flatInit(peers, n);
  else if (kind == TABLE_PBM) {
    if (groups == 0 || groups > 64) return false;
    bytes = pbmInit(peers, n, groups, pbmPrefSlots);
  } else if (kind == TABLE_HI) {
    if (hiShift > 6 || hiBlocks > 0xffff) return false;
    bytes = hiInit(peers, n, hiShift, hiBlocks);
  } else if (kind == TABLE_REDIRECT) {
    if (groups == 0 || groups > 16) return false;
    bytes = redirectInit(peers, n, groups);
  } else return false;
  if (bytes == 0) return false;
  tableKind = kind; tablePeers = peers; tableN = n;
  tableMask = (n & (n - 1)) == 0 ? n - 1 : 0xffffffff;
  reservedBytes = bytes;
  return true;
}

export function tableReservedBytes(): u32 { return reservedBytes; }

/** One register write. Refused (false) when the array is not this datapath's or index/value is out of range. */
export function tableWrite(array: u32, index: u32, value: u32): bool {
  const k = tableKind;
  if (array == TA_FLAT) return k == TABLE_FLAT && flatWrite(index, value);
  if (array == TA_PBM_BITMAP) return k == TABLE_PBM && pbmWriteBitmap(index, value);
  if (array == TA_PBM_SHIFT) return k == TABLE_PBM && pbmWriteShift(index, value);
  if (array == TA_PBM_PREF_TAG) return k == TABLE_PBM && pbmWritePrefTag(index, value);
  if (array == TA_PBM_PREF_SHIFT) return k == TABLE_PBM && pbmWritePrefShift(index, value);
  if (array == TA_HI_L1) return k == TABLE_HI && hiWriteL1(index, value);
  if (array == TA_HI_L2) return k == TABLE_HI && hiWriteL2(index, value);
  if (array == TA_REDIRECT) return k == TABLE_REDIRECT && redirectWrite(index, value);
  return false;
}

/** One register read (tests and mirroring checks); 0xffffffff when out of range. */
export function tableRead(array: u32, index: u32): u32 {
  const k = tableKind;
  if (array == TA_FLAT && k == TABLE_FLAT) return flatRead(index);
  if (array == TA_PBM_BITMAP && k == TABLE_PBM) return pbmReadBitmap(index);
  if (array == TA_PBM_SHIFT && k == TABLE_PBM) return pbmReadShift(index);
  if (array == TA_PBM_PREF_TAG && k == TABLE_PBM) return pbmReadPrefTag(index);
  if (array == TA_PBM_PREF_SHIFT && k == TABLE_PBM) return pbmReadPrefShift(index);
  if (array == TA_HI_L1 && k == TABLE_HI) return hiReadL1(index);
  if (array == TA_HI_L2 && k == TABLE_HI) return hiReadL2(index);
  if (array == TA_REDIRECT && k == TABLE_REDIRECT) return redirectRead(index);
  return 0xffffffff;
}

/** Route peer i's port choice through the table (the datapath's kind) or back to the default. */
export function setPeerTable(i: u32, kind: u32): bool {
  if (i >= peerCount) return false;
  const r = peerAt(i);
  if (load<u16>(r, P_FLAGS) == 0) return false;
  if (kind != TABLE_DEFAULT && (kind != tableKind || <u32>load<u16>(r, P_NCAND) != tableN || i >= tablePeers)) return false;
  store<u16>(r, <u16>kind, P_TABLE);
  return true;
}

/** The candidate a table gives peer `peer` (< tablePeers) for hash h, whose default candidate is k. */
// @ts-ignore: decorator
@inline export function tableSelect(kind: u32, peer: u32, h: u32, k: u32): u32 {
  if (kind == TABLE_PBM) return pbmSelect(peer, h, k);
  if (kind == TABLE_HI) return hiSelect(peer, k);
  if (kind == TABLE_REDIRECT) return redirectSelect(peer, h, k);
  return flatSelect(peer, k);
}

/**
 * Batch lookups without packets: hashes (u32) and peers (u16) in, candidate indexes (u16) out,
 * CAND_NONE for a peer index outside the tables. Returns the number looked up.
 */
export function lookupBatch(hashes: usize, peers: usize, out: usize, count: u32): u32 {
  const kind = tableKind, np = tablePeers, mask = tableMask, n = tableN;
  if (kind == TABLE_DEFAULT) {
    for (let i: u32 = 0; i < count; i++) store<u16>(out + (<usize>i << 1), CAND_NONE);
    return 0;
  }
  let ok: u32 = 0;
  // One loop per kind: the kind test stays out of the per-packet path.
  if (kind == TABLE_PBM) {
    for (let i: u32 = 0; i < count; i++) {
      const h = load<u32>(hashes + (<usize>i << 2));
      const p = <u32>load<u16>(peers + (<usize>i << 1));
      const k = mask != 0xffffffff ? h & mask : h % n;
      const c = p < np ? pbmSelect(p, h, k) : <u32>CAND_NONE;
      store<u16>(out + (<usize>i << 1), <u16>c);
      ok += <u32>(p < np);
    }
  } else if (kind == TABLE_HI) {
    for (let i: u32 = 0; i < count; i++) {
      const h = load<u32>(hashes + (<usize>i << 2));
      const p = <u32>load<u16>(peers + (<usize>i << 1));
      const k = mask != 0xffffffff ? h & mask : h % n;
      const c = p < np ? hiSelect(p, k) : <u32>CAND_NONE;
      store<u16>(out + (<usize>i << 1), <u16>c);
      ok += <u32>(p < np);
    }
  } else if (kind == TABLE_REDIRECT) {
    for (let i: u32 = 0; i < count; i++) {
      const h = load<u32>(hashes + (<usize>i << 2));
      const p = <u32>load<u16>(peers + (<usize>i << 1));
      const k = mask != 0xffffffff ? h & mask : h % n;
      const c = p < np ? redirectSelect(p, h, k) : <u32>CAND_NONE;
      store<u16>(out + (<usize>i << 1), <u16>c);
      ok += <u32>(p < np);
    }
  } else {
    for (let i: u32 = 0; i < count; i++) {
      const h = load<u32>(hashes + (<usize>i << 2));
      const p = <u32>load<u16>(peers + (<usize>i << 1));
      const k = mask != 0xffffffff ? h & mask : h % n;
      const c = p < np ? flatSelect(p, k) : <u32>CAND_NONE;
      store<u16>(out + (<usize>i << 1), <u16>c);
      ok += <u32>(p < np);
    }
  }
  return ok;
}
