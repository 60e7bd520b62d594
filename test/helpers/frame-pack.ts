// Many frames in one buffer, for a thread bridge: test/agent-scale.test.ts and its worker pass the
// agent's frames as ONE transferable ArrayBuffer per message instead of one per frame. Structured
// clone and transfer cost per object: with one ArrayBuffer per probe frame, postMessage took a
// quarter of the agent thread's CPU in the 1000-peer test (a cost of the bridge, not of the agent).
// Layout: for each frame, its length (2 bytes, big-endian), then its bytes.

/** Frames appended one by one into a growing scratch buffer; take() hands them over as one array. */
export class FramePacker {
  #buf = new Uint8Array(1 << 16);
  #used = 0;
  #count = 0;

  /** Frames appended since the last take(). */
  get count(): number { return this.#count; }

  /** Append a copy of f (its bytes are copied now: the caller may reuse its buffer). */
  push(f: Uint8Array): void {
    if (f.length > 0xffff) throw new RangeError(`frame of ${f.length} bytes does not fit a 2-byte length`);
    const need = this.#used + 2 + f.length;
    if (need > this.#buf.length) {
      const b = new Uint8Array(Math.max(need, 2 * this.#buf.length));
      b.set(this.#buf.subarray(0, this.#used));
      this.#buf = b;
    }
    this.#buf[this.#used] = f.length >>> 8;
    this.#buf[this.#used + 1] = f.length & 0xff;
    this.#buf.set(f, this.#used + 2);
    this.#used = need;
    this.#count++;
  }

  /** The frames appended so far, packed in a fresh array of their size (transferable); starts over. */
  take(): Uint8Array {
    const out = this.#buf.slice(0, this.#used);
    this.#used = 0;
    this.#count = 0;
    return out;
  }
}

/** Pack a list of frames at once. */
export function packFrames(frames: readonly Uint8Array[]): Uint8Array {
  const p = new FramePacker();
  for (const f of frames) p.push(f);
  return p.take();
}

/** Call fn with a view of each frame packed in buf, in order (views into buf: no copy). */
export function forEachPacked(buf: Uint8Array, fn: (f: Uint8Array) => void): void {
  for (let o = 0; o + 2 <= buf.length;) {
    const n = (buf[o]! << 8) | buf[o + 1]!;
    if (o + 2 + n > buf.length) throw new RangeError(`packed frame at ${o} runs past the end (${n} bytes)`);
    fn(buf.subarray(o + 2, o + 2 + n));
    o += 2 + n;
  }
}
