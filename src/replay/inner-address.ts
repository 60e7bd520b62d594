// The inner addresses replay maps to VTEPs, read in TS from a tenant frame: after up to two VLAN tags,
// IPv4 source/destination, IPv6 source/destination (folded to a key), or ARP sender/target IPv4;
// anything else is keyed by its MACs. Only what the VTEP mapping needs; the flow hash is the Wasm one.

export const ADDR_IPV4 = 4;
export const ADDR_IPV6 = 6;
export const ADDR_MAC = 2;

/** Where one frame goes, as replay sees it; filled in place so that no object is made per packet. */
export interface InnerAddresses {
  /** ADDR_IPV4 (IPv4 or ARP), ADDR_IPV6 or ADDR_MAC. */
  family: number;
  /** IPv4 addresses as u32; for IPv6 and MACs, a 32-bit fold of the address (see docs/replay.md). */
  src: number;
  dst: number;
  /** IPv4 protocol / IPv6 next header (0 otherwise), and L4 ports when TCP/UDP on an unfragmented IPv4. */
  proto: number;
  sport: number;
  dport: number;
  /** An unfragmented IPv4 TCP/UDP frame with its ports read: the flow hash depends on the 5-tuple only. */
  l4: boolean;
}

export function newInnerAddresses(): InnerAddresses {
  return { family: 0, src: 0, dst: 0, proto: 0, sport: 0, dport: 0, l4: false };
}

const be32 = (f: Uint8Array, o: number): number => ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;

/** Fold 16 bytes (an IPv6 address) into 32 bits: the xor of its four words. */
function fold16(f: Uint8Array, o: number): number {
  return (be32(f, o) ^ be32(f, o + 4) ^ be32(f, o + 8) ^ be32(f, o + 12)) >>> 0;
}

/** Fold 6 bytes (a MAC) into 32 bits. */
function fold6(f: Uint8Array, o: number): number {
  return (be32(f, o + 2) ^ ((f[o] << 8) | f[o + 1])) >>> 0;
}

/** Read frame `f`'s inner addresses into `out`. Never reads past the frame; short frames key by MAC. */
export function readInnerAddresses(f: Uint8Array, out: InnerAddresses): InnerAddresses {
  return readInnerAddressesAt(f, 0, f.length, out);
}

/**
 * readInnerAddresses() of the frame `buf[start, start + len)`, read in place (no view per frame: the
 * hot loops read records straight out of the capture reader's buffer). Never reads past the frame.
 */
export function readInnerAddressesAt(f: Uint8Array, start: number, len: number, out: InnerAddresses): InnerAddresses {
  out.proto = 0; out.sport = 0; out.dport = 0; out.l4 = false;
  const s = start, e = start + len;
  if (len < 14) {
    out.family = ADDR_MAC; out.src = len >= 12 ? fold6(f, s + 6) : 0; out.dst = len >= 6 ? fold6(f, s) : 0;
    return out;
  }
  let off = s + 12;
  let type = (f[off] << 8) | f[off + 1];
  for (let tags = 0; tags < 2 && (type === 0x8100 || type === 0x88a8) && off + 6 <= e; tags++) {
    off += 4;
    type = (f[off] << 8) | f[off + 1];
  }
  const l3 = off + 2;
  if (type === 0x0800 && l3 + 20 <= e && f[l3] >> 4 === 4) {
    out.family = ADDR_IPV4; out.src = be32(f, l3 + 12); out.dst = be32(f, l3 + 16); out.proto = f[l3 + 9];
    const ihl = (f[l3] & 15) * 4;
    const frag = ((f[l3 + 6] << 8) | f[l3 + 7]) & 0x3fff;
    const l4 = l3 + ihl;
    if (frag === 0 && (out.proto === 6 || out.proto === 17) && ihl >= 20 && l4 + 4 <= e) {
      out.sport = (f[l4] << 8) | f[l4 + 1]; out.dport = (f[l4 + 2] << 8) | f[l4 + 3]; out.l4 = true;
    }
    return out;
  }
  if (type === 0x86dd && l3 + 40 <= e && f[l3] >> 4 === 6) {
    out.family = ADDR_IPV6; out.src = fold16(f, l3 + 8); out.dst = fold16(f, l3 + 24); out.proto = f[l3 + 6];
    return out;
  }
  if (type === 0x0806 && l3 + 28 <= e && f[l3 + 4] === 6 && f[l3 + 5] === 4) {
    out.family = ADDR_IPV4; out.src = be32(f, l3 + 14); out.dst = be32(f, l3 + 24);
    return out;
  }
  out.family = ADDR_MAC; out.src = fold6(f, s + 6); out.dst = fold6(f, s);
  return out;
}
