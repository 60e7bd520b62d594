// Datapath: the typed face of the Wasm core. Owns one instance and its memory, reserved up front.
import { PacketBatch, type BatchRegion } from './batch.js';
import { instantiateCore, type CoreExports } from './module.js';
import { DESC_SIZE, MAX_CANDIDATES, OUTER_LEN } from './layout.js';
import { macWords, parseIPv4, parseMac } from './addr.js';
import { candidatePorts, DEFAULT_CANDIDATES, DEFAULT_PORT_RANGE, type PortRange } from './ports.js';

export interface DatapathConfig {
  /** Local VTEP (outer source) IPv4 address. */
  localIp: string;
  /** Local underlay MAC (outer source MAC). Default 02:00:00:00:00:01. */
  localMac?: string;
  /** Outer TTL, default 64. */
  ttl?: number;
  /** Outer DSCP, default 0. */
  dscp?: number;
  /** VXLAN UDP destination port (and the port decap accepts), default 4789. */
  vxlanPort?: number;
  /** Underlay MTU (outer IPv4 total length limit); 0 or absent = no limit. */
  mtu?: number;
  /** Flow-hash seed, default 0. */
  hashSeed?: number;
  /** Decap accepts only this VNI when set. */
  decapVni?: number;
  /** Source-port range for candidates, default 49152-65535. */
  portRange?: PortRange;
  /** Candidates per peer, default 32. */
  candidates?: number;
  /** Packets per batch, default 256. */
  batchSize?: number;
  /** Bytes per slot, default 2048 (a multiple of 64). */
  slotSize?: number;
  /** Bytes in front of each frame, default 64 (>= 50, a multiple of 8). */
  headroom?: number;
  /** Peer-table capacity, default 1024 (at most 65535). */
  maxPeers?: number;
  /** Batches to reserve, default 1 (more for double buffering). */
  batches?: number;
}

export interface PeerConfig {
  /** Remote VTEP (outer destination) IPv4 address. */
  remoteIp: string;
  /** Outer destination MAC (the underlay next hop), default 02:00:00:00:00:02. */
  mac?: string;
  /** VXLAN network identifier, 0..16777215. */
  vni: number;
  /** Explicit candidate ports; by default the range rule of bindings/ports.ts places N of them. */
  candidates?: number[];
}

export interface ResolvedConfig {
  localIp: number; localMac: Uint8Array; ttl: number; dscp: number; vxlanPort: number; mtu: number;
  hashSeed: number; decapVni: number | undefined; portRange: PortRange; candidates: number;
  batchSize: number; slotSize: number; headroom: number; maxPeers: number; batches: number;
}

function intIn(name: string, v: number | undefined, def: number, lo: number, hi: number): number {
  const x = v ?? def;
  if (!Number.isInteger(x) || x < lo || x > hi) throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
  return x;
}

/** Validate a configuration and fill in defaults; throws a RangeError naming the bad field. */
export function resolveConfig(c: DatapathConfig): ResolvedConfig {
  const slotSize = intIn('slotSize', c.slotSize, 2048, 128, 65536 + 128);
  if (slotSize % 64 !== 0) throw new RangeError(`slotSize must be a multiple of 64, got ${slotSize}`);
  const headroom = intIn('headroom', c.headroom, 64, OUTER_LEN, slotSize - 64);
  if (headroom % 8 !== 0) throw new RangeError(`headroom must be a multiple of 8, got ${headroom}`);
  const r = c.portRange ?? DEFAULT_PORT_RANGE;
  return {
    localIp: parseIPv4(c.localIp),
    localMac: parseMac(c.localMac ?? '02:00:00:00:00:01'),
    ttl: intIn('ttl', c.ttl, 64, 1, 255),
    dscp: intIn('dscp', c.dscp, 0, 0, 63),
    vxlanPort: intIn('vxlanPort', c.vxlanPort, 4789, 1, 65535),
    mtu: intIn('mtu', c.mtu, 0, 0, 65535),
    hashSeed: intIn('hashSeed', c.hashSeed, 0, 0, 0xffffffff),
    decapVni: c.decapVni === undefined ? undefined : intIn('decapVni', c.decapVni, 0, 0, 0xffffff),
    portRange: { lo: intIn('portRange.lo', r.lo, 49152, 1, 65535), hi: intIn('portRange.hi', r.hi, 65535, 1, 65535) },
    candidates: intIn('candidates', c.candidates, DEFAULT_CANDIDATES, 1, MAX_CANDIDATES),
    batchSize: intIn('batchSize', c.batchSize, 256, 1, 65536),
    slotSize,
    headroom,
    maxPeers: intIn('maxPeers', c.maxPeers, 1024, 1, 65535),
    batches: intIn('batches', c.batches, 1, 1, 64),
  };
}

