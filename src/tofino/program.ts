// Register actions and the programs built from them. Building enforces what the Tofino compiler
// enforces: one read-modify-write per register array per pass, each in its array's stage, actions in
// stage order, and no action using a result that is not yet computed when its stage runs.
import type { Pipeline } from './pipeline.js';
import type { Register } from './register.js';

/** Where an action takes a number: a constant, a packet/metadata field (PHV), or an earlier result. */
export type Operand = { const: number } | { field: string } | { result: string };

/** The read-modify-write a stateful ALU applies to one cell. */
export type RmwOp = 'read' | 'write' | 'add' | 'or' | 'and';

export interface RegisterAction {
  register: Register;
  op: RmwOp;
  index: Operand;
  /** New value (write) or the other operand (add/or/and); the low half of a pair. */
  value?: Operand;
  /** The high half's operand, pairs only. */
  valueHi?: Operand;
  /** Run only when this operand is non-zero (a gateway condition in the same stage). */
  when?: Operand;
  /** Stage the program places the action in; must be the register's own stage when given. */
  stage?: number;
  /** Name under which the cell's value (low half) is returned to later stages. */
  output?: string;
  /** Name for the high half of a pair. */
  outputHi?: string;
  /** Return the value before the update (default) or after it. */
  returns?: 'old' | 'new';
}

/** A program the compiler would reject. */
export class ProgramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProgramError';
  }
}

export interface PassResult {
  /** Values returned by the actions, by output name (0 when the action did not run). */
  outputs: Record<string, number>;
  /** Actions that ran. */
  executed: number;
  /** Actions whose index was out of the array's range: no access, no trap, result 0. */
  outOfRange: number;
}

function describe(o: Operand): string {
  return 'const' in o ? `${o.const}` : 'field' in o ? `field ${o.field}` : `result ${o.result}`;
}

/** A validated program: one pass of a packet through the pipeline runs every action once, in order. */
export class Program {
  private constructor(readonly actions: readonly Readonly<RegisterAction>[]) {}

  /** Validate a sequence of actions against a pipeline; throws ProgramError as the compiler would. */
  static build(pipeline: Pipeline, actions: readonly RegisterAction[]): Program {
    const seen = new Set<number>();
    const produced = new Map<string, number>(); // output name -> stage that produces it
    let lastStage = 0;
    actions.forEach((a, i) => {
      const reg = a.register;
      const where = `action ${i} (${a.op} ${reg.name})`;
      if (pipeline.register(reg.id) !== reg) throw new ProgramError(`${where}: register is not allocated in this pipeline`);
      const stage = reg.stage;
      if (a.stage !== undefined && a.stage !== stage) {
        throw new ProgramError(`${where}: placed in stage ${a.stage}, but ${reg.name} lives in stage ${stage}; an array is reachable only from its own stage`);
      }
      if (stage < lastStage) {
        throw new ProgramError(`${where}: stage ${stage} comes after an action in stage ${lastStage}; a pass cannot go back to an earlier stage`);
      }
      lastStage = stage;
      if (seen.has(reg.id)) throw new ProgramError(`${where}: ${reg.name} is already accessed in this pass; one read-modify-write per register array per pass`);
      seen.add(reg.id);
      if (a.op !== 'read' && a.value === undefined) throw new ProgramError(`${where}: ${a.op} needs a value operand`);
      if (!reg.isPair && (a.valueHi !== undefined || a.outputHi !== undefined)) throw new ProgramError(`${where}: ${reg.name} is not a pair; no high half`);
      for (const o of [a.index, a.value, a.valueHi, a.when]) {
        if (o === undefined) continue;
        if ('const' in o && !(Number.isInteger(o.const) && o.const >= 0 && o.const <= 0xffffffff)) {
          throw new ProgramError(`${where}: constant ${o.const} is not a 32-bit unsigned integer`);
        }
        if ('result' in o) {
          const at = produced.get(o.result);
          if (at === undefined) {
            throw new ProgramError(`${where}: uses ${describe(o)}, which no earlier action produces (a result from a later stage cannot be used)`);
          }
          if (at >= stage) {
            throw new ProgramError(`${where}: uses ${describe(o)} produced in stage ${at}; a stateful result is usable only from the next stage on`);
          }
        }
      }
      for (const name of [a.output, a.outputHi]) {
        if (name === undefined) continue;
        if (produced.has(name)) throw new ProgramError(`${where}: output ${name} is already produced`);
        produced.set(name, stage);
      }
    });
    return new Program(actions.map((a) => ({ ...a })));
  }

  /** One pass of one packet with the given PHV fields (missing fields read 0, as zeroed metadata). */
  run(phv: Readonly<Record<string, number>> = {}): PassResult {
    const outputs: Record<string, number> = {};
    let executed = 0;
    let outOfRange = 0;
    const val = (o: Operand | undefined): number =>
      o === undefined ? 0 : 'const' in o ? o.const : 'field' in o ? (phv[o.field] ?? 0) >>> 0 : (outputs[o.result] ?? 0);
    for (const a of this.actions) {
      if (a.output !== undefined) outputs[a.output] = 0;
      if (a.outputHi !== undefined) outputs[a.outputHi] = 0;
      if (a.when !== undefined && val(a.when) === 0) continue;
      const reg = a.register;
      const index = val(a.index);
      if (index >= reg.size) {
        outOfRange++;
        continue;
      }
      executed++;
      const lo = reg.isPair ? 2 * index : index;
      const oldLo = reg.cells[lo]!;
      const oldHi = reg.isPair ? reg.cells[lo + 1]! : 0;
      // Hardware truncates to the cell width; typed arrays do the same on store.
      const apply = (old: number, v: number): number => {
        switch (a.op) {
          case 'read': return old;
          case 'write': return v;
          case 'add': return old + v;
          case 'or': return (old | v) >>> 0;
          case 'and': return (old & v) >>> 0;
        }
      };
      reg.cells[lo] = apply(oldLo, val(a.value));
      if (reg.isPair) reg.cells[lo + 1] = apply(oldHi, val(a.valueHi));
      const fresh = a.returns === 'new';
      if (a.output !== undefined) outputs[a.output] = fresh ? reg.cells[lo]! : oldLo;
      if (a.outputHi !== undefined) outputs[a.outputHi] = fresh ? reg.cells[lo + 1]! : oldHi;
    }
    return { outputs, executed, outOfRange };
  }
}
