// A batch of register writes, struct-of-arrays so that a million updates cost four typed arrays and
// no object per update.
import type { Pipeline } from './pipeline.js';

export class UpdateSet {
  regIds: Uint16Array;
  indices: Uint32Array;
  los: Uint32Array;
  his: Uint32Array;
  private n = 0;

  constructor(capacity = 1024) {
    const c = Math.max(1, capacity);
    this.regIds = new Uint16Array(c);
    this.indices = new Uint32Array(c);
    this.los = new Uint32Array(c);
    this.his = new Uint32Array(c);
  }

  get length(): number {
    return this.n;
  }

  /** Append one write; fields are stored as the wire carries them (16-bit id, 32-bit index and halves). */
  push(regId: number, index: number, lo: number, hi = 0): void {
    if (this.n === this.regIds.length) this.grow();
    const i = this.n++;
    this.regIds[i] = regId;
    this.indices[i] = index;
    this.los[i] = lo;
    this.his[i] = hi;
  }

  private grow(): void {
    const c = this.regIds.length * 2;
    const g = <T extends Uint16Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(c);
      b.set(a);
      return b;
    };
    this.regIds = g(this.regIds, (k) => new Uint16Array(k));
    this.indices = g(this.indices, (k) => new Uint32Array(k));
    this.los = g(this.los, (k) => new Uint32Array(k));
    this.his = g(this.his, (k) => new Uint32Array(k));
  }
}

export interface ApplyCounts {
  applied: number;
  /** Writes with a register id, index or value out of range: refused, never applied. */
  refused: number;
}

/** Apply updates in order straight to the registers: the reference both channels must match. */
export function applyDirect(pipeline: Pipeline, updates: UpdateSet): ApplyCounts {
  let applied = 0;
  let refused = 0;
  for (let i = 0; i < updates.length; i++) {
    const reg = pipeline.register(updates.regIds[i]!);
    const index = updates.indices[i]!;
    const lo = updates.los[i]!;
    const hi = updates.his[i]!;
    if (reg === undefined || !reg.accepts(index, lo, hi)) {
      refused++;
      continue;
    }
    reg.write(index, lo, hi);
    applied++;
  }
  return { applied, refused };
}
