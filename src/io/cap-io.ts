// PacketIo over libpcap (the `cap` addon): the fallback where the AF_PACKET addon is not built. cap
// hands over one frame per callback; this adapter copies each into a queue of its own and tells the
// listener once per event-loop turn, so the caller still receives and sends whole batches.
import type { PacketBatch } from '../../bindings/index.js';
import { LiveInterface, type LiveOptions } from '../capture/cap.js';
import { TxStatus, type FrameViews, type IoStats, type PacketIo, type SendOptions } from './packet-io.js';

/** Bytes the adapter queues between cap's callbacks and receive() before it drops (counted as backlog). */
const DEFAULT_QUEUE_BYTES = 8 << 20;
/** Frames it queues at most. */
const QUEUE_FRAMES = 65536;

function txStatusOf(e: unknown): number {
  const m = String(e instanceof Error ? e.message : e);
  if (/no buffer space|resource temporarily|would block/i.test(m)) return TxStatus.RING_FULL;
  if (/message too long/i.test(m)) return TxStatus.OVERSIZE;
  return TxStatus.ERROR;
}

/** Batched I/O on one interface through a libpcap handle. */
export class CapIo implements PacketIo {
  readonly kind = 'cap' as const;
  readonly iface: string;
  /** The libpcap handle underneath (its link type, for a caller that needs Ethernet). */
  readonly live: LiveInterface;
  readonly #bytes: Uint8Array;
  readonly #off = new Uint32Array(QUEUE_FRAMES);
  readonly #len = new Uint32Array(QUEUE_FRAMES);
  readonly #sec = new Uint32Array(QUEUE_FRAMES);
  readonly #nsec = new Uint32Array(QUEUE_FRAMES);
  #head = 0;
  #tail = 0;
  #used = 0;
  #listener: (() => void) | undefined;
  #notifyQueued = false;
  #st = { received: 0, receivedBytes: 0, sent: 0, sentBytes: 0, sendCalls: 0, oversize: 0, backlog: 0, txRingFull: 0, txOversize: 0, txBadDesc: 0, txError: 0 };
  /** Largest frame a slot of the batches this adapter fills may take; longer ones are counted as oversize on arrival. */
  maxFrame = 65535;

  private constructor(live: LiveInterface, queueBytes: number) {
    this.live = live;
    this.iface = live.name;
    this.#bytes = new Uint8Array(queueBytes);
    live.onFrame((f, truncated) => this.#onFrame(f, truncated));
  }

  /** Open `iface` with libpcap (see LiveInterface.open for the errors). */
  static open(iface: string, o: LiveOptions & { queueBytes?: number } = {}): CapIo {
    return new CapIo(LiveInterface.open(iface, o), o.queueBytes ?? DEFAULT_QUEUE_BYTES);
  }

  #onFrame(f: Uint8Array, truncated: boolean): void {
    if (truncated || f.length > this.maxFrame) { this.#st.oversize++; return; }
    if (this.#tail - this.#head >= QUEUE_FRAMES) { this.#st.backlog++; return; }
    if (this.#used + f.length > this.#bytes.length) {
      // Compact: move what is still queued to the front.
      const start = this.#head < this.#tail ? this.#off[this.#head % QUEUE_FRAMES] : 0;
      this.#bytes.copyWithin(0, start, this.#used);
      for (let i = this.#head; i < this.#tail; i++) this.#off[i % QUEUE_FRAMES] -= start;
      this.#used -= start;
      if (this.#used + f.length > this.#bytes.length) { this.#st.backlog++; return; }
    }
    const k = this.#tail % QUEUE_FRAMES;
    this.#bytes.set(f, this.#used);
    this.#off[k] = this.#used;
    this.#len[k] = f.length;
    const ms = performance.timeOrigin + performance.now();
    const sec = Math.floor(ms / 1000);
    this.#sec[k] = sec;
    this.#nsec[k] = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
    this.#used += f.length;
    this.#tail++;
    this.#notify();
  }

  #notify(): void {
    if (this.#notifyQueued || this.#listener === undefined) return;
    this.#notifyQueued = true;
    // After cap's poll callback has drained libpcap's ring: one wakeup for all of its frames.
    setImmediate(() => {
      this.#notifyQueued = false;
      if (this.#listener === undefined || this.#head === this.#tail) return;
      this.#listener();
      if (this.#head !== this.#tail) this.#notify();
    });
  }

  receive(batch: PacketBatch, stamps?: Uint32Array, max = Infinity): number {
    let n = 0;
    while (this.#head < this.#tail && !batch.full && n < max) {
      const k = this.#head % QUEUE_FRAMES, len = this.#len[k];
      const i = batch.length;
      if (len > batch.maxFrame) { this.#st.oversize++; this.#head++; continue; }
      batch.slotView(i).set(this.#bytes.subarray(this.#off[k], this.#off[k] + len));
      batch.commit(len);
      if (stamps) { stamps[2 * i] = this.#sec[k]; stamps[2 * i + 1] = this.#nsec[k]; }
      this.#st.received++;
      this.#st.receivedBytes += len;
      this.#head++;
      n++;
    }
    if (this.#head === this.#tail) { this.#head = this.#tail = 0; this.#used = 0; }
    return n;
  }

  onReadable(listener: (() => void) | undefined): void {
    this.#listener = listener;
    if (listener !== undefined && this.#head !== this.#tail) this.#notify();
  }

  #sendOne(frame: Uint8Array): number {
    if (frame.length === 0) { this.#st.txBadDesc++; return TxStatus.BAD_DESC; }
    this.#st.sendCalls++;
    try {
      this.live.send(frame);
    } catch (e) {
      const s = txStatusOf(e);
      if (s === TxStatus.RING_FULL) this.#st.txRingFull++; else if (s === TxStatus.OVERSIZE) this.#st.txOversize++; else this.#st.txError++;
      return s;
    }
    this.#st.sent++;
    this.#st.sentBytes += frame.length;
    return TxStatus.SENT;
  }

  send(batch: PacketBatch, o: SendOptions = {}): number {
    const count = o.count ?? o.indices?.length ?? batch.length;
    let sent = 0;
    for (let j = 0; j < count; j++) {
      const i = o.indices ? o.indices[j] : j;
      const s = this.#sendOne(o.which === 'input' ? batch.input(i) : batch.output(i));
      if (o.statuses) o.statuses[j] = s;
      if (s === TxStatus.SENT) sent++;
    }
    return sent;
  }

  sendFrames(frames: FrameViews, statuses?: Uint8Array): number {
    let sent = 0;
    for (let j = 0; j < frames.length; j++) {
      const s = this.#sendOne(frames.frame(j));
      if (statuses) statuses[j] = s;
      if (s === TxStatus.SENT) sent++;
      else if (s === TxStatus.RING_FULL) { statuses?.fill(TxStatus.RING_FULL, j + 1, frames.length); break; }
    }
    return sent;
  }

  stats(): IoStats {
    const s = this.#st;
    return {
      kind: 'cap', received: s.received, receivedBytes: s.receivedBytes, sent: s.sent, sentBytes: s.sentBytes, sendCalls: s.sendCalls,
      drops: { ring: undefined, oversize: s.oversize, backlog: s.backlog, txRingFull: s.txRingFull, txOversize: s.txOversize, txBadDesc: s.txBadDesc, txError: s.txError },
    };
  }

  close(): void {
    this.#listener = undefined;
    this.live.close();
  }
}
