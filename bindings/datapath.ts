// Datapath: the typed face of the Wasm core. Owns one instance and its memory, reserved up front.
import { PacketBatch, type BatchRegion } from './batch.js';
import { instantiateCore, type CoreExports } from './module.js';
import { DESC_SIZE, MAX_CANDIDATES, OUTER_LEN, PC_SIZE, RT_ENTRY, RT_PEER, RT_USED, TS_STRIDE } from './layout.js';
import { macWords, parseIPv4, parseMac } from './addr.js';
import { candidatePorts, DEFAULT_CANDIDATES, DEFAULT_PORT_RANGE, type PortRange } from './ports.js';
import {
  PBM_PREF_WAYS, TABLE_DEFAULT, TABLE_FLAT, TABLE_HI, TABLE_PBM, TABLE_REDIRECT, TA_FLAT, TA_HI_L1, TA_HI_L2,
  TA_PBM_BITMAP, TA_PBM_PREF_SHIFT, TA_PBM_PREF_TAG, TA_PBM_SHIFT, TA_REDIRECT,
} from './layout.js';
import { TableLookupBatch } from './table-lookup.js';
import { RecordArena } from './record-arena.js';
import {
  DEFAULT_BATCH_SIZE, DEFAULT_HEADROOM, DEFAULT_LOCAL_MAC, DEFAULT_PEER_MAC, DEFAULT_SLOT_SIZE, MAX_SLOT_SIZE, MIN_SLOT_SIZE,
  SLOT_ALIGN, VXLAN_PORT,
} from './defaults.js';

/** Which fast-path table chooses ports (docs/tables.md); 'default' = candidates[hash mod N], no table. */
export type DatapathTable = 'default' | 'flat' | 'pbm' | 'hi' | 'redirect';
/** The register arrays of the fast-path tables, as the control plane writes them. */
export type TableArrayName = 'flat' | 'pbm.bitmap' | 'pbm.shift' | 'pbm.pref.tag' | 'pbm.pref.shift' | 'hi.l1' | 'hi.l2' | 'redirect';

const TABLE_CODES: Record<DatapathTable, number> = { default: TABLE_DEFAULT, flat: TABLE_FLAT, pbm: TABLE_PBM, hi: TABLE_HI, redirect: TABLE_REDIRECT };
const ARRAY_CODES: Record<TableArrayName, number> = {
  flat: TA_FLAT, 'pbm.bitmap': TA_PBM_BITMAP, 'pbm.shift': TA_PBM_SHIFT, 'pbm.pref.tag': TA_PBM_PREF_TAG,
  'pbm.pref.shift': TA_PBM_PREF_SHIFT, 'hi.l1': TA_HI_L1, 'hi.l2': TA_HI_L2, redirect: TA_REDIRECT,
};

/** Shape of the reserved tables: what a control-plane table must match to be mirrored in. */
export interface TableGeometry {
  /** The table design reserved. */
  kind: Exclude<DatapathTable, 'default'>;
  /** Peer indexes covered (= maxPeers). */
  peers: number;
  /** Candidates per peer (every peer routed through the table has exactly this many). */
  candidates: number;
  /** PBM priority groups G. */
  pbmGroups: number;
  /** PBM preference slots (peers with their own group shifts), a multiple of 4. */
  pbmPrefSlots: number;
  /** HI's M: candidates per entry (a power of two). */
  hiGroupSize: number;
  /** HI level-2 blocks in the pool. */
  hiBlocks: number;
  /** Redirect spread S: cells (spread buckets) per (peer, candidate). */
  redirectSpread: number;
  /** Bytes the Wasm core reserved for the table. */
  reservedBytes: number;
}

/**
 * What Datapath.create() takes: the local VTEP, outer-header fields, and the sizes of everything the
 * Wasm core reserves up front. Every field but localIp has a default; resolveConfig() checks ranges.
 */
