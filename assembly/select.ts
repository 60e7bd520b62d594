// Source-port choice. The datapath only looks ports up; what is usable is decided by the control plane
// and expressed through the contents of the peer's fast-path table.
import { D_CAND, P_CAND, P_CAND_MASK, P_NCAND } from "./layout";

/** The default choice: candidates[hash mod N]. Writes the candidate index into descriptor d. */
// @ts-ignore: decorator
@inline export function selectPort(r: usize, hash: u32, d: usize): u32 {
  const mask = load<u32>(r, P_CAND_MASK);
  // A power-of-two N (the default 32) makes the modulo a mask; other N pay for a division.
  const k = mask != 0xffffffff ? hash & mask : hash % <u32>load<u16>(r, P_NCAND);
  store<u16>(d, <u16>k, D_CAND);
  return <u32>load<u16>(r + P_CAND + (k << 1));
}
