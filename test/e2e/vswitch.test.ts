// The example userspace vSwitch (examples/vswitch/) end to end: two instances, each with its VMs
// on a TAP device (moved into a tenant namespace) and its underlay on a packet socket, over an
// ECMP underlay of two paths. Tenants pass ping and iperf3 traffic; then the path carrying the
// ping is black-holed and the ping's loss and outage are printed (target: outage < 1 s).
//
//   ta ~tap~ sa ===== r1 ==P1== r2 ===== sb ~tap~ tb
//                       \==P2==/
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { missing, needRoot, which } from '../helpers/needs.js';
import { NetnsLab, type NsProcess } from '../helpers/netns.js';
import { HASH_SEED, SECRET, root } from './lab.js';

const skip = needRoot()
  ?? missing('iperf3', which('iperf3') !== undefined, 'apt-get install iperf3; .ci/run installs it')
  ?? missing('ping', which('ping') !== undefined, 'apt-get install iputils-ping; .ci/run installs it')
  ?? missing('the built package (dist/)', existsSync(join(root, 'dist', 'src', 'control', 'index.js')), 'npm run build; npm test builds it first');

const EX = join(root, 'examples', 'vswitch');
const IP = { tA: '10.1.0.1', tB: '10.1.0.2', sA: '192.168.1.2', sB: '192.168.2.2' };

