// The agent's clock for the control plane: real time and Node timers, like RealClock, plus runDue(),
// which the WakeCoalescer calls when a sleep ends on a window boundary. The control plane ticks on
// those boundaries, but a Node timer fires on the event loop's millisecond clock, up to about a
// millisecond off the boundary: each tick would cost a wakeup of its own just after the coalesced one.
// Run from the coalescer, a due tick shares its wakeup; the Node timer stays as the fallback (idle
// agent, moderation off).
import type { Clock, TimerId } from '../control/index.js';

interface Timer { due: number; fn: () => void; handle: ReturnType<typeof setTimeout> }

export class CoalescingClock implements Clock {
  #nextId = 1;
  readonly #timers = new Map<TimerId, Timer>();

  now(): number { return performance.now(); }

  setTimer(delayMs: number, fn: () => void): TimerId {
    const id = this.#nextId++;
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const handle = setTimeout(() => { this.#timers.delete(id); fn(); }, d);
    this.#timers.set(id, { due: this.now() + d, fn, handle });
    return id;
  }

  clearTimer(id: TimerId): void {
    const t = this.#timers.get(id);
    if (t !== undefined) { clearTimeout(t.handle); this.#timers.delete(id); }
  }

  /** Run every timer that is due now, earliest first, instead of waiting for its Node timer. */
  runDue(): void {
    if (this.#timers.size === 0) return;
    const now = this.now();
    const due: [TimerId, Timer][] = [];
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
