// npm run fuzz -- --frames <n> [--seed <n>] [--json]: random and mutated frames through every Wasm
// kernel and its TS twin (fuzz/engine.ts). Exits 1 on any trap, disagreement or out-of-bounds access.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { FUZZ_KERNELS, runFuzz } from './engine.js';

function count(name: string, max: number) {
  return (v: string): number => {
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`${name} must be an integer in 0..${max}`);
    return n;
  };
}

const cmd = new Command('fuzz')
  .description('random and mutated frames through every Wasm kernel and its TS twin')
  .option('--frames <n>', 'frames through each kernel', count('--frames', 1e10), 1_000_000)
  .option('--seed <n>', 'scenario seed (the same seed gives the same frames)', count('--seed', 0xffffffff), 1)
  .option('--json', 'print the report as JSON')
  .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2))
  .parse(process.argv);
const opts = cmd.opts<{ frames: number; seed: number; json?: boolean }>();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let last = 0;
const r = runFuzz({
  frames: opts.frames, seed: opts.seed, root,
  progress: opts.json || !process.stderr.isTTY ? undefined : (done) => {
    const now = performance.now();
    if (now - last < 500) return;
    last = now;
    process.stderr.write(`\r${done.toLocaleString('en')} / ${opts.frames.toLocaleString('en')} frames`);
  },
});
if (last > 0) process.stderr.write('\n');

if (opts.json) {
  process.stdout.write(JSON.stringify(r, null, 2) + '\n');
} else {
  const line = (k: string, v: string | number): void => { process.stdout.write(`${k.padEnd(22)} ${v}\n`); };
  line('frames', `${r.frames.toLocaleString('en')} through each kernel (seed ${r.seed})`);
  line('frames/s', `${r.framesPerSecond.toLocaleString('en')} (${r.seconds.toFixed(1)} s)`);
  line('traps', r.traps);
  line('out-of-bounds reads', r.outOfBoundsReads);
  line('out-of-bounds writes', r.outOfBoundsWrites);
  line('disagreements', r.disagreements);
  for (const k of FUZZ_KERNELS) {
    const s = r.kernels[k];
    line(`  ${k}`, `${s.frames.toLocaleString('en')} frames, ${s.traps} traps, ${s.disagreements} disagreeing batches, ${s.oobReads + s.oobWrites} out-of-bounds`);
  }
  const st = (k: string): string => (r.statuses[k] ?? 0).toLocaleString('en');
  line('pcapIngest', `${st('pcapIngest:walked')} records walked (${st('pcapIngest:skipped:truncated')} cut by a snap length, ${st('pcapIngest:skipped:oversize')} oversize); ` +
    `stops: ${['full', 'need', 'end', 'error'].map((k) => `${k} ${st(`pcapIngest:stop:${k}`)}`).join(', ')}`);
  line('pcapEmit', `${st('pcapEmit:records')} records; stops: ${['done', 'output-full', 'seconds'].map((k) => `${k} ${st(`pcapEmit:stop:${k}`)}`).join(', ')}`);
  line('tcpRetransmits', `${st('tcpRetransmits:marked')} marked (${st('tcpRetransmits:stalled')} after a stall), ${st('tcpRetransmits:evicted')} flows evicted from their slot`);
  line('pcapIngest keep-cut', `${st('pcapIngest:keep-cut:streams')} streams with PF_KEEP_CUT (${st('pcapIngest:keep-cut:cut-records')} cut records in them)`);
  line('replayKeys', `${st('replayKeys:hits')} memo hits, ${st('replayKeys:collisions')} misses on a slot another tuple holds, ${st('replayKeys:l4')} L4 rows; ` +
    `families ${[0, 2, 4, 6].map((f) => `${f}: ${st(`replayKeys:family:${f}`)}`).join(', ')}; bins > 0 ${st('replayKeys:binned')}, saturated ${st('replayKeys:bin-saturated')}`);
  line('replayMemoInsert', `${st('replayMemoInsert:written')} written (${st('replayMemoInsert:evicted')} evicting another tuple), ${st('replayMemoInsert:skipped')} rows skipped, ` +
    `${st('replayMemoInsert:full-memo')} calls on a full memo`);
  line('replayRetemplate', `${st('replayRetemplate:done')} done, ${st('replayRetemplate:unconfigured')} unconfigured, ${st('replayRetemplate:out-of-range')} out of range`);
  line('replayScanCount', `${st('replayScanCount:tallied')} rows tallied, ${st('replayScanCount:spills')} bins spilled, ${st('replayScanCount:todo')} rows left to the caller, ` +
    `${st('replayScanCount:max-bin-saturated')} batches with a saturated bin`);
  line('replayEncapPlan', `${st('replayEncapPlan:planned')} rows planned (${st('replayEncapPlan:forced')} given a forced port, ${st('replayEncapPlan:runs')} runs), ${st('replayEncapPlan:todo')} left to the caller`);
  line('encap lanes', Object.entries(r.lanes).map(([n, f]) => `${n} ${f.toLocaleString('en')}`).join(', '));
  line('corpus', `${r.corpus.captured} captured frames from ${r.corpus.files.length} files (${r.corpus.vxlan} VXLAN, ${r.corpus.recordFiles} streamed as records, ` +
    `${r.corpus.tcpFlows} TCP flows), ${r.corpus.generated} generated`);
  for (const f of r.failures) process.stdout.write(`FAIL ${f}\n`);
}
process.exitCode = r.traps + r.disagreements + r.outOfBoundsReads + r.outOfBoundsWrites > 0 ? 1 : 0;