export interface DatapathConfig {
  /** Local VTEP (outer source) IPv4 address. */
  localIp: string;
  /** Local underlay MAC (outer source MAC). Default 02:00:00:00:00:01. */
  localMac?: string;
  /** Outer TTL, 1..255, default 64. */
  ttl?: number;
  /** Outer DSCP, 0..63, default 0. */
  dscp?: number;
  /** VXLAN UDP destination port (and the port decap accepts), default 4789. */
  vxlanPort?: number;
  /** Underlay MTU in bytes (outer IPv4 total length limit), 0..65535; 0 or absent = no limit. */
  mtu?: number;
  /** Flow-hash seed (u32), default 0; also the phase seed of the candidate-port rule. */
  hashSeed?: number;
  /** Decap accepts only this VNI (0..16777215) when set; others get Status.VNI_FILTERED. */
  decapVni?: number;
  /** Source-port range for candidates, default 49152-65535. */
  portRange?: PortRange;
  /** Candidates per peer, 1..64, default 32. */
  candidates?: number;
  /** Packets per batch, 1..65536, default 256. */
  batchSize?: number;
  /** Bytes per slot, headroom included, default 2048 (a multiple of 64, 128..65664). */
  slotSize?: number;
  /** Bytes in front of each frame, default 64 (>= 50, a multiple of 8). */
  headroom?: number;
  /** Peer-table capacity, default 1024 (at most 65535). */
  maxPeers?: number;
  /** Batches to reserve, 1..64, default 1 (more for double buffering). */
  batches?: number;
  /** Fast-path table reserved for port choice, default 'default' (none: candidates[hash mod N]). */
  table?: DatapathTable;
  /** PBM priority groups G, 1..64, default 4. */
  pbmGroups?: number;
  /** PBM preference slots, rounded up to a multiple of 4; default maxPeers rounded up. */
  pbmPrefSlots?: number;
  /** HI candidates per entry M, a power of two 1..64, default 8. */
  hiGroupSize?: number;
  /** HI level-2 pool in blocks (peers with a failure), default maxPeers (never exhausted). */
  hiBlocks?: number;
  /** Redirect spread S, 1..16, default 4: a failed port's flows spread over up to S healthy ports. */
  redirectSpread?: number;
  /**
   * Reserve a RecordArena (Datapath.records()) for classic pcap records in bulk with these input and
   * output areas, in bytes (each 64..2^30); default none.
   */
  records?: { inputBytes: number; outputBytes: number };
  /**
   * Reserve a TCP flow table of this many entries (a power of two, 16..2^22; 16 bytes each) and a
   * mark per packet of every batch, for Datapath.markRetransmits(); default 0, none.
   */
  retransmitFlows?: number;
}

/** One remote VTEP as Datapath.setPeer() takes it. */
export interface PeerConfig {
  /** Remote VTEP (outer destination) IPv4 address. */
  remoteIp: string;
  /** Outer destination MAC (the underlay next hop), default 02:00:00:00:00:02. */
  mac?: string;
  /** VXLAN network identifier, 0..16777215. */
  vni: number;
  /** Explicit candidate ports (1..64 of them, each 1..65535); by default candidatePorts() places config.candidates of them in the range. */
  candidates?: number[];
}

/**
 * A DatapathConfig after resolveConfig(): every default filled in, addresses parsed, ranges checked.
 * Fields mean what the DatapathConfig fields of the same name mean.
 */
export interface ResolvedConfig {
  /** Local VTEP IPv4 address, host order. */
  localIp: number;
  /** Local underlay MAC, six bytes. */
  localMac: Uint8Array;
  /** Outer TTL. */
  ttl: number;
  /** Outer DSCP (0..63). */
  dscp: number;
  /** VXLAN UDP destination port. */
  vxlanPort: number;
  /** Underlay MTU in bytes, 0 = no limit. */
  mtu: number;
  /** Flow-hash seed. */
  hashSeed: number;
  /** The only VNI decap accepts, or undefined for any. */
  decapVni: number | undefined;
  /** Source-port range for candidates. */
  portRange: PortRange;
  /** Candidates per peer. */
  candidates: number;
  /** Packets per batch. */
  batchSize: number;
  /** Bytes per slot, headroom included. */
  slotSize: number;
  /** Bytes in front of each frame. */
  headroom: number;
  /** Peer-table capacity. */
  maxPeers: number;
  /** Batches reserved. */
  batches: number;
  /** Fast-path table reserved for port choice. */
  table: DatapathTable;
  /** PBM priority groups G. */
  pbmGroups: number;
  /** PBM preference slots, a multiple of 4. */
  pbmPrefSlots: number;
  /** HI candidates per entry M (a power of two). */
  hiGroupSize: number;
  /** HI level-2 pool in blocks. */
  hiBlocks: number;
  /** Redirect spread S. */
  redirectSpread: number;
  /** The RecordArena's input and output areas, bytes; undefined: none reserved. */
  records: { inputBytes: number; outputBytes: number } | undefined;
  /** Entries of the TCP flow table for Datapath.markRetransmits(); 0: none reserved. */
  retransmitFlows: number;
}

