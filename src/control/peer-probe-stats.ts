// Per-peer probe counters a Vtep keeps (the control plane counts only totals).

/** Probe counters towards one peer, with a loss ratio over a recent window. */
export class PeerProbeStats {
  /** Requests sent to the peer. */
  sent = 0;
  /** Replies sent to the peer (answers to its requests). */
  repliesSent = 0;
  /** The peer's replies that matched an outstanding probe. */
  answered = 0;
  /** Round-trip time of the latest answered probe, ms. */
  rttLastMs = 0;
  /** Sum of the round-trip times of every answered probe, ms. */
  rttSumMs = 0;
  /** Sent/answered at the last window boundaries, for a loss ratio over the recent window. */
  readonly #hist: { sent: number; answered: number }[] = [];

  /** Close a window (a Vtep does it once a second): keeps the last `n` snapshots. */
  roll(n = 10): void {
    this.#hist.push({ sent: this.sent, answered: this.answered });
    if (this.#hist.length > n) this.#hist.shift();
  }

  /** Share of probes unanswered over the recent window (probes still in flight count as answered-to-be, so it lags slightly). */
  recentLoss(): number {
    const h = this.#hist[0];
    if (h === undefined) return 0;
    const s = this.sent - h.sent, a = this.answered - h.answered;
    return s > 0 ? Math.max(0, Math.min(1, 1 - a / s)) : 0;
  }
}
