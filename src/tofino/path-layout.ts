// The path tables (flat baseline, PBM, HI) laid out on register arrays, so that their SRAM footprint
// is what the Tofino compiler would allocate. Dimensions are plain numbers: this file does not know
// how the tables are filled, only how big their cells are and how many there are.
import { arrayBlocks, blockBytes, BudgetError, dataBlocks, widthFor, type CellWidth, type PipelineBudget } from './budget.js';
import { Pipeline } from './pipeline.js';
import type { Register } from './register.js';

export interface PathTableDimensions {
  /** Destinations (peer VTEPs) the tables cover. */
  destinations: number;
  /** Candidate source ports per destination, N_p (at most 64: a PBM bitmap is one register cell). */
  ports: number;
  /** PBM priority groups G: one N_p-bit mask each. */
  pbmGroups: number;
  /** HI group size M: candidate ports that share one entry. */
  hiGroupSize: number;
  /** HI second-level slots: destinations with a failure each hold one. */
  hiPoolSize: number;
  /** Bits of one flat entry (a port and its state). */
  flatEntryBits: number;
  /** Bits of one HI entry (the recorded port; 0 = empty). Default 16. */
  hiEntryBits?: number;
}

export interface ArrayFootprint {
  name: string;
  stage: number;
  width: CellWidth;
  size: number;
  blocks: number;
}

export interface TableFootprint {
  table: 'flat' | 'pbm' | 'hi';
  arrays: ArrayFootprint[];
  /** SRAM blocks, spare banks included. */
  blocks: number;
  /** Bytes those blocks occupy (what counts against the budget). */
  sramBytes: number;
  /** Bytes the cells themselves hold (cells x cell width). */
  cellBytes: number;
  /** False when the table does not fit the pipeline; `error` then says why. */
  fits: boolean;
  error?: string;
}

export interface FlatOptions {
  /** Spread the table over every stateful ALU of the pipe (more arrays, smaller each), so that a
   * negotiation packet can update up to (stages x arrays per stage) arrays in one pass. */
  spread?: boolean;
}

function positive(name: string, v: number, min = 1): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
}

/** Reject dimensions no layout can hold. */
export function checkDimensions(d: PathTableDimensions): void {
  positive('destinations', d.destinations);
  positive('ports', d.ports);
  if (d.ports > 64) throw new RangeError(`ports must be at most 64 (a PBM bitmap is one register cell), got ${d.ports}`);
  positive('pbmGroups', d.pbmGroups);
  positive('hiGroupSize', d.hiGroupSize);
  positive('hiPoolSize', d.hiPoolSize, 0);
  positive('flatEntryBits', d.flatEntryBits);
  if (d.flatEntryBits > 64) throw new RangeError(`flatEntryBits must be at most 64, got ${d.flatEntryBits}`);
  const e = d.hiEntryBits ?? 16;
  positive('hiEntryBits', e);
  if (e > 64) throw new RangeError(`hiEntryBits must be at most 64, got ${e}`);
}

function footprintOf(table: TableFootprint['table'], regs: readonly Register[], budget: PipelineBudget): TableFootprint {
  const arrays = regs.map((r) => ({ name: r.name, stage: r.stage, width: r.width, size: r.size, blocks: arrayBlocks(budget, r.size, r.width) }));
  const blocks = arrays.reduce((a, x) => a + x.blocks, 0);
  const cellBytes = arrays.reduce((a, x) => a + (x.size * x.width) / 8, 0);
  return { table, arrays, blocks, sramBytes: blocks * blockBytes(budget), cellBytes, fits: true };
}

/** Flat baseline: destinations x ports cells of the flat entry width, indexed dest * ports + i. */
export function layoutFlat(p: Pipeline, d: PathTableDimensions, opts: FlatOptions = {}): Register[] {
  checkDimensions(d);
  const width = widthFor(d.flatEntryBits)!;
  const size = d.destinations * d.ports;
  let cap: number | undefined;
  if (opts.spread) {
    const b = p.budget;
    const arrays = b.stages * b.registerArraysPerStage;
    cap = Math.ceil(dataBlocks(b, size, width) / arrays) + b.spareBlocksPerArray + 1;
  }
  try {
    return p.allocateSpread({ name: 'flat', width, size, ...(cap !== undefined ? { maxBlocksPerArray: cap } : {}) });
  } catch (e) {
    if (cap !== undefined && e instanceof BudgetError) return p.allocateSpread({ name: 'flat', width, size });
    throw e;
  }
}

