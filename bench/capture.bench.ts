// Live capture on a veth: how many frames per CPU-second `zooroute capture` takes from the kernel
// through the Wasm encapsulation into a pcap file, with each packet I/O (cap: libpcap; mmap: the
// AF_PACKET ring addon, docs/io.md), each beside its receive-only row (no datapath) measured the
// same way in the same run. cap delivers frames through a callback, one at a time, in
// the event loop, so this is not a tinybench task: each receiver reports its own CPU time. A sender
// of the benchmark's own injects 64-byte UDP frames of 256 flows from another namespace in bursts
// (512 frames, then a 5 ms pause): each burst lands in the kernel ring faster than a receiver takes
// it, so receivers work through full rings as under load, and CPU-seconds per frame give their
// per-core ceiling whatever speed the sender or a loaded machine managed. Frames the ring could
// not hold are reported as lost. A receiver's CPU time includes its JIT warm-up, spread over
// the run's frames. The decap-forward rows run the other direction: VXLAN frames in, decapsulated in
// Wasm, the tenant frames out of a second veth. The `-blast` row is `encap-to-pcap-mmap` fed by a
// blaster (the same bursts 1 ms apart, 5x the frames): the paced rows spend a share of their CPU
// waiting between bursts (wakeups, timers), which a capture under steady load does not. The CLI rows
// run bin/zooroute.js on dist/ when it is up to date (cliCommand). Needs root and the cap addon;
// otherwise it skips.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSamples, type BenchOptions, type BenchResult } from './harness.js';
import { NetnsLab, type NsProcess } from '../test/helpers/netns.js';
import { loadCap } from '../src/capture/cap.js';
import { afPacketAddon } from '../src/io/addon.js';
import { ethernet, ipv4, udp } from '../src/reference/frames.js';
import { Datapath, DEFAULT_BATCH_SIZE } from '../bindings/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const capModule = JSON.stringify(join(root, 'src/capture/cap.ts'));
const ioModule = JSON.stringify(join(root, 'src/io/index.ts'));
const bindingsModule = JSON.stringify(join(root, 'bindings/index.ts'));
const mainModule = JSON.stringify(join(root, 'src/cli/main.ts'));

interface Window { frames: number; seconds: number; cpuSeconds: number; forwarded?: number }

function nodeIn(lab: NetnsLab, ns: string, code: string, args: string[]): NsProcess {
  return lab.spawn(ns, process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, ...args], { cwd: root });
}

/** 64-byte frames of 256 UDP flows, hex, one per line. */
function senderFrames(): string {
  const lines: string[] = [];
  for (let k = 0; k < 256; k++) {
    const f = ethernet(Uint8Array.of(2, 0x5e, 0, 0, 0, 2), Uint8Array.of(2, 0x5e, 0, 0, 0, 1), 0x0800,
      ipv4({ src: 0xac100001, dst: 0xac100002, proto: 17 }, udp(10000 + k, 53, new Uint8Array(18))));
    lines.push(Buffer.from(f).toString('hex'));
  }
  return lines.join('\n') + '\n';
}

/** The same 256 frames encapsulated towards 10.0.0.2 (VNI 100, the VXLAN port), hex, one per line: the decap rows' input. */
function vxlanFrames(): string {
  const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: DEFAULT_BATCH_SIZE, maxPeers: 1 });
  dp.setPeer(0, { remoteIp: '10.0.0.2', vni: 100 });
  const b = dp.batch(0);
  for (const h of senderFrames().split('\n').filter(Boolean)) b.push(Buffer.from(h, 'hex'), 0);
  dp.encap(b);
  const lines: string[] = [];
  for (let i = 0; i < b.length; i++) lines.push(Buffer.from(b.output(i)).toString('hex'));
  return lines.join('\n') + '\n';
}

