// PacketIo: the one interface for batched packet I/O on a live interface (docs/io.md). Frames come
// in straight into a PacketBatch (descriptors and arena, the layout every Wasm kernel reads) and go
// out from one, a batch per call; every frame that does not make it is counted by reason. The cap
// adapter (libpcap, one callback per frame underneath) and the AF_PACKET addon (TPACKET_V3 ring in,
// sendmmsg out) both implement it, so an embedder or the agent picks one without changing its loop.
import type { PacketBatch } from '../../bindings/index.js';

/** Which implementation moves the frames: libpcap through `cap`, or the AF_PACKET ring addon. */
export type IoKind = 'cap' | 'mmap';

/** Every I/O kind, as `--io` accepts them. */
export const IO_KINDS: readonly IoKind[] = ['cap', 'mmap'];

/** Per-frame result of a send, written into the caller's statuses array. */
export const TxStatus = {
  /** Handed to the kernel. */
  SENT: 0,
  /** Refused because the device's queue (or the socket's send buffer) was full. */
  RING_FULL: 1,
  /** Larger than the link MTU allows. */
  OVERSIZE: 2,
  /** Empty, or outside its slot: nothing to send. */
  BAD_DESC: 3,
  /** Any other send error. */
  ERROR: 4,
} as const;

/** Frames lost on the way in or out, by reason; all counters since open. */
export interface IoDrops {
  /**
   * Frames the kernel dropped because the receive ring was full (PACKET_STATISTICS tp_drops);
   * undefined where the implementation cannot read it (cap: libpcap's counters are not exposed).
   */
  ring: number | undefined;
  /** Received frames larger than a slot, or cut short by the snap length: not handed over. */
  oversize: number;
  /** Received frames dropped because the adapter's own queue was full (cap only; 0 for mmap). */
  backlog: number;
  /** Sends refused because the device queue was full. */
  txRingFull: number;
  /** Sends larger than the link MTU. */
  txOversize: number;
  /** Sends of an empty or out-of-slot frame. */
  txBadDesc: number;
  /** Sends that failed otherwise. */
  txError: number;
}

/** What an interface moved, since open. */
export interface IoStats {
  /** The implementation. */
  kind: IoKind;
  /** Frames handed over by receive(). */
  received: number;
  /** Their bytes. */
  receivedBytes: number;
  /** Frames the kernel accepted for sending. */
  sent: number;
  /** Their bytes. */
  sentBytes: number;
  /** System calls made to send (cap: one per frame; mmap: one sendmmsg per batch, more on errors). */
  sendCalls: number;
  /** Frames lost, by reason. */
  drops: IoDrops;
}

/** Frames to send as views (FrameBatch of zooroute/control has this shape): views of one memory go out together. */
export interface FrameViews {
  /** Number of frames. */
  readonly length: number;
  /** Frame i as a view. */
  frame(i: number): Uint8Array;
}

/** Which frame of each packet send() takes: the input (data_off/data_len) or a kernel's output (out_off/out_len). */
export type SendWhich = 'input' | 'output';

/** What a send covers: a prefix of the batch, or the packets an index list names. */
export interface SendOptions {
  /** The input as written, or the result of the last kernel (encap, decap). Default 'output'. */
  which?: SendWhich;
  /** Number of frames, default batch.length (or indices' length). */
  count?: number;
  /** Packet indices to send, in order; default 0..count-1. */
  indices?: Uint32Array;
  /** Receives a TxStatus per listed frame. */
  statuses?: Uint8Array;
}

/** Batched packet I/O on one interface. Single-threaded: one per worker, like a Datapath. */
export interface PacketIo {
  /** The implementation. */
  readonly kind: IoKind;
  /** The interface's name. */
  readonly iface: string;
  /**
   * Append received frames to `batch` (from batch.length up to its capacity), each at the slot's
   * headroom with a fresh input descriptor (peer 0, nothing forced); returns how many were added
   * and advances batch.length. 0 when nothing is waiting. `stamps`, when given, receives the
   * receive time of slot i as seconds (2i) and nanoseconds (2i + 1). `max` caps the frames taken.
   */
  receive(batch: PacketBatch, stamps?: Uint32Array, max?: number): number;
  /** Call `listener` when frames may be waiting (it should receive() until 0); undefined stops. */
  onReadable(listener: (() => void) | undefined): void;
  /** Send frames of a batch with as few system calls as the implementation allows; returns how many were sent. */
  send(batch: PacketBatch, o?: SendOptions): number;
  /** Send frames given as views, stopping once the device queue is full; returns how many were sent (statuses: a TxStatus per frame). */
  sendFrames(frames: FrameViews, statuses?: Uint8Array): number;
  /** Counters since open. */
  stats(): IoStats;
  /** Release the interface; closing twice does nothing. */
  close(): void;
}
