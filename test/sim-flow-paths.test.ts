// FlowPaths (the engine's flat arena of flow segment paths) holds what a plain array of paths per
// segment holds, and its per-link bound is the sum, over segments crossing the link, of their flow's
// bits, after any sequence of path and rate changes (paths longer than the stride included).
import t from 'tap';
import fc from 'fast-check';
import { FlowPaths } from '../src/sim/flow-paths.js';

type Op = { kind: 'path'; flow: number; seg: number; links: number[] } | { kind: 'bits'; flow: number; bits: number };

t.test('FlowPaths agrees with plain per-segment arrays and a recomputed bound', async (t) => {
  const L = 12;
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }),
    fc.array(fc.oneof(
      fc.record({ kind: fc.constant('path' as const), flow: fc.nat(), seg: fc.nat(), links: fc.array(fc.integer({ min: 0, max: L - 1 }), { maxLength: 20 }) }),
      fc.record({ kind: fc.constant('bits' as const), flow: fc.nat(), bits: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1e6 }).map((x) => x * 8)) }),
    ), { maxLength: 60 }),
    (segs, ops: Op[]) => {
      const fp = new FlowPaths(segs, L);
      const ref = segs.map((n) => Array.from({ length: n }, () => [] as number[]));
      const bits = segs.map(() => 0);
      for (const op of ops) {
        const i = op.flow % segs.length;
        if (op.kind === 'path') {
          const k = op.seg % segs[i];
          fp.setPath(i, k, Int32Array.from(op.links));
          ref[i][k] = op.links;
        } else {
          fp.setBits(i, op.bits);
          bits[i] = op.bits;
        }
        const want = new Float64Array(L);
        ref.forEach((fl, f) => fl.forEach((p) => p.forEach((l) => { want[l] += bits[f]; })));
        if (want.some((x, l) => x !== fp.bound[l])) return false;
        for (let f = 0; f < segs.length; f++) {
          for (let k = 0; k < segs[f]; k++) {
            const s = fp.segStart[f] + k;
            const got = Array.from(fp.links.subarray(s * fp.stride, s * fp.stride + fp.len[s]));
            if (got.join() !== ref[f][k].join()) return false;
          }
        }
      }
      return fp.exact;
    },
  ), { numRuns: 300 });
  t.pass('300 random sequences agree');
});

t.test('fits: within capacity, over it, and no proof once bits are not integers', async (t) => {
  const fp = new FlowPaths([1, 1], 3);
  fp.setPath(0, 0, Int32Array.of(0, 1));
  fp.setPath(1, 0, Int32Array.of(1, 2));
  fp.setBits(0, 800); fp.setBits(1, 400);
  t.ok(fp.fits(Float64Array.of(800, 1200, 400)), 'every bound at its capacity fits');
  t.notOk(fp.fits(Float64Array.of(800, 1199, 400)), 'one link over does not');
  fp.setBits(1, 400.5);
  t.notOk(fp.exact, 'a fractional rate ends the proof');
  t.notOk(fp.fits(Float64Array.of(1e9, 1e9, 1e9)), 'and fits says no from then on');
});
