// FrameBudget: `--count N` shared by the capture loops of one session (a worker thread each, in
// shared memory), so that together they take exactly N frames. A loop claims frames before it reads
// the ring (a read takes at most what it claimed), gives back what it did not read, and counts what
// it took; the session stops when the taken count reaches N. Claims keep the total exact however
// the loops interleave: two loops can never both take "the last frame".

/** Claims at most this many frames at a time: a loop with little in its ring gives the rest back at once. */
const CLAIM = 4096;

/** The frame limit of one capture session, shared between threads through a SharedArrayBuffer. */
export class FrameBudget {
  /** The limit (Infinity: none). */
  readonly limit: number;
  /** [0] frames claimed, [1] frames taken. */
  readonly #cells: BigInt64Array;

  /** A budget of `limit` frames (Infinity: unlimited) over `shared` (16 bytes; a new buffer when absent). */
  constructor(limit: number, shared: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    if (!(limit === Infinity || (Number.isSafeInteger(limit) && limit > 0))) throw new RangeError(`frame limit must be a positive integer, got ${limit}`);
    if (shared.byteLength < 16) throw new RangeError('FrameBudget needs 16 bytes of shared memory');
    this.limit = limit;
    this.#cells = new BigInt64Array(shared, 0, 2);
  }

  /** The shared memory, for the other threads' budgets. */
  get shared(): SharedArrayBuffer { return this.#cells.buffer as SharedArrayBuffer; }

  /** Frames taken so far, by every loop. */
  get taken(): number { return Number(Atomics.load(this.#cells, 1)); }

  /** Frames this loop may read now (Infinity: no limit; 0: every remaining frame is claimed by others). */
  claim(): number {
    if (this.limit === Infinity) return Infinity;
    const lim = BigInt(this.limit);
    for (;;) {
      const cur = Atomics.load(this.#cells, 0);
      if (cur >= lim) return 0;
      const want = lim - cur < BigInt(CLAIM) ? lim - cur : BigInt(CLAIM);
      if (Atomics.compareExchange(this.#cells, 0, cur, cur + want) === cur) return Number(want);
    }
  }

  /**
   * After a read of `claimed` frames that took `took`: the rest goes back, the frames taken count.
   * Returns true when the frames taken reached the limit (the session is done).
   */
  settle(claimed: number, took: number): boolean {
    if (this.limit === Infinity) {
      Atomics.add(this.#cells, 1, BigInt(took));
      return false;
    }
    if (took > claimed) throw new RangeError(`took ${took} frames of ${claimed} claimed`);
    if (claimed > took) Atomics.sub(this.#cells, 0, BigInt(claimed - took));
    return Atomics.add(this.#cells, 1, BigInt(took)) + BigInt(took) >= BigInt(this.limit);
  }
}
