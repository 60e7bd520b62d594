// Replay's second pass: the frames again, in file order, through the Wasm datapath of their source VTEP
// (one Datapath per source VTEP, one encap call per batch). A flow the zooroute run kept on its default
// port is left to the datapath's own choice, candidates[hash mod N]; a flow zooroute moved gets the
// moved port forced in its descriptor for the bins it was moved. OUT receives the encapsulated frames
// with the capture's timestamps, addressed to the flow's first hop (across regions: the gateway of
// its region, as in the simulator). A batch is flushed when the source VTEP changes, to keep file order.
import { Datapath, Status, formatIPv4, statusName } from '../../bindings/index.js';
import { PcapReader, PcapWriter, LINKTYPE_ETHERNET, keptFlavour, type FlavourOverrides } from '../pcap/index.js';
import { BIN_MS, type World } from '../sim/index.js';
import { newInnerAddresses, readInnerAddressesAt } from './inner-address.js';
import { FlowIndex, MAX_REPLAY_FRAME, REPLAY_BATCH, REPLAY_SLOT, msAfter, type ProgressFn } from './capture-scan.js';
import type { VtepMapper } from './vtep-map.js';
import type { FlowKeyCache } from './flow-cache.js';

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
  /** OUT's format and timestamp resolution where not the input's. */
  flavour?: FlavourOverrides;
  progress?: ProgressFn;
}

export interface EncapResult {
  encapsulated: number;
  /** Frames encapsulated on a port the datapath was told (zooroute had moved their flow). */
  forced: number;
  /** Frames the datapath refused, by status name. */
  dropped: Record<string, number>;
  /** Encap calls made (one per batch). */
  batches: number;
}

interface Source { dp: Datapath; peers: Uint8Array }

export async function encapCapture(o: EncapOptions): Promise<EncapResult> {
  const { world, mapper, index, ports } = o;
  const res: EncapResult = { encapsulated: 0, forced: 0, dropped: {}, batches: 0 };
  const sources = new Map<number, Source>();
  const source = (v: number): Source => {
    let s = sources.get(v);
    if (!s) {
      const dp = Datapath.create({
        localIp: formatIPv4(world.vteps[v].ip), hashSeed: world.portSeed, portRange: world.portRange, candidates: world.candidateCount,
        batchSize: REPLAY_BATCH, slotSize: REPLAY_SLOT, maxPeers: world.vteps.length,
      });
      sources.set(v, (s = { dp, peers: new Uint8Array(world.vteps.length) }));
    }
    return s;
  };
  const peerOf = (src: Source, v: number): void => {
    if (src.peers[v] === 1) return;
    src.dp.setPeer(v, { remoteIp: formatIPv4(world.vteps[v].ip), vni: o.vni, candidates: [...world.candidates(world.vteps[v].ip)] });
    src.peers[v] = 1;
  };
  /** Packet i of the batch belongs to flow `id` (-1: unknown) with inner hash h: its peer and port. */
  const resolve = (i: number, id: number, h: number, src: Source): void => {
    const hop = id < 0 ? pD[i] : o.firstHop[id];
    peerOf(src, hop);
    const port = id < 0 ? 0 : (ports[id][pBin[i]] ?? 0);
    let def: number;
    if (id >= 0) def = o.defaultPortOf[id];
    else { const cands = world.candidates(world.vteps[hop].ip); def = cands[h % cands.length]; }
    const forced = port !== 0 && port !== def ? port : 0;
    if (forced !== 0) res.forced++;
    pHop[i] = hop;
    pForced[i] = forced;
  };
  // Opened once the input's header is decoded, to keep its format, resolution and snaplen; frames
  // the outer headers make longer than the snaplen are written whole.
  let writer: PcapWriter | undefined;
  const openWriter = async (r: PcapReader): Promise<void> => {
    if (o.out !== undefined && !writer) writer = await PcapWriter.open(o.out, { ...keptFlavour(r, o.flavour), cut: false });
  };
  const a = newInnerAddresses();
  // Per packet of the pending batch: destination VTEP, bin, and the peer row and forced port when the
  // memo already knew its flow (pHop = -1: resolve after the batch's hash call).
  const pD = new Int32Array(REPLAY_BATCH), pBin = new Int32Array(REPLAY_BATCH);
  const pHop = new Int32Array(REPLAY_BATCH), pForced = new Uint16Array(REPLAY_BATCH);
  let misses = 0;
  const pSec = new Float64Array(REPLAY_BATCH), pNsec = new Float64Array(REPLAY_BATCH);
  let cur = -1;

  const flush = (): void => {
    if (cur < 0) return;
    const src = source(cur);
    const { dp } = src;
    const b = dp.batch();
    const n = b.length;
    if (n === 0) return;
    if (misses > 0) {
      // One hash call for the batch; it rewrites the descriptors, so every packet's peer is set again.
      dp.hash(b);
      for (let i = 0; i < n; i++) {
        if (pHop[i] < 0) {
          const h = b.hash(i);
          const id = index.get(cur, pD[i], h);
          resolve(i, id === undefined ? -1 : id, h, src);
        }
        b.setPeer(i, pHop[i], pForced[i]);
      }
      misses = 0;
    }
    dp.encap(b);
    res.batches++;
    // Results straight from Wasm memory into the writer's buffer: no view or record per frame.
    const mem = b.bytes();
    for (let i = 0; i < n; i++) {
      const st = b.status(i);
      if (st !== Status.OK) { const k = statusName(st); res.dropped[k] = (res.dropped[k] ?? 0) + 1; continue; }
      res.encapsulated++;
      if (writer) writer.writeFrom(mem, b.outputStart(i), b.outputLength(i), pSec[i], pNsec[i]);
    }
    b.clear();
  };

  const r = await PcapReader.open(o.input);
  try {
    // Records as columns: fields by index, frames read and copied in place, no object per record.
    for await (const c of r.columns()) {
      await openWriter(r);
      const buf = c.buf;
      for (let k = 0; k < c.length; k++) {
        const start = c.dataStart[k], len = c.dataLen[k];
        if (c.linkType[k] !== LINKTYPE_ETHERNET || len > MAX_REPLAY_FRAME) continue;
        readInnerAddressesAt(buf, start, len, a);
        const id = o.cache.get(a);
        const s = id >= 0 ? o.srcOf[id] : mapper.vtepOf(a.family, a.src);
        const d = id >= 0 ? o.dstOf[id] : mapper.vtepOf(a.family, a.dst);
        if (s === d) continue;
        if (s !== cur) { flush(); cur = s; }
        const src = source(s);
        const b = src.dp.batch();
        const i = b.length;
        const tsSec = c.tsSec[k], tsNsec = c.tsNsec[k];
        pD[i] = d;
        pBin[i] = Math.floor(msAfter(tsSec, tsNsec, o.t0Sec, o.t0Nsec) / BIN_MS);
        if (id >= 0) resolve(i, id, o.hashOf[id], src);
        else { pHop[i] = -1; pForced[i] = 0; misses++; }
        b.pushFrom(buf, start, len, id >= 0 ? pHop[i] : d, pForced[i]);
        pSec[i] = tsSec; pNsec[i] = tsNsec;
        if (b.full) flush();
      }
      o.progress?.('encap', r.recordOffset);
    }
    flush();
    await openWriter(r);
  } finally {
    await r.close();
    await writer?.close();
  }
  return res;
}
