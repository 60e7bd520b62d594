// Reads the few outer fields a VTEP needs from a received underlay frame before the datapath sees
// it: enough to tell probes (handed to the control plane) from tenant VXLAN (decapsulated).
// Every read is bounds-checked: a received frame is untrusted input.

/** The outer fields of an underlay frame that classification reads (filled in place, never allocated per frame). */
export interface OuterUdp {
  /** Outer IPv4 source address, as a 32-bit number. */
  srcIp: number;
  /** Outer UDP source port: the path the frame came by. */
  sport: number;
  /** Offset of the UDP payload (the VXLAN header) in the frame. */
  payloadOff: number;
}

/** Ethernet (untagged) / IPv4 (no fragment) / UDP to `vxlanPort`: its fields written into `into`, or undefined. */
export function outerUdp(f: Uint8Array, vxlanPort: number, into: OuterUdp): OuterUdp | undefined {
  if (f.length < 14 + 20 + 8 || f[12] !== 0x08 || f[13] !== 0x00) return undefined;
  const ihl = (f[14] & 0x0f) * 4;
  if (f[14] >> 4 !== 4 || ihl < 20 || f[23] !== 17) return undefined;
  if ((((f[20] & 0x3f) << 8) | f[21]) !== 0) return undefined; // more-fragments flag or an offset
  const u = 14 + ihl;
  if (f.length < u + 8 || ((f[u + 2] << 8) | f[u + 3]) !== vxlanPort) return undefined;
  into.srcIp = ((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0;
  into.sport = (f[u] << 8) | f[u + 1];
  into.payloadOff = u + 8;
  return into;
}

/** The send timestamp (microseconds) of a probe payload (bytes 24..31, big-endian; docs/probe-format.md). */
export function probeSendTsUs(p: Uint8Array): number {
  const hi = ((p[24] << 24) | (p[25] << 16) | (p[26] << 8) | p[27]) >>> 0;
  const lo = ((p[28] << 24) | (p[29] << 16) | (p[30] << 8) | p[31]) >>> 0;
  return hi * 4294967296 + lo;
}
