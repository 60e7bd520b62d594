// Streaming a capture through one Datapath kernel batch by batch (one Wasm call per batch, input
// order and timestamps kept), counting drops by reason: the pipeline behind `zooroute encap` and
// `zooroute decap`, which add only their flags and their summary line (src/cli/).
import { Datapath, DEFAULT_HEADROOM, slotSizeForFrame, statusName, type PacketBatch, type ResultDropped, type ResultOk } from '../../bindings/index.js';
import { PcapReader } from './reader.js';
import { PcapWriter, type WriterOptions } from './writer.js';
import { LINKTYPE_ETHERNET } from './record.js';
import { keptFlavour, type FlavourOverrides } from './flavour.js';
import type { EthernetFramer } from './to-ethernet.js';
import { bulkArenaFor, bulkTransform } from './bulk-records.js';

/** What transformCapture() did: the counts encap's and decap's summaries report. */
export interface CaptureRun {
  /** Input path (`-` for standard input). */
  input: string;
  /** Output path (`-` for standard output). */
  output: string;
  /** The input's format. */
  format: 'pcap' | 'pcapng';
  /** Frames read. frames = ok + the sum of dropped. */
  frames: number;
  /** Frames the kernel turned out with status OK, all written. */
  ok: number;
  /** Reason -> frames dropped for it. */
  dropped: Record<string, number>;
  /** Slot size chosen for the capture's snaplen (0 when the capture held no frame). */
  slotSize: number;
}

/** What to stream where: the input and output captures and the Datapath kernel between them. */
export interface TransformSpec {
  /** Input capture (classic pcap or pcapng, Ethernet), or `-` for standard input. */
  input: string;
  /** Output capture, written atomically, or `-` for standard output. */
  output: string;
  /** Largest input frame the kernel can take; longer ones are dropped as `oversize`. */
  maxFrame: number;
  /**
   * Build the datapath, with slots of `slotSize` bytes (room for the snaplen after DEFAULT_HEADROOM),
   * once the capture's snaplen is known; with `records` (the bulk path), that record arena reserved too
   * (DatapathConfig.records).
   */
  datapath(slotSize: number, records?: { inputBytes: number; outputBytes: number }): Datapath;
  /** Run the kernel over the whole batch (one Wasm call). */
  kernel(dp: Datapath, batch: PacketBatch): void;
  /** Called for every frame written (the batch index), e.g. to tally VNIs (a JS call per frame). */
  onOk?(batch: PacketBatch, i: number): void;
  /** Frames written per outer source port (encap), indexed by port: added to for every frame written. */
  ports?: Float64Array;
  /** false: always the general path (tests compare the two); default: the bulk path where it applies. */
  bulk?: boolean;
  /** Output format and timestamp resolution, where not the input's (the CLI's --format, --nano). */
  flavour?: FlavourOverrides;
  /**
   * `--dlt enet`: frames of other link types get an Ethernet header first (those it cannot convert are
   * dropped under its reason). Without it a link type other than Ethernet is an input error.
   */
  enet?: EthernetFramer;
}

/** Bytes of the Ethernet header `--dlt enet` may add to a frame (raw IP). */
const ENET_HEADER = 14;

