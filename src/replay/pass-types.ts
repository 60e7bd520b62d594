// What replay's two passes (capture-scan.ts, encap-pass.ts) and their bulk paths (bulk-scan.ts,
// bulk-encap.ts) share: the batch geometry, the flow index, and each pass's options and result. Kept
// apart so that a pass and its bulk path import it, not each other.
import { DEFAULT_BATCH_SIZE, DEFAULT_HEADROOM, type PortRange } from '../../bindings/index.js';
import type { ReplayCore } from '../../bindings/replay-core.js';
import type { EthernetFramer, FlavourOverrides, PcapWriter } from '../pcap/index.js';
import type { World } from '../sim/index.js';
import type { VtepMapper } from './vtep-map.js';
import type { FlowKeyCache } from './flow-cache.js';

/** Bytes per Wasm slot in both passes; frames longer than the slot's frame area are skipped. */
export const REPLAY_SLOT = 16384;
/** Frames per Wasm batch in both passes: the datapath's default batch. */
export const REPLAY_BATCH = DEFAULT_BATCH_SIZE;
/** The longest frame replayed: a slot less the datapath's default 64-byte headroom. */
export const MAX_REPLAY_FRAME = REPLAY_SLOT - DEFAULT_HEADROOM;

/**
 * Progress of a replay, called after each batch of records: which pass (`scan` maps and counts, `encap`
 * writes) and how many bytes of the capture that pass has read. A progress bar divides by the file size.
 */
export type ProgressFn = (phase: 'scan' | 'encap', bytesDone: number) => void;

/** One flow found in the capture, before the world's segments are attached. */
export interface CaptureFlow {
  id: number;
  src: number;
  dst: number;
  hash: number;
  family: number;
  srcAddr: number;
  dstAddr: number;
  proto: number;
  sport: number;
  dport: number;
  bytes: number;
  packets: number;
  /** counts[b] = packets in bin b (grown on demand; bins past its end hold 0). */
  counts: Uint32Array;
}

/** What became of the capture's records in replay's first pass; the four counts add up as total = skipped + local + replayed. */
export interface FrameCounts {
  /** Records in the file. */
  total: number;
  /** Not Ethernet, or longer than a slot: not replayed. */
  skipped: number;
  /** Source and destination served by the same VTEP: delivered locally, never encapsulated. */
  local: number;
  /** Replayed through the datapath and the underlay. */
  replayed: number;
}

export interface ScanResult {
  frames: FrameCounts;
  flows: CaptureFlow[];
  /** Bins spanned by the capture (last packet's bin + 1, at least 1). */
  bins: number;
  /** Timestamp of the first record, the replay's time zero: seconds and nanoseconds. */
  t0Sec: number;
  t0Nsec: number;
  /** The bulk path's core, made as ScanOptions.share says, for the encap pass. */
  core?: ReplayCore;
}

