// `--dlt enet`, as tcprewrite users know it: frames of the link types real captures come in (Linux
// cooked SLL and SLL2 from `tcpdump -i any`, raw IP from tun devices and routers, IPv4/IPv6, BSD
// loopback NULL and OpenBSD LOOP) are given an Ethernet header so the datapath, which takes Ethernet
// only, can encapsulate them. The link header is replaced by destination MAC, source MAC and the
// EtherType of what it carried; the payload is copied unchanged. One scratch buffer is reused, so no
// frame allocates.
import { LINKTYPE_ETHERNET } from './record.js';

/** BSD loopback: a 4-byte address family in the capturing host's byte order. */
export const LINKTYPE_NULL = 0;
/** Raw IPv4 or IPv6, no link header (the version nibble says which). */
export const LINKTYPE_RAW = 101;
/** OpenBSD loopback: a 4-byte address family in network byte order. */
export const LINKTYPE_LOOP = 108;
/** Linux cooked capture v1 (16-byte header), `tcpdump -i any` before libpcap 1.10. */
export const LINKTYPE_LINUX_SLL = 113;
/** Raw IPv4 only. */
export const LINKTYPE_IPV4 = 228;
/** Raw IPv6 only. */
export const LINKTYPE_IPV6 = 229;
/** Linux cooked capture v2 (20-byte header), `tcpdump -i any` with libpcap 1.10 and later. */
export const LINKTYPE_LINUX_SLL2 = 276;

/** Every link type {@link EthernetFramer} converts (Ethernet itself passes through). */
export const ENET_LINK_TYPES: readonly number[] = [
  LINKTYPE_ETHERNET, LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2,
];

/** The MACs written into the Ethernet header that replaces another link header. */
export interface EnetMacs {
  /** Destination MAC, 6 bytes. */
  dst: Uint8Array;
  /** Source MAC, 6 bytes. */
  src: Uint8Array;
  /**
   * true: a cooked (SLL, SLL2) frame whose header carries a 6-byte Ethernet source address keeps it as
   * its source MAC, and `src` is used only where there is none. false: `src` always.
   */
  cookedSource: boolean;
}

/** Default destination MAC of `--dlt enet` (`--enet-dmac`): locally administered, never a real NIC's. */
export const DEFAULT_ENET_DMAC = '02:00:00:00:00:04';
/** Default source MAC of `--dlt enet` (`--enet-smac`) where the capture states none. */
export const DEFAULT_ENET_SMAC = '02:00:00:00:00:03';

const ETH_HLEN = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** Below this a cooked header's protocol field is not an EtherType (0x0001 802.3, 0x0004 802.2 LLC...). */
const ETHERTYPE_MIN = 0x0600;
const ARPHRD_ETHER = 1;
const SLL_HLEN = 16;
const SLL2_HLEN = 20;
/** AF_INET everywhere; AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS. */
const AF_INET = 2;
const AF_INET6 = new Set([10, 24, 28, 30]);

/** Why a frame could not be given an Ethernet header: the drop reason encap and decap count it under. */
export type EnetRefusal = 'link_type_unsupported' | 'link_header_runt' | 'not_ethertype' | 'not_ip';

/**
 * Gives frames of the link types of {@link ENET_LINK_TYPES} an Ethernet header. `frame()` returns the
 * Ethernet frame, a view valid until the next call (Ethernet frames are returned as they are), or
 * undefined with the reason in `refused`.
 */
export class EthernetFramer {
  /** Why the last `frame()` returned undefined. */
  refused: EnetRefusal = 'link_type_unsupported';
  #buf: Uint8Array;
  readonly #macs: EnetMacs;

  /** @param maxFrame - longest input frame expected; the scratch buffer grows past it if needed */
  constructor(macs: EnetMacs, maxFrame = 65536) {
    if (macs.dst.length !== 6 || macs.src.length !== 6) throw new RangeError('EnetMacs: dst and src must be 6 bytes');
    this.#macs = macs;
    this.#buf = new Uint8Array(maxFrame + ETH_HLEN);
  }