/** Slot size for frames up to `snaplen` bytes (0 = unlimited), capped by what the kernel takes. */
function slotSizeFor(snaplen: number, maxFrame: number): number {
  return slotSizeForFrame(snaplen === 0 ? maxFrame : Math.min(snaplen, maxFrame), DEFAULT_HEADROOM);
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/**
 * Stream `input` through the kernel into `output`. The output is written atomically: on broken input
 * (an InputError) or any other failure it is discarded and an existing file at its path is untouched.
 */
export async function transformCapture(spec: TransformSpec): Promise<CaptureRun> {
  const enet = spec.enet;
  const reader = await PcapReader.open(spec.input, enet ? {} : { linkType: LINKTYPE_ETHERNET });
  const run: CaptureRun = { input: spec.input, output: spec.output, format: reader.format, frames: 0, ok: 0, dropped: {}, slotSize: 0 };
  let writer: PcapWriter | undefined;
  let dp: Datapath | undefined;
  let batch: PacketBatch | undefined;
  let maxFrame = 0;
  let tsSec = new Float64Array(0);
  let tsNsec = new Float64Array(0);
  // The input's format, resolution and snaplen, known once its header is decoded. Frames the kernel
  // made longer than the snaplen (encap) are written whole, not cut.
  const writerOptions = (): WriterOptions => ({ ...keptFlavour(reader, spec.flavour), cut: false });

  // How a batch is drained (made once): frames that came out go straight from Wasm memory into the
  // writer's buffer with their timestamps (no view or record per frame), the others are counted by status.
  let mem: Uint8Array = new Uint8Array(0);
  const ports = spec.ports;
  const onOk: ResultOk = (i, b) => {
    writer!.writeFrom(mem, b.outputStart(i), b.outputLength(i), tsSec[i], tsNsec[i]);
    if (ports) ports[b.sport(i)]++;
    spec.onOk?.(b, i);
    run.ok++;
  };
  const onDropped: ResultDropped = (_i, st) => { bump(run.dropped, statusName(st)); };

  const flushBatch = (): void => {
    if (!dp || !batch || batch.length === 0 || !writer) return;
    spec.kernel(dp, batch);
    mem = batch.bytes();
    batch.forEachResult(onOk, onDropped);
    batch.clear();
  };

  try {
    // Classic Ethernet pcap in and classic pcap out take the bulk path: no JS per frame (docs/pcap.md).
    const layout = await reader.classicHeader();
    if (layout !== undefined && layout.linkType === LINKTYPE_ETHERNET && spec.bulk !== false && writerOptions().format === 'pcap') {
      run.slotSize = slotSizeFor(enet && layout.snaplen !== 0 ? layout.snaplen + ENET_HEADER : layout.snaplen, spec.maxFrame);
      dp = spec.datapath(run.slotSize, bulkArenaFor(layout));
      writer = await PcapWriter.open(spec.output, writerOptions());
      const c = await bulkTransform({ reader, layout, dp, writer, maxFrame: spec.maxFrame, kernel: spec.kernel, onOk: spec.onOk, ports });
      run.frames = c.frames;
      run.ok = c.ok;
      run.dropped = c.dropped;
      if (run.frames === 0) run.slotSize = 0; // as on the general path: no frame, no datapath
    } else {
    // Records as columns: an Ethernet frame is copied once, from the read buffer into a batch slot;
    // only a frame `--dlt enet` gives an Ethernet header is viewed (and rebuilt) on the way.
    for await (const c of reader.columns()) for (let r = 0; r < c.length; r++) {
      run.frames++;
      if (!dp) {
        // A frame given an Ethernet header may be 14 bytes longer than the capture's snaplen.
        run.slotSize = slotSizeFor(enet && reader.snaplen !== 0 ? reader.snaplen + ENET_HEADER : reader.snaplen, spec.maxFrame);
        dp = spec.datapath(run.slotSize);
        batch = dp.batch();
        maxFrame = Math.min(batch.maxFrame, spec.maxFrame);
        tsSec = new Float64Array(batch.capacity);
        tsNsec = new Float64Array(batch.capacity);
      }
      writer ??= await PcapWriter.open(spec.output, writerOptions());
      const start = c.dataStart[r], len = c.dataLen[r], linkType = c.linkType[r];
      // A frame cut by the capture's snaplen is not the frame that was on the wire.
      if (len < c.origLen[r]) { bump(run.dropped, 'truncated'); continue; }
      let i: number;
      if (enet === undefined || linkType === LINKTYPE_ETHERNET) {
        if (len > maxFrame) { bump(run.dropped, 'oversize'); continue; }
        i = batch!.pushFrom(c.buf, start, len, 0);
      } else {
        const frame = enet.frame(linkType, c.buf.subarray(start, start + len));
        if (frame === undefined) { bump(run.dropped, enet.refused); continue; }
        if (frame.length > maxFrame) { bump(run.dropped, 'oversize'); continue; }
        i = batch!.push(frame, 0);
      }
      tsSec[i] = c.tsSec[r];
      tsNsec[i] = c.tsNsec[r];
      if (batch!.full) flushBatch();
    }
    flushBatch();
    }
  } catch (e) {
    // Broken input, a full disk, anything: no partial output; an existing file keeps its bytes.
    writer?.abort();
    throw e;
  } finally {
    await reader.close();
  }
  writer ??= await PcapWriter.open(spec.output, writerOptions());
  await writer.close(); // renames the complete capture into place
  return run;
}
