// `zooroute encap`: every frame encapsulated in order with its timestamp, outer headers as configured,
// drops counted by reason, broken input and bad arguments reported in one line with exit code 2.
import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture } from '../src/pcap/index.js';
import { classicPcap, concat, epb, idb, shb } from './fixtures/capture-bytes.js';
import { ipChecksum, tenantFrame } from './fixtures/frames.js';
import { root, zooroute } from './fixtures/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'zooroute-encap-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const tenant = join(root, 'examples/tenant.pcap');
const hex = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
const be16 = (d: Uint8Array, at: number): number => (d[at] << 8) | d[at + 1];

t.test('encap of the example capture: every frame, in order, with valid outer headers', async (tt) => {
  const out = join(dir, 'tenant-vxlan.pcap');
  const r = zooroute('encap', tenant, '-o', out, '--vni', '4242', '--local', '10.1.0.1', '--remote', '10.2.0.7',
    '--src-mac', '02:aa:00:00:00:01', '--dst-mac', '02:bb:00:00:00:02', '--json');
  tt.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { frames: number; encapsulated: number; dropped: Record<string, number>; candidates: number[]; sourcePorts: Record<string, number>; input: string; output: string };
  const input = decodeCapture(readFileSync(tenant)).records;
  tt.equal(doc.frames, input.length);
  tt.equal(doc.encapsulated, input.length);
  tt.same(doc.dropped, {});
  tt.equal(doc.output, out);
  tt.equal(doc.candidates.length, 32);
  tt.equal(Object.values(doc.sourcePorts).reduce((a, b) => a + b, 0), input.length);
  tt.match(r.stderr, /^zooroute encap: 952 frames, 952 encapsulated, 0 dropped -> .*\n$/);

  const output = decodeCapture(readFileSync(out)).records;
  tt.equal(output.length, input.length);
  const cands = new Set(doc.candidates);
  const udp5004 = new Set<number>();
  let bad = 0;
  for (let i = 0; i < input.length; i++) {
    const o = output[i].data, f = input[i].data;
    const ok = hex(o.subarray(50)) === hex(f)
      && output[i].tsSec === input[i].tsSec && output[i].tsNsec === input[i].tsNsec
      && hex(o.subarray(0, 12)) === '02bb0000000202aa00000001' && be16(o, 12) === 0x0800
      && o[14] === 0x45 && be16(o, 16) === f.length + 36 && o[22] === 64 && o[23] === 17
      && ipChecksum(o.subarray(14, 34)) === 0
      && hex(o.subarray(26, 34)) === '0a0100010a020007'
      && cands.has(be16(o, 34)) && be16(o, 36) === 4789 && be16(o, 38) === f.length + 16
      && o[42] === 0x08 && ((o[46] << 16) | (o[47] << 8) | o[48]) === 4242 && o[49] === 0;
    if (!ok) bad++;
    // The voice-like UDP flow (inner IPv4/UDP to port 5004) must keep one source port.
    if (be16(f, 12) === 0x0800 && f[23] === 17 && be16(f, 36) === 5004) udp5004.add(be16(o, 34));
  }
  tt.equal(bad, 0, 'every output frame is outer header + the input frame, timestamps kept');
  tt.equal(udp5004.size, 1, 'one flow, one source port');
});

t.test('drops are counted by reason, survivors keep their order', async (tt) => {
  const frames = [
    { sec: 1, frac: 0, data: tenantFrame(1) },
    { sec: 2, frac: 0, data: tenantFrame(2).subarray(0, 10) },                // runt
    { sec: 3, frac: 0, data: tenantFrame(3, 200).subarray(0, 60), orig: 200 }, // cut by the snaplen
    { sec: 4, frac: 0, data: tenantFrame(4, 65510) },                         // outer IPv4 would exceed 65535
    { sec: 5, frac: 0, data: tenantFrame(5, 1200) },                          // above --mtu 1000
    { sec: 6, frac: 0, data: tenantFrame(6, 964) },                           // exactly the MTU with 36 bytes of outer IP/UDP/VXLAN
  ];
  const inp = join(dir, 'drops.pcap');
  writeFileSync(inp, classicPcap(frames, { snaplen: 262144 }));
  const out = join(dir, 'drops-out.pcap');
  const r = zooroute('encap', inp, '-o', out, '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2', '--mtu', '1000', '--json');
  tt.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { frames: number; encapsulated: number; dropped: Record<string, number> };
  tt.equal(doc.frames, 6);
  tt.equal(doc.encapsulated, 2);
  tt.same(doc.dropped, { runt: 1, truncated: 1, oversize: 1, mtu: 1 });
  tt.match(r.stderr, /4 dropped \(mtu 1, oversize 1, runt 1, truncated 1\)/);
  const o = decodeCapture(readFileSync(out)).records;
  tt.same(o.map((x) => [x.tsSec, hex(x.data.subarray(50))]), [[1, hex(frames[0].data)], [6, hex(frames[5].data)]]);
});

