// The two places captured-and-encapsulated frames go: a pcap file, or another interface (injected).
import { LINKTYPE_ETHERNET, PcapWriter } from '../pcap/index.js';
import type { FrameSink, Timestamp } from './encap-batcher.js';
import type { LiveInterface } from './cap.js';

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

/** Sends each frame out of an interface with pcap_sendpacket, straight from Wasm memory. */
export class InjectSink implements FrameSink {
  readonly failReason = 'send_failed';
  /** Last send error, kept for the summary (a full queue or a frame over the link MTU). */
  lastError: string | undefined;
  readonly #out: LiveInterface;

  constructor(out: LiveInterface) { this.#out = out; }

  put(frame: Uint8Array): boolean {
    try {
      this.#out.send(frame);
      return true;
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      return false;
    }
  }

  close(): Promise<void> { this.#out.close(); return Promise.resolve(); }

  /** The capture never ran (or failed): release the interface; nothing was sent. */
  discard(): void { this.#out.close(); }
}
