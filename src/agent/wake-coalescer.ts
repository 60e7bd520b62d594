// Interrupt moderation in user space. cap opens libpcap in immediate mode (nothing else is on offer),
// so every frame that reaches an idle agent wakes it: at the few thousand small probe packets a
// second of full probing, the wakeups (epoll, a context switch, libpcap's empty-ring poll) cost more
// CPU than the frames. Like a NIC's rx-usecs, the agent instead lets a busy stretch's frames gather
// in the kernel ring: once a burst of work is done, when the previous wakeup was recent, the thread
// sleeps (Atomics.wait: no spinning) to the next multiple of the window on the clock; frames that
// arrive meanwhile are then read in one wakeup, together with any timer due then (the control plane
// ticks on multiples of its tickMs, so a window dividing it lands on those ticks).
// While traffic is steady the agent thus wakes once per window, however many frames arrive.
// Cost: at most one window of latency for a frame that arrives while the agent sleeps; an isolated
// frame (previous wakeup more than two windows ago) is never delayed.
// A burst of probe traffic only (no tenant frame: probes, replies and their timers) may sleep a longer
// quiet window, the control plane's tick: probes go out on ticks anyway, and a reply waiting to the
// next tick costs the prober that much RTT; so full probing wakes the agent once per tick, not once
// per window. A tenant frame that arrives during such a sleep waits up to the quiet window.

/** Sleep this much past the boundary: a timer due on it must be due when the sleep ends. */
const OVERSLEEP_MS = 0.05;

export interface WakeCoalescerOptions {
  /** The window, ms; 0 turns moderation off. */
  windowMs: number;
  /** The window after a burst that carried no tenant frame (settle(true)), ms, at least windowMs; default windowMs. */
  quietWindowMs?: number;
  /**
   * Frames the kernel ring can take during a sleep: a burst that handled this many or more is not
   * followed by a sleep, and a sleep is cut short so that, at the frame rate of the last burst, no
   * more than this many arrive meanwhile (the ring must not overflow under heavy load).
   */
  maxBurst: number;
  now?: () => number;
  /** Called when a sleep ends (the agent runs the timers due at the boundary: RealClock.runDue). */
  onWake?: () => void;
}

export class WakeCoalescer {
  readonly windowMs: number;
  readonly quietWindowMs: number;
  readonly #maxBurst: number;
  readonly #now: () => number;
  readonly #onWake: (() => void) | undefined;
  readonly #cell = new Int32Array(new SharedArrayBuffer(4));
  /** Start of the current burst (first note() since the last settle()), or NaN between bursts. */
  #burstAt = NaN;
  /** Start of the previous burst. */
  #prevBurstAt = -Infinity;
  #frames = 0;
  /** Sleeps taken and time slept, for the curious (not exported as metrics). */
  sleeps = 0;
  sleptMs = 0;

  constructor(o: WakeCoalescerOptions) {
    if (!(o.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${o.windowMs}`);
    this.windowMs = o.windowMs;
    this.quietWindowMs = o.windowMs === 0 ? 0 : Math.max(o.windowMs, o.quietWindowMs ?? o.windowMs);
    this.#maxBurst = o.maxBurst;
    this.#now = o.now ?? (() => performance.now());
    this.#onWake = o.onWake;
  }

  /** Work began (a frame arrived, a timer fired); returns true when it is the first of its burst. */
  note(frames = 0): boolean {
    this.#frames += frames;
    if (this.#burstAt === this.#burstAt) return false; // not NaN: inside a burst
    this.#burstAt = this.#now();
    return true;
  }

  /**
   * The burst's work is done: sleep to the next window boundary when wakeups come faster than
   * windows; `quiet`: the burst carried no tenant frame, so the window is quietWindowMs.
   */
  settle(quiet = false): void {
    const at = this.#burstAt, frames = this.#frames;
    this.#burstAt = NaN;
    this.#frames = 0;
    if (at !== at) return;
    const prev = this.#prevBurstAt;
    this.#prevBurstAt = at;
    const w = quiet ? this.quietWindowMs : this.windowMs;
    // Back-to-back windows start about w apart (plus the time a wakeup takes): 2w still counts as busy.
    if (w === 0 || at - prev >= 2 * w || frames >= this.#maxBurst) return;
    const now = this.#now();
    // To the boundary, but no longer than the last burst's frame rate takes to bring maxBurst frames.
    const ms = Math.min((Math.floor(now / w) + 1) * w - now, (this.#maxBurst * (at - prev)) / Math.max(1, frames));
    if (!(ms > 0)) return;
    Atomics.wait(this.#cell, 0, 0, ms + OVERSLEEP_MS);
    this.sleeps++;
    this.sleptMs += ms;
    this.#onWake?.();
  }
}