/**
 * Decap-forward until SIGINT, with either packet I/O (argv[3]: cap or mmap): VXLAN frames to UDP 4789
 * taken into a batch, decapsulated in one Wasm call, the tenant frames sent out of argv[2] (mmap: one
 * sendmmsg per batch; cap: one pcap_sendpacket per frame). Prints frames in, frames forwarded and CPU.
 */
const DECAP_FORWARD = `
  import { openPacketIo } from ${ioModule};
  import { Datapath, DEFAULT_BATCH_SIZE, VXLAN_PORT } from ${bindingsModule};
  const [rxIf, txIf, kind] = process.argv.slice(1, 4);
  const rx = openPacketIo(kind, rxIf, { ringBytes: 64 << 20, udpDst: VXLAN_PORT });
  const tx = openPacketIo(kind, txIf, { sendOnly: true });
  const dp = Datapath.create({ localIp: '10.0.0.2', decapVni: 100, batchSize: DEFAULT_BATCH_SIZE, maxPeers: 1 });
  const b = dp.batch(0);
  const ok = new Uint32Array(b.capacity);
  let frames = 0, forwarded = 0, refused = 0;
  const t0 = performance.now(), c0 = process.cpuUsage();
  rx.onReadable(() => {
    for (let n = rx.receive(b); n > 0; n = rx.receive(b)) {
      frames += n;
      dp.decap(b);
      let k = 0;
      for (let i = 0; i < b.length; i++) if (b.status(i) === 0) ok[k++] = i; else refused++;
      forwarded += tx.send(b, { which: 'output', indices: ok, count: k });
      b.clear();
    }
  });
  process.once('SIGINT', () => {
    rx.onReadable(undefined);
    const s = rx.stats();
    rx.close(); tx.close();
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ frames, forwarded, refused, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, ringDrops: s.drops.ring }));
  });
  console.error('capturing on', rxIf);`;

/** Sends argv[2] frames round-robin in bursts of argv[3] with argv[4] ms between, then exits. */
const SENDER = `
  import { LiveInterface } from ${capModule};
  let text = ''; for await (const c of process.stdin) text += c;
  const frames = text.split('\\n').filter(Boolean).map((h) => Buffer.from(h, 'hex'));
  const out = LiveInterface.open(process.argv[1], { filter: 'less 1' });
  const [n, burst, gap] = process.argv.slice(2, 5).map(Number);
  let failed = 0;
  for (let i = 0; i < n; i++) {
    try { out.send(frames[i & 255]); } catch { failed++; }
    if ((i + 1) % burst === 0) await new Promise((r) => setTimeout(r, gap));
  }
  out.close();
  console.log(JSON.stringify({ sent: n - failed }));`;

/** The same sender over the AF_PACKET addon: each burst is one sendmmsg from a batch. */
const MMAP_SENDER = `
  import { AfPacketIo } from ${ioModule};
  import { Datapath } from ${bindingsModule};
  let text = ''; for await (const c of process.stdin) text += c;
  const frames = text.split('\\n').filter(Boolean).map((h) => Buffer.from(h, 'hex'));
  const out = AfPacketIo.open(process.argv[1], { ringBytes: 1 << 19, filterUdpDst: 0xffff, filterIpDst: 0xffffffff });
  const [n, burst, gap] = process.argv.slice(2, 5).map(Number);
  const b = Datapath.create({ localIp: '10.0.0.1', batchSize: burst, maxPeers: 1 }).batch(0);
  for (let i = 0; i < burst; i++) b.push(frames[i & 255]);
  let sent = 0;
  for (let i = 0; i < n; i += burst) {
    sent += out.send(b, { which: 'input', count: Math.min(burst, n - i) });
    await new Promise((r) => setTimeout(r, gap));
  }
  out.close();
  console.log(JSON.stringify({ sent }));`;

