// tshark, an independent dissector, judges zooroute's capture files: encap output is VXLAN with the
// right VNI and a good outer IPv4 checksum; encap then decap gives back the input frames; decap of
// the Zeek VXLAN captures yields exactly the inner frames tshark finds; the example capture holds the
// flows its script promises, all checksums good.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTshark } from './helpers/needs.js';
import { decodeCapture } from '../src/pcap/index.js';
import { root, zooroute } from './fixtures/cli.js';

const skip = needTshark();
const dir = mkdtempSync(join(tmpdir(), 'zooroute-tshark-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const zeek = (f: string): string => join(root, 'test/fixtures/zeek', f);
const tenant = join(root, 'examples/tenant.pcap');
const hex = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');

function tshark(file: string, ...args: string[]): string {
  return execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
}
const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

function encap(inp: string, vni: number): string {
  const out = join(dir, `encap-${vni}-${Math.random().toString(36).slice(2)}.pcap`);
  const r = zooroute('encap', inp, '-o', out, '--vni', String(vni), '--local', '10.0.0.1', '--remote', '10.0.0.2');
  if (r.code !== 0) throw new Error(r.stderr);
  return out;
}
function decap(inp: string): string {
  const out = join(dir, `decap-${Math.random().toString(36).slice(2)}.pcap`);
  const r = zooroute('decap', inp, '-o', out);
  if (r.code !== 0) throw new Error(r.stderr);
  return out;
}

type Raw = [string, number, number, number, number];
type Layers = Record<string, unknown>;
/** With --no-duplicate-keys a field seen once is one value, seen several times an array of them. */
const all = <T>(v: unknown, isOne: (x: unknown) => boolean): T[] => (v === undefined ? [] : isOne(v) ? [v as T] : (v as T[]));
const raws = (v: unknown): Raw[] => all<Raw>(v, (x) => typeof (x as unknown[])[0] === 'string');
const objs = (v: unknown): Layers[] => all<Layers>(v, (x) => !Array.isArray(x));

const inputs = [tenant, zeek('http-vlan-0.pcap'), zeek('mixed-vlan-mpls.pcap'), zeek('communityid-ipv6.pcap'),
  zeek('ipv4-fragmented-1.pcap'), zeek('ipv6-hbh-routing0.pcap'), zeek('tunnels-vxlan.pcap')];
/** Encap outputs of test 1, decapsulated again in test 2 (process spawns are what make this file slow). */
const encapped = new Map<string, string>();

t.test('tshark dissects encap output as VXLAN with the VNI and a good outer IPv4 checksum', { skip }, async (tt) => {
  for (const [k, inp] of inputs.entries()) {
    const vni = 1000 + k * 777;
    const frames = decodeCapture(readFileSync(inp)).records.length;
    const out = encap(inp, vni);
    encapped.set(inp, out);
    const got = lines(tshark(out, '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'vxlan.vni', '-e', 'ip.checksum.status', '-E', 'occurrence=f'));
    tt.equal(got.length, frames, `${inp}: every frame`);
    tt.same([...new Set(got)], [`${vni}\t1`], `${inp}: VNI ${vni}, checksum good`);
  }
});

t.test('encap then decap: tshark sees the same frames, bytes and timestamps, as in the input', { skip }, async (tt) => {
  // One tshark run per file: each frame's bytes and timestamp as tshark reads them.
  const view = (f: string): string[][] => (JSON.parse(tshark(f, '-T', 'json', '-x', '--no-duplicate-keys', '-j', 'frame')) as { _source: { layers: Layers } }[])
    .map((p) => [raws(p._source.layers.frame_raw)[0][0], String(objs(p._source.layers.frame)[0]['frame.time_epoch'])]);
  for (const inp of inputs) {
    const back = decap(encapped.get(inp) ?? encap(inp, 5));
    const want = view(inp);
    tt.ok(want.length > 0);
    tt.same(view(back), want, inp);
  }
});

/** The inner frames tshark finds behind the outermost VXLAN header of each complete frame. */
function tsharkInnerFrames(file: string): { inner: string[]; frames: number } {
  const pkts = JSON.parse(tshark(file, '-T', 'json', '-x', '--no-duplicate-keys')) as { _source: { layers: Layers } }[];
  const inner: string[] = [];
  for (const p of pkts) {
    const L = p._source.layers;
    const frame = objs(L.frame)[0];
    if (frame['frame.len'] !== frame['frame.cap_len']) continue; // a cut frame has no whole inner frame
    const bytes = raws(L.frame_raw)[0][0];
    const udp = raws(L.udp_raw)[0];
    const vx = raws(L.vxlan_raw)[0];
    // Only VXLAN directly in the outermost UDP (not VXLAN inside Geneve, say).
    if (!udp || !vx || vx[1] !== udp[1] + 8) continue;
    const udpLen = Number(objs(L.udp)[0]['udp.length']);
    inner.push(bytes.slice(2 * (vx[1] + 8), 2 * (udp[1] + udpLen)));
  }
  return { inner, frames: pkts.length };
}

t.test('decap of the Zeek VXLAN captures gives exactly the inner frames tshark finds', { skip }, async (tt) => {
  for (const f of ['tunnels-vxlan.pcap', 'tunnels-vxlan-encapsulated-http.pcap', 'tunnels-vxlan-encapsulated-igmp-v2.pcap',
    'tunnels-vxlan-inner-tcp-bad-checksum.pcap', 'tunnels-vxlan-triple-v2.pcap', 'tunnels-geneve-vxlan-dns-truncated.pcap',
    'http-vlan-0.pcap', 'mixed-vlan-mpls.pcap']) {
    const expected = tsharkInnerFrames(zeek(f));
    const out = join(dir, `z-${f}`);
    const r = zooroute('decap', zeek(f), '-o', out, '--json');
    tt.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { frames: number; decapsulated: number; dropped: Record<string, number> };
    const got = decodeCapture(readFileSync(out)).records.map((x) => hex(x.data));
    tt.equal(doc.frames, expected.frames, `${f}: frames`);
    tt.same(got, expected.inner, `${f}: ${expected.inner.length} inner frames`);
    tt.equal(Object.values(doc.dropped).reduce((a, b) => a + b, 0), doc.frames - expected.inner.length, `${f}: the rest skipped and counted`);
  }
});

t.test('the example capture: the promised flows, every checksum good, 30 s of traffic', { skip }, async (tt) => {
  const fields = ['frame.time_epoch', 'arp.opcode', 'dns.id', 'tcp.flags.syn', 'tcp.flags.fin', 'http.request', 'udp.dstport',
    'icmp.type', 'ipv6.src', 'vlan.id', 'ip.flags.mf', 'ip.frag_offset', '_ws.expert.severity',
    'ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', 'icmp.checksum.status'] as const;
  const out = tshark(tenant, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
    '-T', 'fields', '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f]));
  const rows = lines(out).map((l) => l.split('\t'));
  const at = (f: (typeof fields)[number]): number => fields.indexOf(f);
  const count = (f: (typeof fields)[number], ok: (v: string) => boolean): number => rows.filter((r) => (r[at(f)] ?? '') !== '' && ok(r[at(f)])).length;
  const yes = (v: string): boolean => v === '1' || v === 'True';
  tt.equal(rows.length, decodeCapture(readFileSync(tenant)).records.length);
  tt.equal(count('arp.opcode', () => true), 2, 'ARP request and reply');
  tt.equal(count('dns.id', () => true), 2, 'DNS query and answer');
  tt.equal(count('tcp.flags.syn', yes), 2, 'handshake: SYN and SYN-ACK');
  tt.equal(count('tcp.flags.fin', yes), 2, 'both sides close');
  tt.ok(count('http.request', yes) >= 100, 'HTTP requests');
  tt.equal(count('udp.dstport', (v) => v === '5004'), 300, '10 packets/s for 30 s');
  tt.equal(count('icmp.type', (v) => v === '8'), 30, 'echo requests');
  tt.equal(count('icmp.type', (v) => v === '0'), 30, 'echo replies');
  tt.equal(count('ipv6.src', () => true), 150, 'IPv6 flow');
  tt.equal(count('vlan.id', (v) => v === '100'), 60, 'VLAN 100 flow');
  tt.equal(count('ip.flags.mf', yes), 12, 'two leading fragments per datagram');
  tt.equal(count('ip.frag_offset', (v) => Number(v) > 0), 12, 'two trailing fragments per datagram');
  // Expert severities: 0x600000 is a warning, 0x800000 an error.
  tt.equal(count('_ws.expert.severity', (v) => v.split(',').some((x) => Number(x) >= 0x600000)), 0, 'no expert warnings or errors');
  const sums = ['ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', 'icmp.checksum.status'] as const;
  tt.equal(rows.filter((r) => sums.some((f) => (r[at(f)] ?? '').split(',').includes('0'))).length, 0, 'no bad checksum');
  tt.equal(rows.filter((r) => sums.some((f) => (r[at(f)] ?? '').split(',').includes('1'))).length, rows.length - 2, 'every non-ARP frame has a checked checksum');
  const times = rows.map((r) => Number(r[0]));
  tt.ok(times[times.length - 1] - times[0] > 29, 'spans about 30 s');
});
