// The prober's outstanding probes in send order. Every probe has the same timeout, so send order is
// deadline order: a FIFO and one sweep event replace a timer per probe. A ring buffer that grows by
// doubling: no allocation per probe and no prefix to splice off. Entries answered in time are
// marked done, so the sweep passes them without touching their (by then cold) peer state.
import type { PeerState } from './peer.js';

export class PendingProbes {
  #peer: (PeerState | undefined)[] = [];
  #k = new Uint8Array(0);
  #seq = new Uint32Array(0);
  #deadline = new Float64Array(0);
  #done = new Uint8Array(0);
  /** Ring position and id (pushes so far, mod 2^32) of the oldest entry. */
  #head = 0;
  #headId = 0;
  #size = 0;

  get size(): number { return this.#size; }

  /** The oldest entry's fields (the FIFO must not be empty). */
  get oldestDeadline(): number { return this.#deadline[this.#head]; }
  get oldestPeer(): PeerState { return this.#peer[this.#head]!; }
  get oldestK(): number { return this.#k[this.#head]; }
  get oldestSeq(): number { return this.#seq[this.#head]; }
  get oldestDone(): boolean { return this.#done[this.#head] === 1; }

  /** Append an entry; returns its id, for markDone. */
  push(peer: PeerState, k: number, seq: number, deadline: number): number {
    if (this.#size === this.#k.length) this.#grow();
    const i = (this.#head + this.#size) & (this.#k.length - 1);
    this.#peer[i] = peer; this.#k[i] = k; this.#seq[i] = seq; this.#deadline[i] = deadline; this.#done[i] = 0;
    return (this.#headId + this.#size++) >>> 0;
  }

  /** Entry `id` was answered (nothing happens if it has left the FIFO). */
  markDone(id: number): void {
    const d = (id - this.#headId) >>> 0;
    if (d < this.#size) this.#done[(this.#head + d) & (this.#k.length - 1)] = 1;
  }

  /** Drop the oldest entry. */
  shift(): void {
    if (this.#size === 0) return;
    this.#peer[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#k.length - 1);
    this.#headId = (this.#headId + 1) >>> 0;
    this.#size--;
  }

  clear(): void {
    this.#peer.fill(undefined);
    this.#headId = (this.#headId + this.#size) >>> 0; // ids handed out stay unused
    this.#head = 0;
    this.#size = 0;
  }

  #grow(): void {
    const cap = Math.max(64, this.#k.length * 2);
    const peer: (PeerState | undefined)[] = new Array<PeerState | undefined>(cap).fill(undefined);
    const k = new Uint8Array(cap), seq = new Uint32Array(cap), deadline = new Float64Array(cap), done = new Uint8Array(cap);
    for (let j = 0; j < this.#size; j++) {
      const i = (this.#head + j) & (this.#k.length - 1);
      peer[j] = this.#peer[i]; k[j] = this.#k[i]; seq[j] = this.#seq[i]; deadline[j] = this.#deadline[i]; done[j] = this.#done[i];
    }
    this.#peer = peer; this.#k = k; this.#seq = seq; this.#deadline = deadline; this.#done = done;
    this.#head = 0;
  }
}
