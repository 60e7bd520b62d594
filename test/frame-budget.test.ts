// FrameBudget (src/capture/frame-budget.ts): `--count N` shared by capture threads. Loops that claim,
// read up to what they claimed and settle take exactly N frames together, never more, however they
// interleave: a model over random interleavings, then real threads racing on one shared buffer.
import t from 'tap';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { FrameBudget } from '../src/capture/frame-budget.js';

t.test('loops that claim before they read take exactly the limit together, in any interleaving', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 20_000 }),
    fc.integer({ min: 1, max: 4 }),
    // Each step: a loop, and how many frames its ring holds at that moment.
    fc.array(fc.tuple(fc.nat(3), fc.nat(6000)), { minLength: 1, maxLength: 60 }),
    (limit, loops, steps) => {
      const shared = new SharedArrayBuffer(16);
      const budgets = Array.from({ length: loops }, () => new FrameBudget(limit, shared));
      let taken = 0, reached = false;
      // A claim held across another loop's turn, as threads do: claimed now, settled on the loop's next step.
      const held: (number | undefined)[] = new Array<undefined>(loops).fill(undefined);
      for (const [l, inRing] of steps) {
        const i = l % loops, b = budgets[i]!;
        const c = held[i];
        if (c !== undefined) {
          const got = Math.min(c, inRing);
          taken += got;
          if (b.settle(c, got)) reached = true;
          held[i] = undefined;
        } else {
          const want = b.claim();
          if (want > 0) held[i] = want;
        }
        if (taken > limit) return false;
      }
      for (let i = 0; i < loops; i++) {
        const c = held[i];
        if (c !== undefined) { taken += c; if (budgets[i]!.settle(c, c)) reached = true; }
      }
      // Drain: every loop with frames enough reaches the limit exactly.
      for (let guard = 0; !reached && guard < 100; guard++) {
        for (const b of budgets) {
          const want = b.claim();
          if (want === 0) continue;
          taken += want;
          if (b.settle(want, want)) reached = true;
        }
      }
      return reached && taken === limit && budgets[0]!.taken === limit;
    },
  ), { numRuns: 2000 });
  t.pass('exact in every interleaving tried');
});

t.test('unlimited: every claim is Infinity and frames are counted', async (t) => {
  const b = new FrameBudget(Infinity);
  t.equal(b.claim(), Infinity);
  t.equal(b.settle(Infinity, 7), false);
  t.equal(b.taken, 7);
  t.throws(() => new FrameBudget(0), RangeError);
  t.throws(() => new FrameBudget(1.5), RangeError);
  t.throws(() => new FrameBudget(5).settle(3, 4), RangeError, 'never more than claimed');
});

t.test('four threads racing on one budget take exactly the limit', async (t) => {
  const limit = 300_000_007; // about 100k claims: long enough for the threads to overlap
  const budget = new FrameBudget(limit);
  const url = new URL('../src/capture/frame-budget.ts', import.meta.url).href;
  // Each thread: claim, "read" a random share of the claim (a ring with fewer frames), settle, until none is left.
  const code = `import('tsx/esm/api').then(async (m) => { m.register(); const { FrameBudget } = await import(${JSON.stringify(url)});
    const { workerData, parentPort } = await import('node:worker_threads');
    const b = new FrameBudget(workerData.limit, workerData.shared);
    const gate = new Int32Array(workerData.gate);
    Atomics.add(gate, 0, 1);
    while (Atomics.load(gate, 0) < 4) Atomics.wait(gate, 0, Atomics.load(gate, 0), 5); // all four start together
    let took = 0, x = workerData.seed;
    for (;;) {
      const want = b.claim();
      if (want === 0) { if (b.taken >= b.limit) break; continue; }
      x = (x * 1103515245 + 12345) >>> 0;
      const got = x % 3 === 0 ? want : x % (want + 1);
      took += got;
      b.settle(want, got);
    }
    parentPort.postMessage(took);
  });`;
  const gate = new SharedArrayBuffer(4);
  const took = await Promise.all([1, 2, 3, 4].map((seed) => new Promise<number>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { limit, shared: budget.shared, seed, gate } });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  t.equal(took.reduce((a, b) => a + b, 0), limit, `the threads took ${took.join(' + ')} = the limit`);
  t.ok(took.filter((n) => n > 0).length >= 2, 'at least two threads took frames (they raced)');
  t.equal(budget.taken, limit);
  t.equal(budget.claim(), 0, 'nothing left to claim');
});
