// Replay's second pass: the frames again, in file order, through the Wasm datapath of their source VTEP
// (one Datapath per source VTEP, one encap call per batch). A flow the zooroute run kept on its default
// port is left to the datapath's own choice, candidates[hash mod N]; a flow zooroute moved gets the
// moved port forced in its descriptor for the bins it was moved. OUT receives the encapsulated frames
// with the capture's timestamps, addressed to the flow's first hop (across regions: the gateway of
// its region, as in the simulator). A batch is flushed when the source VTEP changes, to keep file order.
import { Datapath, formatIPv4, statusName, type ResultDropped, type ResultOk } from '../../bindings/index.js';
import { PcapReader, PcapWriter, LINKTYPE_ETHERNET, keptFlavour } from '../pcap/index.js';
import { BIN_MS } from '../sim/index.js';
import { newInnerAddresses, readInnerAddressesAt } from './inner-address.js';
import { MAX_REPLAY_FRAME, REPLAY_BATCH, REPLAY_SLOT, msAfter, type EncapOptions, type EncapResult } from './pass-types.js';
export type { EncapOptions, EncapResult } from './pass-types.js';
import { bulkEncap } from './bulk-encap.js';

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
  // How a batch is drained (made once for the run): frames that came out go straight from Wasm
  // memory into the writer's buffer with their capture timestamps (no view or record per frame), the
  // others are counted by status.
  let mem: Uint8Array = new Uint8Array(0);
  const onOk: ResultOk = (i, b) => {
    res.encapsulated++;
    if (writer) writer.writeFrom(mem, b.outputStart(i), b.outputLength(i), pSec[i], pNsec[i]);
  };
  const onDropped: ResultDropped = (_i, st) => { const k = statusName(st); res.dropped[k] = (res.dropped[k] ?? 0) + 1; };

  const flush = (): void => {
    if (cur < 0) return;
    const src = source(cur);
    const { dp } = src;
    const b = dp.batch();
    const n = b.length;
    if (n === 0) return;
    if (misses > 0) {
      // One hash call for the batch, only when the memo missed; then every packet's peer row and
      // forced port are written into its descriptor (encap hashes again, in the same call).
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
    mem = b.bytes();
    b.forEachResult(onOk, onDropped);
    b.clear();
  };

  const r = await PcapReader.open(o.input);
  try {
    // A classic Ethernet pcap, written (if at all) as classic pcap, takes the bulk path (bulk-encap.ts).
    const layout = o.bulk !== false ? await r.classicHeader() : undefined;
    if (layout !== undefined && layout.linkType === LINKTYPE_ETHERNET && (o.out === undefined || keptFlavour(r, o.flavour).format === 'pcap')) {
      await openWriter(r);
      await bulkEncap(o, r, layout, writer, res);
    } else {
      // Records as columns: fields by index, frames read and copied in place, no object per record.
      for await (const c of r.columns()) {
        await openWriter(r);
        const buf = c.buf;
        for (let k = 0; k < c.length; k++) {
          // The frame is f[start, start + len): in the read buffer, or (`--dlt enet` on another link
          // type) the framer's rebuilt Ethernet frame.
          let f = buf, start = c.dataStart[k], len = c.dataLen[k];
          const linkType = c.linkType[k];
          if (linkType !== LINKTYPE_ETHERNET) {
            const e = o.enet?.frame(linkType, buf.subarray(start, start + len));
            if (e === undefined) continue;
            f = e; start = 0; len = e.length;
          }
          if (len > MAX_REPLAY_FRAME) continue;
          readInnerAddressesAt(f, start, len, a);
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
          b.pushFrom(f, start, len, id >= 0 ? pHop[i] : d, pForced[i]);
          pSec[i] = tsSec; pNsec[i] = tsNsec;
          if (b.full) flush();
        }
        o.progress?.('encap', r.recordOffset);
      }
      flush();
      await openWriter(r);
    }
  } catch (e) {
    writer?.abort(); // a broken capture: no partial output, an existing file untouched
    throw e;
  } finally {
    await r.close();
  }
  if (o.holdOutput) res.output = writer;
  else await writer?.close();
  return res;
}
