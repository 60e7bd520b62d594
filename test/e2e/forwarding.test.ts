// Forwarding rate (issue #6): the agent beside the kernel's vxlan device on the same one-path lab
// (test/e2e/forwarding-lab.ts). A generator in tenant A offers 64-byte frames (18-byte UDP payloads)
// as fast as it can; tenant B's interface counters say what was delivered, and a sink checks every
// datagram it reads. Three runs: kernel to kernel, zooroute agent to kernel, agent to agent; and
// first the generator alone into a sink that drops at ingress, to show which side limits. The figures are
// comments (t.comment); the assertions are generous (the machine is shared and loaded).
// Needs root, nftables and ethtool; every namespace is removed at the end, also on failure.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withNetns } from '../helpers/netns.js';
import { missing, needCap, needRoot, which } from '../helpers/needs.js';
import { scrape } from './lab.js';
import { finish } from './traffic.js';
import { measuredAgentNodeFlags } from './measured-env.js';
import { makeBlaster, type Blaster, type SendReport, type SinkReport } from './blast.js';
import {
  FWD_IP, buildForwardingLab, cpuSeconds, netDev, startForwardingAgent, useAgentVtep, useKernelVtep,
  writeForwardingAgentConfig, type ForwardingLab,
} from './forwarding-lab.js';

const skip = needRoot() ?? needCap() ?? missing('nft', which('nft') !== undefined, 'apt-get install nftables; .ci/run installs it')
  ?? missing('ethtool', which('ethtool') !== undefined, 'apt-get install ethtool; .ci/run installs it')
  ?? missing('bridge', which('bridge') !== undefined, 'apt-get install iproute2; .ci/run installs it');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const FLOWS = 8;
/** 18 bytes of UDP payload: a 60-byte inner frame, 64 bytes on a wire with its FCS. */
const PAYLOAD = 18;
const PORT = 9000;
/** The generator runs RAMP + WINDOW + 1 s; counters are read over WINDOW only (steady state). */
const RAMP_MS = 1000;
const WINDOW_MS = 3000;
const SEND_S = (RAMP_MS + WINDOW_MS + 1000) / 1000;

/** ZR_AGENT_NODE_FLAGS: node flags for agent A (a profiler, say; measured-env.ts). */
const AGENT_NODE_FLAGS = measuredAgentNodeFlags();
/** ZR_BLAST=node: the Node generator and sink even when gcc exists (the fallback, for comparison). */
const BLAST = process.env.ZR_BLAST === 'node' ? 'node' : 'c';
/** ZR_IO=cap|mmap: the agents' packet I/O (default: the agent's choice, mmap where the addon is built). */
const IO = process.env.ZR_IO ?? 'default';

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const kpps = (pps: number): string => `${(pps / 1000).toFixed(1)} kpps`;

interface Cpu { user: number; sys: number }

interface Run {
  /** Packets per second over the window: the generator's interface (sent + dropped), into and out of each VTEP, tenant B in. */
  offered: number; aIn: number; aOut: number; bIn: number; bOut: number; delivered: number;
  /** The generator's own rate over its whole run (sendmmsg return values). */
  generator: number;
  /** CPU over the window, as shares of one core: generator, agents by side. */
  genCpu: Cpu; agentCpu: { a?: Cpu; b?: Cpu };
  sink: SinkReport;
}

