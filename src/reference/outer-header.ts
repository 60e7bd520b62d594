// The 50-byte outer header of RFC 7348, written field by field from scratch (an independent reference
// for the Wasm core's template-plus-incremental-checksum path).
import { putBe16, putBe32 } from './bytes.js';
import { ipv4Checksum } from './checksum.js';

export interface OuterFields {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  tos: number;
  ttl: number;
  /** IPv4 identification. */
  id: number;
  srcIp: number;
  dstIp: number;
  sport: number;
  dport: number;
  vni: number;
  /** Length of the inner Ethernet frame. */
  innerLen: number;
}

/** Write Ethernet + IPv4 (DF, valid checksum) + UDP (checksum 0) + VXLAN (I flag) at b[at, at+OUTER_LEN). */
export function writeOuterHeader(b: Uint8Array, at: number, h: OuterFields): void {
  for (let k = 0; k < 6; k++) { b[at + k] = h.dstMac[k]; b[at + 6 + k] = h.srcMac[k]; }
  putBe16(b, at + 12, 0x0800);
  const ip = at + 14;
  b[ip] = 0x45;                               // version 4, IHL 5
  b[ip + 1] = h.tos & 0xff;
  putBe16(b, ip + 2, 20 + 8 + 8 + h.innerLen); // total length
  putBe16(b, ip + 4, h.id & 0xffff);
  putBe16(b, ip + 6, 0x4000);                 // DF, no fragment offset
  b[ip + 8] = h.ttl & 0xff;
  b[ip + 9] = 17;                             // UDP
  putBe16(b, ip + 10, 0);
  putBe32(b, ip + 12, h.srcIp);
  putBe32(b, ip + 16, h.dstIp);
  putBe16(b, ip + 10, ipv4Checksum(b, ip, 20));
  const udp = ip + 20;
  putBe16(b, udp, h.sport);
  putBe16(b, udp + 2, h.dport);
  putBe16(b, udp + 4, 8 + 8 + h.innerLen);
  putBe16(b, udp + 6, 0);                     // no UDP checksum: legal over IPv4
  const vx = udp + 8;
  b[vx] = 0x08;                               // I flag
  b[vx + 1] = 0; b[vx + 2] = 0; b[vx + 3] = 0;
  b[vx + 4] = (h.vni >>> 16) & 0xff; b[vx + 5] = (h.vni >>> 8) & 0xff; b[vx + 6] = h.vni & 0xff;
  b[vx + 7] = 0;
}
