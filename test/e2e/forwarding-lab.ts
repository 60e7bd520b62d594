// The forwarding-rate lab of test/e2e/forwarding.test.ts and docs/lab.md ("Forwarding rate"): one
// path, and VTEP namespaces that hold either a Linux vxlan device or a `zooroute agent`.
//
//   ta ---- va ===== r ===== vb ---- tb          (tenant A, VTEP A, router, VTEP B, tenant B)
//   10.1.0.1  192.168.1.2   192.168.2.2  10.1.0.2
//
// A kernel VTEP is a bridge joining the tenant-facing veth and a vxlan device (nolearning, static
// fdb): the way a hypervisor bridges a VM onto VXLAN. An agent VTEP is the same namespace with those
// removed and the agent capturing the tenant-facing and underlay veths. Tenant A also has a veth to a
// sink namespace `s` that drops everything at ingress (nftables netdev hook): the generator's own
// ceiling with one veth hop and no forwarding (this kernel has no `dummy` device).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetnsLab, NsProcess, VethEnd } from '../helpers/netns.js';
import { SECRET, VNI, startAgent } from './lab.js';

export const FWD_IP = { tA: '10.1.0.1', tB: '10.1.0.2', vtepA: '192.168.1.2', vtepB: '192.168.2.2', sink: '10.9.0.2' };

export type Side = 'a' | 'b';

export interface ForwardingLab {
  lab: NetnsLab;
  /** Interface names, each inside its namespace: tenant veths, VTEP veths, tenant A's veth to the sink. */
  ifs: { tA: string; vmA: string; upA: string; upB: string; vmB: string; tB: string; sink: string };
  macs: { tA: string; tB: string; rA: string; rB: string };
  /** A long-lived process in each namespace: its /proc/<pid>/net/dev shows that namespace's counters. */
  anchors: Record<'ta' | 'va' | 'r' | 'vb' | 'tb', number>;
}

const VTEP_NS: Record<Side, 'va' | 'vb'> = { a: 'va', b: 'vb' };