t.test('pcapng input with nanosecond timestamps: output keeps them (nanosecond pcapng, as the input)', async (tt) => {
  const inp = join(dir, 'ns.pcapng');
  writeFileSync(inp, concat(shb(true), idb(true, 1, 0, 9), epb(true, 0, 1_700_000_000_123_456_789n, tenantFrame(7)), epb(true, 0, 1_700_000_001_000_000_001n, tenantFrame(8))));
  const out = join(dir, 'ns-out.pcap');
  const r = zooroute('encap', inp, '-o', out, '--vni', '9', '--local', '10.0.0.1', '--remote', '10.0.0.2', '--sport-range', '40000-40003', '--candidates', '4', '--json');
  tt.equal(r.code, 0, r.stderr);
  const c = decodeCapture(readFileSync(out));
  tt.ok(c.nanos);
  tt.equal(c.format, 'pcapng');
  tt.same(c.records.map((x) => [x.tsSec, x.tsNsec]), [[1_700_000_000, 123_456_789], [1_700_000_001, 1]]);
  for (const x of c.records) tt.ok(be16(x.data, 34) >= 40000 && be16(x.data, 34) <= 40003, 'port in the range');
  tt.equal((JSON.parse(r.stdout) as { format: string }).format, 'pcapng');
});

t.test('broken input: one line, exit 2, no partial output and an existing output untouched', async (tt) => {
  const good = classicPcap([1, 2, 3, 4].map((n) => ({ sec: n, frac: 0, data: tenantFrame(n) })));
  const cut = good.subarray(0, good.length - 30);
  const inp = join(dir, 'cut.pcap');
  writeFileSync(inp, cut);
  const out = join(dir, 'cut-out.pcap');
  const r = zooroute('encap', inp, '-o', out, '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2', '--json');
  tt.equal(r.code, 2);
  const at = 24 + 3 * (16 + 100);
  tt.equal(r.stderr, `zooroute: ${inp}: truncated record data (100 bytes announced, 70 present) at byte offset ${at}\n`);
  tt.equal(r.stdout, '', 'no JSON for a failed run');
  tt.notOk(existsSync(out), 'no partial output');
  const before = Buffer.from('an earlier run\'s output');
  writeFileSync(out, before);
  tt.equal(zooroute('encap', inp, '-o', out, '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2').code, 2);
  tt.same(readFileSync(out), before, 'an existing output keeps its bytes');

  // A fault in the middle of the read buffer: nothing is written either.
  const absurd = classicPcap([1, 2, 3, 4].map((n) => ({ sec: n, frac: 0, data: tenantFrame(n) })));
  new DataView(absurd.buffer).setUint32(24 + 2 * 116 + 8, 1 << 30, true);
  const inp2 = join(dir, 'absurd.pcap');
  writeFileSync(inp2, absurd);
  const out2 = join(dir, 'absurd-out.pcap');
  const r1 = zooroute('encap', inp2, '-o', out2, '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2');
  tt.equal(r1.code, 2);
  tt.equal(r1.stderr, `zooroute: ${inp2}: absurd capture length 1073741824 (snaplen 65535, limit 262144) at byte offset ${24 + 2 * 116}\n`);
  tt.notOk(existsSync(out2), 'no partial output');

  const sll = join(dir, 'sll.pcap');
  writeFileSync(sll, classicPcap([{ sec: 1, frac: 0, data: tenantFrame(1) }], { linkType: 113 }));
  const r2 = zooroute('encap', sll, '-o', join(dir, 'sll-out.pcap'), '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2');
  tt.equal(r2.code, 2);
  tt.equal(r2.stderr, `zooroute: ${sll}: link type 113 (LINUX_SLL (Linux cooked)) where 1 (ETHERNET) frames are required (--dlt enet gives its frames an Ethernet header) at byte offset 20\n`);
  // A link type --dlt enet does not convert gets no such hint.
  const wifi = join(dir, 'wifi.pcap');
  writeFileSync(wifi, classicPcap([{ sec: 1, frac: 0, data: tenantFrame(1) }], { linkType: 105 }));
  const rw = zooroute('encap', wifi, '-o', join(dir, 'wifi-out.pcap'), '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2');
  tt.equal(rw.stderr, `zooroute: ${wifi}: link type 105 (IEEE802_11) where 1 (ETHERNET) frames are required at byte offset 20\n`);

  // A pcapng whose packets are all on its Ethernet interface is taken, whatever its other interface
  // descriptions say (here an unused Linux cooked v2 one, as dumpcap -i any -i eth0 writes them).
  const ng = join(dir, 'unused-sll2.pcapng');
  writeFileSync(ng, concat(shb(true), idb(true, 276, 262144), idb(true, 1, 262144), ...[1, 2, 3].map((n) => epb(true, 1, BigInt(n), tenantFrame(n)))));
  const ngOut = join(dir, 'unused-sll2-out.pcapng');
  const r4 = zooroute('encap', ng, '-o', ngOut, '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2');
  tt.equal(r4.code, 0, r4.stderr);
  tt.match(r4.stderr, /^zooroute encap: 3 frames, 3 encapsulated, 0 dropped/);
  tt.same(decodeCapture(readFileSync(ngOut)).records.map((x) => hex(x.data.subarray(50))), [1, 2, 3].map((n) => hex(tenantFrame(n))));
  // ...but a packet on the cooked interface is refused where it is.
  const ngBad = join(dir, 'used-sll2.pcapng');
  const badAt = shb(true).length + 2 * idb(true, 1, 262144).length + epb(true, 1, 1n, tenantFrame(1)).length;
  writeFileSync(ngBad, concat(shb(true), idb(true, 276, 262144), idb(true, 1, 262144), epb(true, 1, 1n, tenantFrame(1)), epb(true, 0, 2n, tenantFrame(2))));
  const r5 = zooroute('encap', ngBad, '-o', join(dir, 'used-sll2-out.pcapng'), '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2');
  tt.equal(r5.code, 2);
  tt.equal(r5.stderr, `zooroute: ${ngBad}: packet on interface 0: link type 276 (LINUX_SLL2 (Linux cooked v2)) where 1 (ETHERNET) frames are required (--dlt enet gives its frames an Ethernet header) at byte offset ${badAt}\n`);

  const junk = join(dir, 'junk.pcap');

  writeFileSync(junk, 'hello world, not a capture');
  const r3 = zooroute('encap', junk, '-o', join(dir, 'junk-out.pcap'), '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2');
  tt.equal(r3.code, 2);
  tt.equal(r3.stderr, `zooroute: ${junk}: bad magic 0x68656c6c (neither pcap nor pcapng) at byte offset 0\n`);
});

