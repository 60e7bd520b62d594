// Reference twin of hashBatch (assembly/vxlan.ts): parse + hash only.
import { Status } from '../../bindings/layout.js';
import type { RefBatch } from './batch.js';
import { clearOutputs, frameFits } from './descriptor.js';
import { flowKey } from './flow-hash.js';
import type { RefState } from './state.js';

/** Hash every frame of the batch; returns the number hashed. */
export function hashBatchRef(b: RefBatch, s: RefState): number {
  let ok = 0;
  b.desc.forEach((d, i) => {
    const off = d.dataOff, len = d.dataLen;
    if (!frameFits(off, len, b.slotSize, 0)) { clearOutputs(d, Status.BAD_DESC); return; }
    if (len < 14) { clearOutputs(d, Status.RUNT); return; }
    const base = i * b.slotSize + off;
    const k = flowKey(b.arena.subarray(base, base + len), s.config.seed);
    clearOutputs(d, Status.OK);
    d.hash = k.hash; d.key = k.key; d.l3 = k.l3; d.l4 = k.l4;
    d.outOff = off; d.outLen = len;
    ok++;
  });
  return ok;
}
