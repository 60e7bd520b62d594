// CI's slice of the fuzzer (npm run fuzz, fuzz/engine.ts): 1M random and mutated frames through every
// Wasm kernel and its TS twin (the packet kernels, lookup, SipHash, pcapIngest, pcapEmit,
// tcpRetransmits and replay's replayKeys, replayMemoInsert, replayRetemplate, replayScanCount, replayEncapPlan), with no trap, no disagreement and no out-of-bounds access. The rate is
// printed, not asserted (a loaded machine). ZR_FUZZ_FRAMES changes the slice.
import t from 'tap';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUZZ_KERNELS, runFuzz } from '../fuzz/engine.js';

const FRAMES = Number(process.env.ZR_FUZZ_FRAMES ?? 0) || 1_000_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

t.test(`fuzz: ${FRAMES.toLocaleString('en')} frames through every kernel and its twin`, async (t) => {
  const r = runFuzz({ frames: FRAMES, seed: 0x16, root });
  t.comment(`fuzz: ${r.frames} frames per kernel, ${r.framesPerSecond} frames/s, ${r.traps} traps, ${r.disagreements} disagreements, ` +
    `${r.outOfBoundsReads} out-of-bounds reads, ${r.outOfBoundsWrites} out-of-bounds writes`);
  for (const f of r.failures) t.comment(f);
  t.equal(r.frames, FRAMES);
  for (const k of FUZZ_KERNELS) t.equal(r.kernels[k].frames, FRAMES, `${k} saw every frame`);
  t.equal(r.traps, 0, 'no trap');
  t.equal(r.disagreements, 0, 'no disagreement with the twins');
  t.equal(r.outOfBoundsReads, 0, 'no read outside the frames changes a result');
  t.equal(r.outOfBoundsWrites, 0, 'no canary of the guarded arena overwritten');
  t.ok(r.corpus.captured > 0, `real captures in the corpus (${r.corpus.files.length} files)`);
  for (const l of Object.keys(r.lanes)) t.ok(r.lanes[l]! > 0, `encap through lane ${l}`);
  // Every drop reason of every packet kernel was reached (the mutations get past each check).
  const seen = (k: string, s: number): boolean => (r.statuses[`${k}:${s}`] ?? 0) > 0;
  for (const s of [0, 1, 2, 3, 4]) t.ok(seen('encap', s), `encap status ${s} reached`);
  for (const s of [0, 1, 2, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21]) t.ok(seen('decap', s), `decap status ${s} reached`);
  // The record kernels and the retransmission marks reached every way out (fuzz/records.ts, fuzz/retransmits.ts).
  const n = (k: string): number => r.statuses[k] ?? 0;
  for (const k of ['stop:full', 'stop:need', 'stop:end', 'stop:error', 'error:truncated-header', 'error:truncated-data', 'error:absurd-caplen', 'skipped:truncated', 'skipped:oversize']) {
    t.ok(n(`pcapIngest:${k}`) > 0, `pcapIngest ${k} reached (${n(`pcapIngest:${k}`)})`);
  }
  t.ok(n('pcapIngest:walked') > FRAMES * 0.7, `most records walked (${n('pcapIngest:walked')})`);
  for (const k of ['stop:done', 'stop:output-full', 'stop:seconds']) t.ok(n(`pcapEmit:${k}`) > 0, `pcapEmit ${k} reached (${n(`pcapEmit:${k}`)})`);
  t.ok(n('pcapEmit:records') > FRAMES * 0.4, `records emitted (${n('pcapEmit:records')})`);
  t.ok(n('tcpRetransmits:marked') > FRAMES * 0.05, `retransmissions marked (${n('tcpRetransmits:marked')})`);
  t.ok(n('tcpRetransmits:stalled') > 0 && n('tcpRetransmits:stalled') < n('tcpRetransmits:marked'), `marks after a stall and without one (${n('tcpRetransmits:stalled')} of ${n('tcpRetransmits:marked')})`);
  t.ok(n('tcpRetransmits:evicted') > 0, `flows evicted by others in their slot (${n('tcpRetransmits:evicted')})`);
  for (const k of ['streams', 'cut-records']) t.ok(n(`pcapIngest:keep-cut:${k}`) > 0, `pcapIngest under PF_KEEP_CUT: ${k} (${n(`pcapIngest:keep-cut:${k}`)})`);
  // Replay's kernels (fuzz/replay.ts): memo hits and misses on a slot another tuple holds, every family
  // (0: a bad descriptor), bins past time zero and saturated; inserts that evict, skip, and fill the memo;
  // retemplates done, refused for a peer not configured and for an index out of range.
  for (const k of ['hits', 'collisions', 'l4', 'family:0', 'family:2', 'family:4', 'family:6', 'binned', 'bin-saturated']) {
    t.ok(n(`replayKeys:${k}`) > 0, `replayKeys ${k} reached (${n(`replayKeys:${k}`)})`);
  }
  t.ok(n('replayKeys:hits') > FRAMES * 0.05, `memo hits are common (${n('replayKeys:hits')})`);
  for (const k of ['written', 'evicted', 'skipped', 'full-memo']) t.ok(n(`replayMemoInsert:${k}`) > 0, `replayMemoInsert ${k} reached (${n(`replayMemoInsert:${k}`)})`);
  for (const k of ['done', 'unconfigured', 'out-of-range']) t.ok(n(`replayRetemplate:${k}`) > 0, `replayRetemplate ${k} reached (${n(`replayRetemplate:${k}`)})`);
  // The passes' decision kernels (fuzz/replay-plan.ts): rows tallied, bins spilled, rows left to the caller;
  // rows planned with and without a forced port, in runs.
  for (const k of ['tallied', 'spills', 'todo', 'max-bin-saturated']) t.ok(n(`replayScanCount:${k}`) > 0, `replayScanCount ${k} reached (${n(`replayScanCount:${k}`)})`);
  for (const k of ['planned', 'forced', 'runs', 'todo']) t.ok(n(`replayEncapPlan:${k}`) > 0, `replayEncapPlan ${k} reached (${n(`replayEncapPlan:${k}`)})`);
  t.ok(r.corpus.recordFiles > 0 && r.corpus.tcpFlows > 0, `real captures as record streams (${r.corpus.recordFiles} files) and TCP flows (${r.corpus.tcpFlows})`);
});