export interface Peer {
  readonly index: number;
  readonly remoteIp: number;
  readonly vni: number;
  readonly candidates: readonly number[];
}

export class Datapath {
  readonly config: ResolvedConfig;
  readonly #core: CoreExports;
  readonly #batches: PacketBatch[];
  readonly #peers = new Map<number, Peer>();

  private constructor(config: ResolvedConfig) {
    this.config = config;
    this.#core = instantiateCore();
    const c = this.#core;
    // Every reservation happens here, before any view is taken: memory never grows afterwards.
    if (!c.initPeers(config.maxPeers)) throw new Error('cannot reserve Wasm memory for the peer table');
    const regions: BatchRegion[] = [];
    for (let b = 0; b < config.batches; b++) {
      const desc = c.reserve(config.batchSize * DESC_SIZE);
      const arena = c.reserve(config.batchSize * config.slotSize);
      if (desc === 0 || arena === 0) throw new Error(`cannot reserve Wasm memory for ${config.batches} batches of ${config.batchSize}`);
      regions.push({ memory: c.memory, desc, arena, capacity: config.batchSize, slotSize: config.slotSize, headroom: config.headroom });
    }
    const [hi, lo] = macWords(config.localMac);
    c.setLocal(config.localIp, hi, lo);
    c.setOuter(config.ttl, config.dscp << 2, config.vxlanPort, config.mtu);
    c.setSeed(config.hashSeed);
    c.setVniFilter(config.decapVni ?? 0xffffffff);
    this.#batches = regions.map((r) => new PacketBatch(r));
  }

  static create(config: DatapathConfig): Datapath {
    return new Datapath(resolveConfig(config));
  }

  /** Batch number i (0 by default) of those reserved at creation. */
  batch(i = 0): PacketBatch {
    const b = this.#batches[i];
    if (!b) throw new RangeError(`batch ${i} not reserved (have ${this.#batches.length})`);
    return b;
  }

  /** Configure peer `index`; returns the peer with its candidate ports. */
  setPeer(index: number, p: PeerConfig): Peer {
    intIn('peer index', index, 0, 0, this.config.maxPeers - 1);
    const ip = parseIPv4(p.remoteIp);
    const vni = intIn('vni', p.vni, 0, 0, 0xffffff);
    const cands = p.candidates ?? candidatePorts(this.config.portRange, this.config.candidates, ip, this.config.hashSeed);
    if (cands.length < 1 || cands.length > MAX_CANDIDATES) throw new RangeError(`a peer needs 1..${MAX_CANDIDATES} candidates, got ${cands.length}`);
    for (const port of cands) intIn('candidate port', port, 0, 1, 65535);
    const [hi, lo] = macWords(parseMac(p.mac ?? '02:00:00:00:00:02'));
    if (!this.#core.setPeer(index, ip, hi, lo, vni, cands.length)) throw new Error(`peer ${index} rejected by the core`);
    cands.forEach((port, k) => this.#core.setCandidate(index, k, port));
    const peer: Peer = { index, remoteIp: ip, vni, candidates: Object.freeze([...cands]) };
    this.#peers.set(index, peer);
    return peer;
  }

  peer(index: number): Peer | undefined { return this.#peers.get(index); }

  removePeer(index: number): void {
    this.#core.clearPeer(index);
    this.#peers.delete(index);
  }

  #own(b: PacketBatch): BatchRegion {
    if (!this.#batches.includes(b)) throw new Error('batch belongs to another Datapath');
    return b.region;
  }

  /** Encapsulate every packet of the batch (one Wasm call). Returns the number encapsulated. */
  encap(b: PacketBatch): number {
    const r = this.#own(b);
    return this.#core.encapBatch(r.desc, r.arena, b.length, r.slotSize);
  }

  /** Decapsulate every packet of the batch (one Wasm call). Returns the number decapsulated. */
  decap(b: PacketBatch): number {
    const r = this.#own(b);
    return this.#core.decapBatch(r.desc, r.arena, b.length, r.slotSize);
  }

  /** Parse and hash every packet of the batch (one Wasm call). Returns the number hashed. */
  hash(b: PacketBatch): number {
    const r = this.#own(b);
    return this.#core.hashBatch(r.desc, r.arena, b.length, r.slotSize);
  }

  /** Next outer IPv4 identification (advances by one per encapsulated packet). */
  get ipId(): number { return this.#core.getIpId(); }
  set ipId(v: number) { this.#core.setIpId(v); }
}
