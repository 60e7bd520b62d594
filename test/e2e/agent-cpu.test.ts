// The agent's own CPU with 8 active peers (light tenant traffic) whose 32 ports are all probed
// (full mode, 300 ms): agent A in one namespace, eight agents behind one router, each probing A
// back. Measured from /proc/<pid>/task/*/schedstat over a window; the bound is generous (the machine is shared),
// the figure is printed for the report.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withNetns } from '../helpers/netns.js';
import { missing, needCap, needRoot, which } from '../helpers/needs.js';
import { SECRET, events, scrape, startAgent } from './lab.js';
import { measuredAgentNodeFlags } from './measured-env.js';
import { PROBE_WIRE_BYTES } from '../../src/control/index.js';
import { finish } from './traffic.js';
import { plainNodeIn } from './lab.js';

const skip = needRoot() ?? needCap() ?? missing('nft', which('nft') !== undefined, 'apt-get install nftables; .ci/run installs it')
  ?? missing('ethtool', which('ethtool') !== undefined, 'apt-get install ethtool; .ci/run installs it');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PEERS = 8;
const WINDOW_MS = 20_000;
const FLOOR_WINDOW_MS = 10_000;

/** utime and stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): { user: number; sys: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { user: Number(rest[11]), sys: Number(rest[12]) };
}

/**
 * CPU time of every thread of a process, ns: the scheduler's exact on-CPU time (first field of
 * /proc/<pid>/task/<tid>/schedstat), where /proc/<pid>/stat's utime and stime are sampled at the
 * clock tick (10 ms: about 100 samples in a 20 s window at 5% of a core, a +-10% error on their own).
 */
function cpuNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* the thread ended */ }
  }
  return ns;
}

/** ZR_AGENT_RX_COALESCE_US: every agent's rxCoalesceUs (receive moderation), to compare settings; default the agent's. */
const RX_COALESCE = process.env.ZR_AGENT_RX_COALESCE_US === undefined ? {} : { rxCoalesceUs: Number(process.env.ZR_AGENT_RX_COALESCE_US) };

