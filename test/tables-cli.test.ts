// `zooroute tables`: storage measured from the tables themselves, and the command's JSON and errors.
import t from 'tap';
import { runInProcess as run } from './fixtures/cli.js';
import { measureCompression } from '../src/tables/compression.js';

t.test('bytes come from the tables: flat N x 16 bits per VTEP, PBM a bitmap, HI a slot plus blocks in use', async (t) => {
  const r = measureCompression({ vteps: 3000, ports: 32, failedFraction: 0.02, seed: 7, groups: 4, hiGroupSize: 8 });
  t.equal(r.failedVteps, 60);
  t.equal(r.flatBytes, 3000 * 32 * 2);
  t.equal(r.pbmBytes, 3000 * 4 + 4 + 60 * 6, 'u32 bitmap per VTEP, 4 one-byte shared shifts, a 6-byte preference slot per failing VTEP');
  t.equal(r.parameters.pbmPrefSlotsInUse, 60, 'every failing VTEP found a preference slot');
  t.equal(r.parameters.hiBlocksInUse, 60, 'one block per VTEP with a failure');
  t.equal(r.hiBytes, 3000 * 2 + 60 * 4);
  t.equal(r.hiAllocatedBytes, 3000 * 2 + 120 * 4, 'pool of twice the failing VTEPs');
  t.equal(r.violations, 0, `${r.flowsChecked} flows of failed VTEPs, none on a bad port`);
  // PBM: one write per VTEP added; per first failure its bitmap word, the tag, and each of the 4 starts
  // unless the slot already holds that candidate (an unused slot holds candidate 0: 1 in 32 starts).
  const pbmW = r.registerWrites.pbm;
  t.ok(pbmW <= 3000 + 60 * 6 && pbmW >= 3000 + 60 * 6 - 60, `PBM: ${pbmW} writes, at most one per VTEP added plus 6 per first failure`);
  const more = measureCompression({ vteps: 3000, ports: 32, failedFraction: 0.2, seed: 7, groups: 4, hiGroupSize: 8 });
  t.ok(more.hiBytes > r.hiBytes && more.pbmBytes > r.pbmBytes, 'both grow with failures');
  const wide = measureCompression({ vteps: 100, ports: 64, failedFraction: 0.1, seed: 1, groups: 4, hiGroupSize: 8 });
  t.equal(wide.pbmBytes, 100 * 8 + 4 + 10 * 6, '64 candidates: two bitmap words');
  t.equal(wide.violations, 0);
});

t.test('the command prints JSON with the parameters, and refuses bad arguments with exit code 2', async (t) => {
  const r = await run(['tables', '--vteps', '2000', '--candidates', '16', '--failed-fraction', '0.05', '--seed', '3', '--json']);
  t.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as Record<string, unknown> & { parameters: Record<string, unknown> };
  for (const k of ['flatBytes', 'pbmBytes', 'hiBytes', 'pbmRatio', 'hiRatio', 'failedFraction']) t.type(j[k], 'number', k);
  t.equal(j.flatBytes, 2000 * 16 * 2);
  t.equal(j.pbmRatio, (j.flatBytes as number) / (j.pbmBytes as number));
  t.match(j.parameters, { flatEntryBits: 16, pbmGroups: 4, hiGroupSize: 8 });
  // The tables' own arrays placed on the Tofino emulator: whole 16 KiB blocks, at least the cells' bytes.
  const tof = j.tofino as Record<string, { fits: boolean; blocks: number; sramBytes: number; cellBytes: number }>;
  for (const k of ['flat', 'pbm', 'hi']) {
    t.equal(tof[k]!.fits, true, `${k} fits`);
    t.equal(tof[k]!.sramBytes, tof[k]!.blocks * 16384, `${k} counted in blocks`);
    t.ok(tof[k]!.sramBytes >= tof[k]!.cellBytes, `${k} blocks hold its cells`);
  }
  t.equal(tof.flat!.cellBytes, j.flatAllocatedBytes, 'flat placed as allocated');
  // At the talk's scale the blocks rank as the bytes do (at toy scale the per-array spare block dominates).
  const big = JSON.parse((await run(['tables', '--vteps', '50000', '--candidates', '32', '--json'])).out) as { tofino: typeof tof };
  t.ok(big.tofino.flat!.blocks > 5 * big.tofino.pbm!.blocks && big.tofino.pbm!.blocks >= big.tofino.hi!.blocks, 'flat >> PBM >= HI in SRAM blocks at 50k x 32');
  const text = await run(['tables', '--vteps', '500']);
  t.equal(text.code, 0);
  t.match(text.out, /PBM .*x smaller/);
  for (const bad of [['--vteps', '70000'], ['--failed-fraction', '2'], ['--candidates', '0'], ['--hi-group-size', '6']]) {
    const e = await run(['tables', ...bad]);
    t.equal(e.code, 2, `${bad.join(' ')} refused`);
  }
});
