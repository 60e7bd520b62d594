// Reference twin of assembly/parse.ts: the inner frame's flow key and its jhash2. Reads only
// frame[0, frame.length); malformations fall back to a coarser key (L3, then L2), never fail.
// docs/flow-hash.md describes the keys, the word order and the seeds.
import { FAM_L2, FAM_V4, FAM_V6, KEY_FRAGMENT, KEY_L2, KEY_L3, KEY_L4 } from '../../bindings/layout.js';
import { jhash2 } from '../../bindings/jhash.js';
import { be16, le16, le32 } from './bytes.js';

/** Extension headers walked before the key gives up on the transport header (as in Wasm). */
export const MAX_V6_EXT = 8;

export interface FlowKey {
  hash: number;
  /** KEY_L2 | KEY_L3 | KEY_L4, or KEY_L3 | KEY_FRAGMENT */
  key: number;
  /** L3 header offset in the frame (0 for an L2 key), as the u16 descriptor field holds it */
  l3: number;
  /** L4 header offset in the frame (0 unless the key is L4), as the u16 descriptor field holds it */
  l4: number;
}

const isVlan = (et: number): boolean => et === 0x8100 || et === 0x88a8;
const isV6Ext = (nh: number): boolean => nh === 0 || nh === 43 || nh === 60 || nh === 44;

/** The ports word of the transport header at l4, or -1 when the key stops at L3. */
function portsWord(f: Uint8Array, l4: number, proto: number): number {
  const len = f.length;
  if (proto === 6 || proto === 17) {
    if (l4 + 4 <= len) return le32(f, l4);
  } else if (proto === 1 || proto === 58) {
    if (l4 + 8 <= len) {
      const t = f[l4];
      const echo = proto === 1 ? t === 0 || t === 8 : t === 128 || t === 129;
      // The echo identifier stands in for the ports; other ICMP messages hash with ports 0.
      return echo ? le16(f, l4 + 4) : 0;
    }
  }
  return -1;
}

/** Parse an inner Ethernet frame (at least 14 bytes) and hash its flow key with `seed`. */
export function flowKey(f: Uint8Array, seed: number): FlowKey {
  const len = f.length;
  let et = be16(f, 12);
  let l3 = 14;
  if (isVlan(et) && len >= 18) {
    et = be16(f, 16); l3 = 18;
    if (isVlan(et) && len >= 22) { et = be16(f, 20); l3 = 22; }
  }
  if (et === 0x0800 && l3 + 20 <= len) {
    const vihl = f[l3];
    const ihl = (vihl & 15) << 2;
    if (vihl >> 4 === 4 && ihl >= 20 && l3 + ihl <= len) {
      const proto = f[l3 + 9];
      const iv = (seed + (FAM_V4 << 24) + proto) >>> 0;
      const src = le32(f, l3 + 12);
      const dst = le32(f, l3 + 16);
      const l4 = l3 + ihl;
      if ((be16(f, l3 + 6) & 0x3fff) !== 0) {
        // Any fragment, first or later: no ports, so all fragments of a datagram hash alike.
        return { hash: jhash2([src, dst, 0], iv), key: KEY_L3 | KEY_FRAGMENT, l3, l4: 0 };
      }
      const ports = portsWord(f, l4, proto);
      if (ports >= 0) return { hash: jhash2([src, dst, ports], iv), key: KEY_L4, l3, l4 };
      return { hash: jhash2([src, dst, 0], iv), key: KEY_L3, l3, l4: 0 };
    }
  } else if (et === 0x86dd && l3 + 40 <= len) {
    if (f[l3] >> 4 === 6) {
      let nh = f[l3 + 6];
      let l4 = l3 + 40;
      let fragment = 0;
      let stop = false;
      for (let i = 0; i < MAX_V6_EXT; i++) {
        if (nh === 0 || nh === 43 || nh === 60) {
          if (l4 + 8 > len) { stop = true; break; }
          const extLen = (f[l4 + 1] + 1) << 3;
          nh = f[l4];
          l4 += extLen;
        } else if (nh === 44) {
          if (l4 + 8 > len) { stop = true; break; }
          const fo = be16(f, l4 + 2);
          nh = f[l4];
          l4 += 8;
          // Offset or more-fragments set: a real fragment (an atomic fragment keeps its ports).
          if ((fo & 0xfff9) !== 0) { fragment = KEY_FRAGMENT; stop = true; break; }
        } else break;
      }
      if (isV6Ext(nh)) stop = true;
      const iv = (seed + (FAM_V6 << 24) + nh) >>> 0;
      const words: number[] = [];
      for (let k = 0; k < 8; k++) words.push(le32(f, l3 + 8 + 4 * k));
      if (!stop) {
        const ports = portsWord(f, l4, nh);
        if (ports >= 0) {
          words.push(ports);
          return { hash: jhash2(words, iv), key: KEY_L4, l3, l4: l4 & 0xffff };
        }
      }
      words.push(0);
      return { hash: jhash2(words, iv), key: KEY_L3 | fragment, l3, l4: 0 };
    }
  }
  // Non-IP, or IP too malformed to read: MAC addresses and the inner-most ethertype.
  const iv = (seed + (FAM_L2 << 24) + et) >>> 0;
  return { hash: jhash2([le32(f, 0), le32(f, 4), le32(f, 8)], iv), key: KEY_L2, l3: 0, l4: 0 };
}