function intIn(name: string, v: number | undefined, def: number, lo: number, hi: number): number {
  const x = v ?? def;
  if (!Number.isInteger(x) || x < lo || x > hi) throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
  return x;
}

/** Validate a configuration and fill in defaults; throws a RangeError naming the bad field. */
export function resolveConfig(c: DatapathConfig): ResolvedConfig {
  const slotSize = intIn('slotSize', c.slotSize, DEFAULT_SLOT_SIZE, MIN_SLOT_SIZE, MAX_SLOT_SIZE);
  if (slotSize % SLOT_ALIGN !== 0) throw new RangeError(`slotSize must be a multiple of ${SLOT_ALIGN}, got ${slotSize}`);
  const headroom = intIn('headroom', c.headroom, DEFAULT_HEADROOM, OUTER_LEN, slotSize - SLOT_ALIGN);
  if (headroom % 8 !== 0) throw new RangeError(`headroom must be a multiple of 8, got ${headroom}`);
  const r = c.portRange ?? DEFAULT_PORT_RANGE;
  const table = c.table ?? 'default';
  if (!(table in TABLE_CODES)) throw new RangeError(`table must be one of ${Object.keys(TABLE_CODES).join(', ')}, got ${String(c.table)}`);
  const hiGroupSize = intIn('hiGroupSize', c.hiGroupSize, 8, 1, 64);
  if ((hiGroupSize & (hiGroupSize - 1)) !== 0) throw new RangeError(`hiGroupSize must be a power of two, got ${hiGroupSize}`);
  const maxPeers = intIn('maxPeers', c.maxPeers, 1024, 1, 65535);
  const retransmitFlows = intIn('retransmitFlows', c.retransmitFlows, 0, 0, 2 ** 22);
  if (retransmitFlows !== 0 && (retransmitFlows < 16 || (retransmitFlows & (retransmitFlows - 1)) !== 0)) {
    throw new RangeError(`retransmitFlows must be 0 or a power of two in 16..${2 ** 22}, got ${retransmitFlows}`);
  }
  return {
    localIp: parseIPv4(c.localIp),
    localMac: parseMac(c.localMac ?? DEFAULT_LOCAL_MAC),
    ttl: intIn('ttl', c.ttl, 64, 1, 255),
    dscp: intIn('dscp', c.dscp, 0, 0, 63),
    vxlanPort: intIn('vxlanPort', c.vxlanPort, VXLAN_PORT, 1, 65535),
    mtu: intIn('mtu', c.mtu, 0, 0, 65535),
    hashSeed: intIn('hashSeed', c.hashSeed, 0, 0, 0xffffffff),
    decapVni: c.decapVni === undefined ? undefined : intIn('decapVni', c.decapVni, 0, 0, 0xffffff),
    portRange: { lo: intIn('portRange.lo', r.lo, 49152, 1, 65535), hi: intIn('portRange.hi', r.hi, 65535, 1, 65535) },
    candidates: intIn('candidates', c.candidates, DEFAULT_CANDIDATES, 1, MAX_CANDIDATES),
    batchSize: intIn('batchSize', c.batchSize, DEFAULT_BATCH_SIZE, 1, 65536),
    slotSize,
    headroom,
    maxPeers,
    batches: intIn('batches', c.batches, 1, 1, 64),
    table,
    pbmGroups: intIn('pbmGroups', c.pbmGroups, 4, 1, 64),
    pbmPrefSlots: Math.ceil(intIn('pbmPrefSlots', c.pbmPrefSlots, maxPeers, 0, 65536) / PBM_PREF_WAYS) * PBM_PREF_WAYS,
    hiGroupSize,
    hiBlocks: intIn('hiBlocks', c.hiBlocks, maxPeers, 0, 65535),
    redirectSpread: intIn('redirectSpread', c.redirectSpread, 4, 1, 16),
    records: c.records === undefined ? undefined : {
      inputBytes: intIn('records.inputBytes', c.records.inputBytes, 0, 64, 2 ** 30),
      outputBytes: intIn('records.outputBytes', c.records.outputBytes, 0, 64, 2 ** 30),
    },
    retransmitFlows,
  };
}

