// A fixed-size, direct-mapped memo from an IPv4 TCP/UDP 5-tuple to its replay flow id. For such
// frames (unfragmented, transport header present) the datapath's flow hash is a function of exactly
// these fields (docs/flow-hash.md; VLAN tags are not hashed), and so are the VTEPs they map to: a hit
// stands for the Wasm hash of an earlier frame with the same key, so most frames skip the hash call.
// Other frames (IPv6, ICMP, fragments, ARP ...) always go through the Wasm hash. Memory is fixed.
import type { InnerAddresses } from './inner-address.js';

const SLOTS = 4096;

export class FlowKeyCache {
  readonly #src = new Uint32Array(SLOTS);
  readonly #dst = new Uint32Array(SLOTS);
  readonly #ports = new Uint32Array(SLOTS);
  readonly #proto = new Uint8Array(SLOTS);
  readonly #id = new Int32Array(SLOTS).fill(-1);

  static #slot(src: number, dst: number, ports: number, proto: number): number {
    let h = Math.imul(src ^ Math.imul(dst, 0x85ebca6b), 0x9e3779b1) ^ Math.imul(ports + proto, 0xc2b2ae35);
    h ^= h >>> 15;
    return (h >>> 0) & (SLOTS - 1);
  }

  /** The flow id of a cacheable frame seen before, or -1 (miss, or a frame that is not cacheable). */
  get(a: InnerAddresses): number {
    if (!a.l4) return -1;
    const ports = ((a.sport << 16) | a.dport) >>> 0;
    const s = FlowKeyCache.#slot(a.src, a.dst, ports, a.proto);
    return this.#id[s] >= 0 && this.#src[s] === a.src && this.#dst[s] === a.dst && this.#ports[s] === ports && this.#proto[s] === a.proto ? this.#id[s] : -1;
  }

  /** Remember a cacheable key's flow id (evicting whatever shared its slot). */
  set(src: number, dst: number, proto: number, sport: number, dport: number, id: number): void {
    const ports = ((sport << 16) | dport) >>> 0;
    const s = FlowKeyCache.#slot(src, dst, ports, proto);
    this.#src[s] = src; this.#dst[s] = dst; this.#ports[s] = ports; this.#proto[s] = proto; this.#id[s] = id;
  }
}
