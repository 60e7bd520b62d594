// SRAM budgets of the emulated Tofino pipeline and the block accounting the Tofino compiler uses.

/** Cell width of a register array in bits; 64 means a pair of 32-bit halves (lo, hi). */
export type CellWidth = 8 | 16 | 32 | 64;

export const CELL_WIDTHS: readonly CellWidth[] = [8, 16, 32, 64];

/** Resources of one pipe. Defaults are Tofino 1's. */
export interface PipelineBudget {
  /** Match-action stages per pipe. */
  stages: number;
  /** SRAM blocks per stage. */
  blocksPerStage: number;
  /** Words per SRAM block. */
  wordsPerBlock: number;
  /** Bits per SRAM word. */
  wordBits: number;
  /** Register arrays one stage can host: each needs its own stateful ALU (Tofino 1 has 4 per stage). */
  registerArraysPerStage: number;
  /** Extra blocks per register array: the spare bank the compiler adds so that a read-modify-write
   * completes every cycle (its synthetic two-port memory). */
  spareBlocksPerArray: number;
  /** Total SRAM the path tables may occupy, in bytes (the talk's ~10 MB of the gateway). */
  pathTableBytes: number;
}

export const TOFINO1_BUDGET: Readonly<PipelineBudget> = Object.freeze({
  stages: 12,
  blocksPerStage: 80,
  wordsPerBlock: 1024,
  wordBits: 128,
  registerArraysPerStage: 4,
  spareBlocksPerArray: 1,
  pathTableBytes: 10 * 1024 * 1024,
});

/** Bytes of one SRAM block (16 KiB with the defaults). */
export function blockBytes(b: PipelineBudget): number {
  return (b.wordsPerBlock * b.wordBits) / 8;
}

/** Cells of the given width packed in one SRAM word: the compiler never splits a cell across words. */
export function cellsPerWord(b: PipelineBudget, width: CellWidth): number {
  return Math.floor(b.wordBits / width);
}

/** Data blocks holding `cells` cells (whole blocks, as the compiler allocates). */
export function dataBlocks(b: PipelineBudget, cells: number, width: CellWidth): number {
  return Math.ceil(cells / cellsPerWord(b, width) / b.wordsPerBlock);
}

/** Blocks a register array of `cells` cells occupies, spare bank included. */
export function arrayBlocks(b: PipelineBudget, cells: number, width: CellWidth): number {
  return dataBlocks(b, cells, width) + b.spareBlocksPerArray;
}

/** Most cells one register array can hold within `blocks` blocks (spare bank included). */
export function cellsInBlocks(b: PipelineBudget, blocks: number, width: CellWidth): number {
  const data = blocks - b.spareBlocksPerArray;
  return data > 0 ? data * b.wordsPerBlock * cellsPerWord(b, width) : 0;
}

/** The smallest register cell width that holds `bits` bits, or undefined above 64. */
export function widthFor(bits: number): CellWidth | undefined {
  return CELL_WIDTHS.find((w) => w >= bits);
}

/** Resolve a partial budget against Tofino 1's defaults, rejecting nonsense. */
export function resolveBudget(partial: Partial<PipelineBudget> = {}): PipelineBudget {
  const b: PipelineBudget = { ...TOFINO1_BUDGET, ...partial };
  for (const [k, v] of Object.entries(b)) {
    const min = k === 'spareBlocksPerArray' ? 0 : 1;
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`pipeline budget: ${k} must be an integer >= ${min}, got ${v}`);
  }
  if (b.wordBits % 64 !== 0) throw new RangeError(`pipeline budget: wordBits must be a multiple of 64, got ${b.wordBits}`);
  return b;
}

/** An allocation that does not fit a budget. */
export class BudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetError';
  }
}