/** Flow ids by (source VTEP, destination VTEP) then by hash; shared by both passes. */
export class FlowIndex {
  readonly #byPair = new Map<number, Map<number, number>>();
  /** The last pair asked for and its map: consecutive frames mostly share their VTEP pair. */
  #lastPair = -1;
  #lastMap: Map<number, number> | undefined;
  constructor(private readonly vtepCount: number) {}
  get(src: number, dst: number, hash: number): number | undefined {
    const k = src * this.vtepCount + dst;
    if (k !== this.#lastPair) { this.#lastPair = k; this.#lastMap = this.#byPair.get(k); }
    return this.#lastMap?.get(hash);
  }
  set(src: number, dst: number, hash: number, id: number): void {
    const k = src * this.vtepCount + dst;
    let m = this.#byPair.get(k);
    if (!m) this.#byPair.set(k, (m = new Map()));
    m.set(hash, id);
    if (k === this.#lastPair) this.#lastMap = m;
  }
}

/** Milliseconds of a record after time zero (earlier records count as time zero). */
export function msAfter(tsSec: number, tsNsec: number, t0Sec: number, t0Nsec: number): number {
  const ms = (tsSec - t0Sec) * 1000 + (tsNsec - t0Nsec) / 1e6;
  return ms > 0 ? ms : 0;
}

export interface ScanOptions {
  mapper: VtepMapper;
  index: FlowIndex;
  /** Memo of 5-tuple -> flow id, filled here and used again by the encap pass. */
  cache: FlowKeyCache;
  /** The datapath's flow-hash seed (the encap pass uses the same). */
  hashSeed: number;
  /** `--dlt enet`: frames of other link types get an Ethernet header (else they are skipped). */
  enet?: EthernetFramer;
  progress?: ProgressFn;
  /** false: always the general path below (tests compare the two); default: the bulk path where it applies. */
  bulk?: boolean;
  /**
   * Bulk path: make its core fit for the encap pass too (this many peer rows, the world's port range
   * and candidate count) and hand it on in the result: one core per replay, the memo already warm.
   */
  share?: { peers: number; portRange: PortRange; candidates: number };
}

export interface EncapOptions {
  input: string;
  world: World;
  mapper: VtepMapper;
  index: FlowIndex;
  /** The scan's 5-tuple memo: a hit gives the flow (so its first hop and port) before the hash. */
  cache: FlowKeyCache;
  /** Per flow: source and destination VTEP and inner hash (as the scan found them). */
  srcOf: Int32Array;
  dstOf: Int32Array;
  hashOf: Uint32Array;
  /** Per flow: its default port towards its first hop, candidates[hash mod N]. */
  defaultPortOf: Uint16Array;
  /** Per flow: the VTEP its first segment goes to (a gateway across regions, else the destination). */
  firstHop: Int32Array;
  /** zooroute's first-segment port per flow and bin (0 = none recorded). */
  ports: readonly Uint16Array[];
  t0Sec: number;
  t0Nsec: number;
  vni: number;
  out?: string;
  /**
   * Leave OUT complete but not yet renamed into place: returned as `output`, for the caller to close()
   * (rename) once its other outputs are written too, or abort(). Default: closed here.
   */
  holdOutput?: boolean;
  /** OUT's format and timestamp resolution where not the input's. */
  flavour?: FlavourOverrides;
  progress?: ProgressFn;
  /** The scan's `--dlt enet` framer: the same frames must be found again. */
  enet?: EthernetFramer;
  /** false: always the general path below (tests compare the two); default: the bulk path where it applies. */
  bulk?: boolean;
  /** The bulk scan's core (ScanResult.core): the bulk path uses it when its peer rows suffice. */
  core?: ReplayCore;
}

export interface EncapResult {
  encapsulated: number;
  /** Frames encapsulated on a port the datapath was told (zooroute had moved their flow). */
  forced: number;
  /** Frames the datapath refused, by status name. */
  dropped: Record<string, number>;
  /** Encap calls made (one per batch). */
  batches: number;
  /** OUT, with holdOutput: written in full, not yet in place. */
  output?: PcapWriter;
}

/** Packets per bin counted into flow f, growing its bins as the general path does. */
export function countInto(f: CaptureFlow, b: number, len: number): void {
  if (b >= f.counts.length) {
    const grown = new Uint32Array(Math.max(b + 1, f.counts.length * 2));
    grown.set(f.counts);
    f.counts = grown;
  }
  f.counts[b]++;
  f.packets++;
  f.bytes += len;
}

/** `n` packets of `bytes` bytes in all counted into flow f's bin b (a tally from the bulk path's Wasm). */
export function countManyInto(f: CaptureFlow | undefined, b: number, n: number, bytes: number): void {
  if (f === undefined) throw new Error('replay: a tally for a flow the scan does not know');
  if (b >= f.counts.length) {
    const grown = new Uint32Array(Math.max(b + 1, f.counts.length * 2));
    grown.set(f.counts);
    f.counts = grown;
  }
  f.counts[b] += n;
  f.packets += n;
  f.bytes += bytes;
}

/**
 * The flow of (src VTEP, dst VTEP, inner hash): the one `index` knows, else a new one (its id the next
 * in `flows`, its bins sized to reach `bin`), indexed and appended. Both scans find flows here, so the
 * bulk path and the general one number them alike.
 */
export function flowFor(flows: CaptureFlow[], index: FlowIndex, src: number, dst: number, hash: number,
  family: number, srcAddr: number, dstAddr: number, proto: number, sport: number, dport: number, bin: number): CaptureFlow {
  const id = index.get(src, dst, hash);
  if (id !== undefined) return flows[id]!;
  const f: CaptureFlow = {
    id: flows.length, src, dst, hash, family, srcAddr, dstAddr, proto, sport, dport, bytes: 0, packets: 0,
    counts: new Uint32Array(Math.max(16, bin + 1)),
  };
  index.set(src, dst, hash, f.id);
  flows.push(f);
  return f;
}
