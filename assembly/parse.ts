// Inner-frame parser and flow hash. Reads only bytes [p, p+len); any malformation falls back to a
// coarser key (L3, then L2) instead of failing: VXLAN carries every L2 frame. docs/flow-hash.md.
import {
  D_KEY, D_L3_OFF, D_L4_OFF, FAM_L2, FAM_V4, FAM_V6, KEY_FRAGMENT, KEY_L2, KEY_L3, KEY_L4,
} from "./layout";
import { jhash3, jhash9 } from "./hash";

const MAX_V6_EXT: i32 = 8; // extension headers walked before giving up on the transport header

// @ts-ignore: decorator
@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }

// @ts-ignore: decorator
@inline function isVlan(et: u32): bool { return et == 0x8100 || et == 0x88a8; }

/** Ports word of a transport header at `l4`, or -1 when the key stops at L3. */
// @ts-ignore: decorator
@inline function portsOf(p: usize, len: u32, l4: u32, proto: u32): i64 {
  if (proto == 6 || proto == 17) {
    if (l4 + 4 <= len) return <i64>load<u32>(p + l4);
  } else if (proto == 1 || proto == 58) {
    // ICMP echo: the identifier tells ping sessions apart, as a 5-tuple's ports would.
    if (l4 + 8 <= len) {
      const t = <u32>load<u8>(p + l4);
      if (proto == 1 ? (t == 0 || t == 8) : (t == 128 || t == 129)) return <i64>load<u16>(p + l4, 4);
      return 0;
    }
  }
  return -1;
}

/** The general parser: VLAN tags, IPv4 options and fragments, IPv6 extension headers, ICMP, L2. */
// @ts-ignore: decorator
@inline function parseHashSlow(p: usize, len: u32, seed: u32, d: usize): u32 {
  let et = be16(p + 12);
  let l3: u32 = 14;
  if (isVlan(et) && len >= 18) {
    et = be16(p + 16); l3 = 18;
    if (isVlan(et) && len >= 22) { et = be16(p + 20); l3 = 22; }
  }
  if (et == 0x0800 && l3 + 20 <= len) {
    const q = p + l3;
    const vihl = <u32>load<u8>(q);
    const ihl = (vihl & 15) << 2;
    if ((vihl >> 4) == 4 && ihl >= 20 && l3 + ihl <= len) {
      const proto = <u32>load<u8>(q, 9);
      const iv = seed + (FAM_V4 << 24) + proto;
      const src = load<u32>(q, 12), dst = load<u32>(q, 16);
      const l4 = l3 + ihl;
      store<u16>(d, <u16>l3, D_L3_OFF);
      if ((be16(q + 6) & 0x3fff) != 0) {
        // Every fragment, first or later, hashes without ports, as the Linux flow dissector does.
        store<u16>(d, KEY_L3 | KEY_FRAGMENT, D_KEY); store<u16>(d, 0, D_L4_OFF);
        return jhash3(src, dst, 0, iv);
      }
      const ports = portsOf(p, len, l4, proto);
      if (ports >= 0) {
        store<u16>(d, KEY_L4, D_KEY); store<u16>(d, <u16>l4, D_L4_OFF);
        return jhash3(src, dst, <u32>ports, iv);
      }
      store<u16>(d, KEY_L3, D_KEY); store<u16>(d, 0, D_L4_OFF);
      return jhash3(src, dst, 0, iv);
    }
  } else if (et == 0x86dd && l3 + 40 <= len) {
    const q = p + l3;
    if ((<u32>load<u8>(q) >> 4) == 6) {
      let nh = <u32>load<u8>(q, 6);
      let l4 = l3 + 40;
      let frag: u16 = 0;
      let stop = false; // transport header not reachable: key stops at L3 with nh as protocol
      for (let i = 0; i < MAX_V6_EXT; i++) {
        if (nh == 0 || nh == 43 || nh == 60) {
          if (l4 + 8 > len) { stop = true; break; }
          const ext = ((<u32>load<u8>(p + l4, 1)) + 1) << 3;
          nh = <u32>load<u8>(p + l4);
          l4 += ext;
        } else if (nh == 44) {
          if (l4 + 8 > len) { stop = true; break; }
          const fo = be16(p + l4 + 2);
          nh = <u32>load<u8>(p + l4);
          l4 += 8;
          if ((fo & 0xfff9) != 0) { frag = KEY_FRAGMENT; stop = true; break; }
        } else break;
      }
      if (nh == 0 || nh == 43 || nh == 60 || nh == 44) stop = true;
      const iv = seed + (FAM_V6 << 24) + nh;
      store<u16>(d, <u16>l3, D_L3_OFF);
      if (!stop) {
        const ports = portsOf(p, len, l4, nh);
        if (ports >= 0) {
          store<u16>(d, KEY_L4, D_KEY); store<u16>(d, <u16>l4, D_L4_OFF);
          return jhash9(q + 8, <u32>ports, iv);
        }
      }
      store<u16>(d, KEY_L3 | frag, D_KEY); store<u16>(d, 0, D_L4_OFF);
      return jhash9(q + 8, 0, iv);
    }
  }
  // Non-IP or unparsable IP: MAC addresses and the (inner-most) ethertype.
  store<u16>(d, KEY_L2, D_KEY); store<u16>(d, 0, D_L3_OFF); store<u16>(d, 0, D_L4_OFF);
  return jhash3(load<u32>(p), load<u32>(p, 4), load<u32>(p, 8), seed + (FAM_L2 << 24) + et);
}

/**
 * Parse the frame at p (len >= 14), write key kind and offsets into descriptor d, return the hash.
 * Inlined into the batch loops; only frames off the fast path pay for a call.
 */
// @ts-ignore: decorator
@inline export function parseHash(p: usize, len: u32, seed: u32, d: usize): u32 {
  // Fast path for the bulk of traffic: untagged IPv4 without options, not a fragment, TCP or UDP.
  // Same key as the general path below, with fewer loads and branches.
  // The three tests are combined without short-circuits (one branch, no flags carried through phis).
  if (len >= 38) {
    const proto = <u32>load<u8>(p, 23);
    const fast = <i32>((load<u32>(p, 12) & 0xffffff) == 0x450008) & <i32>((load<u16>(p, 20) & 0xff3f) == 0) & <i32>((proto == 6) | (proto == 17));
    if (fast != 0) {
      store<u32>(d, <u32>KEY_L4 | (14 << 16), D_KEY); store<u16>(d, 34, D_L4_OFF);
      return jhash3(load<u32>(p, 26), load<u32>(p, 30), load<u32>(p, 34), seed + (FAM_V4 << 24) + proto);
    }
  }
  return parseHashSlow(p, len, seed, d);
}
