// Output keeps the input's flavour: format, timestamp resolution and snap length, unless --format or
// --nano/--no-nano say otherwise. encap then decap of the example capture gives the file back byte for
// byte; pcapng and nanosecond inputs come back with every timestamp exact.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture, PcapWriter } from '../src/pcap/index.js';
import { classicPcap, concat, epb, idb, shb } from './fixtures/capture-bytes.js';
import { tenantFrame } from './fixtures/frames.js';
import { root, zooroute } from './fixtures/cli.js';
import { needTshark } from './helpers/needs.js';

const dir = mkdtempSync(join(tmpdir(), 'zooroute-roundtrip-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const tenant = join(root, 'examples/tenant.pcap');
const hex = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
const ENCAP = ['--vni', '7', '--local', '10.0.0.1', '--remote', '10.0.0.2'];

function run(...args: string[]): void {
  const r = zooroute(...args);
  if (r.code !== 0) throw new Error(`zooroute ${args.join(' ')}: ${r.stderr}`);
}
/** encap then decap of `inp`; returns [encap output, decap output]. */
function roundTrip(inp: string, name: string, encapExtra: string[] = [], decapExtra: string[] = []): [string, string] {
  const e = join(dir, `${name}.vxlan`), d = join(dir, `${name}.back`);
  run('encap', inp, '-o', e, ...ENCAP, ...encapExtra);
  run('decap', e, '-o', d, ...decapExtra);
  return [e, d];
}
const file = (name: string, bytes: Uint8Array): string => { const p = join(dir, name); writeFileSync(p, bytes); return p; };
const head = (p: string): Uint8Array => readFileSync(p).subarray(0, 24);
const le32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const sameRecords = (a: string, b: string): boolean => {
  const x = decodeCapture(readFileSync(a)).records, y = decodeCapture(readFileSync(b)).records;
  return x.length === y.length && x.every((r, i) => r.tsSec === y[i].tsSec && r.tsNsec === y[i].tsNsec && hex(r.data) === hex(y[i].data) && r.origLen === y[i].origLen);
};

t.test('encap then decap of examples/tenant.pcap is cmp-identical to it', async (tt) => {
  const [e, d] = roundTrip(tenant, 'tenant');
  tt.ok(readFileSync(d).equals(readFileSync(tenant)), 'byte for byte');
  // The encapsulated file keeps the microsecond magic and the 65535 snaplen too.
  tt.equal(hex(head(e)), hex(head(tenant)));
});

t.test('a nanosecond classic capture stays nanosecond, every timestamp exact', async (tt) => {
  const recs = [0, 1, 2, 3].map((k) => ({ sec: 1_700_000_000 + k, frac: 999_999_990 + k, data: tenantFrame(k) }));
  const inp = file('nano.pcap', classicPcap(recs, { nanos: true, snaplen: 4096 }));
  const [e, d] = roundTrip(inp, 'nano');
  tt.equal(le32(head(e), 0), 0xa1b23c4d, 'nanosecond magic');
  tt.equal(le32(head(e), 16), 4096, 'snaplen kept');
  tt.ok(readFileSync(d).equals(readFileSync(inp)), 'decap gives the input back byte for byte');
  const back = decodeCapture(readFileSync(e)).records.map((r) => r.tsNsec);
  tt.same(back, recs.map((r) => r.frac));
});

t.test('a pcapng stays pcapng with its snaplen and resolution', async (tt) => {
  const L = true;
  const frames = [0, 1, 2].map((k) => tenantFrame(k, 90 + k));
  // Microseconds (no if_tsresol), snaplen 1600.
  const us = file('us.pcapng', concat(shb(L), idb(L, 1, 1600), ...frames.map((f, k) => epb(L, 0, 1_700_000_000_123_456n + BigInt(k), f))));
  const [eu, du] = roundTrip(us, 'us');
  for (const p of [eu, du]) {
    const c = decodeCapture(readFileSync(p));
    tt.equal(c.format, 'pcapng', p);
    tt.equal(c.snaplen, 1600, p);
    tt.equal(c.nanos, false, p);
  }
  tt.ok(sameRecords(us, du), 'decap gives every frame and timestamp back');
  // Nanoseconds (if_tsresol 9): 64-bit counts far above 2^53.
  const ns = file('ns.pcapng', concat(shb(L), idb(L, 1, 0, 9), ...frames.map((f, k) => epb(L, 0, 1_700_000_000_999_999_999n - BigInt(k * 7), f))));
  const [en, dn] = roundTrip(ns, 'ns');
  const c = decodeCapture(readFileSync(en));
  tt.equal(c.format, 'pcapng');
  tt.equal(c.nanos, true);
  tt.equal(c.snaplen, 0, 'unlimited kept');
  tt.same(c.records.map((r) => [r.tsSec, r.tsNsec]), [[1_700_000_000, 999_999_999], [1_700_000_000, 999_999_992], [1_700_000_000, 999_999_985]]);
  tt.ok(sameRecords(ns, dn));
});

t.test('--format and --nano/--no-nano override the input\'s flavour', async (tt) => {
  const [e] = roundTrip(tenant, 'to-ng', ['--format', 'pcapng', '--nano']);
  const c = decodeCapture(readFileSync(e));
  tt.equal(c.format, 'pcapng');
  tt.equal(c.nanos, true);
  tt.equal(c.snaplen, 65535);
  // Back to classic microseconds: the example again, byte for byte.
  const d = join(dir, 'to-ng.classic');
  run('decap', e, '-o', d, '--format', 'pcap', '--no-nano');
  tt.ok(readFileSync(d).equals(readFileSync(tenant)));
  const r = zooroute('encap', tenant, '-o', join(dir, 'x'), ...ENCAP, '--format', 'erf');
  tt.equal(r.code, 2);
  tt.match(r.stderr, /--format <FORMAT>' argument 'erf' is invalid/);
});

t.test('a frame the outer headers push past the snaplen is written whole', async (tt) => {
  const big = tenantFrame(1, 1480);
  const inp = file('snap1500.pcap', classicPcap([{ sec: 1, frac: 0, data: big }], { snaplen: 1500 }));
  const [e, d] = roundTrip(inp, 'snap1500');
  const c = decodeCapture(readFileSync(e));
  tt.equal(c.snaplen, 1500);
  tt.equal(c.records[0].data.length, 1530, 'caplen above the snaplen, not cut');
  tt.ok(readFileSync(d).equals(readFileSync(inp)));
  const skip = needTshark();
  tt.test('tshark reads it', { skip }, async (t3) => {
    const out = execFileSync('tshark', ['-r', e, '-T', 'fields', '-e', 'frame.cap_len', '-e', 'vxlan.vni'], { encoding: 'utf8' });
    t3.equal(out.trim(), '1530\t7');
  });
});

t.test('replay -o keeps the input\'s flavour', async (tt) => {
  const o = join(dir, 'replayed.pcap');
  run('replay', tenant, '--scenario', 'examples/tenant-replay.scenario.json', '--map', 'examples/replay-tenant-map.json', '-o', o, '--json');
  tt.equal(hex(head(o)), hex(head(tenant)), 'microsecond magic, snaplen 65535, Ethernet');
  const inTs = decodeCapture(readFileSync(tenant)).records.map((r) => r.tsSec * 1e6 + r.tsNsec / 1000);
  const outTs = decodeCapture(readFileSync(o)).records.map((r) => r.tsSec * 1e6 + r.tsNsec / 1000);
  tt.ok(outTs.length > 0 && outTs.every((v) => inTs.includes(v)), 'timestamps are input timestamps');
  const ng = join(dir, 'replayed.pcapng');
  run('replay', tenant, '--scenario', 'examples/tenant-replay.scenario.json', '--map', 'examples/replay-tenant-map.json', '-o', ng, '--format', 'pcapng', '--json');
  const c = decodeCapture(readFileSync(ng));
  tt.equal(c.format, 'pcapng');
  tt.equal(c.records.length, outTs.length);
});

t.test('PcapWriter pcapng timestamps round-trip at both resolutions', async (tt) => {
  const p = join(dir, 'w.pcapng');
  const stamps = [[0, 0], [1, 1], [4_294_967_295, 999_999_999], [1_700_000_000, 123_456_789], [2_000_000_000, 500]];
  for (const nanos of [true, false]) {
    const w = await PcapWriter.open(p, { format: 'pcapng', nanos, snaplen: 9000 });
    for (const [s, n] of stamps) w.write({ tsSec: s, tsNsec: n, data: Uint8Array.of(1, 2, 3) });
    await w.close();
    const c = decodeCapture(readFileSync(p));
    tt.same(c.records.map((r) => [r.tsSec, r.tsNsec]), stamps.map(([s, n]) => [s, nanos ? n : n - (n % 1000)]), `nanos ${nanos}`);
    tt.same(c.records.map((r) => hex(r.data)), stamps.map(() => '010203'));
  }
});
