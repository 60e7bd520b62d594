// One register array of the emulated pipeline: fixed cell width, fixed size, one stage.
import type { CellWidth } from './budget.js';

export interface RegisterSpec {
  name: string;
  width: CellWidth;
  /** Number of cells. */
  size: number;
  stage: number;
}

/** Largest value a cell (or a pair's half) of this width holds. */
export function cellMax(width: CellWidth): number {
  return width === 64 ? 0xffffffff : 2 ** width - 1;
}

/**
 * A register array. Pairs (width 64) keep their halves interleaved: cell i is lo at 2i, hi at 2i+1.
 * `write`/`read` are the control plane's direct access (what a PCIe transaction does); the data plane
 * reaches cells only through a built Program or the negotiation channel.
 */
export class Register {
  readonly cells: Uint8Array | Uint16Array | Uint32Array;
  /** Largest value of the low half (the whole cell unless a pair). */
  readonly loMax: number;
  /** Largest value of the high half: 0 unless a pair. */
  readonly hiMax: number;

  constructor(readonly id: number, readonly spec: Readonly<RegisterSpec>) {
    const { width, size } = spec;
    this.cells = width === 8 ? new Uint8Array(size) : width === 16 ? new Uint16Array(size) : new Uint32Array(width === 64 ? size * 2 : size);
    this.loMax = cellMax(width);
    this.hiMax = width === 64 ? 0xffffffff : 0;
  }

  get name(): string { return this.spec.name; }
  get width(): CellWidth { return this.spec.width; }
  get size(): number { return this.spec.size; }
  get stage(): number { return this.spec.stage; }
  get isPair(): boolean { return this.spec.width === 64; }

  /** True when (index, lo, hi) is a valid write to this array. */
  accepts(index: number, lo: number, hi = 0): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.spec.size &&
      Number.isInteger(lo) && lo >= 0 && lo <= this.loMax && Number.isInteger(hi) && hi >= 0 && hi <= this.hiMax;
  }

  /** Write a cell; out-of-range index or value throws RangeError (never a silent truncation). */
  write(index: number, lo: number, hi = 0): void {
    if (!this.accepts(index, lo, hi)) {
      throw new RangeError(`register ${this.name}: write (${index}, ${lo}, ${hi}) out of range (size ${this.size}, width ${this.width})`);
    }
    if (this.isPair) {
      this.cells[2 * index] = lo;
      this.cells[2 * index + 1] = hi;
    } else {
      this.cells[index] = lo;
    }
  }

  /** The low half (the whole value unless a pair). */
  read(index: number): number {
    this.checkIndex(index);
    return this.isPair ? this.cells[2 * index]! : this.cells[index]!;
  }

  /** The high half of a pair (0 for other widths). */
  readHi(index: number): number {
    this.checkIndex(index);
    return this.isPair ? this.cells[2 * index + 1]! : 0;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.spec.size) {
      throw new RangeError(`register ${this.name}: index ${index} out of range (size ${this.size})`);
    }
  }
}