/** mmap receive-only until SIGINT: frames copied a block at a time into a batch, counted, nothing else. */
const MMAP_ONLY = `
  import { AfPacketIo } from ${ioModule};
  import { Datapath, DEFAULT_BATCH_SIZE } from ${bindingsModule};
  const rx = AfPacketIo.open(process.argv[1], { ringBytes: 64 << 20 });
  const b = Datapath.create({ localIp: '10.0.0.1', batchSize: DEFAULT_BATCH_SIZE, maxPeers: 1 }).batch(0);
  let frames = 0;
  const t0 = performance.now(), c0 = process.cpuUsage();
  rx.onReadable(() => { for (let n = rx.receive(b); n > 0; n = rx.receive(b)) { frames += n; b.clear(); } });
  process.once('SIGINT', () => {
    rx.onReadable(undefined);
    const s = rx.stats();
    rx.close();
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ frames, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, ringDrops: s.drops.ring }));
  });
  console.error('capturing on', process.argv[1]);`;

/** cap receive-only until SIGINT: counts frames, touches nothing else. */
const CAP_ONLY = `
  import { LiveInterface } from ${capModule};
  const rx = LiveInterface.open(process.argv[1], { filter: process.argv[2], ringBytes: 64 << 20 });
  let frames = 0;
  const t0 = performance.now(), c0 = process.cpuUsage();
  rx.onFrame(() => { frames++; });
  process.once('SIGINT', () => {
    rx.close();
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ frames, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 }));
  });
  console.error('capturing on', process.argv[1]);`;

const CLI = `import { main } from ${mainModule}; process.exitCode = await main(['node', 'zooroute', ...process.argv.slice(1)]);`;

