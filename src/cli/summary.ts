// What `encap` and `decap` share: streaming a capture through one Datapath kernel batch by batch (one
// Wasm call per batch, input order and timestamps kept), counting drops by reason, and the summary
// both report (one stderr line; with --json one JSON document on stdout).
import { resolve } from 'node:path';
import { Datapath, Status, statusName, type PacketBatch } from '../../bindings/index.js';
import { InputError, UsageError } from './errors.js';
import { PcapReader } from '../pcap/reader.js';
import { PcapWriter, type WriterOptions } from '../pcap/writer.js';
import { LINKTYPE_ETHERNET } from '../pcap/record.js';
import { keptFlavour, type FlavourOverrides } from '../pcap/flavour.js';
import { STDIO_PATH } from '../pcap/stdio.js';

/** Bytes reserved in front of each frame in a slot (room for the 50-byte outer header). */
const HEADROOM = 64;
/** The largest slot the bindings accept. */
const MAX_SLOT = 65536 + 128;

export interface CaptureRun {
  input: string;
  output: string;
  format: 'pcap' | 'pcapng';
  frames: number;
  /** Frames the kernel turned out with status OK, all written. */
  ok: number;
  /** Reason -> frames dropped for it. */
  dropped: Record<string, number>;
  /** Slot size chosen for the capture's snaplen (0 when the capture held no frame). */
  slotSize: number;
}

export interface TransformSpec {
  input: string;
  output: string;
  /** Largest input frame the kernel can take; longer ones are dropped as `oversize`. */
  maxFrame: number;
  /** Build the datapath once the capture's snaplen is known. */
  datapath(slotSize: number): Datapath;
  /** Run the kernel over the whole batch (one Wasm call). */
  kernel(dp: Datapath, batch: PacketBatch): void;
  /** Called for every frame written (the batch index), e.g. to tally source ports. */
  onOk?(batch: PacketBatch, i: number): void;
  /** Output format and timestamp resolution, where not the input's (--format, --nano). */
  flavour?: FlavourOverrides;
}

/** Slot size for frames up to `snaplen` bytes (0 = unlimited), capped by what the kernel takes. */
export function slotSizeFor(snaplen: number, maxFrame: number): number {
  const frame = snaplen === 0 ? maxFrame : Math.min(snaplen, maxFrame);
  const slot = Math.ceil((frame + HEADROOM) / 64) * 64;
  return Math.min(MAX_SLOT, Math.max(128, slot));
}

export const SLOT_HEADROOM = HEADROOM;

/** IANA's VXLAN UDP port (RFC 7348), the datapath's default: `--dstport` of encap, decap and capture. */
export const VXLAN_DSTPORT = 4789;

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/**
 * Stream `input` through the kernel into `output`. On broken input the frames read so far are still
 * processed and written, the output is closed as a valid capture, and the InputError is rethrown.
 */
export async function transformCapture(spec: TransformSpec): Promise<CaptureRun> {
  const reader = await PcapReader.open(spec.input, { linkType: LINKTYPE_ETHERNET });
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

  const flushBatch = (): void => {
    if (!dp || !batch || batch.length === 0 || !writer) return;
    spec.kernel(dp, batch);
    // Results straight from Wasm memory into the writer's buffer: no view or record per frame.
    const mem = batch.bytes();
    for (let i = 0; i < batch.length; i++) {
      const st = batch.status(i);
      if (st !== Status.OK) { bump(run.dropped, statusName(st)); continue; }
      writer.writeFrom(mem, batch.outputStart(i), batch.outputLength(i), tsSec[i], tsNsec[i]);
      spec.onOk?.(batch, i);
      run.ok++;
    }
    batch.clear();
  };

  try {
    // Records as columns, copied once from the read buffer into the batch's slots.
    for await (const c of reader.columns()) for (let r = 0; r < c.length; r++) {
      run.frames++;
      if (!dp) {
        run.slotSize = slotSizeFor(reader.snaplen, spec.maxFrame);
        dp = spec.datapath(run.slotSize);
        batch = dp.batch();
        maxFrame = Math.min(batch.maxFrame, spec.maxFrame);
        tsSec = new Float64Array(batch.capacity);
        tsNsec = new Float64Array(batch.capacity);
      }
      writer ??= await PcapWriter.open(spec.output, writerOptions());
      const len = c.dataLen[r];
      // A frame cut by the capture's snaplen is not the frame that was on the wire.
      if (len < c.origLen[r]) { bump(run.dropped, 'truncated'); continue; }
      if (len > maxFrame) { bump(run.dropped, 'oversize'); continue; }
      const i = batch!.pushFrom(c.buf, c.dataStart[r], len, 0);
      tsSec[i] = c.tsSec[r];
      tsNsec[i] = c.tsNsec[r];
      if (batch!.full) flushBatch();
    }
    flushBatch();
  } catch (e) {
    if (e instanceof InputError) {
      flushBatch();
      writer ??= await PcapWriter.open(spec.output, writerOptions());
      await writer.close();
    }
    throw e;
  } finally {
    await reader.close();
  }
  writer ??= await PcapWriter.open(spec.output, writerOptions());
  await writer.close();
  return run;
}

/** The one-line stderr summary, e.g. `zooroute encap: 12 frames, 10 encapsulated, 2 dropped (runt 2) -> out.pcap`. */
export function summaryLine(command: string, verb: string, run: CaptureRun): string {
  const d = Object.entries(run.dropped).sort(([a], [b]) => a.localeCompare(b));
  const n = d.reduce((s, [, v]) => s + v, 0);
  const why = d.length ? ` (${d.map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  return `zooroute ${command}: ${run.frames} frames, ${run.ok} ${verb}, ${n} dropped${why} -> ${run.output}\n`;
}

/** An integer option in lo..hi, decimal or 0x-hex; UsageError naming the option otherwise. */
export function intOption(name: string, s: string, lo: number, hi: number): number {
  const t = s.trim();
  const v = /^\d+$/.test(t) ? Number(t) : /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : NaN;
  if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new UsageError(`${name}: expected an integer in ${lo}..${hi}, got ${JSON.stringify(s)}`);
  return v;
}

/** Run a parser of bindings/ (which throws plain Errors) and turn its failure into a UsageError. */
export function usage<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError(`${name}: ${(e as Error).message}`);
  }
}

/** Refuse to overwrite the input with the output (`-` is a stream, never a file to overwrite). */
export function checkPaths(input: string, output: string): void {
  if (input !== STDIO_PATH && output !== STDIO_PATH && resolve(input) === resolve(output)) throw new UsageError(`output ${output} would overwrite the input`);
}
