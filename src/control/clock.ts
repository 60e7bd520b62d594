// The only source of time for the control plane: virtual in tests and simulation (deterministic,
// as fast as the CPU allows), real in a live process.

/** Identifies a timer set with Clock.setTimer(), to clear it. */
export type TimerId = number;

/** The control plane's only source of time and timers: VirtualClock in tests and simulation, RealClock live. */
export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  /** Run fn once, delayMs from now (negative delays count as 0). */
  setTimer(delayMs: number, fn: () => void): TimerId;
  /** Cancel a timer that has not fired yet; an id already fired or cleared is ignored. */
  clearTimer(id: TimerId): void;
}

interface Pending { at: number; seq: number; id: TimerId; fn: () => void }

/**
 * A clock that moves only when told to. Timers fire in time order, ties in the order they were set;
 * a timer set by a firing callback for "now" fires in the same advance.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #nextId = 1;
  readonly #heap: Pending[] = [];
  readonly #live = new Set<TimerId>();

  /** A clock reading `startMs` (milliseconds) until advanced. */
  constructor(startMs = 0) { this.#now = startMs; }

  /** Current virtual time in milliseconds. */
  now(): number { return this.#now; }

  /** Run fn once when the clock has advanced delayMs past now (negative or non-finite delays count as 0). */
  setTimer(delayMs: number, fn: () => void): TimerId {
    const id = this.#nextId++;
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    this.#push({ at: this.#now + d, seq: this.#seq++, id, fn });
    this.#live.add(id);
    return id;
  }

  /** Cancel a timer that has not fired yet; unknown ids are ignored. */
  clearTimer(id: TimerId): void { this.#live.delete(id); }

  /** Timers still to fire. */
  pending(): number { return this.#live.size; }

  /** Move time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void { this.runUntil(this.#now + Math.max(0, ms)); }

  /** Fire every timer due at or before tMs, in order, and leave the clock at tMs. */
  runUntil(tMs: number): void {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || top.at > tMs) break;
      this.#pop();
      if (!this.#live.delete(top.id)) continue; // cleared
      this.#now = Math.max(this.#now, top.at);
      top.fn();
    }
    this.#now = Math.max(this.#now, tMs);
  }

  #less(a: Pending, b: Pending): boolean { return a.at < b.at || (a.at === b.at && a.seq < b.seq); }

  #push(p: Pending): void {
    const h = this.#heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l], h[m])) m = l;
      if (r < h.length && this.#less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

interface RealTimer { due: number; fn: () => void; handle: ReturnType<typeof setTimeout> }

/** Wall-clock time (monotonic, performance.now()) and Node timers, for a live process. */
export class RealClock implements Clock {
  #nextId = 1;
  readonly #timers = new Map<TimerId, RealTimer>();

  /** performance.now(): milliseconds since the process started, monotonic. */
  now(): number { return performance.now(); }

  /** Run fn once, delayMs from now, on a Node timer (negative or non-finite delays count as 0). */
  setTimer(delayMs: number, fn: () => void): TimerId {
    const id = this.#nextId++;
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const handle = setTimeout(() => { this.#timers.delete(id); fn(); }, d);
    this.#timers.set(id, { due: this.now() + d, fn, handle });
    return id;
  }

  /** Cancel a timer that has not fired yet; unknown ids are ignored. */
  clearTimer(id: TimerId): void {
    const t = this.#timers.get(id);
    if (t !== undefined) { clearTimeout(t.handle); this.#timers.delete(id); }
  }

  /**
   * Run every timer that is due now, earliest first, instead of waiting for its Node timer. A Node
   * timer fires on the event loop's millisecond clock, up to about a millisecond late: the agent
   * calls this when a moderated wakeup ends on a tick boundary (src/agent/wake-coalescer.ts), so a
   * due tick shares that wakeup instead of costing one of its own; the Node timer stays the fallback.
   */
  runDue(): void {
    if (this.#timers.size === 0) return;
    const now = this.now();
    const due: [TimerId, RealTimer][] = [];
    for (const e of this.#timers) if (e[1].due <= now) due.push(e);
    if (due.length > 1) due.sort((a, b) => a[1].due - b[1].due || a[0] - b[0]);
    for (const [id, t] of due) {
      if (this.#timers.get(id) !== t) continue; // cleared by an earlier one
      clearTimeout(t.handle);
      this.#timers.delete(id);
      t.fn();
    }
  }
}
