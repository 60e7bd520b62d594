// npm run soak -- --minutes M [--pps N] [--warmup-minutes W] [--json]: two agents (the real Agent on
// the real clock, joined by an in-memory underlay, soak/memory-underlay.ts) carry N tenant packets per
// second both ways with probing on; every minute a path fails for 10 s (the outer source ports
// hashing onto it lose every A->B frame). Every 10 s it samples RSS, heap, process CPU and both
// agents' /metrics (served on loopback and fetched over HTTP), prints a table, and exits 1 when RSS
// after the warm-up grew by more than 10%, or tenant traffic stopped.
//
// Memory is sampled after a full GC (the soak runs with --expose-gc), so heap growth is live objects,
// not garbage waiting for a collection. The young generation is pinned (min = max semi-space): left to
// itself, V8 grows and shrinks it with the allocation rate (2 <-> 16 MB semi-spaces here), and
// each resize moved RSS by 10-15 MB at any time in a run, e.g. a +25% step at minute 28 of one
// 30-minute soak, with live heap, Wasm memory (reserved once, never grown) and external memory flat.
// The soak re-runs itself under those flags when started without them.
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import { Command, InvalidArgumentError } from 'commander';
import { Agent, MetricsServer, parseAgentConfig, type AgentConfig } from '../src/agent/index.js';
import { MemoryUnderlay, Wire, onSecondPath, outerSport } from './memory-underlay.js';

/** Semi-space size the soak pins, MB: what V8 grew to on its own under the soak's load. */
const SEMI_SPACE_MB = 16;
const V8_FLAGS = ['--expose-gc', `--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`];
if (!V8_FLAGS.every((f) => process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const gc = (globalThis as { gc?: () => void }).gc!;

function num(name: string, lo: number, hi: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < lo || n > hi) throw new InvalidArgumentError(`${name} must be a number in ${lo}..${hi}`);
    return n;
  };
}
const cmd = new Command('soak')
  .description('two agents under tenant traffic, probing and a failure every minute; RSS, heap, CPU and /metrics sampled')
  .option('--minutes <m>', 'length of the run', num('--minutes', 0.1, 24 * 60), 30)
  .option('--pps <n>', 'tenant packets per second (half each way)', num('--pps', 100, 200_000), 10_000)
  .option('--warmup-minutes <w>', 'RSS growth is measured from the end of this', num('--warmup-minutes', 0, 60))
  .option('--sample-seconds <s>', 'sampling period', num('--sample-seconds', 1, 600), 10)
  .option('--json', 'print the samples and the verdict as JSON')
  .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2))
  .parse(process.argv);
const o = cmd.opts<{ minutes: number; pps: number; warmupMinutes?: number; sampleSeconds: number; json?: boolean }>();
const warmupMs = (o.warmupMinutes ?? Math.min(5, o.minutes / 4)) * 60_000;
const runMs = o.minutes * 60_000;

const IP_A = '192.168.1.2', IP_B = '192.168.2.2';
const MAC_A = [2, 0, 0, 0, 0, 0xaa], MAC_B = [2, 0, 0, 0, 0, 0xbb];
const cfg = (localIp: string, localMac: string, peer: string, peerMac: string, port: number): AgentConfig => parseAgentConfig(JSON.stringify({
  vmIface: 'vm0', underlay: { iface: 'up0', localIp, gatewayMac: '02:00:00:00:ff:01', localMac },
  vni: 42, secret: '00112233445566778899aabbccddeeff', metrics: { port }, log: '-',
  peers: [{ ip: peer, macs: [peerMac], mode: 'full' }],
}), 'soak');

const net = new MemoryUnderlay();
const cfgA = cfg(IP_A, '02:00:00:00:00:0a', IP_B, '02:00:00:00:00:bb', 0);
const cfgB = cfg(IP_B, '02:00:00:00:00:0b', IP_A, '02:00:00:00:00:aa', 0);
const vmA = new Wire(), vmB = new Wire();
// Event counts, both agents together and each apart (A's must match its own /metrics counter).
const events = { portDown: 0, portUp: 0, flowSwitched: 0, portDownA: 0, portDownB: 0 };
const log = (agent: 'A' | 'B') => (e: { event: string }): void => {
  if (e.event === 'port-down') { events.portDown++; if (agent === 'A') events.portDownA++; else events.portDownB++; }
  else if (e.event === 'port-up') events.portUp++;
  else if (e.event === 'flow-switched') events.flowSwitched++;
};
const a = new Agent({ config: cfgA, vm: vmA, underlay: net.attach(cfgA.localIp), log: log('A') });
const b = new Agent({ config: cfgB, vm: vmB, underlay: net.attach(cfgB.localIp), log: log('B') });
const [srvA, srvB] = await Promise.all([a, b].map((g) => MetricsServer.listen('127.0.0.1', 0, () => g.metricsText())));
a.start(); b.start();

