// Source-port choice. The datapath only looks ports up; what is usable is decided by the control plane
// and expressed through the contents of the peer's fast-path table (P_TABLE; docs/tables.md).
import { D_CAND, P_CAND, P_CAND_MASK, P_NCAND, P_TABLE, TABLE_DEFAULT } from "./layout";
import { tableSelect } from "./tables";

/**
 * The candidate candidates[hash mod N] by default, or the one the peer's table gives. `r` is peer
 * `peer`'s record (the caller has both). Writes the candidate index into descriptor d and returns its port.
 */
// @ts-ignore: decorator
@inline export function selectPort(r: usize, peer: u32, hash: u32, d: usize): u32 {
  const mask = load<u32>(r, P_CAND_MASK);
  // A power-of-two N (the default 32) makes the modulo a mask; other N pay for a division.
  let k = mask != 0xffffffff ? hash & mask : hash % <u32>load<u16>(r, P_NCAND);
  const kind = <u32>load<u16>(r, P_TABLE);
  // setPeerTable only routes a peer to a table that covers its index and its N candidates.
  if (kind != TABLE_DEFAULT) k = tableSelect(kind, peer, hash, k);
  store<u16>(d, <u16>k, D_CAND);
  return <u32>load<u16>(r + P_CAND + (k << 1));
}