/** Build the addon (a few seconds): examples/vswitch/native/build/Release/rawio.node. */
function buildAddon(): void {
  const nodeDir = join(process.execPath, '..', '..');
  const args = [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', '--silent'];
  // Debian's nodejs ships the headers under /usr/include/node: no download needed.
  if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
  execFileSync(process.execPath, args, { cwd: join(EX, 'native'), stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A packet counter of an interface inside a namespace. */
async function rxPackets(lab: NetnsLab, ns: string, ifname: string): Promise<number> {
  return Number((await lab.exec(ns, 'cat', [`/sys/class/net/${ifname}/statistics/rx_packets`])).stdout);
}
async function rxBytes(lab: NetnsLab, ns: string, ifname: string): Promise<number> {
  return Number((await lab.exec(ns, 'cat', [`/sys/class/net/${ifname}/statistics/rx_bytes`])).stdout);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('example vSwitch: ping and iperf3 over an ECMP underlay, failover on a black hole', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  buildAddon();
  const lab = new NetnsLab();
  t.teardown(() => lab.destroy());
  for (const n of ['ta', 'sa', 'r1', 'p1', 'p2', 'r2', 'sb', 'tb']) await lab.addNs(n);
  const v = (a: string, b: string, aIf: string, bIf: string, aCidr?: string, bCidr?: string) => lab.veth({ a, b, aIf, bIf, aCidr, bCidr });
  const [upA, r1a] = await v('sa', 'r1', 'up', 'a', `${IP.sA}/24`, '192.168.1.1/24');
  await v('r1', 'p1', 'p1', 'a', '172.16.1.1/30', '172.16.1.2/30');
  await v('p1', 'r2', 'b', 'p1', '172.16.3.1/30', '172.16.3.2/30');
  await v('r1', 'p2', 'p2', 'a', '172.16.2.1/30', '172.16.2.2/30');
  await v('p2', 'r2', 'b', 'p2', '172.16.4.1/30', '172.16.4.2/30');
  const [r2b, upB] = await v('r2', 'sb', 'b', 'up', '192.168.2.1/24', `${IP.sB}/24`);
  const sh = (ns: string, script: string): Promise<unknown> => lab.exec(ns, 'sh', ['-ec', script]);
  const router = `sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.fib_multipath_hash_seed=${HASH_SEED}`;
  await sh('r1', `${router}\nip route add 192.168.2.0/24 nexthop via 172.16.1.2 nexthop via 172.16.2.2`);
  await sh('r2', `${router}\nip route add 192.168.1.0/24 nexthop via 172.16.3.1 nexthop via 172.16.4.1`);
  for (const [p, left, right] of [['p1', '172.16.1.1', '172.16.3.2'], ['p2', '172.16.2.1', '172.16.4.2']]) {
    await sh(p, `sysctl -qw net.ipv4.ip_forward=1\nip route add 192.168.1.0/24 via ${left}\nip route add 192.168.2.0/24 via ${right}`);
  }
  // The vSwitch namespaces' own kernel must not answer the VXLAN it sees with ICMP port unreachable.
  for (const [ns, gw] of [['sa', '192.168.1.1'], ['sb', '192.168.2.1']]) {
    await sh(ns, `ip route add default via ${gw}
      nft add table ip zr
      nft add chain ip zr in '{ type filter hook input priority 0; }'
      nft add rule ip zr in udp dport 4789 drop`);
  }

  const start = (ns: string, tap: string, up: string, localIp: string, gw: string, peer: string): NsProcess => lab.spawn(ns, process.execPath, [
    '--import', 'tsx', join(EX, 'vswitch.ts'), '--tap', tap, '--underlay', up, '--local-ip', localIp, '--gateway-mac', gw,
    '--secret', SECRET, '--peer', peer, '--hash-seed', String(HASH_SEED),
  ], { cwd: root });
  const tapA = `${lab.prefix}ta`, tapB = `${lab.prefix}tb`;
  const a = start('sa', tapA, upA.ifname, IP.sA, r1a.mac, IP.sB);
  const b = start('sb', tapB, upB.ifname, IP.sB, r2b.mac, IP.sA);
  await Promise.all([a.waitFor(/"event":"ready"/, 60_000), b.waitFor(/"event":"ready"/, 60_000)]);
  // The TAP devices are the VMs' NICs: move each into its tenant namespace (the vSwitch keeps its fd).
  for (const [sw, tn, tap, ip] of [['sa', 'ta', tapA, IP.tA], ['sb', 'tb', tapB, IP.tB]]) {
    await lab.exec(sw, 'ip', ['link', 'set', tap, 'netns', lab.ns(tn)]);
    await sh(tn, `sysctl -qw net.ipv6.conf.${tap}.disable_ipv6=1
      ip link set ${tap} mtu 1450 up
      ip addr add ${ip}/24 dev ${tap}`); // 1450: room for the 50 bytes of VXLAN in the underlay's 1500
  }

  // Ping: ARP crosses by head-end replication, then the MACs are learned.
  let pinged = false;
  for (let i = 0; i < 20 && !pinged; i++) {
    pinged = await lab.exec('ta', 'ping', ['-c', '1', '-W', '1', IP.tB]).then(() => true, () => false);
  }
  t.ok(pinged, 'tenant A pings tenant B through the two vSwitches');
  const ping5 = await lab.exec('ta', 'ping', ['-c', '5', '-i', '0.2', '-W', '1', IP.tB]);
  t.match(ping5.stdout, /5 packets transmitted, 5 received/, 'five of five');

  // iperf3 with 16 TCP flows: their ports spread them over both paths.
  const paths = async (): Promise<number[]> => [await rxBytes(lab, 'p1', `${lab.prefix}a`), await rxBytes(lab, 'p2', `${lab.prefix}a`)];
  const server = lab.spawn('tb', 'iperf3', ['-s', '-1', '-B', IP.tB, '--forceflush']);
  await server.waitFor(/Server listening/, 10_000);
  const before = await paths();
  const ip3 = await lab.exec('ta', 'iperf3', ['-c', IP.tB, '-t', '3', '-P', '16', '-J'], { timeoutMs: 60_000 });
  const after = await paths();
  const bps = (JSON.parse(ip3.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
  const [d1, d2] = [after[0] - before[0], after[1] - before[1]];
  t.ok(bps > 1e6, `iperf3 A->B: ${(bps / 1e6).toFixed(1)} Mbit/s over 3 s, 16 flows`);
  t.ok(d1 > 0.01 * (d1 + d2) && d2 > 0.01 * (d1 + d2), `both paths carried it: P1 ${(d1 / 1e6).toFixed(1)} MB, P2 ${(d2 / 1e6).toFixed(1)} MB`);
  await server.exited;

  // Failover: a fast ping (100/s, one flow); black-hole the path its requests take, both ways.
  const ping = lab.spawn('ta', 'ping', ['-D', '-i', '0.01', '-W', '1', '-w', '8', IP.tB]);
  await sleep(1500);
  const c0 = [await rxPackets(lab, 'p1', `${lab.prefix}a`), await rxPackets(lab, 'p2', `${lab.prefix}a`)];
  await sleep(1000);
  const c1 = [await rxPackets(lab, 'p1', `${lab.prefix}a`), await rxPackets(lab, 'p2', `${lab.prefix}a`)];
  const hit = c1[0] - c0[0] >= c1[1] - c0[1] ? 'p1' : 'p2';
  t.comment(`A->B packets in one second: P1 ${c1[0] - c0[0]}, P2 ${c1[1] - c0[1]}: the ping takes ${hit}`);
  const failedAt = performance.timeOrigin + performance.now();
  await sh(hit, 'ip route replace blackhole 192.168.2.0/24\nip route replace blackhole 192.168.1.0/24');
  const done = await ping.exited;
  const replies = [...done.stdout.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from .* icmp_seq=(\d+)/gm)].map((m) => Number(m[1]) * 1000);
  const sum = /(\d+) packets transmitted, (\d+) received/.exec(done.stdout);
  t.ok(sum !== null, 'ping printed its summary');
  const [sent, got] = sum === null ? [0, 0] : [Number(sum[1]), Number(sum[2])];
  let outage = 0;
  for (let i = 1; i < replies.length; i++) if (replies[i - 1] >= failedAt - 100) outage = Math.max(outage, replies[i] - replies[i - 1]);
  const loss = sent > 0 ? (sent - got) / sent : 1;
  t.comment(`ping during the black hole of ${hit}: loss ${(100 * loss).toFixed(1)}% (${sent - got} of ${sent}), outage (longest gap between replies) ${outage.toFixed(0)} ms; target < 1000 ms: ${outage < 1000 ? 'met' : 'NOT met'}`);
  t.ok(got > sent / 2, 'most pings answered');
  t.ok(outage > 50, 'the black hole did interrupt the ping');
  t.ok(outage < 5000, `outage ${outage.toFixed(0)} ms is within a generous 5 s`);
  t.ok(replies.length > 0 && replies[replies.length - 1] > failedAt + 3000, 'pings answered again after the failover');
  t.match(a.stdout, /"event":"port-down"/, 'vSwitch A saw ports go down');

  // iperf3 again with the path still black-holed: everything takes the other path.
  const server2 = lab.spawn('tb', 'iperf3', ['-s', '-1', '-B', IP.tB, '--forceflush']);
  await server2.waitFor(/Server listening/, 10_000);
  const ip3b = await lab.exec('ta', 'iperf3', ['-c', IP.tB, '-t', '2', '-P', '4', '-J'], { timeoutMs: 60_000 });
  const bps2 = (JSON.parse(ip3b.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
  t.ok(bps2 > 1e6, `iperf3 A->B with ${hit} black-holed: ${(bps2 / 1e6).toFixed(1)} Mbit/s`);
  await server2.exited;

  a.signal('SIGTERM');
  b.signal('SIGTERM');
  const [ea] = await Promise.all([a.exited, b.exited]);
  const stopped = ea.stdout.split('\n').find((l) => l.includes('"event":"stopped"'));
  t.ok(stopped !== undefined, 'vSwitch A stopped cleanly and printed its counters');
  t.comment(`vSwitch A: ${stopped ?? ea.stderr}`);
});