/** PBM: one N_p-bit bitmap per destination, and the G group masks. */
export function layoutPbm(p: Pipeline, d: PathTableDimensions): Register[] {
  checkDimensions(d);
  const width = widthFor(d.ports)!;
  const bitmaps = p.allocateSpread({ name: 'pbm.bitmap', width, size: d.destinations });
  const masks = p.allocateSpread({ name: 'pbm.masks', width, size: d.pbmGroups });
  return [...bitmaps, ...masks];
}

/**
 * HI: first level, one slot per destination holding a pool pointer (0 = no failure: every group uses
 * its default port); second level, a pool of slots of ceil(N_p / M) entries. A slot wider than 64 bits
 * is split into lanes (parallel arrays indexed by the same pointer). The second level sits in later
 * stages than the first, because its index is the first level's result.
 */
export function layoutHi(p: Pipeline, d: PathTableDimensions): Register[] {
  checkDimensions(d);
  const pointerBits = Math.max(1, Math.ceil(Math.log2(d.hiPoolSize + 1)));
  const l1Width = widthFor(pointerBits);
  if (l1Width === undefined) throw new RangeError(`HI pool of ${d.hiPoolSize} slots needs a pointer wider than 64 bits`);
  const l1 = p.allocateSpread({ name: 'hi.l1', width: l1Width, size: d.destinations });
  if (d.hiPoolSize === 0) return l1;
  const entryBits = d.hiEntryBits ?? 16;
  const entries = Math.ceil(d.ports / d.hiGroupSize);
  const perLane = Math.floor(64 / entryBits);
  const lanes = Math.ceil(entries / perLane);
  const after = Math.max(...l1.map((r) => r.stage)) + 1;
  const l2: Register[] = [];
  for (let lane = 0; lane < lanes; lane++) {
    const inLane = Math.min(perLane, entries - lane * perLane);
    const width = widthFor(inLane * entryBits)!;
    // Slot 0 is never used (pointer 0 means "no failure"), so the pool has hiPoolSize + 1 cells.
    l2.push(...p.allocateSpread({ name: `hi.l2.lane${lane}`, width, size: d.hiPoolSize + 1, minStage: after }));
  }
  return [...l1, ...l2];
}

export interface PathTableFootprints {
  flat: TableFootprint;
  pbm: TableFootprint;
  hi: TableFootprint;
  budget: PipelineBudget;
}

/** Lay out each table on its own fresh pipeline (a gateway runs one of them) and report footprints. */
export function pathTableFootprints(d: PathTableDimensions, budget: Partial<PipelineBudget> = {}): PathTableFootprints {
  checkDimensions(d);
  const one = (table: TableFootprint['table'], lay: (p: Pipeline) => Register[]): TableFootprint => {
    const p = new Pipeline(budget);
    try {
      return footprintOf(table, lay(p), p.budget);
    } catch (e) {
      if (!(e instanceof BudgetError)) throw e;
      return { table, arrays: [], blocks: 0, sramBytes: 0, cellBytes: 0, fits: false, error: e.message };
    }
  };
  return {
    flat: one('flat', (p) => layoutFlat(p, d)),
    pbm: one('pbm', (p) => layoutPbm(p, d)),
    hi: one('hi', (p) => layoutHi(p, d)),
    budget: new Pipeline(budget).budget,
  };
}

/** A table's array as the path tables (src/tables) describe it: plain numbers, no import either way. */
export interface PlainTableArray { name: string; cellBits: number; cells: number }

/**
 * Place a table's own arrays, as its implementation allocates them, on a fresh pipeline (each array
 * spread over stages as needed): the SRAM the real table would take on the switch.
 */
export function placeTableArrays(table: TableFootprint['table'], arrays: readonly PlainTableArray[], budget: Partial<PipelineBudget> = {}): TableFootprint {
  const p = new Pipeline(budget);
  try {
    const regs: Register[] = [];
    for (const a of arrays) {
      const width = widthFor(a.cellBits);
      if (width === undefined) throw new BudgetError(`array ${a.name}: ${a.cellBits}-bit cells are wider than a register pair`);
      if (a.cells > 0) regs.push(...p.allocateSpread({ name: a.name, width, size: a.cells }));
    }
    return footprintOf(table, regs, p.budget);
  } catch (e) {
    if (!(e instanceof BudgetError)) throw e;
    return { table, arrays: [], blocks: 0, sramBytes: 0, cellBytes: 0, fits: false, error: e.message };
  }
}
