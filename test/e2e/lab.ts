// The end-to-end lab of test/e2e/agent.test.ts and docs/lab.md, in network namespaces:
//
//   ta --- va ===== r1 ==P1== r2 ===== vb --- tb        (tenant A, VTEP A, routers, VTEP B, tenant B)
//                    \==P2==/ \===== k                  (k: a kernel vxlan VTEP)
//                  x -/                                 (x: an outsider on the underlay, for forgeries)
//
// R1 and R2 route the underlay with Linux multipath routes over P1 and P2, L4 hashing and a fixed
// hash seed, so the source-port-to-path mapping is real and repeatable.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { NetnsLab, NsProcess, VethEnd } from '../helpers/netns.js';
import { measuredEnv } from './measured-env.js';

export const root = join(import.meta.dirname, '..', '..');
export const VNI = 42;
export const SECRET = '00112233445566778899aabbccddeeff';
export const IP = {
  tA: '10.1.0.1', tB: '10.1.0.2', tK: '10.1.0.3',
  vtepA: '192.168.1.2', vtepB: '192.168.2.2', vtepK: '192.168.3.2', outsider: '192.168.4.2',
};
export const HASH_SEED = 12345;

export interface Lab {
  lab: NetnsLab;
  macs: { tA: string; tB: string; tK: string; r1a: string; r2b: string };
  ifs: { vmA: string; upA: string; vmB: string; upB: string; tA: string; tB: string };
}

/** Build the namespaces, links, routes and the kernel VTEP. */
export async function buildLab(lab: NetnsLab): Promise<Lab> {
  for (const n of ['ta', 'va', 'r1', 'p1', 'p2', 'r2', 'vb', 'tb', 'k', 'x']) await lab.addNs(n);
  const v = (a: string, b: string, aIf: string, bIf: string, aCidr?: string, bCidr?: string): Promise<[VethEnd, VethEnd]> =>
    lab.veth({ a, b, aIf, bIf, aCidr, bCidr });
  const [tA, vmA] = await v('ta', 'va', 't0', 'vm', `${IP.tA}/24`);
  const [upA, r1a] = await v('va', 'r1', 'up', 'a', `${IP.vtepA}/24`, '192.168.1.1/24');
  await v('r1', 'p1', 'p1', 'a', '172.16.1.1/30', '172.16.1.2/30');
  await v('p1', 'r2', 'b', 'p1', '172.16.3.1/30', '172.16.3.2/30');
  await v('r1', 'p2', 'p2', 'a', '172.16.2.1/30', '172.16.2.2/30');
  await v('p2', 'r2', 'b', 'p2', '172.16.4.1/30', '172.16.4.2/30');
  const [r2b, upB] = await v('r2', 'vb', 'b', 'up', '192.168.2.1/24', `${IP.vtepB}/24`);
  const [vmB, tB] = await v('vb', 'tb', 'vm', 't0', undefined, `${IP.tB}/24`);
  await v('r2', 'k', 'k', 'k0', '192.168.3.1/24', `${IP.vtepK}/24`);
  await v('r1', 'x', 'x', 'x0', '192.168.4.1/24', `${IP.outsider}/24`);

  const sh = (ns: string, script: string): Promise<unknown> => lab.exec(ns, 'sh', ['-ec', script]);
  const router = 'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.fib_multipath_hash_seed=' + HASH_SEED;
  await sh('r1', `${router}
    ip route add 192.168.2.0/24 nexthop via 172.16.1.2 nexthop via 172.16.2.2
    ip route add 192.168.3.0/24 nexthop via 172.16.1.2 nexthop via 172.16.2.2`);
  await sh('r2', `${router}
    ip route add 192.168.1.0/24 nexthop via 172.16.3.1 nexthop via 172.16.4.1
    ip route add 192.168.4.0/24 nexthop via 172.16.3.1 nexthop via 172.16.4.1`);
  for (const [p, left, right] of [['p1', '172.16.1.1', '172.16.3.2'], ['p2', '172.16.2.1', '172.16.4.2']]) {
    await sh(p, `sysctl -qw net.ipv4.ip_forward=1
      ip route add 192.168.1.0/24 via ${left}
      ip route add 192.168.4.0/24 via ${left}
      ip route add 192.168.2.0/24 via ${right}
      ip route add 192.168.3.0/24 via ${right}`);
  }
  // The agents' VTEP namespaces: their kernel must not answer VXLAN with ICMP port unreachable (no
  // socket listens on 4789 there; the agent reads the frames from a packet socket).
  for (const [ns, gw] of [['va', '192.168.1.1'], ['vb', '192.168.2.1']]) {
    await sh(ns, `ip route add default via ${gw}
      nft add table ip zr
      nft add chain ip zr in '{ type filter hook input priority 0; }'
      nft add rule ip zr in udp dport 4789 drop`);
  }
  await sh('x', 'ip route add default via 192.168.4.1');
  // The kernel VTEP: vxlan device with the tenant address, static fdb and neighbour towards tenant A.
  await sh('k', `ip route add default via 192.168.3.1
    ip link add vx0 type vxlan id ${VNI} dstport 4789 local ${IP.vtepK} nolearning
    sysctl -qw net.ipv6.conf.vx0.disable_ipv6=1
    ip addr add ${IP.tK}/24 dev vx0
    ip link set vx0 up
    bridge fdb append ${tA.mac} dev vx0 dst ${IP.vtepA}
    ip neigh add ${IP.tA} lladdr ${tA.mac} dev vx0 nud permanent`);
  const tK = (await lab.exec('k', 'cat', ['/sys/class/net/vx0/address'])).stdout.trim();
  // The kernel VTEP's packets cross a veth too: complete their checksums before they leave (see below).
  await lab.exec('k', 'ethtool', ['-K', 'vx0', 'tx', 'off']);
  await lab.exec('k', 'ethtool', ['-K', `${lab.prefix}k0`, 'tx', 'off']);
  // Tenants compute their own checksums: with veth's default offload a locally sent packet leaves
  // with a partial checksum, which a packet socket captures as is (a real vSwitch would complete it).
  await lab.exec('ta', 'ethtool', ['-K', tA.ifname, 'tx', 'off']);
  await lab.exec('tb', 'ethtool', ['-K', tB.ifname, 'tx', 'off']);
  // Tenants: static neighbours (no ARP needed; the agents also flood broadcasts to every peer).
  await sh('ta', `ip neigh add ${IP.tB} lladdr ${tB.mac} dev ${tA.ifname} nud permanent
    ip neigh add ${IP.tK} lladdr ${tK} dev ${tA.ifname} nud permanent`);
  await sh('tb', `ip neigh add ${IP.tA} lladdr ${tA.mac} dev ${tB.ifname} nud permanent`);
  return {
    lab,
    macs: { tA: tA.mac, tB: tB.mac, tK, r1a: r1a.mac, r2b: r2b.mac },
    ifs: { vmA: vmA.ifname, upA: upA.ifname, vmB: vmB.ifname, upB: upB.ifname, tA: tA.ifname, tB: tB.ifname },
  };
}

