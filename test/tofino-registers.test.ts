// Register arrays, SRAM block accounting and budgets of the emulated Tofino pipeline.
import t from 'tap';
import { arrayBlocks, BudgetError, dataBlocks, TOFINO1_BUDGET } from '../src/tofino/budget.js';
import { Pipeline } from '../src/tofino/pipeline.js';

const B = TOFINO1_BUDGET;

t.test('block accounting packs whole cells into 128-bit words and allocates whole blocks', async (t) => {
  t.equal(dataBlocks(B, 1, 32), 1, 'one cell still takes a block');
  t.equal(dataBlocks(B, 4096, 32), 1, '4 x 32-bit cells per word, 1024 words per block');
  t.equal(dataBlocks(B, 4097, 32), 2);
  t.equal(dataBlocks(B, 16384, 8), 1);
  t.equal(dataBlocks(B, 2048, 64), 1, 'pairs: 2 per word');
  t.equal(dataBlocks(B, 1_600_000, 32), 391, '50k x 32 flat entries of 32 bits');
  t.equal(arrayBlocks(B, 4096, 32), 2, 'plus the spare bank');
  t.equal(B.blocksPerStage * 1024 * 128 / 8, 1.25 * 1024 * 1024, '80 blocks = 1.25 MiB per stage');
});

t.test('registers hold fixed-width cells and refuse what does not fit', async (t) => {
  const p = new Pipeline();
  const r8 = p.allocate({ name: 'a', width: 8, size: 10, stage: 0 });
  const pair = p.allocate({ name: 'b', width: 64, size: 10, stage: 1 });
  r8.write(3, 255);
  t.equal(r8.read(3), 255);
  t.throws(() => r8.write(3, 256), RangeError, 'value wider than the cell');
  t.throws(() => r8.write(10, 1), RangeError, 'index past the end');
  t.throws(() => r8.write(1, 1, 1), RangeError, 'no high half on an 8-bit cell');
  t.equal(r8.read(3), 255, 'a refused write changes nothing');
  pair.write(9, 0xffffffff, 0x12345678);
  t.equal(pair.read(9), 0xffffffff);
  t.equal(pair.readHi(9), 0x12345678);
  t.equal(pair.read(8), 0);
  t.equal(p.register(1), pair, 'ids are dense, in allocation order');
});

t.test('allocation beyond a stage, the stateful ALUs, or the total budget fails with a clear error', async (t) => {
  const p = new Pipeline();
  p.allocate({ name: 'big', width: 32, size: 79 * 4096, stage: 0 }); // 79 data + 1 spare = 80 blocks
  t.equal(p.blocksInStage(0), 80);
  t.throws(() => p.allocate({ name: 'more', width: 8, size: 1, stage: 0 }), { name: 'BudgetError', message: /stage 0 has 0 of 80 free/ });
  t.throws(() => p.allocate({ name: 'x', width: 32, size: 80 * 4096, stage: 1 }), BudgetError, 'one array larger than a stage');
  for (let i = 0; i < 4; i++) p.allocate({ name: `s1.${i}`, width: 8, size: 1, stage: 1 });
  t.throws(() => p.allocate({ name: 's1.4', width: 8, size: 1, stage: 1 }), { name: 'BudgetError', message: /4 register arrays/ });
  t.throws(() => p.allocate({ name: 'late', width: 8, size: 1, stage: 12 }), { name: 'BudgetError', message: /stage 12 does not exist/ });
  t.throws(() => p.allocate({ name: 'big', width: 8, size: 1, stage: 2 }), RangeError, 'names are unique');
  t.throws(() => p.allocate({ name: 'zero', width: 8, size: 0, stage: 2 }), RangeError);

  const small = new Pipeline({ pathTableBytes: 3 * 16384 });
  small.allocate({ name: 'a', width: 32, size: 4096, stage: 0 });
  t.throws(() => small.allocate({ name: 'b', width: 32, size: 4096, stage: 1 }), { name: 'BudgetError', message: /over the 49152-byte budget/ });
  t.equal(small.totalBlocks, 2, 'the failed allocation left nothing behind');
});

t.test('a table spread over stages is planned whole: a failure allocates nothing', async (t) => {
  const p = new Pipeline();
  const regs = p.allocateSpread({ name: 'flat', width: 32, size: 1_600_000 });
  t.equal(regs.length, 5, '391 data blocks in arrays of at most 79');
  t.same(regs.map((r) => r.stage), [0, 1, 2, 3, 4]);
  t.equal(regs.reduce((a, r) => a + r.size, 0), 1_600_000);
  t.equal(p.totalBlocks, 391 + 5);
  const before = p.totalBlocks;
  t.throws(() => p.allocateSpread({ name: 'huge', width: 32, size: 10_000_000 }), BudgetError);
  t.equal(p.totalBlocks, before);
  t.equal(p.registers.length, 5);
  const capped = new Pipeline().allocateSpread({ name: 'f', width: 32, size: 100_000, maxBlocksPerArray: 3 });
  t.ok(capped.every((r) => r.size <= 2 * 4096), 'arrays capped at 2 data blocks + spare');
  t.equal(capped.length, Math.ceil(100_000 / 8192));
});
