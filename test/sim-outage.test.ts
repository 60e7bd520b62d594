// The outage ledger with sparse flows (src/sim/outage.ts, docs/simulator.md "Outage and masking"):
// bins in which a flow sends nothing do not end a run of outage, a delivering bin does, and empty bins
// outside a run are never out.
import t from 'tap';
import fc from 'fast-check';
import { OutageLedger, outageRuns, binState, BIN_EMPTY, BIN_DELIVERING, BIN_LOSSY } from '../src/sim/outage.js';
import type { CompiledFailure } from '../src/sim/failures.js';

const BIN = 100;
const failure = (startMs: number, endMs: number): CompiledFailure =>
  ({ name: 'f', type: 'link-down', startMs, endMs, links: new Int32Array(0), lossAt: () => 1 });

t.test('bin states follow the SPEC threshold: more than half lost', async (t) => {
  t.equal(binState(0, 0), BIN_EMPTY);
  t.equal(binState(2, 1), BIN_DELIVERING, 'exactly half lost is not out');
  t.equal(binState(3, 2), BIN_LOSSY);
  t.equal(binState(1, 1), BIN_LOSSY);
});

t.test('runs: empty bins inside a run are out, a delivering bin ends it, empty edges are not out', async (t) => {
  const E = BIN_EMPTY, D = BIN_DELIVERING, L = BIN_LOSSY;
  t.same(outageRuns([E, L, E, E, L, D, E, L, E, E]), [[1, 5], [7, 8]]);
  t.same(outageRuns([L, L, L]), [[0, 3]]);
  t.same(outageRuns([E, E, D, E]), []);
  t.same(outageRuns([L, D, L, D]), [[0, 1], [2, 3]]);
});

t.test('a sparse flow losing every packet over 10 s is out 10 s and not masked', async (t) => {
  // One packet a second for 20 s; a failure from 5 s to 15 s loses every packet sent in it.
  const bins = 200;
  const l = new OutageLedger([{ tenant: 'a' }], bins, BIN);
  for (let b = 0; b < bins; b++) {
    const sends = b % 10 === 0 ? 1 : 0;
    const inFailure = b >= 50 && b < 150;
    l.record(0, b, sends, inFailure ? sends : 0);
  }
  t.equal(l.lostPackets(), 10);
  // Lossy bins are 50, 60, ..., 140: the run spans 50..140 inclusive (the empty bins after 140 are
  // followed by the delivering bin 150 but say nothing of the flow, so they stay outside).
  t.same(l.runsOf(0), [[50, 141]]);
  t.equal(l.longestRunMs(0), 9100);
  t.equal(l.outageSeconds(), 9.1);
  t.ok(l.isOut(0, 55), 'an empty bin inside the run is out');
  t.notOk(l.isOut(0, 45), 'an empty bin before the run is not');
  t.notOk(l.isOut(0, 145), 'an empty bin after the last lossy one is not');
  const [o] = l.failureOutcomes([failure(5000, 15000)]);
  t.same(o, { name: 'f', masked: false, tenantsHit: 1, longestOutMs: 9100 });
});

t.test('a sparse flow that delivers between its losses stays masked', async (t) => {
  const l = new OutageLedger([{ tenant: 'a' }], 100, BIN);
  // Packets every 5 bins; every other one lost: no run spans a delivering bin.
  for (let b = 0; b < 100; b += 5) l.record(0, b, 1, (b / 5) % 2);
  t.equal(l.longestRunMs(0), BIN);
  t.ok(l.failureOutcomes([failure(0, 10000)])[0].masked);
});

t.test('the masking window clips a run; a run before the failure does not count against it', async (t) => {
  const l = new OutageLedger([{ tenant: 'a' }, { tenant: 'b' }], 100, BIN);
  for (let b = 0; b < 30; b += 3) l.record(0, b, 1, 1); // lossy bins 0..27: run [0, 28)
  l.record(0, 30, 1, 0);
  l.record(1, 60, 4, 4); l.record(1, 75, 4, 3); l.record(1, 80, 4, 0); // run [60, 76)
  t.equal(l.longestRunMs(0, 20, 100), 800, 'clipped to the window');
  const [o] = l.failureOutcomes([failure(5000, 8000)]);
  t.same(o, { name: 'f', masked: false, tenantsHit: 1, longestOutMs: 1600 });
  t.equal(l.outageSeconds(), 4.4);
});

t.test('property: runs are disjoint, ordered, begin and end on lossy bins, and contain no delivering bin', async () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(BIN_EMPTY, BIN_DELIVERING, BIN_LOSSY), { maxLength: 200 }), (states) => {
    const runs = outageRuns(states);
    let prevEnd = 0;
    for (const [s, e] of runs) {
      if (s < prevEnd || e <= s) return false;
      if (states[s] !== BIN_LOSSY || states[e - 1] !== BIN_LOSSY) return false;
      for (let b = s; b < e; b++) if (states[b] === BIN_DELIVERING) return false;
      prevEnd = e;
    }
    // Every lossy bin is in some run, and between consecutive runs there is a delivering bin.
    const covered = (b: number) => runs.some(([s, e]) => b >= s && b < e);
    for (let b = 0; b < states.length; b++) if (states[b] === BIN_LOSSY && !covered(b)) return false;
    for (let i = 1; i < runs.length; i++) {
      let delivering = false;
      for (let b = runs[i - 1][1]; b < runs[i][0]; b++) if (states[b] === BIN_DELIVERING) delivering = true;
      if (!delivering) return false;
    }
    return true;
  }));
});
