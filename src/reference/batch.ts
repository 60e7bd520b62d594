// A batch as the twin sees it: a plain arena of equal slots and one descriptor per packet, mirroring
// the Wasm batch (descriptor i owns slot i; offsets are relative to the slot).
import type { RefDescriptor } from './descriptor.js';

export interface RefBatch {
  slotSize: number;
  /** count * slotSize bytes; kernels write only inside the slot a descriptor owns. */
  arena: Uint8Array;
  desc: RefDescriptor[];
}

/** A batch over copies of the given slots (each slotSize bytes) and descriptors. */
export function refBatch(slotSize: number, slots: readonly Uint8Array[], desc: readonly RefDescriptor[]): RefBatch {
  if (slots.length !== desc.length) throw new RangeError(`${slots.length} slots for ${desc.length} descriptors`);
  const arena = new Uint8Array(slots.length * slotSize);
  slots.forEach((s, i) => {
    if (s.length !== slotSize) throw new RangeError(`slot ${i} has ${s.length} bytes, not ${slotSize}`);
    arena.set(s, i * slotSize);
  });
  return { slotSize, arena, desc: desc.map((d) => ({ ...d })) };
}

export function refSlot(b: RefBatch, i: number): Uint8Array {
  return b.arena.subarray(i * b.slotSize, (i + 1) * b.slotSize);
}

/** Packet i's result frame (empty when dropped), as PacketBatch.output(i) gives it. */
export function refOutput(b: RefBatch, i: number): Uint8Array {
  const d = b.desc[i];
  const base = i * b.slotSize + d.outOff;
  return b.arena.subarray(base, base + d.outLen);
}
