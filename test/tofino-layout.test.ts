// Flat, PBM and HI laid out on register arrays: footprints in SRAM blocks and bytes.
import t from 'tap';
import { Pipeline } from '../src/tofino/pipeline.js';
import { layoutFlat, layoutHi, layoutPbm, pathTableFootprints, type PathTableDimensions } from '../src/tofino/path-layout.js';
import { Program } from '../src/tofino/program.js';

const TALK: PathTableDimensions = { destinations: 50_000, ports: 32, pbmGroups: 4, hiGroupSize: 8, hiPoolSize: 500, flatEntryBits: 32 };
const KIB16 = 16384;

t.test('footprints at the talk\'s scale (50k destinations x 32 ports)', async (t) => {
  const f = pathTableFootprints(TALK);
  t.same({ blocks: f.flat.blocks, arrays: f.flat.arrays.length, fits: f.flat.fits }, { blocks: 391 + 5, arrays: 5, fits: true },
    '1.6M 32-bit entries: 391 data blocks in 5 arrays, each with its spare bank');
  t.equal(f.flat.cellBytes, 1_600_000 * 4);
  t.equal(f.flat.sramBytes, 396 * KIB16);
  // PBM: 50k 32-bit bitmaps = ceil(50000 / 4 / 1024) = 13 blocks + spare; 4 masks: 1 + spare.
  t.equal(f.pbm.blocks, 14 + 2);
  t.equal(f.pbm.cellBytes, 50_000 * 4 + 4 * 4);
  // HI: 501-slot pool needs a 9-bit pointer -> 16-bit L1: ceil(50000 / 8 / 1024) = 7 + spare;
  // a pool slot is 4 entries x 16 bits = one pair: 1 block + spare.
  t.equal(f.hi.blocks, 8 + 2);
  t.same(f.hi.arrays.map((a) => [a.name, a.width, a.size]), [['hi.l1[0]', 16, 50_000], ['hi.l2.lane0[0]', 64, 501]]);
  t.ok(f.hi.arrays[1]!.stage > f.hi.arrays[0]!.stage, 'the second level sits after the first');
  t.equal(f.budget.pathTableBytes, 10 * 1024 * 1024);
});

t.test('a table over the budget is reported, not thrown', async (t) => {
  const f = pathTableFootprints({ ...TALK, destinations: 100_000, flatEntryBits: 64 });
  t.equal(f.flat.fits, false);
  t.match(f.flat.error, /do not fit|budget/);
  t.equal(f.pbm.fits, true);
  const tight = pathTableFootprints(TALK, { pathTableBytes: 4 * 1024 * 1024 });
  t.equal(tight.flat.fits, false);
  t.match(tight.flat.error, /over the 4194304-byte budget/);
  t.throws(() => pathTableFootprints({ ...TALK, ports: 65 }), RangeError);
  t.throws(() => pathTableFootprints({ ...TALK, destinations: 0 }), RangeError);
});

t.test('wide HI slots split into lanes; an empty pool costs only the first level', async (t) => {
  const p = new Pipeline();
  const regs = layoutHi(p, { ...TALK, ports: 64, hiGroupSize: 4, hiEntryBits: 16 });
  t.same(regs.map((r) => r.name), ['hi.l1[0]', 'hi.l2.lane0[0]', 'hi.l2.lane1[0]', 'hi.l2.lane2[0]', 'hi.l2.lane3[0]']);
  const none = layoutHi(new Pipeline(), { ...TALK, hiPoolSize: 0 });
  t.same(none.map((r) => [r.name, r.width]), [['hi.l1[0]', 8]]);
});

t.test('the layouts take real lookup programs: PBM in one pass, HI across two stages', async (t) => {
  const p = new Pipeline();
  const [bitmap, masks] = layoutPbm(p, TALK);
  const pbm = Program.build(p, [
    { register: bitmap!, op: 'read', index: { field: 'dest' }, output: 'bitmap' },
    { register: masks!, op: 'read', index: { field: 'group' }, output: 'mask' },
  ]);
  bitmap!.write(42, 0xfffffffe);
  t.equal(pbm.run({ dest: 42 }).outputs.bitmap, 0xfffffffe);

  const q = new Pipeline();
  const [l1, l2] = layoutHi(q, TALK);
  l1!.write(7, 3);
  l2!.write(3, 0x0001_0002, 0x0003_0004);
  const hi = Program.build(q, [
    { register: l1!, op: 'read', index: { field: 'dest' }, output: 'ptr' },
    { register: l2!, op: 'read', index: { result: 'ptr' }, when: { result: 'ptr' }, output: 'lo', outputHi: 'hi' },
  ]);
  t.same(hi.run({ dest: 7 }).outputs, { ptr: 3, lo: 0x0001_0002, hi: 0x0003_0004 });
});

t.test('a spread flat table uses many arrays so that a pass can update many at once', async (t) => {
  const p = new Pipeline();
  const regs = layoutFlat(p, TALK, { spread: true });
  t.ok(regs.length > 5 && regs.length <= 48, `${regs.length} arrays`);
  t.equal(regs.reduce((a, r) => a + r.size, 0), 1_600_000);
  t.ok(p.totalBytes <= p.budget.pathTableBytes);
});
