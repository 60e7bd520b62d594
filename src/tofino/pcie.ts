// The PCIe channel: the switch CPU writes registers one transaction at a time through the driver.
import type { ModelClock } from './clock.js';
import type { Pipeline } from './pipeline.js';
import { applyDirect, type ApplyCounts, type UpdateSet } from './update-set.js';

/** The talk's figure: ~10k register transactions per second (1.6M updates in ~3 minutes). */
export const DEFAULT_PCIE_TPS = 10_000;

export interface PcieReport extends ApplyCounts {
  /** Transactions issued: every write, refused ones included (the driver still crosses the bus). */
  transactions: number;
  /** Modelled time those transactions take. */
  seconds: number;
}

export class PcieChannel {
  constructor(
    private readonly pipeline: Pipeline,
    private readonly clock: ModelClock,
    readonly transactionsPerSecond = DEFAULT_PCIE_TPS,
  ) {
    if (!(transactionsPerSecond > 0) || !Number.isFinite(transactionsPerSecond)) {
      throw new RangeError(`PCIe rate must be a positive number of transactions per second, got ${transactionsPerSecond}`);
    }
  }

  /** Write every update, one transaction each, and advance the clock by their modelled cost. */
  apply(updates: UpdateSet): PcieReport {
    const counts = applyDirect(this.pipeline, updates);
    const transactions = updates.length;
    const seconds = transactions / this.transactionsPerSecond;
    this.clock.advance(seconds * 1000);
    return { ...counts, transactions, seconds };
  }
}
