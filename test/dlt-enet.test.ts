// `--dlt enet` on real captures of every link type it takes. The test makes them itself, in two
// network namespaces it creates and removes: a veth pair carries ARP, ping and UDP over IPv4 and IPv6,
// and a TUN device (held open by a small python3 reader) carries IP without a link header.
//   - LINUX_SLL and LINUX_SLL2: `tcpdump -i any -y LINUX_SLL|LINUX_SLL2` (what `tcpdump -i any` writes);
//   - RAW: `tcpdump -i <tun>`;
//   - IPV4 and IPV6: the RAW capture split by family with tshark and relabelled by editcap
//     (`-T rawip4|rawip6`): the same packets, the link types Wireshark writes for them;
//   - NULL (BSD loopback, host byte order) and LOOP (OpenBSD, network byte order): Linux captures
//     neither, so the RAW capture's packets get the 4-byte address family header here; tshark then
//     confirms it dissects those files as the same IP packets;
//   - a pcapng of `dumpcap -i any -i <tun>`: two interfaces of two link types in one file;
//   - a pcapng of `dumpcap -i <veth> -i <tun>` with traffic on the veth only: an interface no packet
//     uses, of another link type (accepted without --dlt).
// Each goes through `zooroute encap --dlt enet` then `zooroute decap`: every frame comes back as an
// Ethernet frame with the stated MACs and EtherType and the original's payload byte for byte, and
// tshark dissects the same packets in it as in the original capture.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture, PcapWriter, type PcapRecord } from '../src/pcap/index.js';
import { DEFAULT_ENET_SMAC } from '../src/pcap/to-ethernet.js';
import { root, zooroute } from './fixtures/cli.js';
import { missing, needRoot, needTshark, which } from './helpers/needs.js';
import { NetnsLab, type NsProcess } from './helpers/netns.js';

const skip = needRoot()
  ?? missing('tcpdump', which('tcpdump') !== undefined, 'apt-get install tcpdump; .ci/run installs it')
  ?? needTshark()
  ?? missing('python3', which('python3') !== undefined, 'apt-get install python3; .ci/run installs it');

