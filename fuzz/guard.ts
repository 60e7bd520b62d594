// The guarded arena: canary bytes around and inside a batch's reserved region (the tail of the batch
// reserved before it, descriptors and slots beyond the packet count, the head of the batch reserved
// after it), refilled before each kernel call and checked after: a kernel that writes outside what
// its descriptors own changes a canary.
import type { PacketBatch } from '../bindings/index.js';
import { DESC_SIZE } from '../bindings/layout.js';
import type { Prng } from '../src/reference/index.js';

/** Bytes of guard on each side of the batch region (inside memory the same Datapath reserved). */
export const GUARD_BYTES = 1024;

export class GuardedBatch {
  readonly batch: PacketBatch;
  /** All of Wasm memory (never grows after set-up: the views stay valid). */
  readonly mem: Uint8Array;
  readonly desc: number;
  readonly arena: number;
  readonly #pattern: Uint8Array;
  #ranges: [number, number][] = [];

  /** `batch` must have a neighbour reserved before and after it (batch 1 of 3). */
  constructor(batch: PacketBatch) {
    this.batch = batch;
    const r = batch.region;
    this.mem = new Uint8Array(r.memory.buffer);
    this.desc = r.desc;
    this.arena = r.arena;
    if (r.desc < GUARD_BYTES || r.arena + r.capacity * r.slotSize + GUARD_BYTES > this.mem.length) {
      throw new RangeError('the guarded batch needs reserved memory on both sides');
    }
    this.#pattern = new Uint8Array(GUARD_BYTES * 2 + r.capacity * r.slotSize + r.capacity * DESC_SIZE);
  }

  /** Slot i of the arena (headroom included). */
  slot(i: number): Uint8Array {
    const s = this.batch.slotSize;
    return this.mem.subarray(this.arena + i * s, this.arena + (i + 1) * s);
  }

  /** The descriptors of packets 0..count-1, and their slots, as one view each. */
  descView(count: number): Uint8Array { return this.mem.subarray(this.desc, this.desc + count * DESC_SIZE); }
  arenaView(count: number): Uint8Array { return this.mem.subarray(this.arena, this.arena + count * this.batch.slotSize); }

  /** Write fresh canaries everywhere a kernel run on `count` packets must not write. */
  arm(r: Prng, count: number): void {
    const b = this.batch, cap = b.capacity, s = b.slotSize;
    this.#ranges = [
      [this.desc - GUARD_BYTES, this.desc],
      [this.desc + count * DESC_SIZE, this.desc + cap * DESC_SIZE],
      [this.arena + count * s, this.arena + cap * s],
      [this.arena + cap * s, this.arena + cap * s + GUARD_BYTES],
    ];
    // A fresh pattern per call (a random word repeated, shifted by a random phase): cheap, never constant.
    const w = r.u32(), p = this.#pattern;
    for (let k = 0; k < 8; k++) p[k] = (w >>> ((k & 3) * 8)) ^ (k * 0x3b);
    let have = 8;
    for (const [lo, hi] of this.#ranges) {
      const n = hi - lo;
      while (have < n) { p.copyWithin(have, 0, Math.min(have, n - have)); have = Math.min(n, have * 2); }
    }
    for (const [lo, hi] of this.#ranges) this.mem.set(p.subarray(0, hi - lo), lo);
  }

  /** Bytes of canary changed since arm(). */
  check(): number {
    let bad = 0;
    const p = this.#pattern;
    for (const [lo, hi] of this.#ranges) {
      const v = this.mem.subarray(lo, hi);
      if (Buffer.compare(v, p.subarray(0, hi - lo)) === 0) continue;
      for (let k = 0; k < v.length; k++) if (v[k] !== p[k]) bad++;
    }
    return bad;
  }
}
