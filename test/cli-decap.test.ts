// `zooroute decap`: the inner frames of valid VXLAN frames, everything else skipped and counted by
// reason; encap then decap gives back every input frame byte for byte.
import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture } from '../src/pcap/index.js';
import { classicPcap } from './fixtures/capture-bytes.js';
import { ether, ipv4, tenantFrame, udp, vxlan } from './fixtures/frames.js';
import { root, zooroute } from './fixtures/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'zooroute-decap-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const hex = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
const zeek = (f: string): string => join(root, 'test/fixtures/zeek', f);

interface DecapDoc { frames: number; decapsulated: number; dropped: Record<string, number>; vnis: Record<string, number> }

function decap(inp: string, ...extra: string[]): { doc: DecapDoc; out: string; stderr: string } {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.pcap`);
  const r = zooroute('decap', inp, '-o', out, '--json', ...extra);
  if (r.code !== 0) throw new Error(`decap failed (${r.code}): ${r.stderr}`);
  return { doc: JSON.parse(r.stdout) as DecapDoc, out, stderr: r.stderr };
}

t.test('encap then decap gives back every input frame, byte for byte, with its timestamp', async (tt) => {
  for (const inp of [join(root, 'examples/tenant.pcap'), zeek('http-vlan-0.pcap'), zeek('mixed-vlan-mpls.pcap'), zeek('communityid-ipv6.pcap'), zeek('ipv4-fragmented-1.pcap')]) {
    const mid = join(dir, 'mid.pcap');
    const e = zooroute('encap', inp, '-o', mid, '--vni', '77', '--local', '10.0.0.1', '--remote', '10.0.0.2');
    tt.equal(e.code, 0, e.stderr);
    const { doc, out } = decap(mid);
    const a = decodeCapture(readFileSync(inp)).records, b = decodeCapture(readFileSync(out)).records;
    tt.equal(doc.decapsulated, a.length, inp);
    tt.same(doc.vnis, { 77: a.length });
    tt.same(b.map((r) => [r.tsSec, r.tsNsec, hex(r.data)]), a.map((r) => [r.tsSec, r.tsNsec, hex(r.data)]), inp);
  }
});

t.test('frames that are not valid VXLAN are skipped and counted by reason', async (tt) => {
  const inner = tenantFrame(1);
  const frag = ipv4(udp(50000, 4789, new Array(40).fill(0)), { flagsFrag: 0x2000 });
  const cases: [string, Uint8Array, number?][] = [
    ['ok', vxlan(inner, { vni: 7 })],
    ['vni 8', vxlan(tenantFrame(2), { vni: 8 })],
    ['not_ipv4', Uint8Array.from(ether(0x0806, new Array(28).fill(1)))],
    ['not_udp', Uint8Array.from(ether(0x0800, ipv4(new Array(20).fill(0), { proto: 6 })))],
    ['not_vxlan_port', Uint8Array.from(ether(0x0800, ipv4(udp(1234, 53, new Array(30).fill(0)))))],
    ['bad_vxlan_flags', vxlan(inner, { flags: 0x00 })],
    ['bad_ip_checksum', vxlan(inner, { badChecksum: true })],
    ['ip_fragment', Uint8Array.from(ether(0x0800, frag))],
    ['inner_runt', vxlan(inner.subarray(0, 10))],
    ['runt', Uint8Array.from([1, 2, 3])],
    ['truncated', vxlan(inner).subarray(0, 60), vxlan(inner).length],
  ];
  const inp = join(dir, 'mixed.pcap');
  writeFileSync(inp, classicPcap(cases.map(([, d, orig], i) => ({ sec: 100 + i, frac: 0, data: d, orig }))));
  const { doc, out, stderr } = decap(inp);
  tt.equal(doc.frames, cases.length);
  tt.equal(doc.decapsulated, 2);
  tt.same(doc.dropped, { not_ipv4: 1, not_udp: 1, not_vxlan_port: 1, bad_vxlan_flags: 1, bad_ip_checksum: 1, ip_fragment: 1, inner_runt: 1, runt: 1, truncated: 1 });
  tt.same(doc.vnis, { 7: 1, 8: 1 });
  tt.match(stderr, /^zooroute decap: 11 frames, 2 decapsulated, 9 dropped \(bad_ip_checksum 1, .*truncated 1\) -> /);
  tt.same(decodeCapture(readFileSync(out)).records.map((r) => [r.tsSec, hex(r.data)]), [[100, hex(inner)], [101, hex(tenantFrame(2))]]);

  const filtered = decap(inp, '--vni', '8');
  tt.equal(filtered.doc.decapsulated, 1);
  tt.equal(filtered.doc.dropped.vni_filtered, 2, 'VNI 7 and the inner runt of VNI 42 (the VNI is checked first)');
  tt.same(decodeCapture(readFileSync(filtered.out)).records.map((r) => hex(r.data)), [hex(tenantFrame(2))]);
});

t.test('Zeek captures: VXLAN ones decapsulate, others are skipped and counted', async (tt) => {
  const expect: Record<string, [number, number, Record<string, number>]> = {
    'tunnels-vxlan.pcap': [10, 10, {}],
    'tunnels-vxlan-encapsulated-http.pcap': [12, 12, {}],       // one 9100-byte jumbo frame among them
    'tunnels-vxlan-encapsulated-igmp-v2.pcap': [3, 3, {}],
    'tunnels-vxlan-inner-tcp-bad-checksum.pcap': [1, 1, {}],  // the inner checksum is not ours to check
    'tunnels-geneve-vxlan-dns-truncated.pcap': [2, 0, { truncated: 2 }],
  };
  for (const [f, [frames, ok, dropped]] of Object.entries(expect)) {
    const { doc } = decap(zeek(f));
    tt.same([doc.frames, doc.decapsulated, doc.dropped], [frames, ok, dropped], f);
  }
  for (const f of ['http-vlan-0.pcap', 'mixed-vlan-mpls.pcap', 'communityid-ipv6.pcap', 'ipv6-hbh-routing0.pcap']) {
    const { doc } = decap(zeek(f));
    tt.equal(doc.decapsulated, 0, f);
    tt.equal(Object.values(doc.dropped).reduce((a, b) => a + b, 0), doc.frames, `${f}: every frame counted (${JSON.stringify(doc.dropped)})`);
  }
  // VXLAN in VXLAN in VXLAN: each decap strips one layer.
  let cur = zeek('tunnels-vxlan-triple-v2.pcap');
  const vnis: string[] = [];
  for (let layer = 0; layer < 3; layer++) {
    const { doc, out } = decap(cur);
    tt.equal(doc.decapsulated, 1);
    vnis.push(...Object.keys(doc.vnis));
    cur = out;
  }
  tt.same(vnis, ['1', '2', '3']);
  const last = decap(cur);
  tt.same(last.doc.dropped, { not_vxlan_port: 1 }, 'the innermost frame is DNS');
});

t.test('decap arguments and broken input', async (tt) => {
  const r = zooroute('decap', zeek('tunnels-vxlan.pcap'), '-o', join(dir, 'x.pcap'), '--vni', '0x1000000');
  tt.equal(r.code, 2);
  tt.equal(r.stderr, 'zooroute: --vni: expected an integer in 0..16777215, got "0x1000000"\n');
  const empty = join(dir, 'empty.pcap');
  writeFileSync(empty, '');
  const e = zooroute('decap', empty, '-o', join(dir, 'y.pcap'));
  tt.equal(e.code, 2);
  tt.equal(e.stderr, `zooroute: ${empty}: empty file at byte offset 0\n`);
  const none = zooroute('decap', join(dir, 'does-not-exist.pcap'), '-o', join(dir, 'z.pcap'));
  tt.equal(none.code, 2);
  tt.match(none.stderr, /^zooroute: .*does-not-exist\.pcap: no such file or directory\n$/);
});