t.test('agent CPU with 8 active peers x 32 ports fully probed', { skip, timeout: 280_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zr-cpu-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await withNetns(async (lab) => {
    for (const n of ['ta', 'va', 'r']) await lab.addNs(n);
    const [tA, vmA] = await lab.veth({ a: 'ta', b: 'va', aIf: 't0', bIf: 'vm', aCidr: '10.1.0.1/24' });
    const [upA, rA] = await lab.veth({ a: 'va', b: 'r', aIf: 'up', bIf: 'a', aCidr: '192.168.0.2/24', bCidr: '192.168.0.1/24' });
    await lab.exec('r', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await lab.exec('ta', 'ethtool', ['-K', tA.ifname, 'tx', 'off']);
    const sh = (ns: string, s: string): Promise<unknown> => lab.exec(ns, 'sh', ['-ec', s]);
    const dropVxlan = `nft add table ip zr; nft add chain ip zr in '{ type filter hook input priority 0; }'; nft add rule ip zr in udp dport 4789 drop`;
    await sh('va', `ip route add default via 192.168.0.1; ${dropVxlan}`);
    const peers: { ip: string; mac: string }[] = [];
    const remotes = [];
    for (let i = 1; i <= PEERS; i++) {
      const ns = `v${i}`;
      await lab.addNs(ns);
      const [up, rr] = await lab.veth({ a: ns, b: 'r', aIf: 'up', bIf: `b${i}`, aCidr: `192.168.${i}.2/24`, bCidr: `192.168.${i}.1/24` });
      const [vm] = await lab.veth({ a: ns, b: ns, aIf: 'vm', bIf: 'vt' });
      await sh(ns, `ip route add default via 192.168.${i}.1; ${dropVxlan}`);
      const mac = `02:00:00:00:0b:${i.toString(16).padStart(2, '0')}`;
      peers.push({ ip: `192.168.${i}.2`, mac });
      const cfg = join(dir, `v${i}.json`);
      writeFileSync(cfg, JSON.stringify({
        vmIface: vm.ifname, underlay: { iface: up.ifname, localIp: `192.168.${i}.2`, gatewayMac: rr.mac },
        vni: 42, secret: SECRET, log: '-', peers: [{ ip: '192.168.0.2', macs: [tA.mac], mode: 'full' }], ...RX_COALESCE,
      }));
      remotes.push(startAgent(lab, ns, cfg, { measured: true }));
      await sh('ta', `ip neigh add 10.1.0.${10 + i} lladdr ${mac} dev ${tA.ifname} nud permanent`);
    }
    const cfgA = join(dir, 'a.json');
    writeFileSync(cfgA, JSON.stringify({
      vmIface: vmA.ifname, underlay: { iface: upA.ifname, localIp: '192.168.0.2', gatewayMac: rA.mac },
      vni: 42, secret: SECRET, log: '-', peers: peers.map((p) => ({ ip: p.ip, macs: [p.mac], mode: 'full' })), ...RX_COALESCE,
    }));
    const a = startAgent(lab, 'va', cfgA, { measured: true, nodeFlags: measuredAgentNodeFlags() });
    for (const p of [a, ...remotes]) await p.waitFor(/"event":"ready"/, 120_000);
    // Light tenant traffic: 10 packets/s to each peer's tenant (received by nobody: only the agents matter).
    const tx = plainNodeIn(lab, 'ta', `
import dgram from 'node:dgram';
const s = dgram.createSocket('udp4');
setInterval(() => { for (let i = 1; i <= ${PEERS}; i++) s.send('x', 9000, '10.1.0.' + (10 + i)); }, 100);
console.log('sending');
process.on('SIGTERM', () => { console.log('{}'); process.exit(0); });
`);
    await tx.waitFor(/sending/, 30_000);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = await scrape(lab, 'va');
      const good = peers.every((p) => m.get(`zooroute_peer_ports{peer="${p.ip}",state="good"}`) === 32);
      if (good) break;
      if (Date.now() > deadline) throw new Error('ports never all good');
      await sleep(500);
    }
    const pid = a.child.pid!;
    const hz = 100; // USER_HZ on Linux
    // Counters are read over the scrapes' midpoints (a scrape starts a node process: ~1 s under load).
    const s0 = performance.now();
    const m0 = await scrape(lab, 'va');
    const c0 = cpuTicks(pid), n0 = cpuNs(pid), t0 = performance.now();
    const mid0 = (s0 + t0) / 2;
    // ZR_AGENT_WINDOW_CMD: a shell command run over the window with {pid} = agent A, e.g.
    // 'perf record -g -p {pid} -o /tmp/a.perf -- sleep 15' (it must end within the window).
    if (process.env.ZR_AGENT_WINDOW_CMD !== undefined) {
      const w0 = performance.now();
      spawnSync('sh', ['-c', process.env.ZR_AGENT_WINDOW_CMD.replaceAll('{pid}', String(pid))], { stdio: 'ignore' });
      await sleep(Math.max(0, WINDOW_MS - (performance.now() - w0)));
    } else {
      await sleep(WINDOW_MS);
    }
    const c1 = cpuTicks(pid), n1 = cpuNs(pid), t1 = performance.now();
    const m1 = await scrape(lab, 'va');
    const mid1 = (t1 + performance.now()) / 2;
    await finish(tx);
    const wallS = (t1 - t0) / 1000;
    const cpu = (n1 - n0) / 1e9 / wallS; // exact; the user/system split below is the tick-sampled one
    const userShare = (c1.user - c0.user) / hz / wallS, sysShare = (c1.sys - c0.sys) / hz / wallS;
    const d = (k: string): number => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
    const sent = peers.reduce((s, p) => s + d(`zooroute_probes_sent_total{peer="${p.ip}"}`), 0);
    const replies = d('zooroute_probe_replies_sent_total');
    const secs = (mid1 - mid0) / 1000;
    t.ok(sent / secs > 0.8 * PEERS * 32 / 0.3, `A probes every port of every peer (${(sent / secs).toFixed(0)} probes/s)`);
    t.ok(cpu < 0.5, `agent CPU ${(cpu * 100).toFixed(2)}% of one core stays under a generous 50%`);
    t.comment(`agent CPU with ${PEERS} active peers x 32 ports fully probed: ${(cpu * 100).toFixed(2)}% of one core (user ${(userShare * 100).toFixed(2)}%, system ${(sysShare * 100).toFixed(2)}%) over ${wallS.toFixed(1)} s ` +
      `(${(sent / secs).toFixed(0)} probes/s sent, ${(replies / secs).toFixed(0)} requests/s answered, ${(d('zooroute_packets_total{direction="encap"}') / secs).toFixed(0)} tenant pkt/s; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
    // On a shared, loaded machine a probe can miss its 200 ms timeout: port flaps are reported, not failed.
    t.comment(`ports that went down during the run (probe timeouts under load): ${events(a).filter((e) => e.event === 'port-down').length}`);
    // The floor under A's figure: on veth, the kernel forwards a sent packet through the router and
    // delivers it into the peer's packet socket in the sender's own context (softirq), a cost a NIC
    // and the network carry on a real host. A process that only sends as many datagrams per second as
    // A sent (probes and replies), of the probe's size, to the same peers over the same path, shows
    // what the lab charges for that alone.
    const rate = (sent + replies) / secs;
    const floor = plainNodeIn(lab, 'va', `
import dgram from 'node:dgram';
const s = dgram.createSocket('udp4');
const peers = ${JSON.stringify(peers.map((p) => p.ip))};
// A VXLAN header with VNI 1 (not the tenant's, not the probe VNI): the peers' agents drop it cheaply.
const msg = Buffer.alloc(${PROBE_WIRE_BYTES - 42}); msg[0] = 0x08; msg[6] = 1;
let owed = 0, k = 0;
setInterval(() => { owed += ${rate.toFixed(1)} * 0.005; for (; owed >= 1; owed--) s.send(msg, 4789, peers[k++ % peers.length]); }, 5);
console.log('sending');
process.on('SIGTERM', () => { console.log('{}'); process.exit(0); });
`, [], { measured: true });
    await floor.waitFor(/sending/, 30_000);
    await sleep(2000);
    const f0 = cpuTicks(floor.child.pid!), fn0 = cpuNs(floor.child.pid!), ft0 = performance.now();
    await sleep(FLOOR_WINDOW_MS);
    const f1 = cpuTicks(floor.child.pid!), fn1 = cpuNs(floor.child.pid!), fs = (performance.now() - ft0) / 1000;
    await finish(floor);
    const fUser = (f1.user - f0.user) / hz / fs, fSys = (f1.sys - f0.sys) / hz / fs;
    t.comment(`floor: a Node process only sending ${rate.toFixed(0)} datagrams/s of ${PROBE_WIRE_BYTES - 42} bytes to the same peers costs ` +
      `${((fn1 - fn0) / 1e7 / fs).toFixed(2)}% of one core (user ${(fUser * 100).toFixed(2)}%, system ${(fSys * 100).toFixed(2)}%) over ${fs.toFixed(1)} s, ` +
      `against agent A's ${(cpu * 100).toFixed(2)}% (system ${(sysShare * 100).toFixed(2)}%)`);
    const end = await scrape(lab, 'va');
    t.ok(peers.every((p) => (end.get(`zooroute_peer_healthy_ports{peer="${p.ip}"}`) ?? 0) >= 30), 'ports towards every peer are healthy at the end');
    for (const p of [a, ...remotes]) p.signal('SIGTERM');
    const ends = await Promise.all([a, ...remotes].map((p) => p.exited));
    t.same(ends.map((e) => `${e.code}/${e.signal}`), ends.map(() => '0/null'), 'every agent stopped cleanly on SIGTERM (exit code/signal)');
    for (const e of ends) if (e.code !== 0) t.comment(`stderr: ${e.stderr.slice(-2000)}`);
  });
});