/** 64 tenant flows each way (inner UDP source ports), preallocated: the generator allocates nothing. */
function frames(dst: number[], src: number[], srcIp: number, dstIp: number): Uint8Array[] {
  return Array.from({ length: 64 }, (_, flow) => {
    const f = new Uint8Array(110);
    f.set(dst, 0); f.set(src, 6); f[12] = 0x08; f[13] = 0x00;
    f.set([0x45, 0, 0, 96, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 0, srcIp, 10, 1, 0, dstIp], 14);
    let s = 0; for (let i = 0; i < 20; i += 2) s += (f[14 + i]! << 8) | f[15 + i]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    f[24] = (~s >> 8) & 0xff; f[25] = ~s & 0xff;
    f.set([0x4e, flow, 0x23, 0x28, 0, 76, 0, 0], 34);
    return f;
  });
}
const fromA = frames(MAC_B, MAC_A, 1, 2), fromB = frames(MAC_A, MAC_B, 2, 1);
let sentTenant = 0, seq = 0;
const TICK_MS = 10;
const perTick = Math.max(1, Math.round(o.pps * TICK_MS / 1000 / 2));
const gen = setInterval(() => {
  for (let i = 0; i < perTick; i++, seq++) { vmA.listener?.(fromA[seq & 63]!); vmB.listener?.(fromB[seq & 63]!); }
  sentTenant += 2 * perTick;
}, TICK_MS);

// A failure every minute, 10 s long, starting 30 s into it: one of two ECMP next hops (the outer
// source ports that hash onto it, about half of each agent's candidates) loses every frame through
// it, both ways: each agent's probes and tenant frames on those ports. Both directions, because a
// one-way failure (A to B only) need not take B's ports down: B's forward path is good, and with
// replyPort 'alternate' (docs/probe-format.md) every other reply to B avoids the failed ports.
let failing = false, failures = 0;
net.drop = (f) => failing && onSecondPath(outerSport(f));
const started = performance.now();
const failTimer = setInterval(() => {
  const t = (performance.now() - started) % 60_000;
  const should = t >= 30_000 && t < 40_000;
  if (should && !failing) failures++;
  failing = should;
}, 100);

interface Sample {
  /** rssMb, heapMb (heapUsed), externalMb and arrayBuffersMb: right after a full GC. */
  tMin: number; rssMb: number; heapMb: number; externalMb: number; arrayBuffersMb: number; newSpaceMb: number;
  cpuPct: number; tenantPps: number; deliveredPps: number;
  encapA: number; probesSentA: number; portDownA: number; agentCpuA: number; failing: boolean;
}
const samples: Sample[] = [];
async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  performance.clearResourceTimings(); // fetch() files an entry per request in the timeline buffer
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}
const sum = (m: Map<string, number>, prefix: string): number => [...m].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);

let lastCpu = process.cpuUsage(), lastAt = performance.now(), lastSent = 0, lastDelivered = 0;
const header = 't(min)  RSS(MB)  heap(MB)  ext(MB)  CPU(%)  tenant pps  delivered pps  encapA      probesA  portDownA  fail';
if (!o.json) console.log(header);
async function sample(): Promise<void> {
  const now = performance.now(), cpu = process.cpuUsage(lastCpu);
  const dt = (now - lastAt) / 1000;
  const delivered = vmA.sent + vmB.sent;
  const m = await scrape(srvA.port);
  await scrape(srvB.port);
  gc();
  const mem = process.memoryUsage();
  const newSpace = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
  const s: Sample = {
    tMin: (now - started) / 60_000, rssMb: mem.rss / 2 ** 20, heapMb: mem.heapUsed / 2 ** 20,
    externalMb: mem.external / 2 ** 20, arrayBuffersMb: mem.arrayBuffers / 2 ** 20, newSpaceMb: (newSpace?.space_size ?? 0) / 2 ** 20,
    cpuPct: (100 * (cpu.user + cpu.system) / 1e6) / dt,
    tenantPps: (sentTenant - lastSent) / dt, deliveredPps: (delivered - lastDelivered) / dt,
    encapA: m.get('zooroute_packets_total{direction="encap"}') ?? 0, probesSentA: sum(m, 'zooroute_probes_sent_total'),
    portDownA: m.get('zooroute_port_down_total') ?? 0, agentCpuA: m.get('zooroute_cpu_ratio') ?? 0, failing,
  };
  samples.push(s);
  lastCpu = process.cpuUsage(); lastAt = now; lastSent = sentTenant; lastDelivered = delivered;
  if (!o.json) {
    console.log([s.tMin.toFixed(2).padStart(6), s.rssMb.toFixed(1).padStart(8), s.heapMb.toFixed(1).padStart(9), s.externalMb.toFixed(1).padStart(8), s.cpuPct.toFixed(1).padStart(7),
      s.tenantPps.toFixed(0).padStart(11), s.deliveredPps.toFixed(0).padStart(14), String(s.encapA).padStart(11), String(s.probesSentA).padStart(8),
      String(s.portDownA).padStart(10), s.failing ? '  yes' : '   no'].join(' '));
  }
}
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    void sample().then(() => { if (performance.now() - started >= runMs) { clearInterval(timer); resolve(); } });
  }, o.sampleSeconds * 1000);
});
clearInterval(gen); clearInterval(failTimer);
a.stop(); b.stop();
await Promise.all([srvA.close(), srvB.close()]);

