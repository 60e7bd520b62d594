// Builders of inner test frames (Ethernet with VLAN tags, IPv4 with options and fragments, IPv6 with
// extension headers, TCP/UDP/ICMP), for tests, benchmarks and examples. Lengths and the IPv4 header
// checksum are filled in; everything else is what the caller asks for.
import { putBe16, putBe32 } from './bytes.js';
import { ipv4Checksum } from './checksum.js';

export interface VlanTag { tpid: 0x8100 | 0x88a8; tci: number }

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function ethernet(dst: Uint8Array, src: Uint8Array, etherType: number, payload: Uint8Array, vlans: readonly VlanTag[] = []): Uint8Array {
  const h = new Uint8Array(14 + 4 * vlans.length);
  h.set(dst.subarray(0, 6), 0);
  h.set(src.subarray(0, 6), 6);
  let at = 12;
  for (const v of vlans) { putBe16(h, at, v.tpid); putBe16(h, at + 2, v.tci); at += 4; }
  putBe16(h, at, etherType);
  return concat(h, payload);
}

export interface Ipv4Spec {
  src: number;
  dst: number;
  proto: number;
  id?: number;
  ttl?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  /** Options, padded by the caller to a multiple of 4 bytes (at most 40). */
  options?: Uint8Array;
}

export function ipv4(spec: Ipv4Spec, payload: Uint8Array): Uint8Array {
  const opts = spec.options ?? new Uint8Array(0);
  if (opts.length % 4 !== 0 || opts.length > 40) throw new RangeError(`IPv4 options must be 0..40 bytes in 4s, got ${opts.length}`);
  const ihl = 20 + opts.length;
  const h = new Uint8Array(ihl);
  h[0] = 0x40 | (ihl >> 2);
  h[1] = spec.tos ?? 0;
  putBe16(h, 2, Math.min(0xffff, ihl + payload.length));
  putBe16(h, 4, spec.id ?? 0);
  putBe16(h, 6, (spec.dontFragment ? 0x4000 : 0) | (spec.moreFragments ? 0x2000 : 0) | ((spec.fragOffset ?? 0) & 0x1fff));
  h[8] = spec.ttl ?? 64;
  h[9] = spec.proto;
  putBe32(h, 12, spec.src);
  putBe32(h, 16, spec.dst);
  h.set(opts, 20);
  putBe16(h, 10, ipv4Checksum(h, 0, ihl));
  return concat(h, payload);
}

/** An IPv6 extension header before `payload`; `nextHeader` is what follows it. */
export interface Ipv6Ext {
  /** 0 hop-by-hop, 43 routing, 60 destination options, 44 fragment */
  type: 0 | 43 | 44 | 60;
  /** Hdr Ext Len (8-byte units beyond the first 8); ignored for a fragment header. */
  extLen?: number;
  /** Fragment header only: offset in 8-byte units and the M flag. */
  fragOffset?: number;
  moreFragments?: boolean;
  identification?: number;
}

/** An IPv6 packet: its extension headers in order, then `payload` of protocol `proto`. */
export function ipv6(src: Uint8Array, dst: Uint8Array, proto: number, payload: Uint8Array, exts: readonly Ipv6Ext[] = [], hopLimit = 64): Uint8Array {
  const parts: Uint8Array[] = [];
  exts.forEach((e, k) => {
    const next = k + 1 < exts.length ? exts[k + 1].type : proto;
    if (e.type === 44) {
      const f = new Uint8Array(8);
      f[0] = next;
      putBe16(f, 2, (((e.fragOffset ?? 0) & 0x1fff) << 3) | (e.moreFragments ? 1 : 0));
      putBe32(f, 4, e.identification ?? 0);
      parts.push(f);
    } else {
      const n = e.extLen ?? 0;
      const x = new Uint8Array((n + 1) * 8);
      x[0] = next;
      x[1] = n;
      // Options area: PadN filling for HBH/destination options; routing type 0 segments-left 0.
      if (e.type !== 43) { x[2] = 1; x[3] = x.length - 4; }
      parts.push(x);
    }
  });
  const rest = concat(...parts, payload);
  const h = new Uint8Array(40);
  h[0] = 0x60;
  putBe16(h, 4, Math.min(0xffff, rest.length));
  h[6] = exts.length > 0 ? exts[0].type : proto;
  h[7] = hopLimit;
  h.set(src.subarray(0, 16), 8);
  h.set(dst.subarray(0, 16), 24);
  return concat(h, rest);
}

export function tcp(sport: number, dport: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(20);
  putBe16(h, 0, sport); putBe16(h, 2, dport);
  h[12] = 5 << 4; h[13] = 0x18; // data offset 5, PSH+ACK
  putBe16(h, 14, 65535);
  return concat(h, payload);
}

export function udp(sport: number, dport: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(8);
  putBe16(h, 0, sport); putBe16(h, 2, dport); putBe16(h, 4, Math.min(0xffff, 8 + payload.length));
  return concat(h, payload);
}

/** An ICMP or ICMPv6 message: type, code, then identifier and sequence (meaningful for echo). */
export function icmp(type: number, code: number, id: number, seq: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = type; h[1] = code; putBe16(h, 4, id); putBe16(h, 6, seq);
  return concat(h, payload);
}