/** Write the two agents' configs into dir; returns their paths. */
export function writeAgentConfigs(l: Lab, dir: string, control: Record<string, unknown> = {}): { a: string; b: string } {
  const base = { vni: VNI, secret: SECRET, hashSeed: HASH_SEED, log: '-', metrics: { port: 9464 }, control };
  const a = {
    ...base,
    vmIface: l.ifs.vmA,
    underlay: { iface: l.ifs.upA, localIp: IP.vtepA, gatewayMac: l.macs.r1a },
    peers: [{ ip: IP.vtepB, macs: [l.macs.tB], mode: 'full' }, { ip: IP.vtepK, macs: [l.macs.tK] }],
  };
  const b = {
    ...base,
    vmIface: l.ifs.vmB,
    underlay: { iface: l.ifs.upB, localIp: IP.vtepB, gatewayMac: l.macs.r2b },
    peers: [{ ip: IP.vtepA, macs: [l.macs.tA], mode: 'full' }],
  };
  const paths = { a: join(dir, 'agent-a.json'), b: join(dir, 'agent-b.json') };
  writeFileSync(paths.a, JSON.stringify(a, null, 2));
  writeFileSync(paths.b, JSON.stringify(b, null, 2));
  return paths;
}

/** Node with tsx inside a namespace, running an ES module snippet (args follow as process.argv[1..]). */
export function nodeIn(lab: NetnsLab, ns: string, code: string, args: string[] = []): NsProcess {
  return lab.spawn(ns, process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, ...args], { cwd: root });
}

/** Plain Node (fast start) inside a namespace; `measured`: without tap's coverage (measured-env.ts). */
export function plainNodeIn(lab: NetnsLab, ns: string, code: string, args: string[] = [], o: { measured?: boolean } = {}): NsProcess {
  return lab.spawn(ns, process.execPath, ['--input-type=module', '-e', code, ...args], { cwd: root, ...(o.measured ? { env: measuredEnv() } : {}) });
}

/**
 * `zooroute agent --config path [--io KIND]` from the TypeScript sources, inside a namespace. `measured`: an
 * agent whose speed the test measures runs without tap's coverage (measured-env.ts); `nodeFlags`
 * go to its node (a profiler, say).
 */
export function startAgent(lab: NetnsLab, ns: string, config: string, o: { measured?: boolean; nodeFlags?: readonly string[]; io?: string } = {}): NsProcess {
  const main = JSON.stringify(join(root, 'src/cli/main.ts'));
  const code = `import { main } from ${main}; process.exitCode = await main(['node', 'zooroute', 'agent', '--config', ...process.argv.slice(1)]);`;
  // ZR_IO=cap|mmap: the agents' packet I/O (default: the agent's own, mmap where the addon is built).
  const io = o.io ?? process.env.ZR_IO;
  return lab.spawn(ns, process.execPath, [...(o.nodeFlags ?? []), '--import', 'tsx', '--input-type=module', '-e', code, config, ...(io ? ['--io', io] : [])],
    { cwd: root, ...(o.measured ? { env: measuredEnv() } : {}) });
}

/** Scrape an agent's /metrics from inside its namespace: metric line (name{labels}) -> value. */
export async function scrape(lab: NetnsLab, ns: string, port = 9464): Promise<Map<string, number>> {
  const { stdout } = await lab.exec(ns, process.execPath, ['-e',
    `fetch('http://127.0.0.1:${port}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`], { timeoutMs: 60_000 });
  const m = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

export interface LoggedEvent {
  event: string; epochMs: number; peer?: string; sport?: number; from?: number; to?: number;
  /** port-down: flap damping holds the port; port-up: it had been held. */
  held?: boolean;
  /** port-up, port-restored: ms since its last lost probe. */
  failureFreeMs?: number;
  /** port-up: good, but waits to restore before its flows return (port-restored). */
  waitToRestore?: boolean;
}

/** The JSON-lines events an agent printed so far. */
export function events(p: NsProcess): LoggedEvent[] {
  return p.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LoggedEvent);
}

/** Resolve after ms milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` every 250 ms until it holds; throws naming `what` after timeoutMs. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}
