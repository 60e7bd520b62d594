// `zooroute tables`: build the flat baseline, PBM and HI at scale from one random slow-path state and
// report their measured storage and compression ratios.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { measureCompression } from '../tables/compression.js';
import { placeTableArrays } from '../tofino/index.js';

function integer(name: string, lo: number, hi: number): (v: string) => number {
  return (v) => {
    const x = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isInteger(x) || x < lo || x > hi) throw new InvalidArgumentError(`${name} must be an integer in ${lo}..${hi}`);
    return x;
  };
}

function fraction(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1) throw new InvalidArgumentError('--failed-fraction must be a number in 0..1');
  return x;
}

function powerOfTwo(v: string): number {
  const x = integer('--hi-group-size', 1, 64)(v);
  if ((x & (x - 1)) !== 0) throw new InvalidArgumentError('--hi-group-size must be a power of two');
  return x;
}

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`.padStart(12);

export function register(program: Command): void {
  program
    .command('tables')
    .description('build flat, PBM and HI path tables from a random slow-path state; report bytes and compression')
    .option('--vteps <N>', 'destination VTEPs', integer('--vteps', 1, 65535), 50_000)
    .option('--candidates <N>', 'candidate ports per VTEP', integer('--candidates', 1, 64), 32)
    .option('--failed-fraction <F>', 'fraction of VTEPs with a failed port', fraction, 0.01)
    .option('--seed <N>', 'seed of the random slow-path state', integer('--seed', 0, 0xffffffff), 1)
    .option('--groups <N>', 'PBM priority groups G', integer('--groups', 1, 64), 4)
    .option('--hi-group-size <M>', 'HI candidates per entry M (a power of two)', powerOfTwo, 8)
    .addOption(new Option('--hi-blocks <N>', 'HI level-2 pool in blocks').argParser(integer('--hi-blocks', 0, 65535)).default(undefined, 'twice the VTEPs with a failure'))
    .addOption(new Option('--pbm-pref-slots <N>', 'PBM preference slots').argParser(integer('--pbm-pref-slots', 0, 65536)).default(undefined, 'twice the VTEPs with a failure'))
    .option('--json', 'print one JSON object')
    .action((o: { vteps: number; candidates: number; failedFraction: number; seed: number; groups: number; hiGroupSize: number; hiBlocks?: number; pbmPrefSlots?: number; json?: boolean }) => {
      const r = measureCompression({
        vteps: o.vteps, ports: o.candidates, failedFraction: o.failedFraction, seed: o.seed, groups: o.groups,
        hiGroupSize: o.hiGroupSize, hiBlocks: o.hiBlocks, pbmPrefSlots: o.pbmPrefSlots,
      });
      // The same arrays placed on an emulated Tofino 1 pipe: whole SRAM blocks, as the switch spends them.
      const tofino = {
        flat: placeTableArrays('flat', r.arrays.flat),
        pbm: placeTableArrays('pbm', r.arrays.pbm),
        hi: placeTableArrays('hi', r.arrays.hi),
      };
      const sram = (f: (typeof tofino)['flat']): string =>
        f.fits ? `${f.blocks} SRAM blocks (${kib(f.sramBytes).trim()}) on Tofino` : `does not fit on Tofino: ${f.error}`;
      if (o.json) {
        const { arrays: _arrays, ...rest } = r;
        const brief = (f: (typeof tofino)['flat']) => ({ fits: f.fits, blocks: f.blocks, sramBytes: f.sramBytes, cellBytes: f.cellBytes, arrays: f.arrays.length, ...(f.error ? { error: f.error } : {}) });
        process.stdout.write(JSON.stringify({ ...rest, tofino: { flat: brief(tofino.flat), pbm: brief(tofino.pbm), hi: brief(tofino.hi) } }, null, 2) + '\n');
        return;
      }
      const p = r.parameters;
      const lines = [
        `state     ${r.vteps} VTEPs x ${r.ports} ports, ${r.failedVteps} VTEPs (${(r.failedFraction * 100).toFixed(2)}%) with a failed port, seed ${r.seed}`,
        `flat      ${kib(r.flatBytes)}  baseline: ${p.flatEntryBits}-bit entry per (VTEP, port)`,
        `PBM       ${kib(r.pbmBytes)}  ${r.pbmRatio.toFixed(1)}x smaller  (${p.pbmBitmapBits}-bit bitmap per VTEP, G=${p.pbmGroups} shared shifts, ${p.pbmPrefSlotsInUse} preference slots of ${p.pbmPrefSlotBits} bits in use, ${p.pbmPrefOverflows} found none free)`,
        `HI        ${kib(r.hiBytes)}  ${r.hiRatio.toFixed(1)}x smaller  (M=${p.hiGroupSize}: ${p.hiL1Bits}-bit level-1 slot per VTEP, ${p.hiBlocksInUse} blocks of ${p.hiEntriesPerBlock} x ${p.hiL2EntryBits}-bit entries in use)`,
        `allocated PBM ${r.pbmAllocatedRatio.toFixed(1)}x, HI ${r.hiAllocatedRatio.toFixed(1)}x smaller with their whole pools (${p.pbmPrefSlots} preference slots, ${p.hiBlocks} blocks)`,
        `tofino    flat ${sram(tofino.flat)}; PBM ${sram(tofino.pbm)}; HI ${sram(tofino.hi)}`,
        `checked   ${r.flowsChecked} flows of failed VTEPs: ${r.violations} on a bad port`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