/** Offer traffic from tenant A to `dst` and read every counter over the steady window. */
async function measure(l: ForwardingLab, blaster: Blaster, dst: string, agents: { a?: number; b?: number }): Promise<Run> {
  const toSink = dst === FWD_IP.sink;
  const rx = blaster.sink(l.lab, 'tb', FWD_IP.tB, PORT);
  await rx.waitFor(/listening/, 30_000);
  const tx = blaster.send(l.lab, 'ta', dst, PORT, FLOWS, PAYLOAD, SEND_S);
  await tx.waitFor(/sending/, 30_000);
  await sleep(RAMP_MS);
  const read = () => ({
    t: performance.now(), ta: netDev(l.anchors.ta), va: netDev(l.anchors.va), vb: netDev(l.anchors.vb), tb: netDev(l.anchors.tb),
    gen: cpuSeconds(tx.child.pid!),
    a: agents.a === undefined ? undefined : cpuSeconds(agents.a), b: agents.b === undefined ? undefined : cpuSeconds(agents.b),
  });
  const c0 = read();
  await sleep(WINDOW_MS);
  const c1 = read();
  const gen = await tx.exited;
  if (gen.code !== 0) throw new Error(`generator failed: ${gen.stderr}`);
  const sent = JSON.parse(gen.stdout.trim().split('\n').pop() ?? '{}') as SendReport;
  await sleep(300);
  const sink = await finish<SinkReport>(rx);
  const s = (c1.t - c0.t) / 1000;
  const share = (x: Cpu | undefined, y: Cpu | undefined): Cpu | undefined =>
    x === undefined || y === undefined ? undefined : { user: (y.user - x.user) / s, sys: (y.sys - x.sys) / s };
  const d = (ns: 'ta' | 'va' | 'vb' | 'tb', ifname: string, f: (c: { rxPackets: number; txPackets: number; txDrop: number }) => number): number =>
    (f(c1[ns].get(ifname)!) - f(c0[ns].get(ifname)!)) / s;
  const out = toSink ? l.ifs.sink : l.ifs.tA;
  return {
    offered: d('ta', out, (c) => c.txPackets + c.txDrop),
    aIn: toSink ? 0 : d('va', l.ifs.vmA, (c) => c.rxPackets),
    aOut: toSink ? 0 : d('va', l.ifs.upA, (c) => c.txPackets),
    bIn: toSink ? 0 : d('vb', l.ifs.upB, (c) => c.rxPackets),
    bOut: toSink ? 0 : d('vb', l.ifs.vmB, (c) => c.txPackets),
    delivered: toSink ? d('ta', out, (c) => c.txPackets) : d('tb', l.ifs.tB, (c) => c.rxPackets),
    generator: sent.sent / sent.seconds,
    genCpu: share(c0.gen, c1.gen)!,
    agentCpu: { a: share(c0.a, c1.a), b: share(c0.b, c1.b) },
    sink,
  };
}

const pct = (c: Cpu): string => `${((c.user + c.sys) * 100).toFixed(0)}% of a core (user ${(c.user * 100).toFixed(0)}%, sys ${(c.sys * 100).toFixed(0)}%)`;
/** CPU time per packet in µs, total and user only. */
const perPacket = (c: Cpu, pps: number): string => `${((c.user + c.sys) / pps * 1e6).toFixed(2)} µs CPU per packet (user ${(c.user / pps * 1e6).toFixed(2)})`;

function describe(name: string, r: Run): string {
  return `${name}: offered ${kpps(r.offered)} (generator ${kpps(r.generator)} over its run; ${pct(r.genCpu)}, ${perPacket(r.genCpu, r.offered)}), ` +
    `VTEP A in ${kpps(r.aIn)} out ${kpps(r.aOut)}, VTEP B in ${kpps(r.bIn)} out ${kpps(r.bOut)}, delivered to tenant B ${kpps(r.delivered)}; sink read ${r.sink.intact} intact, ${r.sink.bad} bad; load ${load()}`;
}

/** An agent's share of a core and CPU per packet it forwarded. */
function agentLine(side: string, cpu: Cpu | undefined, pps: number): string {
  return cpu === undefined ? `agent ${side}: no CPU figure` : `agent ${side}: ${pct(cpu)}, ${perPacket(cpu, pps)} at ${kpps(pps)}`;
}

