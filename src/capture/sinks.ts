// The two places captured-and-encapsulated frames go: a pcap file, or another interface (injected).
import { LINKTYPE_ETHERNET, PcapWriter } from '../pcap/index.js';
import { CLASSIC_RECORD_HEADER_BYTES, encodeClassicRecordFrom } from '../pcap/writer.js';
import type { PacketBatch } from '../../bindings/index.js';
import { TxStatus, type PacketIo } from '../io/index.js';
import type { FrameSink, Timestamp } from './encap-batcher.js';

/** Writes each frame as one nanosecond pcap record. */
export class PcapSink implements FrameSink {
  readonly failReason = 'write_failed';
  readonly #w: PcapWriter;
  /** The write error that ended the file (a full disk): later frames are dropped, close() throws it. */
  #error: unknown;

  private constructor(w: PcapWriter) { this.#w = w; }

  static async open(path: string): Promise<PcapSink> {
    return new PcapSink(await PcapWriter.open(path, { nanos: true, snaplen: 262144, linkType: LINKTYPE_ETHERNET }));
  }

  put(frame: Uint8Array, ts: Timestamp): boolean {
    if (this.#error !== undefined) return false;
    try {
      // write() copies the bytes into its buffer before returning, so the Wasm view needs no copy here.
      this.#w.write({ tsSec: ts.sec, tsNsec: ts.nsec, data: frame });
      return true;
    } catch (e) {
      // Thrown here it would escape libpcap's callback; kept, the session stops and close() reports it.
      this.#error = e;
      return false;
    }
  }

  /**
   * Write the batch's OK outputs straight from Wasm memory, one record each, in one loop (no view or
   * record object per frame). After a write error nothing more is written: the rest are failed.
   */
  putBatch(batch: PacketBatch, indices: Uint32Array, count: number, statuses: Uint8Array, stamps: Uint32Array): number {
    const mem = batch.bytes();
    let written = 0;
    for (let j = 0; j < count; j++) {
      if (this.#error !== undefined) { statuses[j] = TxStatus.ERROR; continue; }
      const i = indices[j]!;
      try {
        this.#w.writeFrom(mem, batch.outputStart(i), batch.outputLength(i), stamps[2 * i]!, stamps[2 * i + 1]!);
        statuses[j] = TxStatus.SENT;
        written++;
      } catch (e) {
        this.#error = e;
        statuses[j] = TxStatus.ERROR;
      }
    }
    return written;
  }

  /**
   * Append `count` classic nanosecond records already encoded (EncodedRecordsSink, from a worker
   * thread's capture); false once a write has failed (they are then dropped).
   */
  putEncoded(records: Uint8Array, count: number): boolean {
    if (this.#error !== undefined) return false;
    try {
      this.#w.writeEncoded(records, count);
      return true;
    } catch (e) {
      this.#error = e;
      return false;
    }
  }

  /** Whether a write failed (the session then stops: the file cannot be completed). */
  get failed(): boolean { return this.#error !== undefined; }

  /**
   * Flush and rename the complete capture into place (the file is written atomically). After a failed
   * write the temporary file is removed instead, the path left as it was, and that error thrown.
   */
  close(): Promise<void> {
    if (this.#error === undefined) return this.#w.close();
    this.#w.abort();
    return Promise.reject(this.#error);
  }

  /** The capture never ran (or failed): remove the temporary file, leave the path as it was. */
  discard(): void { this.#w.abort(); }
}

/**
 * Encodes each batch's frames as classic nanosecond pcap records (little-endian, PcapSink's format)
 * into one buffer of its own and hands it to `post`, which may keep it (transfer it to another thread):
 * a worker thread's capture, whose records the session's one PcapSink writes (putEncoded).
 */
export class EncodedRecordsSink implements FrameSink {
  readonly failReason = 'write_failed';
  readonly #post: (records: Uint8Array, count: number) => void;

  constructor(post: (records: Uint8Array, count: number) => void) { this.#post = post; }

  put(frame: Uint8Array, ts: Timestamp): boolean {
    const out = new Uint8Array(CLASSIC_RECORD_HEADER_BYTES + frame.length);
    encodeClassicRecordFrom(out, new DataView(out.buffer), 0, frame, 0, frame.length, frame.length, ts.sec, ts.nsec, true);
    this.#post(out, 1);
    return true;
  }

  putBatch(batch: PacketBatch, indices: Uint32Array, count: number, statuses: Uint8Array, stamps: Uint32Array): number {
    let bytes = 0;
    for (let j = 0; j < count; j++) bytes += CLASSIC_RECORD_HEADER_BYTES + batch.outputLength(indices[j]!);
    const out = new Uint8Array(bytes);
    const dv = new DataView(out.buffer);
    const mem = batch.bytes();
    let at = 0;
    for (let j = 0; j < count; j++) {
      const i = indices[j]!;
      const len = batch.outputLength(i);
      at += encodeClassicRecordFrom(out, dv, at, mem, batch.outputStart(i), len, len, stamps[2 * i]!, stamps[2 * i + 1]!, true);
      statuses[j] = TxStatus.SENT;
    }
    this.#post(out, count);
    return count;
  }
}

/**
 * Sends frames out of an interface straight from Wasm memory, a batch per call (PacketIo: one
 * sendmmsg with the AF_PACKET addon, one pcap_sendpacket per frame with cap).
 */
export class InjectSink implements FrameSink {
  readonly failReason = 'send_failed';
  /** The last send failure, kept for the summary (a full queue, or a frame over the link MTU). */
  lastError: string | undefined;
  readonly #out: PacketIo;
  readonly #one = new Uint8Array(1);
  readonly #single: { length: number; f: Uint8Array; frame(): Uint8Array } = { length: 1, f: new Uint8Array(0), frame() { return this.f; } };

  constructor(out: PacketIo) { this.#out = out; }

  put(frame: Uint8Array): boolean {
    this.#single.f = frame;
    const ok = this.#out.sendFrames(this.#single, this.#one) === 1;
    if (!ok) this.#noteFailure(this.#one[0]);
    return ok;
  }

  putBatch(batch: PacketBatch, indices: Uint32Array, count: number, statuses: Uint8Array): number {
    const sent = this.#out.send(batch, { which: 'output', indices, count, statuses });
    if (sent < count) for (let j = 0; j < count; j++) if (statuses[j] !== TxStatus.SENT) { this.#noteFailure(statuses[j]); break; }
    return sent;
  }

  #noteFailure(st: number): void {
    this.lastError = st === TxStatus.RING_FULL ? 'the device queue was full' : st === TxStatus.OVERSIZE ? 'a frame exceeded the link MTU' : 'the interface refused a frame';
  }

  close(): Promise<void> { this.#out.close(); return Promise.resolve(); }

  /** The capture never ran (or failed): release the interface; nothing was sent. */
  discard(): void { this.#out.close(); }
}