/** A peer as configured in a Datapath (Datapath.setPeer(), Datapath.peer()). */
export interface Peer {
  /** Index in the peer table (what PacketBatch.push() takes as `peer`). */
  readonly index: number;
  /** Remote VTEP IPv4 address, host order. */
  readonly remoteIp: number;
  /** VXLAN network identifier stamped on its packets. */
  readonly vni: number;
  /** Its candidate outer source ports, in candidate-index order. */
  readonly candidates: readonly number[];
  /** The table that chooses this peer's ports. */
  readonly table: DatapathTable;
}

/** The words of the core image (assembly/image.ts), in order. */
export const IMAGE_WORDS = [
  'peerBase', 'peerCount', 'seed', 'mtu', 'vxlanPort', 'vniFilter', 'ipId',
  'tableKind', 'tablePeers', 'tableN', 'tableMask',
  'flatBase', 'flatN', 'flatPeers',
  'pbmBase', 'pbmShiftBase', 'prefTagBase', 'prefShiftBase', 'pbmWords', 'pbmPeers', 'pbmN', 'pbmGroups', 'prefBuckets',
  'hiL1', 'hiL2', 'hiPeers', 'hiBlocks', 'hiN', 'hiE', 'hiShift',
  'redirectBase', 'redirectN', 'redirectS', 'redirectPeers',
] as const;

/** A datapath's linear memory and where its kernels find their state, for a native twin (bench/native/). */
export interface CoreImage {
  /** The core's linear memory (never grows after set-up). */
  memory: WebAssembly.Memory;
  /** IMAGE_WORDS as u32 values, read now (ipId changes with every encap). */
  words: Uint32Array;
  /** Batch i's descriptor and arena addresses. */
  batches: { desc: number; arena: number; slotSize: number; capacity: number }[];
}

const images = new WeakMap<Datapath, { core: CoreExports; at: number }>();

/**
 * The core's memory image of `dp`. Not part of the package's API (bindings/index.ts does not export
 * it): addresses stay inside the repository, for the bench's native twins and their tests.
 */
export function coreImage(dp: Datapath): CoreImage {
  const img = images.get(dp)!;
  img.core.coreImage(img.at);
  const words = new Uint32Array(img.core.memory.buffer, img.at, IMAGE_WORDS.length).slice();
  const batches = [];
  for (let i = 0; i < dp.config.batches; i++) {
    const r = dp.batch(i).region;
    batches.push({ desc: r.desc, arena: r.arena, slotSize: r.slotSize, capacity: r.capacity });
  }
  return { memory: img.core.memory, words, batches };
}

/**
 * `dp`'s Wasm core itself, for replay's bulk path (src/replay/bulk-*.ts, through bindings/replay-core.ts):
 * its kernels run on ranges of a batch and on replay's own regions. Like coreImage, not part of the
 * package's API.
 */
export function coreOf(dp: Datapath): CoreExports {
  return images.get(dp)!.core;
}

const flowTables = new WeakMap<Datapath, { table: number; mask: number }>();

/**
 * Where `dp`'s TCP flow table lies in its memory (address, slot mask), or undefined when none was
 * reserved. Like coreImage, not part of the package's API: for the twin tests.
 */
export function retransmitTable(dp: Datapath): { table: number; mask: number } | undefined {
  return flowTables.get(dp);
}

/**
 * The VXLAN fast path: one Wasm core instance with its peer table, packet batches and optional
 * fast-path table, all reserved by create() so that memory never grows and views stay valid. Runs
 * encap, decap and hash over a whole PacketBatch in one Wasm call. Synchronous and single-threaded:
 * use one Datapath per worker.
 */