const DMAC = '02:dd:00:00:00:01';
const ENCAP = ['--vni', '9', '--local', '10.0.0.1', '--remote', '10.0.0.2', '--dlt', 'enet', '--enet-dmac', DMAC];
const hex = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
const mac = (d: Uint8Array, at: number): string => Array.from(d.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');

// Opens a TUN device and drains it: with a reader attached the device has carrier and the kernel
// transmits to it, so tcpdump sees the packets routed there (no reply comes back; none is needed).
const TUN_READER = `
import fcntl, os, struct, sys
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', sys.argv[1].encode(), 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN | IFF_NO_PI
print('ready', flush=True)
while True:
    os.read(fd, 65536)
`;

/** The link header's length in front of the IP packet (or whatever the cooked header carries). */
const HEADER: Record<number, number> = { 0: 4, 101: 0, 108: 4, 113: 16, 228: 0, 229: 0, 276: 20 };

/** The EtherType the added header must carry, read from the original record. */
function etherType(r: PcapRecord): number {
  const d = r.data;
  if (r.linkType === 113) return (d[14] << 8) | d[15];
  if (r.linkType === 276) return (d[0] << 8) | d[1];
  const ip = d[HEADER[r.linkType]] >> 4;
  return ip === 4 ? 0x0800 : 0x86dd;
}

/** The source MAC the added header must carry: a cooked header's Ethernet address, else the default. */
function sourceMac(r: PcapRecord): string {
  const d = r.data;
  if (r.linkType === 113 && ((d[2] << 8) | d[3]) === 1 && ((d[4] << 8) | d[5]) === 6) return mac(d, 6);
  if (r.linkType === 276 && ((d[8] << 8) | d[9]) === 1 && d[11] === 6) return mac(d, 12);
  return DEFAULT_ENET_SMAC;
}

// tshark's view of the packets, link layer left out: what must survive the change of link header.
const FIELDS = ['frame.time_epoch', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'icmp.seq', 'icmpv6.echo.sequence_number', 'udp.srcport', 'udp.dstport', 'udp.length'];
function dissect(file: string): string[] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'occurrence=f', ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark -r ${file}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

t.test('--dlt enet on real captures of each link type', { skip: skip ?? false, timeout: 400_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zooroute-dlt-'));
  const lab = new NetnsLab();
  t.teardown(async () => { await lab.destroy(); rmSync(dir, { recursive: true, force: true }); });
  await lab.addNs('a');
  await lab.addNs('b');
  const [va, vb] = await lab.veth({ a: 'a', b: 'b', aIf: 'va', bIf: 'vb', aCidr: '10.77.0.1/24', bCidr: '10.77.0.2/24' });
  const tun = `${lab.prefix}tun`;
  const reader = lab.spawn('a', 'python3', ['-c', TUN_READER, tun]);
  await reader.waitFor(/^ready/);
  await lab.exec('a', 'ip', ['link', 'set', tun, 'up']);
  await lab.exec('a', 'ip', ['addr', 'add', '10.78.0.1/24', 'dev', tun]);
  // The lab turns IPv6 off; these interfaces get it back, without duplicate address detection.
  for (const [ns, ifname, addr] of [['a', va.ifname, 'fd77::1/64'], ['b', vb.ifname, 'fd77::2/64'], ['a', tun, 'fd78::1/64']]) {
    await lab.exec(ns, 'sysctl', ['-qw', `net.ipv6.conf.${ifname}.disable_ipv6=0`]);
    await lab.exec(ns, 'ip', ['-6', 'addr', 'add', addr, 'dev', ifname, 'nodad']);
  }
  const f = (name: string): string => join(dir, name);

  const capture = async (caps: Array<[string, string[], RegExp]>, traffic: () => Promise<void>): Promise<void> => {
    const procs: NsProcess[] = [];
    for (const [cmd, args, ready] of caps) {
      const p = lab.spawn('a', cmd, args);
      await p.waitFor(ready);
      procs.push(p);
    }
    await traffic();
    await new Promise((r) => setTimeout(r, 500)); // let the capturers write the last packets
    for (const p of procs) p.signal('SIGINT');
    for (const p of procs) await p.exited;
  };
  const veth = async (): Promise<void> => {
    await lab.exec('a', 'ping', ['-c', '3', '-i', '0.2', '-W', '1', '10.77.0.2']);
    await lab.exec('a', 'ping', ['-6', '-c', '3', '-i', '0.2', '-W', '1', 'fd77::2']);
    await lab.exec('a', 'bash', ['-c', 'echo four > /dev/udp/10.77.0.2/40000; echo six > /dev/udp/fd77::2/40000']);
  };
  const overTun = async (): Promise<void> => {
    // Nothing answers on the TUN: ping gives up after -W, its exit code says so.
    await lab.exec('a', 'ping', ['-c', '3', '-i', '0.2', '-W', '0.5', '10.78.0.2']).catch(() => undefined);
    await lab.exec('a', 'ping', ['-6', '-c', '3', '-i', '0.2', '-W', '0.5', 'fd78::2']).catch(() => undefined);
    await lab.exec('a', 'bash', ['-c', 'echo four > /dev/udp/10.78.0.2/40000; echo six > /dev/udp/fd78::2/40000']);
  };
  const listening = /listening on/, capturing = /Capturing on/;
  await capture([
    ['tcpdump', ['-i', 'any', '-y', 'LINUX_SLL', '-U', '-w', f('sll.pcap')], listening],
    ['tcpdump', ['-i', 'any', '-y', 'LINUX_SLL2', '-U', '-w', f('sll2.pcap')], listening],
    ['tcpdump', ['-i', tun, '-U', '-w', f('raw.pcap')], listening],
    ['dumpcap', ['-q', '-i', 'any', '-i', tun, '-w', f('mixed.pcapng')], capturing],
  ], async () => { await veth(); await overTun(); });
  // The TUN falls silent (no address, no IPv6: no MLD or router solicitation either), then is
  // captured beside the veth.
  await lab.exec('a', 'ip', ['addr', 'flush', 'dev', tun]);
  await lab.exec('a', 'sysctl', ['-qw', `net.ipv6.conf.${tun}.disable_ipv6=1`]);
  await capture([['dumpcap', ['-q', '-i', va.ifname, '-i', tun, '-w', f('unused-idb.pcapng')], capturing]], veth);

  // IPV4 and IPV6: the raw capture's packets of one family, relabelled by editcap.
  sh('tshark', ['-r', f('raw.pcap'), '-Y', 'ip', '-F', 'pcap', '-w', f('raw4.pcap')]);
  sh('tshark', ['-r', f('raw.pcap'), '-Y', 'ipv6', '-F', 'pcap', '-w', f('raw6.pcap')]);
  sh('editcap', ['-T', 'rawip4', f('raw4.pcap'), f('ipv4.pcap')]);
  sh('editcap', ['-T', 'rawip6', f('raw6.pcap'), f('ipv6.pcap')]);
  // NULL and LOOP: the raw packets behind a 4-byte address family (NULL: little-endian as a BSD or
  // macOS host writes it, AF_INET6 30 as on macOS; LOOP: big-endian, AF_INET6 24 as on OpenBSD).
  const raw = decodeCapture(readFileSync(f('raw.pcap'))).records;
  for (const [name, linkType, le, af6] of [['null.pcap', 0, true, 30], ['loop.pcap', 108, false, 24]] as const) {
    const w = await PcapWriter.open(f(name), { linkType, snaplen: 262144 });
    for (const r of raw) {
      const fam = r.data[0] >> 4 === 4 ? 2 : af6;
      const data = new Uint8Array(4 + r.data.length);
      new DataView(data.buffer).setUint32(0, fam, le);
      data.set(r.data, 4);
      w.write({ tsSec: r.tsSec, tsNsec: r.tsNsec, data });
    }
    await w.close();
  }

  const linkTypes = (file: string): number[] => [...new Set(decodeCapture(readFileSync(file)).records.map((r) => r.linkType))].sort((a, b) => a - b);
  const cases: Array<[string, number[]]> = [
    ['sll.pcap', [113]], ['sll2.pcap', [276]], ['raw.pcap', [101]], ['ipv4.pcap', [228]], ['ipv6.pcap', [229]],
    ['null.pcap', [0]], ['loop.pcap', [108]],
  ];
  for (const [name, want] of cases) t.same(linkTypes(f(name)), want, `${name}: link type ${want.join(', ')}`);
  const mixed = linkTypes(f('mixed.pcapng'));
  t.ok(mixed.includes(101) && mixed.some((l) => l === 113 || l === 276), `mixed.pcapng: a cooked and a raw interface (${mixed.join(', ')})`);
  cases.push(['mixed.pcapng', mixed]);
  // tshark reads the derived NULL and LOOP files as the same IP packets as the raw capture.
  t.same(dissect(f('null.pcap')), dissect(f('raw.pcap')), 'tshark: null.pcap holds the raw packets');
  t.same(dissect(f('loop.pcap')), dissect(f('raw.pcap')), 'tshark: loop.pcap holds the raw packets');

  for (const [name] of cases) {
    const input = f(name), vx = f(`${name}.vxlan`), back = f(`${name}.back`);
    const orig = decodeCapture(readFileSync(input)).records;
    t.ok(orig.length >= 3, `${name}: ${orig.length} frames captured`);
    // Without --dlt enet the capture is refused, naming its link type.
    const plain = zooroute('encap', input, '-o', f(`${name}.refused`), ...ENCAP.slice(0, 6));
    t.equal(plain.code, 2, `${name}: refused without --dlt enet`);
    t.match(plain.stderr, /link type \d+ \(.*\) where 1 \(ETHERNET\) frames are required \(--dlt enet gives its frames an Ethernet header\)/);
    const e = zooroute('encap', input, '-o', vx, ...ENCAP, '--json');
    t.equal(e.code, 0, e.stderr);
    const doc = JSON.parse(e.stdout) as { frames: number; encapsulated: number; dropped: Record<string, number> };
    t.same([doc.frames, doc.encapsulated, doc.dropped], [orig.length, orig.length, {}], `${name}: every frame encapsulated`);
    const d = zooroute('decap', vx, '-o', back);
    t.equal(d.code, 0, d.stderr);
    const out = decodeCapture(readFileSync(back)).records;
    t.equal(out.length, orig.length, `${name}: every frame back from decap`);
    let bad = 0;
    out.forEach((r, i) => {
      const o = orig[i];
      const ok = r.linkType === 1 && r.tsSec === o.tsSec && r.tsNsec === o.tsNsec
        && mac(r.data, 0) === DMAC && mac(r.data, 6) === sourceMac(o) && ((r.data[12] << 8) | r.data[13]) === etherType(o)
        && hex(r.data.subarray(14)) === hex(o.data.subarray(HEADER[o.linkType]));
      if (!ok && bad++ === 0) t.fail(`${name} frame ${i}: ${hex(r.data.subarray(0, 34))} from ${hex(o.data.subarray(0, 34))}`);
    });
    t.equal(bad, 0, `${name}: each frame is the original's payload behind dst ${DMAC}, the stated source MAC and its EtherType`);
    t.same(dissect(back), dissect(input), `${name}: tshark dissects the same packets after encap --dlt enet and decap`);
  }

  // The cooked captures carry veth MACs: kept as the source unless --enet-smac says otherwise.
  const sll = decodeCapture(readFileSync(f('sll.pcap'))).records;
  t.ok(sll.some((r) => sourceMac(r) === va.mac) && sll.some((r) => sourceMac(r) === vb.mac), 'sll.pcap: frames from both veth ends, by their MACs');
  const over = zooroute('encap', f('sll.pcap'), '-o', f('sll-smac.vxlan'), ...ENCAP, '--enet-smac', '02:ee:00:00:00:01');
  t.equal(over.code, 0, over.stderr);
  const overBack = f('sll-smac.back');
  t.equal(zooroute('decap', f('sll-smac.vxlan'), '-o', overBack).code, 0);
  t.same([...new Set(decodeCapture(readFileSync(overBack)).records.map((r) => mac(r.data, 6)))], ['02:ee:00:00:00:01'], '--enet-smac overrides the cooked source');

  // replay --dlt enet: a cooked or raw capture replays exactly as its Ethernet version (the decap
  // output above) does; without --dlt enet every record is skipped.
  const scenario = join(root, 'examples/tenant-replay.scenario.json');
  for (const name of ['sll2.pcap', 'raw.pcap', 'mixed.pcapng']) {
    const n = decodeCapture(readFileSync(f(name))).records.length;
    const run = (input: string, ...extra: string[]): Record<string, unknown> => {
      const r = zooroute('replay', input, '--scenario', scenario, '--json', ...extra);
      if (r.code !== 0) throw new Error(`replay ${input}: ${r.stderr}`);
      return { ...(JSON.parse(r.stdout) as Record<string, unknown>), input: 'x' };
    };
    const skipped = run(f(name)) as { frameCounts: { skipped: number } };
    t.equal(skipped.frameCounts.skipped, n, `${name}: replay without --dlt enet skips all ${n} records`);
    const converted = run(f(name), '--dlt', 'enet', '--enet-dmac', DMAC) as { frameCounts: { skipped: number; total: number } };
    t.same([converted.frameCounts.total, converted.frameCounts.skipped], [n, 0], `${name}: replay --dlt enet takes every record`);
    t.same(converted, run(f(`${name}.back`)), `${name}: replay --dlt enet reports what replay of its Ethernet version reports`);
  }

  // A pcapng whose packets are all on the Ethernet interface, the idle TUN described beside it.
  const unused = f('unused-idb.pcapng');
  t.same(linkTypes(unused), [1], 'unused-idb.pcapng: every packet on the veth (Ethernet)');
  const idbs = sh('tshark', ['-r', unused, '-T', 'fields', '-e', 'frame.interface_id']).trim().split('\n');
  t.same([...new Set(idbs)], ['0'], 'no packet on interface 1 (the TUN, link type RAW)');
  const u = zooroute('encap', unused, '-o', f('unused.vxlan'), ...ENCAP.slice(0, 6));
  t.equal(u.code, 0, `accepted without --dlt enet: ${u.stderr}`);
  t.match(u.stderr, /\d+ frames, (\d+) encapsulated, 0 dropped/);
});