  /** How many bytes the Ethernet frame of a `linkType` frame is longer than it (negative: shorter). */
  static growth(linkType: number): number {
    switch (linkType) {
      case LINKTYPE_ETHERNET: return 0;
      case LINKTYPE_NULL: case LINKTYPE_LOOP: return ETH_HLEN - 4;
      case LINKTYPE_LINUX_SLL: return ETH_HLEN - SLL_HLEN;
      case LINKTYPE_LINUX_SLL2: return ETH_HLEN - SLL2_HLEN;
      default: return ETH_HLEN;
    }
  }

  /** The frame `data` of link type `linkType` as an Ethernet frame, or undefined (see `refused`). */
  frame(linkType: number, data: Uint8Array): Uint8Array | undefined {
    switch (linkType) {
      case LINKTYPE_ETHERNET:
        return data;
      case LINKTYPE_RAW: {
        const v = data.length > 0 ? data[0] >> 4 : 0;
        if (v !== 4 && v !== 6) return this.#refuse('not_ip');
        return this.#build(data, 0, v === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, undefined);
      }
      case LINKTYPE_IPV4:
        return this.#build(data, 0, ETHERTYPE_IPV4, undefined);
      case LINKTYPE_IPV6:
        return this.#build(data, 0, ETHERTYPE_IPV6, undefined);
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP: {
        if (data.length < 4) return this.#refuse('link_header_runt');
        const be = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
        const le = ((data[3] << 24) | (data[2] << 16) | (data[1] << 8) | data[0]) >>> 0;
        // LOOP is big-endian; NULL is the capturing host's order, which the value itself tells.
        const fam = linkType === LINKTYPE_LOOP ? be : (le < 0x10000 ? le : be);
        const type = fam === AF_INET ? ETHERTYPE_IPV4 : AF_INET6.has(fam) ? ETHERTYPE_IPV6 : 0;
        if (type === 0) return this.#refuse('not_ip');
        return this.#build(data, 4, type, undefined);
      }
      case LINKTYPE_LINUX_SLL: {
        if (data.length < SLL_HLEN) return this.#refuse('link_header_runt');
        const proto = (data[14] << 8) | data[15];
        if (proto < ETHERTYPE_MIN) return this.#refuse('not_ethertype');
        const hatype = (data[2] << 8) | data[3], alen = (data[4] << 8) | data[5];
        return this.#build(data, SLL_HLEN, proto, hatype === ARPHRD_ETHER && alen === 6 ? 6 : undefined);
      }
      case LINKTYPE_LINUX_SLL2: {
        if (data.length < SLL2_HLEN) return this.#refuse('link_header_runt');
        const proto = (data[0] << 8) | data[1];
        if (proto < ETHERTYPE_MIN) return this.#refuse('not_ethertype');
        const hatype = (data[8] << 8) | data[9], alen = data[11];
        return this.#build(data, SLL2_HLEN, proto, hatype === ARPHRD_ETHER && alen === 6 ? 12 : undefined);
      }
      default:
        return this.#refuse('link_type_unsupported');
    }
  }

  #refuse(why: EnetRefusal): undefined {
    this.refused = why;
    return undefined;
  }

  /** dst MAC, src MAC (the cooked header's at `srcAt` when there is one and it is wanted), EtherType, payload. */
  #build(data: Uint8Array, payloadAt: number, etherType: number, srcAt: number | undefined): Uint8Array {
    const n = ETH_HLEN + data.length - payloadAt;
    if (n > this.#buf.length) this.#buf = new Uint8Array(n);
    const b = this.#buf;
    b.set(this.#macs.dst, 0);
    if (srcAt !== undefined && this.#macs.cookedSource) b.set(data.subarray(srcAt, srcAt + 6), 6);
    else b.set(this.#macs.src, 6);
    b[12] = etherType >> 8;
    b[13] = etherType & 0xff;
    b.set(data.subarray(payloadAt), ETH_HLEN);
    return b.subarray(0, n);
  }
}