// Verdict: RSS at the end against RSS at the end of the warm-up, each the median of three samples
// around it; the live heap (heapUsed after a full GC) the same way, reported beside it.
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const after = samples.filter((s) => s.tMin * 60_000 >= warmupMs);
const warmRss = median(after.slice(0, 3).map((s) => s.rssMb));
const endRss = median(after.slice(-3).map((s) => s.rssMb));
const rssGrowthPct = after.length === 0 ? 0 : 100 * (endRss - warmRss) / warmRss;
const warmHeap = median(after.slice(0, 3).map((s) => s.heapMb));
const endHeap = median(after.slice(-3).map((s) => s.heapMb));
const heapGrowthPct = after.length === 0 ? 0 : 100 * (endHeap - warmHeap) / warmHeap;
const half = Math.floor(after.length / 2);
const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
const cpuFirstHalf = mean(after.slice(0, half).map((s) => s.cpuPct)), cpuSecondHalf = mean(after.slice(half).map((s) => s.cpuPct));
const deliveredShare = mean(after.map((s) => s.deliveredPps)) / Math.max(1, mean(after.map((s) => s.tenantPps)));
const problems: string[] = [];
if (after.length < 2) problems.push('too few samples after the warm-up (run longer)');
if (rssGrowthPct > 10) problems.push(`RSS grew ${rssGrowthPct.toFixed(1)}% after the warm-up (limit 10%)`);
if (deliveredShare < 0.9) problems.push(`only ${(100 * deliveredShare).toFixed(1)}% of tenant packets delivered`);
if (failures > 0 && events.portDownA === 0) problems.push('no port of agent A went down in a failure');
if (failures > 0 && events.portDownB === 0) problems.push('no port of agent B went down in a failure');
const verdict = {
  minutes: o.minutes, pps: o.pps, warmupMinutes: warmupMs / 60_000, samples: samples.length, failures,
  warmRssMb: warmRss, endRssMb: endRss, rssGrowthPct, warmHeapMb: warmHeap, endHeapMb: endHeap, heapGrowthPct, cpuFirstHalfPct: cpuFirstHalf, cpuSecondHalfPct: cpuSecondHalf,
  deliveredShare, lostInFailures: net.lost, ...events, ok: problems.length === 0, problems,
};
if (o.json) process.stdout.write(JSON.stringify({ ...verdict, table: samples }, null, 2) + '\n');
else {
  console.log(`\nafter ${o.minutes} min at ${o.pps} pps with ${failures} failures: RSS ${warmRss.toFixed(1)} -> ${endRss.toFixed(1)} MB (${rssGrowthPct >= 0 ? '+' : ''}${rssGrowthPct.toFixed(1)}% after warm-up), ` +
    `live heap ${warmHeap.toFixed(1)} -> ${endHeap.toFixed(1)} MB (${heapGrowthPct >= 0 ? '+' : ''}${heapGrowthPct.toFixed(1)}%), ` +
    `CPU ${cpuFirstHalf.toFixed(1)}% then ${cpuSecondHalf.toFixed(1)}% of a core, ${(100 * deliveredShare).toFixed(2)}% delivered, ` +
    `${events.portDown} ports down (A ${events.portDownA}, B ${events.portDownB}), ${events.portUp} up, ${events.flowSwitched} flow switches`);
  for (const p of problems) console.log(`FAIL: ${p}`);
}
process.exitCode = problems.length === 0 ? 0 : 1;