/** Build the six namespaces (the sink included), the links and routes; no VTEP yet. */
export async function buildForwardingLab(lab: NetnsLab): Promise<ForwardingLab> {
  for (const n of ['ta', 'va', 'r', 'vb', 'tb', 's']) await lab.addNs(n);
  const v = (a: string, b: string, aIf: string, bIf: string, aCidr?: string, bCidr?: string): Promise<[VethEnd, VethEnd]> =>
    lab.veth({ a, b, aIf, bIf, aCidr, bCidr });
  const [tA, vmA] = await v('ta', 'va', 't0', 'vm', `${FWD_IP.tA}/24`);
  const [upA, rA] = await v('va', 'r', 'up', 'a', `${FWD_IP.vtepA}/24`, '192.168.1.1/24');
  const [rB, upB] = await v('r', 'vb', 'b', 'up', '192.168.2.1/24', `${FWD_IP.vtepB}/24`);
  const [vmB, tB] = await v('vb', 'tb', 'vm', 't0', undefined, `${FWD_IP.tB}/24`);
  const sh = (ns: string, script: string): Promise<unknown> => lab.exec(ns, 'sh', ['-ec', script]);
  await lab.exec('r', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  await lab.exec('va', 'ip', ['route', 'add', 'default', 'via', '192.168.1.1']);
  await lab.exec('vb', 'ip', ['route', 'add', 'default', 'via', '192.168.2.1']);
  // Tenants compute their own checksums (see lab.ts) and know each other's MAC: no ARP in the way.
  await lab.exec('ta', 'ethtool', ['-K', tA.ifname, 'tx', 'off']);
  await lab.exec('tb', 'ethtool', ['-K', tB.ifname, 'tx', 'off']);
  const [sink, sIn] = await v('ta', 's', 's0', 'in', '10.9.0.1/24');
  await lab.exec('ta', 'ethtool', ['-K', sink.ifname, 'tx', 'off']);
  await sh('ta', `ip neigh add ${FWD_IP.tB} lladdr ${tB.mac} dev ${tA.ifname} nud permanent
    ip neigh add ${FWD_IP.sink} lladdr ${sIn.mac} dev ${sink.ifname} nud permanent`);
  await sh('s', `nft add table netdev sink
    nft add chain netdev sink in '{ type filter hook ingress device ${sIn.ifname} priority 0; }'
    nft add rule netdev sink in drop`);
  await sh('tb', `ip neigh add ${FWD_IP.tA} lladdr ${tA.mac} dev ${tB.ifname} nud permanent`);
  const anchors = {} as ForwardingLab['anchors'];
  for (const n of ['ta', 'va', 'r', 'vb', 'tb'] as const) anchors[n] = lab.spawn(n, 'sleep', ['3600']).child.pid!;
  return {
    lab,
    ifs: { tA: tA.ifname, vmA: vmA.ifname, upA: upA.ifname, upB: upB.ifname, vmB: vmB.ifname, tB: tB.ifname, sink: sink.ifname },
    macs: { tA: tA.mac, tB: tB.mac, rA: rA.mac, rB: rB.mac },
    anchors,
  };
}

function sideOf(l: ForwardingLab, side: Side): { ns: 'va' | 'vb'; vm: string; local: string; remote: string; remoteMac: string; localMac: string } {
  return side === 'a'
    ? { ns: 'va', vm: l.ifs.vmA, local: FWD_IP.vtepA, remote: FWD_IP.vtepB, remoteMac: l.macs.tB, localMac: l.macs.tA }
    : { ns: 'vb', vm: l.ifs.vmB, local: FWD_IP.vtepB, remote: FWD_IP.vtepA, remoteMac: l.macs.tA, localMac: l.macs.tB };
}

/** Make a side's VTEP the kernel's: bridge (tenant veth + vxlan), static fdb both ways, no agent filter. */
export async function useKernelVtep(l: ForwardingLab, side: Side): Promise<void> {
  const s = sideOf(l, side);
  await l.lab.exec(s.ns, 'sh', ['-ec', `nft delete table ip zr 2>/dev/null || true
    ip link add br0 type bridge
    ip link add vx0 type vxlan id ${VNI} dstport 4789 local ${s.local} nolearning
    ip link set ${s.vm} master br0
    ip link set vx0 master br0
    bridge fdb append ${s.remoteMac} dev vx0 dst ${s.remote}
    bridge fdb add ${s.remoteMac} dev vx0 master static
    bridge fdb add ${s.localMac} dev ${s.vm} master static
    ip link set vx0 up
    ip link set br0 up`]);
}

/** Make a side's VTEP ready for an agent: no bridge or vxlan device, and no ICMP answer to VXLAN (see lab.ts). */
export async function useAgentVtep(l: ForwardingLab, side: Side): Promise<void> {
  const s = sideOf(l, side);
  await l.lab.exec(s.ns, 'sh', ['-ec', `ip link del vx0 2>/dev/null || true
    ip link del br0 2>/dev/null || true
    ip link set ${s.vm} up
    nft add table ip zr
    nft add chain ip zr in '{ type filter hook input priority 0; }'
    nft add rule ip zr in udp dport 4789 drop`]);
}

/** Write an agent config for a side into dir (its only peer is the other side); returns its path. */
export function writeForwardingAgentConfig(l: ForwardingLab, side: Side, dir: string): string {
  const a = side === 'a';
  const cfg = {
    vni: VNI, secret: SECRET, log: '-', metrics: { port: 9464 },
    vmIface: a ? l.ifs.vmA : l.ifs.vmB,
    underlay: { iface: a ? l.ifs.upA : l.ifs.upB, localIp: a ? FWD_IP.vtepA : FWD_IP.vtepB, gatewayMac: a ? l.macs.rA : l.macs.rB },
    peers: [{ ip: a ? FWD_IP.vtepB : FWD_IP.vtepA, macs: [a ? l.macs.tB : l.macs.tA] }],
  };
  const path = join(dir, `fwd-agent-${side}.json`);
  writeFileSync(path, JSON.stringify(cfg, null, 2));
  return path;
}

/**
 * `zooroute agent` from the TypeScript sources in a side's namespace, without the test runner's
 * coverage (measuredEnv), with extra node flags (e.g. --cpu-prof).
 */
export function startForwardingAgent(l: ForwardingLab, side: Side, config: string, nodeFlags: string[] = []): NsProcess {
  return startAgent(l.lab, VTEP_NS[side], config, { measured: true, nodeFlags });
}

export interface IfCounters { rxPackets: number; rxDrop: number; txPackets: number; txDrop: number }

/** Every interface's counters in the namespace of `pid` (/proc/<pid>/net/dev). */
export function netDev(pid: number): Map<string, IfCounters> {
  const m = new Map<string, IfCounters>();
  for (const line of readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    m.set(line.slice(0, i).trim(), { rxPackets: f[1], rxDrop: f[3], txPackets: f[9], txDrop: f[11] });
  }
  return m;
}

/** CPU seconds, user and system, a process has used so far (/proc/<pid>/stat fields 14 and 15, USER_HZ = 100). */
export function cpuSeconds(pid: number): { user: number; sys: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { user: Number(rest[11]) / 100, sys: Number(rest[12]) / 100 };
}
