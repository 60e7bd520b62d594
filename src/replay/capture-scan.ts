// Replay's first pass over a capture: every frame's inner addresses are mapped to its source and
// destination VTEPs, the frames are hashed by the Wasm datapath (one hash call per batch of 256), and
// frames with the same (source VTEP, destination VTEP, inner flow hash) become one flow with a packet
// count per 100 ms bin. A 5-tuple memo (flow-cache.ts) spares repeated TCP/UDP frames the hash call.
// Memory grows with flows x bins, never with the number of packets.
import { Datapath } from '../../bindings/index.js';
import { PcapReader, LINKTYPE_ETHERNET } from '../pcap/index.js';
import { bulkScan } from './bulk-scan.js';
import { MAX_REPLAY_FRAME, REPLAY_BATCH, REPLAY_SLOT, countInto, flowFor, msAfter, type CaptureFlow, type FrameCounts, type ScanOptions, type ScanResult } from './pass-types.js';
export { FlowIndex, MAX_REPLAY_FRAME, REPLAY_BATCH, REPLAY_SLOT, msAfter, type CaptureFlow, type FrameCounts, type ProgressFn, type ScanOptions, type ScanResult } from './pass-types.js';
import { BIN_MS } from '../sim/index.js';
import { newInnerAddresses, readInnerAddressesAt } from './inner-address.js';

export async function scanCapture(path: string, o: ScanOptions): Promise<ScanResult> {
  const r = await PcapReader.open(path);
  try {
    // A classic Ethernet pcap takes the bulk path (bulk-scan.ts): no JS per frame the memo knows.
    const layout = o.bulk !== false ? await r.classicHeader() : undefined;
    if (layout !== undefined && layout.linkType === LINKTYPE_ETHERNET) return await bulkScan(r, layout, o);
    return await columnScan(r, o);
  } finally {
    await r.close();
  }
}

/** The general path: records as columns, a JS decision per frame, the Wasm hash for memo misses. */
async function columnScan(r: PcapReader, o: ScanOptions): Promise<ScanResult> {
  const { mapper, index, cache } = o;
  const dp = Datapath.create({ localIp: '0.0.0.1', hashSeed: o.hashSeed, batchSize: REPLAY_BATCH, slotSize: REPLAY_SLOT, maxPeers: 1 });
  const batch = dp.batch();
  const frames: FrameCounts = { total: 0, skipped: 0, local: 0, replayed: 0 };
  const flows: CaptureFlow[] = [];
  const a = newInnerAddresses();
  // Per packet of the pending batch: what the flow needs if the packet opens one.
  const pS = new Int32Array(REPLAY_BATCH), pD = new Int32Array(REPLAY_BATCH), pBin = new Int32Array(REPLAY_BATCH);
  const pFam = new Uint8Array(REPLAY_BATCH), pProto = new Uint8Array(REPLAY_BATCH), pLen = new Uint32Array(REPLAY_BATCH), pL4 = new Uint8Array(REPLAY_BATCH);
  const pSrc = new Uint32Array(REPLAY_BATCH), pDst = new Uint32Array(REPLAY_BATCH), pSp = new Uint16Array(REPLAY_BATCH), pDp = new Uint16Array(REPLAY_BATCH);
  let maxBin = 0;
  let t0Sec = -1, t0Nsec = 0;


  const flush = (): void => {
    const n = batch.length;
    if (n === 0) return;
    dp.hash(batch);
    for (let i = 0; i < n; i++) {
      const f = flowFor(flows, index, pS[i], pD[i], batch.hash(i), pFam[i], pSrc[i], pDst[i], pProto[i], pSp[i], pDp[i], pBin[i]);
      if (pL4[i]) cache.set(pSrc[i], pDst[i], pProto[i], pSp[i], pDp[i], f.id);
      countInto(f, pBin[i], pLen[i]);
    }
    batch.clear();
  };

  // Records as columns: fields by index, frames read and copied in place, no object per record.
  for await (const c of r.columns()) {
    const buf = c.buf;
    for (let k = 0; k < c.length; k++) {
      frames.total++;
      const tsSec = c.tsSec[k], tsNsec = c.tsNsec[k];
      if (t0Sec < 0) { t0Sec = tsSec; t0Nsec = tsNsec; }
      // The frame is buf[start, start + len): in the read buffer, or (`--dlt enet` on another link
      // type) the framer's rebuilt Ethernet frame.
      let f = buf, start = c.dataStart[k], len = c.dataLen[k];
      const linkType = c.linkType[k];
      if (linkType !== LINKTYPE_ETHERNET) {
        const e = o.enet?.frame(linkType, buf.subarray(start, start + len));
        if (e === undefined) { frames.skipped++; continue; }
        f = e; start = 0; len = e.length;
      }
      if (len > MAX_REPLAY_FRAME) { frames.skipped++; continue; }
      readInnerAddressesAt(f, start, len, a);
      const bin = Math.floor(msAfter(tsSec, tsNsec, t0Sec, t0Nsec) / BIN_MS);
      const hit = cache.get(a);
      if (hit >= 0) { frames.replayed++; if (bin > maxBin) maxBin = bin; countInto(flows[hit], bin, len); continue; }
      const s = mapper.vtepOf(a.family, a.src), d = mapper.vtepOf(a.family, a.dst);
      if (s === d) { frames.local++; continue; }
      frames.replayed++;
      if (bin > maxBin) maxBin = bin;
      const i = batch.pushFrom(f, start, len, 0);
      pL4[i] = a.l4 ? 1 : 0;
      pS[i] = s; pD[i] = d; pBin[i] = bin; pFam[i] = a.family; pProto[i] = a.proto; pLen[i] = len;
      pSrc[i] = a.src; pDst[i] = a.dst; pSp[i] = a.sport; pDp[i] = a.dport;
      if (batch.full) flush();
    }
    o.progress?.('scan', r.recordOffset);
  }
  flush();
  return { frames, flows, bins: maxBin + 1, t0Sec: Math.max(0, t0Sec), t0Nsec };
}
