// Replay throughput, end to end: a capture of 64-byte frames (written by the bench, then read from the
// page cache) -> flow scan with the Wasm hash -> the simulated underlay in three modes -> Wasm encap ->
// OUT, in packets/s, against reading the same capture alone in the same run; and the same replay
// without OUT (the report only), whose figure is replay's own work rather than the disk's. Peak RSS and wall time
// for 1M and 10M packets (the 1M run with the HTML report) are measured in child processes, so each
// figure is one replay's own peak. Targets (issue 5): 5 Mpps, flat memory, 1M packets with report in
// about 10 s — reported beside the measurements, never asserted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSamples, measure, type BenchOptions, type BenchResult } from './harness.js';
import { PcapReader, PcapWriter } from '../src/pcap/index.js';
import { parseScenario, type Scenario } from '../src/sim/index.js';
import { replay } from '../src/replay/replay.js';
import { replayReportInput } from '../src/replay/replay-report.js';
import { renderReport } from '../src/replay/report.js';

const FLOWS = 64;
/** Frame spacing: 1 us, so 1M packets span 1 s of capture (10 bins per second of traffic). */
const GAP_NS = 1000;

const SCENARIO: Scenario = parseScenario({
  name: 'bench-replay', seed: 3, durationMs: 1000,
  topology: { kind: 'leaf-spine', leaves: 2, spines: 4 },
  vteps: [
    { name: 'a', ip: '10.0.0.1', inner: ['192.168.0.0/24'], attach: 'leaf0' },
    { name: 'b', ip: '10.0.0.2', inner: ['192.168.1.0/24'], attach: 'leaf1' },
  ],
  traffic: {},
  failures: [{ name: 'spine1 black hole', type: 'switch-down', atMs: 200, durationMs: 400, switch: 'spine1' }],
});

/** A 64-byte Ethernet/IPv4/UDP frame of flow k (of FLOWS) from a's VM to b's. */
function frameOf(k: number): Uint8Array {
  const f = new Uint8Array(64);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 50, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 168, 0, 1 + (k % 8), 192, 168, 1, 1]);
  f.set([(10000 + k) >> 8, (10000 + k) & 255, 0x1f, 0x90, 0, 30], 34);
  return f;
}

/** Stream n frames into a classic pcap (nanosecond timestamps), memory independent of n. */
async function writeInput(path: string, n: number): Promise<void> {
  const frames = Array.from({ length: FLOWS }, (_, k) => frameOf(k));
  const w = await PcapWriter.open(path, { nanos: true });
  for (let i = 0; i < n; i++) {
    const ns = i * GAP_NS;
    w.write({ tsSec: 1_700_000_000 + Math.floor(ns / 1e9), tsNsec: ns % 1e9, data: frames[i % FLOWS] });
  }
  await w.close();
}

async function readOnly(path: string, n: number): Promise<void> {
  let count = 0;
  const r = await PcapReader.open(path);
  try { for await (const b of r.batches()) count += b.length; } finally { await r.close(); }
  if (count !== n) throw new Error(`read ${count} records, expected ${n}`);
}

async function replayOnce(input: string, out: string | undefined, n: number, report?: string): Promise<void> {
  const run = await replay({ input, scenario: SCENARIO, out });
  if (run.report.frameCounts.encapsulated !== n) throw new Error(`encapsulated ${run.report.frameCounts.encapsulated} of ${n}`);
  if (report !== undefined) writeFileSync(report, renderReport(replayReportInput(run)));
}

/** Child process entry: `replay <n>` writes its input, then replays it and prints its figures. */
export async function child(mode: string, n: number, dir: string): Promise<void> {
  const input = join(dir, `in-${n}.pcap`);
  if (mode === 'gen') { await writeInput(input, n); return; }
  const t0 = process.hrtime.bigint();
  await replayOnce(input, join(dir, `out-${n}.pcap`), n, mode === 'replay-report' ? join(dir, `report-${n}.html`) : undefined);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ n, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

function spawnChild(mode: string, n: number, dir: string): { n: number; seconds: number; maxRssMB: number } | undefined {
  const self = fileURLToPath(import.meta.url);
  const code = `const m = await import(${JSON.stringify(self)}); await m.child(${JSON.stringify(mode)}, ${n}, ${JSON.stringify(dir)});`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return mode === 'gen' ? undefined : JSON.parse(out.trim().split('\n').pop()!);
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 20_000 : 200_000;
  const dir = mkdtempSync(join(tmpdir(), 'zooroute-bench-replay-'));
  try {
    const input = join(dir, 'in.pcap');
    await writeInput(input, n);
    const out = join(dir, 'out.pcap');
    const results = await measure([
      { name: 'replay/read-only/64B', fn: () => readOnly(input, n), perCall: n },
      { name: 'replay/end-to-end/64B', fn: () => replayOnce(input, out, n), perCall: n, baseline: 'replay/read-only/64B' },
      // The same replay without OUT: the report only, so the figure is replay's own work, not the disk's.
      { name: 'replay/no-output/64B', fn: () => replayOnce(input, undefined, n), perCall: n, baseline: 'replay/read-only/64B' },
    ], opts);
    const e2e = results[1];
    e2e.extra = { targetPps: 5e6, ofTarget: Math.round((e2e.pps / 5e6) * 1000) / 1000 };
    // Peak memory and wall time in fresh processes: 1M packets with the HTML report, then 10M.
    const sizes = opts.quick ? [100_000, 1_000_000] : [1_000_000, 10_000_000];
    for (const [i, size] of sizes.entries()) {
      spawnChild('gen', size, dir);
      const r = spawnChild(i === 0 ? 'replay-report' : 'replay', size, dir)!;
      rmSync(join(dir, `in-${size}.pcap`), { force: true });
      rmSync(join(dir, `out-${size}.pcap`), { force: true });
      results.push({
        // One child run: a single sample, no spread.
        ...fromSamples(`replay/child/${size / 1e6}M${i === 0 ? '+report' : ''}`, [size / r.seconds], 1),
        extra: { seconds: Math.round(r.seconds * 100) / 100, maxRssMB: Math.round(r.maxRssMB), ...(i === 0 ? { targetSeconds: 10 } : {}) },
      });
    }
    const [small, big] = results.slice(-2);
    big.extra = { ...big.extra, rssGrowthVsSmaller: Math.round(((big.extra!.maxRssMB as number) / (small.extra!.maxRssMB as number)) * 100) / 100 };
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