t.test('forwarding rate: zooroute agent beside the kernel vxlan device', { skip, timeout: 150_000 }, async (t) => {
  const blaster = makeBlaster(BLAST);
  t.teardown(() => blaster.dispose());
  const dir = mkdtempSync(join(tmpdir(), 'zr-fwd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.comment(`generator: ${blaster.kind === 'c' ? 'udp-blast.c (gcc), sendmmsg' : `Node dgram (${BLAST === 'node' ? 'ZR_BLAST=node' : 'gcc missing'})`}; ${FLOWS} flows of ${PAYLOAD}-byte UDP payloads (64-byte frames); window ${WINDOW_MS / 1000} s after ${RAMP_MS / 1000} s`);
  await withNetns(async (lab) => {
    const l = await buildForwardingLab(lab);

    // ---- 0. the generator alone, into a sink namespace that drops at ingress ---------------------
    const alone = await measure(l, blaster, FWD_IP.sink, {});
    t.comment(`generator alone into a sink (one veth, dropped at ingress): ${kpps(alone.delivered)}; ${pct(alone.genCpu)}, ${perPacket(alone.genCpu, alone.delivered)}; load ${load()}`);
    t.ok(alone.delivered > 0, 'the generator sends');

    // ---- 1. kernel vxlan to kernel vxlan -------------------------------------------------------
    await useKernelVtep(l, 'a');
    await useKernelVtep(l, 'b');
    const kernel = await measure(l, blaster, FWD_IP.tB, {});
    t.comment(describe('kernel -> kernel', kernel));
    t.ok(kernel.delivered >= 1000, `the kernel path delivers (${kpps(kernel.delivered)})`);
    t.equal(kernel.sink.bad, 0, 'kernel path: no damaged datagram');

    // ---- 2. zooroute agent A to kernel vxlan B --------------------------------------------------
    await useAgentVtep(l, 'a');
    const vmRxAtStart = netDev(l.anchors.va).get(l.ifs.vmA)!.rxPackets;
    const a = startForwardingAgent(l, 'a', writeForwardingAgentConfig(l, 'a', dir), AGENT_NODE_FLAGS);
    await a.waitFor(/"event":"ready"/, 60_000);
    const mixed = await measure(l, blaster, FWD_IP.tB, { a: a.child.pid! });
    t.comment(describe('zooroute -> kernel', mixed));
    t.comment(agentLine('A', mixed.agentCpu.a, mixed.aOut));
    t.ok(mixed.delivered >= 1000, `zooroute -> kernel forwards at least 1 kpps (${kpps(mixed.delivered)})`);
    t.equal(mixed.sink.bad, 0, 'the kernel decapsulated zooroute\'s frames intact');

    // ---- 3. zooroute agent to zooroute agent ------------------------------------------------------
    await useAgentVtep(l, 'b');
    const b = startForwardingAgent(l, 'b', writeForwardingAgentConfig(l, 'b', dir));
    await b.waitFor(/"event":"ready"/, 60_000);
    const zr = await measure(l, blaster, FWD_IP.tB, { a: a.child.pid!, b: b.child.pid! });
    t.comment(describe('zooroute -> zooroute', zr));
    t.comment(agentLine('A', zr.agentCpu.a, zr.aOut));
    t.comment(agentLine('B', zr.agentCpu.b, zr.bOut));
    t.ok(zr.delivered >= 1000, `zooroute -> zooroute forwards at least 1 kpps (${kpps(zr.delivered)})`);
    t.ok(zr.sink.intact > 0 && zr.sink.bad === 0, `frames arrive intact (${zr.sink.intact} checked, ${zr.sink.bad} bad)`);
    t.equal(zr.sink.flows, FLOWS, 'every flow arrives');
    // A starved agent may still be working through its ring after the generator stopped: scrape once
    // what it has received stops moving (every 0.5 s, for at most 15 s).
    const rxOf = (m: Map<string, number>): number => [...m].filter(([k]) => k.startsWith('zooroute_io_frames_total{iface="vm"') && k.includes('direction="rx"')).reduce((n, [, v]) => n + v, 0);
    let ma = await scrape(lab, 'va');
    for (let i = 0; i < 30; i++) {
      await sleep(500);
      const next = await scrape(lab, 'va');
      const settled = rxOf(next) === rxOf(ma);
      ma = next;
      if (settled) break;
    }
    const mb = await scrape(lab, 'vb');
    const drops = (m: Map<string, number>): string => [...m].filter(([k, v]) => k.startsWith('zooroute_drops_total') && v > 0).map(([k, v]) => `${k.slice(27, -1)} ${v}`).join(', ') || 'none';
    t.comment(`agent drops: A ${drops(ma)}; B ${drops(mb)}`);
    // The packet I/O's own counters (zooroute_io_*): frames lost before the Vtep saw them, by reason.
    const ioDrops = (m: Map<string, number>): string => [...m].filter(([k, v]) => k.startsWith('zooroute_io_drops_total') && v > 0)
      .map(([k, v]) => `${k.slice('zooroute_io_drops_total'.length)} ${v}`).join(', ') || 'none';
    t.comment(`agent io (${IO}): A ${ioDrops(ma)}; B ${ioDrops(mb)}`);
    // Every frame tenant A's veth delivered to VTEP A since agent A started is either handed to the
    // agent or counted as dropped by its I/O (the generator has stopped: nothing is in flight).
    const io = [...ma.keys()].find((k) => k.startsWith('zooroute_io_frames_total{iface="vm"'))?.match(/io="(\w+)"/)?.[1];
    const ioVal = (name: string, labels: string): number => ma.get(`zooroute_io_${name}{iface="vm",io="${io}"${labels}}`) ?? 0;
    const vmRx = netDev(l.anchors.va).get(l.ifs.vmA)!.rxPackets - vmRxAtStart;
    if (io === 'mmap') {
      const handed = ioVal('frames_total', ',direction="rx"'), counted = ['ring', 'oversize', 'backlog'].reduce((n, r) => n + ioVal('drops_total', `,reason="${r}"`), 0);
      t.comment(`VTEP A tenant side since agent A started: ${vmRx} frames arrived, ${handed} handed to the agent + ${counted} counted drops = ${handed + counted}`);
      t.ok(Math.abs(vmRx - handed - counted) <= 100 + vmRx * 0.005, 'offered to agent A = received + counted drops (within 0.5% + 100 frames)');
    } else {
      t.comment(`VTEP A tenant side since agent A started: ${vmRx} frames arrived; ${io ?? 'the'} I/O cannot count the kernel ring's drops`);
    }

    t.comment(`delivered: kernel ${kpps(kernel.delivered)}, zooroute ${kpps(zr.delivered)}, ratio zooroute/kernel ${(zr.delivered / kernel.delivered).toFixed(3)} ` +
      `(zooroute -> kernel ${(mixed.delivered / kernel.delivered).toFixed(3)}); generator alone ${kpps(alone.delivered)}`);
    // On veths the kernel path runs in the softirq of whoever sends: the generator's syscalls in the
    // kernel case (generating included: see the sink line), the agents' send calls otherwise. So CPU
    // per delivered packet compares the paths better than pps on a loaded machine. Softirq work
    // that ksoftirqd picks up is counted nowhere here.
    const total = (...cs: (Cpu | undefined)[]): number => cs.reduce((sum, c) => sum + (c === undefined ? 0 : c.user + c.sys), 0);
    const usKernel = total(kernel.genCpu) / kernel.delivered * 1e6;
    const usZr = total(zr.agentCpu.a, zr.agentCpu.b) / zr.delivered * 1e6;
    t.comment(`CPU per delivered packet: kernel path (generator) ${usKernel.toFixed(2)} µs, zooroute (agents A + B) ${usZr.toFixed(2)} µs (x${(usZr / usKernel).toFixed(1)}); ` +
      `zooroute -> kernel (agent A) ${(total(mixed.agentCpu.a) / mixed.delivered * 1e6).toFixed(2)} µs`);
    for (const p of [a, b]) p.signal('SIGTERM');
    await Promise.all([a.exited, b.exited]);
  });
});