export class Datapath {
  /** The configuration it was created with, defaults filled in. */
  readonly config: ResolvedConfig;
  readonly #core: CoreExports;
  readonly #batches: PacketBatch[];
  readonly #peers = new Map<number, Peer>();
  readonly #tableGeometry: TableGeometry | undefined;
  readonly #lookup: TableLookupBatch | undefined;
  readonly #records: RecordArena | undefined;
  /** The TCP flow table of markRetransmits (0: none) and its slot mask. */
  readonly #rtTable: number = 0;
  readonly #rtMask: number = 0;

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
      // A byte per packet for markRetransmits, only with a flow table.
      const marks = config.retransmitFlows > 0 ? c.reserve(config.batchSize) : 0;
      if (desc === 0 || arena === 0 || (config.retransmitFlows > 0 && marks === 0)) throw new Error(`cannot reserve Wasm memory for ${config.batches} batches of ${config.batchSize}`);
      regions.push({ memory: c.memory, desc, arena, capacity: config.batchSize, slotSize: config.slotSize, headroom: config.headroom, marks });
    }
    const [hi, lo] = macWords(config.localMac);
    c.setLocal(config.localIp, hi, lo);
    c.setOuter(config.ttl, config.dscp << 2, config.vxlanPort, config.mtu);
    c.setSeed(config.hashSeed);
    c.setVniFilter(config.decapVni ?? 0xffffffff);
    this.#batches = regions.map((r) => new PacketBatch(r));
    if (config.table !== 'default') {
      const shift = Math.log2(config.hiGroupSize);
      // The core's `groups` argument carries PBM's G, or the redirect table's spread S.
      const groups = config.table === 'redirect' ? config.redirectSpread : config.pbmGroups;
      if (!c.initTables(TABLE_CODES[config.table], config.maxPeers, config.candidates, groups, config.pbmPrefSlots, shift, config.hiBlocks)) {
        throw new Error(`cannot reserve Wasm memory for the ${config.table} table`);
      }
      const cap = config.batchSize;
      const hashes = c.reserve(cap * 4), peers = c.reserve(cap * 2), out = c.reserve(cap * 2);
      if (hashes === 0 || peers === 0 || out === 0) throw new Error('cannot reserve Wasm memory for table lookups');
      this.#lookup = new TableLookupBatch({ memory: c.memory, hashes, peers, out, capacity: cap });
      this.#tableGeometry = Object.freeze({
        kind: config.table, peers: config.maxPeers, candidates: config.candidates, pbmGroups: config.pbmGroups, pbmPrefSlots: config.pbmPrefSlots,
        hiGroupSize: config.hiGroupSize, hiBlocks: config.hiBlocks, redirectSpread: config.redirectSpread, reservedBytes: c.tableReservedBytes(),
      });
    }
    if (config.records !== undefined) {
      const { inputBytes, outputBytes } = config.records;
      const ctl = c.reserve(PC_SIZE), input = c.reserve(inputBytes), output = c.reserve(outputBytes);
      const ts = c.reserve(config.batchSize * TS_STRIDE), ports = c.reserve(65536 * 4);
      if (ctl === 0 || input === 0 || output === 0 || ts === 0 || ports === 0) throw new Error('cannot reserve Wasm memory for the record arena');
      this.#records = new RecordArena({ memory: c.memory, ctl, input, inputCap: inputBytes, output, outputCap: outputBytes, ts, ports });
    }
    if (config.retransmitFlows > 0) {
      this.#rtTable = c.reserve(config.retransmitFlows * RT_ENTRY);
      if (this.#rtTable === 0) throw new Error('cannot reserve Wasm memory for the TCP flow table');
      this.#rtMask = config.retransmitFlows - 1;
      flowTables.set(this, { table: this.#rtTable, mask: this.#rtMask });
    }
    // Last, 192 bytes for the core image a native twin reads (coreImage below).
    const image = c.reserve(IMAGE_WORDS.length * 4);
    if (image === 0) throw new Error('cannot reserve Wasm memory for the core image');
    images.set(this, { core: c, at: image });
  }

  /**
   * Instantiate the core and reserve all its memory. Throws a RangeError naming the bad field of
   * `config`, or an Error when the Wasm memory cannot be reserved.
   */
  static create(config: DatapathConfig): Datapath {
    return new Datapath(resolveConfig(config));
  }

  /** Batch number i (0 by default) of those reserved at creation. */
  batch(i = 0): PacketBatch {
    const b = this.#batches[i];
    if (!b) throw new RangeError(`batch ${i} not reserved (have ${this.#batches.length})`);
    return b;
  }

  /**
   * Configure (or reconfigure) peer `index` (0..maxPeers-1); returns the peer with its candidate
   * ports. Throws a RangeError on an index, VNI or port out of range, or a candidate count other than
   * config.candidates when a fast-path table is reserved; an Error on a malformed address.
   */
  setPeer(index: number, p: PeerConfig): Peer {
    intIn('peer index', index, 0, 0, this.config.maxPeers - 1);
    const ip = parseIPv4(p.remoteIp);
    const vni = intIn('vni', p.vni, 0, 0, 0xffffff);
    const cands = p.candidates ?? candidatePorts(this.config.portRange, this.config.candidates, ip, this.config.hashSeed);
    if (cands.length < 1 || cands.length > MAX_CANDIDATES) throw new RangeError(`a peer needs 1..${MAX_CANDIDATES} candidates, got ${cands.length}`);
    for (const port of cands) intIn('candidate port', port, 0, 1, 65535);
    const [hi, lo] = macWords(parseMac(p.mac ?? DEFAULT_PEER_MAC));
    if (!this.#core.setPeer(index, ip, hi, lo, vni, cands.length)) throw new Error(`peer ${index} rejected by the core`);
    cands.forEach((port, k) => this.#core.setCandidate(index, k, port));
    // A peer goes through the table when one is reserved; the table's rows have exactly N candidates.
    const table = this.config.table;
    if (table !== 'default' && cands.length !== this.config.candidates) {
      throw new RangeError(`the ${table} table holds ${this.config.candidates} candidates per peer, got ${cands.length}`);
    }
    if (table !== 'default' && !this.#core.setPeerTable(index, TABLE_CODES[table])) throw new Error(`peer ${index}: table rejected by the core`);
    const peer: Peer = { index, remoteIp: ip, vni, candidates: Object.freeze([...cands]), table };
    this.#peers.set(index, peer);
    return peer;
  }

  /** Peer `index` as configured, or undefined when it is not. */
  peer(index: number): Peer | undefined { return this.#peers.get(index); }

  /** Clear peer `index`: its packets then get Status.NO_PEER. Removing an unconfigured index is a no-op. */
  removePeer(index: number): void {
    this.#core.clearPeer(index);
    this.#peers.delete(index);
  }

  #own(b: PacketBatch): BatchRegion {
    if (!this.#batches.includes(b)) throw new Error('batch belongs to another Datapath');
    return b.region;
  }

  /**
   * Encapsulate every packet of the batch in place (one Wasm call): choose each packet's outer source
   * port, prepend the outer headers into the headroom. Returns the number encapsulated (status OK);
   * throws when the batch belongs to another Datapath.
   */
  encap(b: PacketBatch): number {
    const r = this.#own(b);
    return this.#core.encapBatch(r.desc, r.arena, b.length, r.slotSize);
  }

  /**
   * Validate and strip the outer headers of every packet of the batch (one Wasm call); output(i) is
   * then the inner frame, in place. Returns the number decapsulated (status OK).
   */
  decap(b: PacketBatch): number {
    const r = this.#own(b);
    return this.#core.decapBatch(r.desc, r.arena, b.length, r.slotSize);
  }

  /** Parse and flow-hash every packet of the batch without encapsulating (one Wasm call). Returns the number hashed. */
  hash(b: PacketBatch): number {
    const r = this.#own(b);
    return this.#core.hashBatch(r.desc, r.arena, b.length, r.slotSize);
  }

  /** The reserved fast-path table's shape, or undefined when ports use the default choice only. */
  get tableGeometry(): TableGeometry | undefined { return this.#tableGeometry; }

  #tableArgs(array: TableArrayName, index: number): number {
    if (this.#tableGeometry === undefined) throw new RangeError('no fast-path table reserved (config.table is default)');
    const code = ARRAY_CODES[array];
    if (code === undefined) throw new RangeError(`unknown table array ${String(array)}`);
    if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new RangeError(`table index must be a u32, got ${index}`);
    return code;
  }

  /** One register write into the table; throws a RangeError when the core refuses it (index or value out of range). */
  writeTable(array: TableArrayName, index: number, value: number): void {
    const code = this.#tableArgs(array, index);
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff || !this.#core.tableWrite(code, index, value)) {
      throw new RangeError(`${array}[${index}] = ${value} refused by the ${this.config.table} table`);
    }
  }

  /** Cells of one array of the reserved table (0 for an array of another kind). */
  tableCells(array: TableArrayName): number {
    const g = this.#tableGeometry;
    if (g === undefined) return 0;
    const n = g.candidates;
    switch (array) {
      case 'flat': return g.kind === 'flat' ? g.peers * n : 0;
      case 'pbm.bitmap': return g.kind === 'pbm' ? g.peers * (n <= 32 ? 1 : 2) : 0;
      case 'pbm.shift': return g.kind === 'pbm' ? g.pbmGroups : 0;
      case 'pbm.pref.tag': return g.kind === 'pbm' ? g.pbmPrefSlots : 0;
      case 'pbm.pref.shift': return g.kind === 'pbm' ? g.pbmPrefSlots * g.pbmGroups : 0;
      case 'hi.l1': return g.kind === 'hi' ? g.peers : 0;
      case 'hi.l2': return g.kind === 'hi' ? g.hiBlocks * Math.ceil(n / g.hiGroupSize) : 0;
      case 'redirect': return g.kind === 'redirect' ? g.peers * n * g.redirectSpread : 0;
      default: return 0;
    }
  }

  /** One register read from the table; throws a RangeError outside the array. */
  readTable(array: TableArrayName, index: number): number {
    const code = this.#tableArgs(array, index);
    if (index >= this.tableCells(array)) throw new RangeError(`${array}[${index}] outside the ${this.config.table} table`);
    return this.#core.tableRead(code, index) >>> 0;
  }

  /** Route peer `index` through the reserved table (true) or back to candidates[hash mod N] (false). */
  usePeerTable(index: number, on: boolean): void {
    const p = this.#peers.get(index);
    if (p === undefined) throw new RangeError(`peer ${index} is not configured`);
    const kind: DatapathTable = on ? this.config.table : 'default';
    if (!this.#core.setPeerTable(index, TABLE_CODES[kind])) throw new Error(`peer ${index}: table rejected by the core`);
    this.#peers.set(index, { ...p, table: kind });
  }

  /** The lookup batch reserved with the table (capacity = batchSize). */
  lookupBatch(): TableLookupBatch {
    if (this.#lookup === undefined) throw new RangeError('no fast-path table reserved (config.table is default)');
    return this.#lookup;
  }

  /** Look up lb.length (hash, peer) pairs in the table, one Wasm call; returns the number looked up. */
  lookup(lb: TableLookupBatch): number {
    if (lb !== this.#lookup) throw new Error('lookup batch belongs to another Datapath');
    const n = lb.length;
    if (!Number.isInteger(n) || n < 0 || n > lb.capacity) throw new RangeError(`lookup length ${n} outside 0..${lb.capacity}`);
    const r = lb.region;
    return this.#core.lookupBatch(r.hashes, r.peers, r.out, n);
  }

  /** The RecordArena reserved with config.records; throws a RangeError when none was. */
  records(): RecordArena {
    if (this.#records === undefined) throw new RangeError('no record arena reserved (config.records)');
    return this.#records;
  }

  /**
   * Walk the classic pcap records of the record arena's input into batch 0 (one Wasm call), from
   * where the last walk stopped, until the batch is full, the input ends inside a record, or a broken
   * record: returns PR_FULL, PR_NEED, PR_END (only with `eof`: no more bytes will come) or PR_ERROR,
   * and the arena says the details. batch(0).length follows.
   */
  ingestRecords(eof: boolean): number {
    const a = this.records(), r = a.region, b = this.#batches[0], br = b.region;
    a.count = b.length;
    const code = this.#core.pcapIngest(r.ctl, r.input, a.inputLen, eof ? 1 : 0, br.desc, br.arena, br.capacity, br.slotSize, r.ts);
    b.length = a.count;
    return code;
  }

  /**
   * Encode the results of batch 0's packets [from, length) as classic pcap records into the record
   * arena's output (one Wasm call), counting the dropped ones by status and the emitted ones by
   * source port. Returns where it stopped: batch(0).length when done, earlier when the output is
   * full (take it and call again) or at a timestamp a classic record cannot hold (arena.error).
   */
  emitRecords(from: number): number {
    const a = this.records(), r = a.region, b = this.#batches[0], br = b.region;
    return this.#core.pcapEmit(r.ctl, br.desc, br.arena, b.length, br.slotSize, r.ts, from, r.output, r.outputCap, r.ports);
  }

  /**
   * Mark the batch's TCP retransmissions (one Wasm call; run it after encap() or hash(), which find
   * each packet's inner headers and flow hash): a packet with status OK, an L4 key and inner TCP
   * (IPv4, or IPv6 without extension headers) whose payload ends no later than the highest sequence
   * end its flow has shown is marked, and PacketBatch.retransmitted(i) says so. A flow is the
   * packet's peer index with its flow hash (the same frame to two peers is two flows). A TCP segment
   * that ends later moves its flow's highest end up in the flow table (direct-mapped: a flow that
   * takes another's slot starts afresh) and records `nowMs` as the flow's last new data. A mark is
   * "after a stall" (PacketBatch.retransmittedAfterStall) when that was at least `stallMs` before
   * `nowMs`: a sender's retransmission timeout, as on a black-holed path, rather than a fast
   * retransmit of a flow still moving (as under congestion). Times are the caller's milliseconds,
   * taken mod 2^32; with the defaults (0, 0) every mark is after a stall. Returns the number marked.
   * Throws a RangeError when no flow table was reserved (DatapathConfig.retransmitFlows), the batch's
   * length is beyond its capacity, or a time is not a finite non-negative number.
   */
  markRetransmits(b: PacketBatch, nowMs = 0, stallMs = 0): number {
    const r = this.#own(b);
    if (this.#rtTable === 0) throw new RangeError('no TCP flow table reserved (DatapathConfig.retransmitFlows)');
    if (!(b.length >= 0 && b.length <= r.capacity)) throw new RangeError(`batch length ${b.length} outside 0..${r.capacity}`);
    if (!(Number.isFinite(nowMs) && nowMs >= 0)) throw new RangeError(`nowMs must be a finite non-negative number, got ${nowMs}`);
    if (!(Number.isInteger(stallMs) && stallMs >= 0 && stallMs <= 0xffffffff)) throw new RangeError(`stallMs must be an integer in 0..${0xffffffff}, got ${stallMs}`);
    return this.#core.tcpRetransmits(r.desc, r.arena, b.length, r.slotSize, r.marks ?? 0, this.#rtTable, this.#rtMask, Math.floor(nowMs) >>> 0, stallMs >>> 0);
  }

  /**
   * Forget the flows of the TCP flow table (markRetransmits then takes each flow's next segment as its
   * first): every flow, or only those of peer index `peer` (a peer removed, whose index a new peer
   * may take: its flows must not look like repeats of the old one's). Throws a RangeError for a peer
   * index outside 0..maxPeers-1.
   */
  clearRetransmitFlows(peer?: number): void {
    if (peer !== undefined && !(Number.isInteger(peer) && peer >= 0 && peer < this.config.maxPeers)) {
      throw new RangeError(`peer index must be an integer in 0..${this.config.maxPeers - 1}, got ${peer}`);
    }
    if (this.#rtTable === 0) return;
    const n = this.config.retransmitFlows;
    if (peer === undefined) { new Uint8Array(this.#core.memory.buffer, this.#rtTable, n * RT_ENTRY).fill(0); return; }
    // A scan of the table (a peer's flows may sit in any slot); rare: once per removed peer.
    const w = new Uint16Array(this.#core.memory.buffer, this.#rtTable, (n * RT_ENTRY) / 2);
    const stride = RT_ENTRY / 2, used = RT_USED / 2, of = RT_PEER / 2; // both u16 fields
    for (let e = 0; e < w.length; e += stride) if (w[e + used] !== 0 && w[e + of] === peer) w.fill(0, e, e + stride);
  }

  /** Next outer IPv4 identification, 0..65535 (advances by one per encapsulated packet). */
  get ipId(): number { return this.#core.getIpId(); }
  /** Set the next outer IPv4 identification (its low 16 bits), e.g. to continue a sequence. */
  set ipId(v: number) { this.#core.setIpId(v); }
}
