// A single-producer, single-consumer ring of frames in a SharedArrayBuffer, for a thread bridge:
// test/agent-scale.test.ts's worker writes the frames its agent sends here (a copy, as a packet
// socket's send copies into the kernel) and publishes them once per event-loop turn; the parent
// thread polls the ring and reads them in place. postMessage with one transferable
// buffer per turn cost about a quarter of the agent thread's CPU (structured clone, a buffer
// allocated per message, the cross-thread wakeup), which is the bridge's, not the agent's.
// Record: a tag byte (which side), the length (2 bytes, big-endian), the bytes. A record that would
// not fit before the end of the data area is written at its start instead, after a wrap mark.

/** Ring tag of each side's frames in test/agent-scale.test.ts's bridge. */
export const SIDE_TAG = { underlay: 0, vm: 1 } as const;

const HEAD = 0, TAIL = 1, DROPS = 2; // Int32 header words: bytes written, bytes read (both mod 2^31), frames dropped (ring full)
const HEADER_BYTES = 16;
const WRAP = 0xff;

/** The shared memory of a ring: pass it to the other thread (workerData). */
export function frameRingBuffer(dataBytes = 1 << 24): SharedArrayBuffer {
  // A power of two that divides 2^31, so that positions taken mod 2^31 stay consistent mod the size.
  if (!(dataBytes >= 1024 && dataBytes <= 1 << 30 && (dataBytes & (dataBytes - 1)) === 0)) throw new RangeError(`ring size must be a power of two in 1 KiB..1 GiB, got ${dataBytes}`);
  return new SharedArrayBuffer(HEADER_BYTES + dataBytes);
}

class RingView {
  protected readonly hdr: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly size: number;
  constructor(sab: SharedArrayBuffer) {
    this.hdr = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
    this.size = this.data.length;
  }
  /** Frames the writer dropped because the ring was full. */
  get drops(): number { return Atomics.load(this.hdr, DROPS); }
}

/** The writing end (one thread). */
export class FrameRingWriter extends RingView {
  /** Bytes written, published or not (the reader sees up to the published HEAD). */
  #head = 0;
  #dropped = 0;

  /** Append a copy of f with tag `side` (0..254); false (and counted) when the ring is full. */
  write(side: number, f: Uint8Array): boolean {
    const n = f.length;
    if (n > 0xffff) throw new RangeError(`frame of ${n} bytes does not fit a 2-byte length`);
    const need = 3 + n;
    let at = this.#head & (this.size - 1);
    const wrap = at + need > this.size ? this.size - at : 0; // bytes skipped to wrap
    const used = (this.#head - Atomics.load(this.hdr, TAIL)) & 0x7fffffff;
    if (used + wrap + need > this.size) { this.#dropped++; return false; }
    if (wrap > 0) { this.data[at] = WRAP; this.#head = (this.#head + wrap) & 0x7fffffff; at = 0; }
    const d = this.data;
    d[at] = side; d[at + 1] = n >>> 8; d[at + 2] = n & 0xff;
    d.set(f, at + 3);
    this.#head = (this.#head + need) & 0x7fffffff;
    return true;
  }

  /** Make everything written visible to the reader (which polls: drain()). */
  publish(): void {
    if (this.#dropped > 0) { Atomics.add(this.hdr, DROPS, this.#dropped); this.#dropped = 0; }
    Atomics.store(this.hdr, HEAD, this.#head);
  }
}

/** The reading end (one other thread). */
export class FrameRingReader extends RingView {
  /** Call fn(side, frame) for every published record (frame: a view, valid during the call), then free them. */
  drain(fn: (side: number, f: Uint8Array) => void): number {
    const head = Atomics.load(this.hdr, HEAD);
    let tail = Atomics.load(this.hdr, TAIL), count = 0;
    while (tail !== head) {
      const at = tail & (this.size - 1);
      const side = this.data[at]!;
      if (side === WRAP) { tail = (tail + (this.size - at)) & 0x7fffffff; continue; }
      const n = (this.data[at + 1]! << 8) | this.data[at + 2]!;
      fn(side, this.data.subarray(at + 3, at + 3 + n));
      tail = (tail + 3 + n) & 0x7fffffff;
      count++;
    }
    Atomics.store(this.hdr, TAIL, tail);
    return count;
  }
}
