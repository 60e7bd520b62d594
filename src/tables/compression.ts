// Table compression at scale: flat, PBM and HI compiled from one random slow-path state, their storage
// measured from what each table actually allocates and uses (docs/tables.md, "Compression accounting").
import { Prng } from '../reference/prng.js';
import { FlatTable } from './flat.js';
import { HiTable } from './hi.js';
import { PbmTable } from './pbm.js';
import { SlowPathTable } from './slow-path.js';
import type { TableArraySpec } from './fast-table.js';

export interface CompressionOptions {
  /** Destination VTEPs (peers), 1..65535. */
  vteps: number;
  /** Candidate ports per VTEP, 1..64. */
  ports: number;
  /** Fraction of VTEPs with one failed port, 0..1. */
  failedFraction: number;
  seed: number;
  /** PBM priority groups G. */
  groups: number;
  /** HI candidates per entry M. */
  hiGroupSize: number;
  /** HI level-2 pool in blocks; default twice the VTEPs with a failure (at least 1). */
  hiBlocks?: number;
  /** PBM preference slots; default twice the VTEPs with a failure (at least 4). */
  pbmPrefSlots?: number;
}

export interface CompressionReport {
  vteps: number;
  ports: number;
  failedFraction: number;
  failedVteps: number;
  seed: number;
  /** Each table's arrays as allocated (name, cell width, cells), for placing them on switch registers. */
  arrays: { flat: readonly TableArraySpec[]; pbm: readonly TableArraySpec[]; hi: readonly TableArraySpec[] };
  /** Bytes each table's state occupies (cells in use x cell width). */
  flatBytes: number;
  pbmBytes: number;
  hiBytes: number;
  pbmRatio: number;
  hiRatio: number;
  /** Bytes each table allocated (PBM's and HI's include their whole pools). */
  flatAllocatedBytes: number;
  pbmAllocatedBytes: number;
  hiAllocatedBytes: number;
  pbmAllocatedRatio: number;
  hiAllocatedRatio: number;
  /** Register writes made to compile each table from the state. */
  registerWrites: { flat: number; pbm: number; hi: number };
  /** Flows checked against the slow path (healthy port whenever one exists), and violations found. */
  flowsChecked: number;
  violations: number;
  parameters: {
    flatEntryBits: number; pbmBitmapBits: number; pbmWordsPerVtep: number; pbmGroups: number; pbmShiftBits: number;
    pbmPrefSlots: number; pbmPrefSlotsInUse: number; pbmPrefSlotBits: number; pbmPrefOverflows: number;
    hiGroupSize: number; hiL1Bits: number; hiL2EntryBits: number; hiEntriesPerBlock: number; hiBlocks: number; hiBlocksInUse: number;
    baseline: string;
  };
}

export function measureCompression(o: CompressionOptions): CompressionReport {
  const rng = new Prng(o.seed);
  const slow = new SlowPathTable();
  const shape = { peers: o.vteps, candidates: o.ports };
  const failedVteps = Math.round(o.vteps * o.failedFraction);
  const hiBlocks = o.hiBlocks ?? Math.max(1, 2 * failedVteps);
  const flat = new FlatTable(slow, shape);
  const pbm = new PbmTable(slow, { ...shape, groups: o.groups, prefSlots: Math.min(65536, o.pbmPrefSlots ?? Math.max(4, 2 * failedVteps)) });
  const hi = new HiTable(slow, { ...shape, groupSize: o.hiGroupSize, blocks: Math.min(65535, hiBlocks) });
  const ports = Array.from({ length: o.ports }, (_, i) => 49152 + i * Math.floor(16384 / o.ports));
  for (let v = 0; v < o.vteps; v++) slow.addPeer(v, ports);
  // Distinct VTEPs with a failure (partial Fisher-Yates), each with one failed port; their ports get
  // random BackendID groups and failure-free times so that HI's choice has preferences to follow.
  const order = Uint32Array.from({ length: o.vteps }, (_, i) => i);
  for (let i = 0; i < failedVteps; i++) {
    const j = i + (rng.u32() % (o.vteps - i));
    const v = order[j]!; order[j] = order[i]!; order[i] = v;
    for (let c = 0; c < o.ports; c++) slow.setPort(v, c, { group: 1 + (rng.u32() % 4), failureFreeSince: rng.u32() % 100_000 });
    slow.setPort(v, rng.u32() % o.ports, { healthy: false });
  }
  // Every table must still choose a healthy port for flows of the failed VTEPs.
  let flowsChecked = 0, violations = 0;
  for (let i = 0; i < failedVteps; i++) {
    const v = order[i]!;
    const states = slow.ports(v);
    for (let f = 0; f < 64; f++) {
      const h = rng.u32();
      for (const t of [flat, pbm, hi]) {
        flowsChecked++;
        if (!states[t.select(v, h)]!.healthy) violations++;
      }
    }
  }
  const ff = flat.footprint(), pf = pbm.footprint(), hf = hi.footprint();
  const report: CompressionReport = {
    vteps: o.vteps, ports: o.ports, failedFraction: o.failedFraction, failedVteps, seed: o.seed,
    arrays: { flat: ff.arrays, pbm: pf.arrays, hi: hf.arrays },
    flatBytes: ff.usedBytes, pbmBytes: pf.usedBytes, hiBytes: hf.usedBytes,
    pbmRatio: ff.usedBytes / pf.usedBytes, hiRatio: ff.usedBytes / hf.usedBytes,
    flatAllocatedBytes: ff.allocatedBytes, pbmAllocatedBytes: pf.allocatedBytes, hiAllocatedBytes: hf.allocatedBytes,
    pbmAllocatedRatio: ff.allocatedBytes / pf.allocatedBytes,
    hiAllocatedRatio: ff.allocatedBytes / hf.allocatedBytes,
    registerWrites: { flat: flat.registerWrites, pbm: pbm.registerWrites, hi: hi.registerWrites },
    flowsChecked, violations,
    parameters: {
      flatEntryBits: 16, pbmBitmapBits: 32 * pbm.wordsPerPeer, pbmWordsPerVtep: pbm.wordsPerPeer, pbmGroups: pbm.groups, pbmShiftBits: 8,
      pbmPrefSlots: pbm.prefSlots, pbmPrefSlotsInUse: pbm.arrays().find((a) => a.name === 'pbm.pref.tag')!.cellsInUse,
      pbmPrefSlotBits: 16 + 8 * pbm.groups, pbmPrefOverflows: pbm.prefOverflows,
      hiGroupSize: hi.groupSize, hiL1Bits: 16, hiL2EntryBits: 8, hiEntriesPerBlock: hi.entriesPerBlock, hiBlocks: hi.blocks,
      hiBlocksInUse: hi.blocksInUse,
      baseline: 'flat: one 16-bit entry per (VTEP, candidate port) holding the port, 0 = unusable; no key (all tables are indexed by peer)',
    },
  };
  for (const t of [flat, pbm, hi]) t.dispose();
  return report;
}