/** Newest modification time (ms) of the .ts files under a directory. */
function newestTs(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestTs(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * How the CLI rows run `zooroute capture`: as users do, `bin/zooroute.js` on the compiled dist/, when
 * it is newer than every source it is built from; else from the sources through tsx, whose loader
 * (a thread of its own, compiling modules as they load) adds CPU a user's process does not have.
 */
function cliCommand(): { args: string[]; note?: string } {
  const built = join(root, 'dist/src/cli/main.js');
  const fresh = existsSync(built) && statSync(built).mtimeMs >= Math.max(newestTs(join(root, 'src')), newestTs(join(root, 'bindings')));
  if (fresh) return { args: [join(root, 'bin/zooroute.js')] };
  return { args: ['--import', 'tsx', '--input-type=module', '-e', CLI], note: 'dist/ is missing or older than the sources (npm run build): the CLI rows run through tsx' };
}

async function window(p: NsProcess): Promise<Window> {
  const r = await p.exited;
  if (r.code !== 0) throw new Error(`receiver failed (${r.code}): ${r.stderr.trim()}`);
  const w = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Window;
  return { frames: w.frames, seconds: w.seconds, cpuSeconds: w.cpuSeconds, forwarded: w.forwarded };
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    process.stderr.write('capture bench skipped: needs root (network namespaces and packet sockets)\n');
    return [];
  }
  try { loadCap(); } catch (e) {
    process.stderr.write(`capture bench skipped: ${(e as Error).message}\n`);
    return [];
  }
  // Enough frames that JIT and Wasm tier-up (counted in the process's CPU time) weigh little.
  const n = opts.quick ? 50_000 : 200_000;
  const rounds = opts.quick ? 1 : 3;
  const burst = 512; // half the 1024 frames a 64 MiB ring holds
  const gapMs = 5;
  const filter = 'ether src 02:5e:00:00:00:01';
  const frames = senderFrames();
  const lab = new NetnsLab();
  try {
    await lab.addNs('s');
    await lab.addNs('r');
    const [s0, r0] = await lab.veth({ a: 's', b: 'r', aIf: 's0', bIf: 'r0' });
    // encap-forward: the encapsulated frames leave on a second veth into a namespace that has no use for them.
    await lab.addNs('x');
    const [r1] = await lab.veth({ a: 'r', b: 'x', aIf: 'r1', bIf: 'x0' });
    const mmap = !('missing' in afPacketAddon());
    if (!mmap) process.stderr.write(`capture bench: no mmap rows (${(afPacketAddon() as { missing: string }).missing})\n`);
    const vxlan = vxlanFrames();
    const drain = async (receiver: NsProcess, input = frames, frameCount = n, gap = gapMs): Promise<Window & { sent: number }> => {
      await receiver.waitFor(/capturing on/, 60_000);
      // The faster sender where the addon is built, for every receiver alike.
      const sender = nodeIn(lab, 's', mmap ? MMAP_SENDER : SENDER, [s0.ifname, String(frameCount), String(burst), String(gap)]);
      sender.child.stdin?.end(input);
      const sr = await sender.exited;
      if (sr.code !== 0) throw new Error(`sender failed: ${sr.stderr.trim()}`);
      const sent = (JSON.parse(sr.stdout) as { sent: number }).sent;
      await new Promise((r) => setTimeout(r, 500)); // let the receiver empty the ring
      receiver.signal('SIGINT');
      return { ...(await window(receiver)), sent };
    };
    const capOnly: (Window & { sent: number })[] = [];
    const pipeline: (Window & { sent: number })[] = [];
    const mmapOnly: (Window & { sent: number })[] = [];
    const mmapPipeline: (Window & { sent: number })[] = [];
    /** `--out-iface` runs: [cap, mmap]. */
    const forward: (Window & { sent: number })[][] = [[], []];
    /** `--out-iface` with `--workers 2` (mmap): two capture threads in one PACKET_FANOUT group. */
    const forwardWorkers: (Window & { sent: number })[] = [];
    /** encap-to-pcap-mmap under a blaster: 5n frames, bursts 1 ms apart. */
    const blast: (Window & { sent: number })[] = [];
    /** Decap-forward runs: [cap, mmap]. */
    const decapForward: (Window & { sent: number })[][] = [[], []];
    const cli = (io: string, out: string[] = ['-o', '/dev/null']): string[] => ['capture', '-i', r0.ifname, ...(io === 'cap' ? ['--filter', filter] : []), '--io', io, ...out,
      '--vni', '100', '--local', '10.0.0.1', '--remote', '10.0.0.2', '--ring-mb', '64', '--json'];
    const toVeth = ['--out-iface', r1.ifname];
    const how = cliCommand();
    if (how.note !== undefined) process.stderr.write(`capture bench: ${how.note}\n`);
    const cliIn = (args: string[]): NsProcess => lab.spawn('r', process.execPath, [...how.args, ...args], { cwd: root });
    // Alternate the receivers so that load from elsewhere on the machine hits them alike.
    for (let k = 0; k < rounds; k++) {
      capOnly.push(await drain(nodeIn(lab, 'r', CAP_ONLY, [r0.ifname, filter])));
      pipeline.push(await drain(cliIn(cli('cap'))));
      forward[0].push(await drain(cliIn(cli('cap', toVeth))));
      decapForward[0].push(await drain(nodeIn(lab, 'r', DECAP_FORWARD, [r0.ifname, r1.ifname, 'cap']), vxlan));
      if (!mmap) continue;
      mmapOnly.push(await drain(nodeIn(lab, 'r', MMAP_ONLY, [r0.ifname])));
      mmapPipeline.push(await drain(cliIn(cli('mmap'))));
      blast.push(await drain(cliIn(cli('mmap')), frames, 5 * n, 1));
      forward[1].push(await drain(cliIn(cli('mmap', toVeth))));
      forwardWorkers.push(await drain(cliIn(cli('mmap', [...toVeth, '--workers', '2']))));
      decapForward[1].push(await drain(nodeIn(lab, 'r', DECAP_FORWARD, [r0.ifname, r1.ifname, 'mmap']), vxlan));
    }
    const perCpu = (ws: Window[]): number => median(ws.map((w) => (w.cpuSeconds > 0 ? w.frames / w.cpuSeconds : 0)));
    const extra = (ws: (Window & { sent: number })[]): Record<string, number> => ({
      frames: ws.reduce((a, w) => a + w.frames, 0),
      lost: ws.reduce((a, w) => a + (w.sent - w.frames), 0),
      usCpuPerFrame: Number((1e6 / perCpu(ws)).toFixed(3)),
      // Decap-forward: the tenant frames that left on the second veth.
      ...(ws.some((w) => w.forwarded !== undefined) ? { forwarded: ws.reduce((a, w) => a + (w.forwarded ?? 0), 0) } : {}),
    });
    const rates = (ws: Window[]): number[] => ws.map((w) => (w.cpuSeconds > 0 ? w.frames / w.cpuSeconds : 0));
    const a = perCpu(capOnly), b = perCpu(pipeline);
    const rows: BenchResult[] = [
      { ...fromSamples('capture/per-cpu-s/cap-receive-only', rates(capOnly), rounds), pps: a, extra: extra(capOnly) },
      { ...fromSamples('capture/per-cpu-s/encap-to-pcap', rates(pipeline), rounds), pps: b, ratio: a > 0 ? b / a : 0, baseline: 'capture/per-cpu-s/cap-receive-only', extra: extra(pipeline) },
    ];
    const f = perCpu(forward[0]);
    rows.push({ ...fromSamples('capture/per-cpu-s/encap-forward', rates(forward[0]), rounds), pps: f, ratio: a > 0 ? f / a : 0, baseline: 'capture/per-cpu-s/cap-receive-only', extra: extra(forward[0]) });
    const df = perCpu(decapForward[0]);
    rows.push({ ...fromSamples('capture/per-cpu-s/decap-forward', rates(decapForward[0]), rounds), pps: df, ratio: a > 0 ? df / a : 0, baseline: 'capture/per-cpu-s/cap-receive-only', extra: extra(decapForward[0]) });
    if (mmap) {
      const c = perCpu(mmapOnly), d = perCpu(mmapPipeline);
      rows.push(
        { ...fromSamples('capture/per-cpu-s/mmap-receive-only', rates(mmapOnly), rounds), pps: c, ratio: a > 0 ? c / a : 0, baseline: 'capture/per-cpu-s/cap-receive-only', extra: extra(mmapOnly) },
        { ...fromSamples('capture/per-cpu-s/encap-to-pcap-mmap', rates(mmapPipeline), rounds), pps: d, ratio: b > 0 ? d / b : 0, baseline: 'capture/per-cpu-s/encap-to-pcap', extra: extra(mmapPipeline) },
      );
      const bl = perCpu(blast);
      rows.push({ ...fromSamples('capture/per-cpu-s/encap-to-pcap-mmap-blast', rates(blast), rounds), pps: bl, ratio: d > 0 ? bl / d : 0, baseline: 'capture/per-cpu-s/encap-to-pcap-mmap', extra: { ...extra(blast), targetPps: 2e6 } });
      const g = perCpu(forward[1]);
      rows.push({ ...fromSamples('capture/per-cpu-s/encap-forward-mmap', rates(forward[1]), rounds), pps: g, ratio: f > 0 ? g / f : 0, baseline: 'capture/per-cpu-s/encap-forward', extra: extra(forward[1]) });
      // Per CPU-second of the whole process (both threads and the session's): the cost of spreading, not the scaling.
      const gw = perCpu(forwardWorkers);
      rows.push({ ...fromSamples('capture/per-cpu-s/encap-forward-mmap-2workers', rates(forwardWorkers), rounds), pps: gw, ratio: g > 0 ? gw / g : 0, baseline: 'capture/per-cpu-s/encap-forward-mmap', extra: extra(forwardWorkers) });
      const dg = perCpu(decapForward[1]);
      rows.push({ ...fromSamples('capture/per-cpu-s/decap-forward-mmap', rates(decapForward[1]), rounds), pps: dg, ratio: df > 0 ? dg / df : 0, baseline: 'capture/per-cpu-s/decap-forward', extra: extra(decapForward[1]) });
    }
    return rows;
  } finally {
    await lab.destroy();
  }
}
