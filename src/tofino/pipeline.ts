// One emulated Tofino pipe: stages with an SRAM budget each, a total budget for the path tables, and the
// register arrays allocated in them. Allocation that would exceed any budget throws BudgetError.
import { arrayBlocks, blockBytes, BudgetError, cellsInBlocks, resolveBudget, type CellWidth, type PipelineBudget } from './budget.js';
import { Register, type RegisterSpec } from './register.js';

export interface SpreadSpec {
  /** Base name; the arrays are called `${name}[0]`, `${name}[1]`, ... */
  name: string;
  width: CellWidth;
  /** Total cells, split over as many arrays as needed. */
  size: number;
  /** First stage that may hold a part (default 0). */
  minStage?: number;
  /** Cap on blocks per array (spare included), to spread a table over more arrays. */
  maxBlocksPerArray?: number;
}

export class Pipeline {
  readonly budget: PipelineBudget;
  private readonly regs: Register[] = [];
  private readonly blocksUsed: number[];
  private readonly arraysUsed: number[];

  constructor(budget: Partial<PipelineBudget> = {}) {
    this.budget = resolveBudget(budget);
    this.blocksUsed = new Array<number>(this.budget.stages).fill(0);
    this.arraysUsed = new Array<number>(this.budget.stages).fill(0);
  }

  /** Every register array, indexed by id (ids are dense, in allocation order). */
  get registers(): readonly Register[] {
    return this.regs;
  }

  register(id: number): Register | undefined {
    return this.regs[id];
  }

  byName(name: string): Register | undefined {
    return this.regs.find((r) => r.name === name);
  }

  blocksInStage(stage: number): number {
    return this.blocksUsed[stage] ?? 0;
  }

  freeBlocksInStage(stage: number): number {
    return this.budget.blocksPerStage - this.blocksInStage(stage);
  }

  /** Blocks used by every register array. */
  get totalBlocks(): number {
    return this.blocksUsed.reduce((a, b) => a + b, 0);
  }

  /** SRAM bytes those blocks occupy. */
  get totalBytes(): number {
    return this.totalBlocks * blockBytes(this.budget);
  }

  /** Allocate one register array in one stage. */
  allocate(spec: RegisterSpec): Register {
    const { name, width, size, stage } = spec;
    const b = this.budget;
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`register ${name}: size must be a positive integer, got ${size}`);
    if (![8, 16, 32, 64].includes(width)) throw new RangeError(`register ${name}: width must be 8, 16, 32 or 64 (a pair), got ${width}`);
    if (!Number.isInteger(stage) || stage < 0 || stage >= b.stages) throw new BudgetError(`register ${name}: stage ${stage} does not exist (stages 0..${b.stages - 1})`);
    if (this.byName(name)) throw new RangeError(`register ${name}: name already allocated`);
    if (this.regs.length >= 0x10000) throw new BudgetError(`register ${name}: register ids are 16-bit (negotiation records), 65536 arrays at most`);
    const blocks = arrayBlocks(b, size, width);
    if (this.arraysUsed[stage]! >= b.registerArraysPerStage) {
      throw new BudgetError(`register ${name}: stage ${stage} already holds ${b.registerArraysPerStage} register arrays (one stateful ALU each)`);
    }
    if (this.blocksUsed[stage]! + blocks > b.blocksPerStage) {
      throw new BudgetError(`register ${name}: needs ${blocks} SRAM blocks but stage ${stage} has ${this.freeBlocksInStage(stage)} of ${b.blocksPerStage} free`);
    }
    const bytesAfter = (this.totalBlocks + blocks) * blockBytes(b);
    if (bytesAfter > b.pathTableBytes) {
      throw new BudgetError(`register ${name}: ${blocks} blocks would bring the path tables to ${bytesAfter} bytes, over the ${b.pathTableBytes}-byte budget`);
    }
    this.blocksUsed[stage]! += blocks;
    this.arraysUsed[stage]! += 1;
    const reg = new Register(this.regs.length, { name, width, size, stage });
    this.regs.push(reg);
    return reg;
  }

  /**
   * Allocate `size` cells over as many arrays as needed, filling stages in order from `minStage`.
   * Checks the whole plan before allocating anything, so a failure leaves the pipeline unchanged.
   */
  allocateSpread(spec: SpreadSpec): Register[] {
    const plan = this.planSpread(spec);
    return plan.map((p, i) => this.allocate({ name: `${spec.name}[${i}]`, width: spec.width, size: p.size, stage: p.stage }));
  }

  private planSpread(spec: SpreadSpec): { stage: number; size: number }[] {
    const b = this.budget;
    const { name, width, size } = spec;
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`table ${name}: size must be a positive integer, got ${size}`);
    const cap = spec.maxBlocksPerArray ?? b.blocksPerStage;
    const plan: { stage: number; size: number }[] = [];
    let left = size;
    let blocks = 0;
    for (let s = spec.minStage ?? 0; s < b.stages && left > 0; s++) {
      let free = this.freeBlocksInStage(s);
      let slots = b.registerArraysPerStage - (this.arraysUsed[s] ?? 0);
      while (left > 0 && slots > 0) {
        const cells = Math.min(left, cellsInBlocks(b, Math.min(free, cap), width));
        if (cells <= 0) break;
        const used = arrayBlocks(b, cells, width);
        plan.push({ stage: s, size: cells });
        left -= cells;
        free -= used;
        slots -= 1;
        blocks += used;
      }
    }
    if (left > 0) {
      throw new BudgetError(`table ${name}: ${size} cells of ${width} bits do not fit the free SRAM of stages ${spec.minStage ?? 0}..${b.stages - 1} (${left} cells left over)`);
    }
    const bytesAfter = (this.totalBlocks + blocks) * blockBytes(b);
    if (bytesAfter > b.pathTableBytes) {
      throw new BudgetError(`table ${name}: ${blocks} blocks would bring the path tables to ${bytesAfter} bytes, over the ${b.pathTableBytes}-byte budget`);
    }
    return plan;
  }
}