t.test('bad arguments: one line, exit 2, nothing written', async (tt) => {
  const base = ['--local', '10.0.0.1', '--remote', '10.0.0.2', '--vni', '5'];
  const cases: [string[], RegExp][] = [
    [['--vni', '16777216'], /--vni: expected an integer in 0\.\.16777215, got "16777216"/],
    [['--vni', '-1'], /--vni/],
    [['--vni', 'ten'], /--vni/],
    [['--local', '10.0.0.256'], /--local: not an IPv4 address/],
    [['--remote', 'example.com'], /--remote: not an IPv4 address/],
    [['--src-mac', '02:00:00:00:00'], /--src-mac: not a MAC address/],
    [['--sport-range', '60000-50000'], /--sport-range: bad source-port range/],
    [['--sport-range', '100'], /--sport-range: bad source-port range/],
    [['--candidates', '65'], /--candidates: expected an integer in 1\.\.64/],
    [['--sport-range', '50000-50003', '--candidates', '8'], /--candidates: 8 ports do not fit in the range 50000-50003/],
    [['--mtu', '20'], /--mtu: expected 0 or 68\.\.65535/],
    [['--hash-seed', '4294967296'], /--hash-seed/],
  ];
  for (const [extra, re] of cases) {
    const out = join(dir, `args-${extra.join('_')}.pcap`);
    const r = zooroute('encap', tenant, '-o', out, ...base, ...extra);
    tt.equal(r.code, 2, extra.join(' '));
    tt.match(r.stderr, re);
    tt.match(r.stderr, /^[^\n]*\n$/, 'one line');
    tt.notOk(existsSync(out), 'no output');
  }
  const same = zooroute('encap', tenant, '-o', tenant, ...base);
  tt.equal(same.code, 2);
  tt.match(same.stderr, /would overwrite the input/);
  const missing = zooroute('encap', tenant, '-o', join(dir, 'x.pcap'), '--local', '10.0.0.1', '--remote', '10.0.0.2');
  tt.equal(missing.code, 2);
  tt.match(missing.stderr, /--vni/);
});
