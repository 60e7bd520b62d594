// FrameBatch: the frames a Vtep hands its embedder to send, as views into the Datapath's Wasm memory.
// Only the frames to send are listed (drops are already counted), so an embedder's send loop or
// sendmmsg call needs no status checks; the index list is reserved once, nothing is allocated per batch.
import type { PacketBatch } from '../../bindings/index.js';

/**
 * Frames ready to leave, in order. Each `frame(i)` is a view into Wasm memory, valid only until
 * the callback it was passed to returns: copy a frame to keep it.
 */
export interface FrameBatch {
  /** Number of frames. */
  readonly length: number;
  /** Frame i (0 <= i < length): a view, valid during the callback only. */
  frame(i: number): Uint8Array;
}

/**
 * How many frames of a batch the embedder sent, counted from the first (sendmmsg's answer): a
 * number below `length` means the rest were not sent (the Vtep counts them as `send_failed`
 * drops). `undefined` (a callback returning nothing) means every frame was sent.
 */
export type SentCount = number | void;

/**
 * A FrameBatch listing some packets of a PacketBatch (their outputs; PacketBatch.output hands out a
 * slot's view again while the output lies where it did, so a send loop makes no view per frame).
 */
export class SelectedFrames implements FrameBatch {
  length = 0;
  #batch: PacketBatch | undefined;
  readonly #index: Uint32Array;

  /** A list with room for `capacity` packets (the PacketBatch's capacity). */
  constructor(capacity: number) { this.#index = new Uint32Array(capacity); }

  /** Start a list over `b`'s packets. */
  reset(b: PacketBatch): void { this.#batch = b; this.length = 0; }

  /** List packet i of the batch. */
  add(i: number): void { this.#index[this.length++] = i; }

  /** The packet index in the batch of listed frame i. */
  packet(i: number): number { return this.#index[i]; }

  frame(i: number): Uint8Array {
    if (!(i >= 0 && i < this.length) || this.#batch === undefined) throw new RangeError(`frame ${i} outside batch of ${this.length}`);
    return this.#batch.output(this.#index[i]);
  }
}
