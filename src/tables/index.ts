/**
 * Path tables: the slow-path source of truth and the fast-path tables compiled from it.
 *
 * @module zooroute/tables
 */
import type { Datapath } from '../../bindings/index.js';
import type { FastTable, TableKind } from './fast-table.js';
import { FlatTable } from './flat.js';
import { HiTable, type HiShape } from './hi.js';
import { PbmTable, type PbmShape } from './pbm.js';
import { RedirectTable, type RedirectShape } from './redirect.js';
import type { SlowPathTable } from './slow-path.js';

export { SlowPathTable, type PortState, type SlowPathListener } from './slow-path.js';
export { FastTable, type TableKind, type RegisterWrite, type TableArraySpec, type TableFootprint, type TableShape, type TypedCells } from './fast-table.js';
export { FlatTable } from './flat.js';
export { PbmTable, defaultPbmShift, type PbmShape } from './pbm.js';
export { HiTable, type HiShape } from './hi.js';
export { RedirectTable, type RedirectShape } from './redirect.js';
export { preferredHealthy, rankHealthy } from './preference.js';

/** Everything a fast table's shape may say: peers, candidates, PBM's G, HI's M and pool, redirect's S. */
export interface FastTableShape extends PbmShape, HiShape, RedirectShape {}

/** A fast-path table of `kind`, compiled from `slow` now and kept in sync with it from then on. */
export function createFastTable(kind: TableKind, slow: SlowPathTable, shape: FastTableShape): FastTable {
  if (kind === 'flat') return new FlatTable(slow, shape);
  if (kind === 'pbm') return new PbmTable(slow, shape);
  if (kind === 'hi') return new HiTable(slow, shape);
  if (kind === 'redirect') return new RedirectTable(slow, shape);
  throw new RangeError(`unknown table kind ${String(kind)}`);
}

/**
 * The fast table a Datapath reserved (config.table), shaped like it, compiled from `slow` and mirrored
 * into the Datapath: every later register write reaches the Wasm table too.
 */
export function fastTableFor(dp: Datapath, slow: SlowPathTable): FastTable {
  const g = dp.tableGeometry;
  if (g === undefined) throw new RangeError('the datapath reserves no fast-path table (config.table is default)');
  const t = createFastTable(g.kind, slow, {
    peers: g.peers, candidates: g.candidates, groups: g.pbmGroups, prefSlots: g.pbmPrefSlots, groupSize: g.hiGroupSize, blocks: g.hiBlocks,
    spread: g.redirectSpread,
  });
  t.attach(dp);
  return t;
}
