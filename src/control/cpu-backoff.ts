// Exponential backoff of the probe rate while the VTEP's CPU is busy: each sample above the
// watermark doubles the probe interval (up to 2^max), each sample at or below it halves it back.

/**
 * Exponential backoff of the probe rate while the CPU is busy: each utilisation sample above the
 * watermark raises the level by one (at most maxLevel), each sample at or below it lowers it by one;
 * the probe interval is multiplied by 2^level.
 */
export class CpuBackoff {
  #level = 0;
  readonly #high: number;
  readonly #max: number;

  /** `highWatermark` is a utilisation 0..1; `maxLevel` the highest exponent. */
  constructor(highWatermark: number, maxLevel: number) {
    this.#high = highWatermark;
    this.#max = maxLevel;
  }

  /** Current exponent: the probe interval is multiplied by 2^level. */
  get level(): number { return this.#level; }

  /** Feed one utilisation sample (0..1; NaN counts as idle); returns the new level. */
  sample(utilisation: number): number {
    if (utilisation > this.#high) this.#level = Math.min(this.#max, this.#level + 1);
    else if (this.#level > 0) this.#level--;
    return this.#level;
  }
}
