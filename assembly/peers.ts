// The peer table: per remote VTEP its outer-header template and candidate source ports.
import {
  MAX_CANDIDATES, PEER_SIZE, P_CAND, P_CAND_MASK, P_FLAGS, P_NCAND, P_SUM, P_TABLE,
  P_TEMPLATE, TABLE_DEFAULT,
} from "./layout";
import { reserve } from "./memory";
import { localIp, localMacHi, localMacLo, tos, ttl, vxlanPort } from "./config";

export let peerBase: usize = 0;
export let peerCount: u32 = 0;

/** Reserve room for `n` peers; returns false when memory cannot be had. */
export function initPeers(n: u32): bool {
  if (peerBase != 0) return peerCount == n;
  const b = reserve(n * PEER_SIZE);
  if (b == 0) return false;
  peerBase = b; peerCount = n;
  return true;
}

// @ts-ignore: decorator
@inline export function peerAt(i: u32): usize { return peerBase + <usize>i * PEER_SIZE; }

/**
 * Configure peer i: outer destination (host-order IPv4), next-hop MAC, VNI and number of candidates.
 * Candidates are then written with setCandidate. Builds the outer-header template and its partial sum.
 */
export function setPeer(i: u32, remoteIp: u32, macHi: u32, macLo: u32, vni: u32, ncand: u32): bool {
  if (i >= peerCount || ncand == 0 || ncand > MAX_CANDIDATES || vni > 0xffffff) return false;
  const r = peerAt(i);
  const t = r + P_TEMPLATE;
  // Ethernet: dst = peer next hop, src = local, type IPv4.
  // A MAC is passed as macHi = bytes 0-3 and macLo = bytes 4-5 (low 16 bits).
  store<u8>(t, <u8>(macHi >> 24), 0); store<u8>(t, <u8>(macHi >> 16), 1);
  store<u8>(t, <u8>(macHi >> 8), 2);  store<u8>(t, <u8>macHi, 3);
  store<u8>(t, <u8>(macLo >> 8), 4);  store<u8>(t, <u8>macLo, 5);
  const lh = localMacHi, ll = localMacLo;
  store<u8>(t, <u8>(lh >> 24), 6); store<u8>(t, <u8>(lh >> 16), 7);
  store<u8>(t, <u8>(lh >> 8), 8);  store<u8>(t, <u8>lh, 9);
  store<u8>(t, <u8>(ll >> 8), 10); store<u8>(t, <u8>ll, 11);
  store<u16>(t, bswap<u16>(0x0800), 12);
  // IPv4: version/IHL, TOS, total length (per packet), id (per packet), DF, TTL, UDP, checksum (per packet).
  store<u8>(t, 0x45, 14);
  store<u8>(t, <u8>tos, 15);
  store<u16>(t, 0, 16);
  store<u16>(t, 0, 18);
  store<u16>(t, bswap<u16>(0x4000), 20);
  store<u8>(t, <u8>ttl, 22);
  store<u8>(t, 17, 23);
  store<u16>(t, 0, 24);
  store<u32>(t, bswap<u32>(localIp), 26);
  store<u32>(t, bswap<u32>(remoteIp), 30);
  // UDP: source port (per packet), destination, length (per packet), checksum 0 (legal on IPv4).
  store<u16>(t, 0, 34);
  store<u16>(t, bswap<u16>(<u16>vxlanPort), 36);
  store<u16>(t, 0, 38);
  store<u16>(t, 0, 40);
  // VXLAN: I flag, reserved, VNI, reserved.
  store<u32>(t, 0x08, 42);
  store<u32>(t, bswap<u32>(vni << 8), 46);
  // One's-complement sum of the fixed IPv4 header words (big-endian values, unfolded).
  let s: u32 = 0;
  for (let k: usize = 14; k < 34; k += 2) s += <u32>bswap<u16>(load<u16>(t + k));
  store<u32>(r, s, P_SUM);
  store<u16>(r, <u16>ncand, P_NCAND);
  store<u32>(r, (ncand & (ncand - 1)) == 0 ? ncand - 1 : 0xffffffff, P_CAND_MASK);
  store<u16>(r, TABLE_DEFAULT, P_TABLE);
  for (let k: u32 = 0; k < MAX_CANDIDATES; k++) store<u16>(r + P_CAND + (k << 1), 0);
  store<u16>(r, 1, P_FLAGS);
  return true;
}

export function setCandidate(i: u32, k: u32, port: u32): bool {
  if (i >= peerCount || k >= MAX_CANDIDATES || port == 0 || port > 0xffff) return false;
  store<u16>(peerAt(i) + P_CAND + (k << 1), <u16>port);
  return true;
}

export function clearPeer(i: u32): void {
  if (i < peerCount) memory.fill(peerAt(i), 0, PEER_SIZE);
}
