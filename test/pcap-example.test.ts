// examples/tenant.pcap is exactly what examples/make-tenant-pcap.ts writes, and holds what it says.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture } from '../src/pcap/index.js';
import { root } from './fixtures/cli.js';

const committed = join(root, 'examples/tenant.pcap');

t.test('the committed example is the script output, byte for byte', async (tt) => {
  const tmp = mkdtempSync(join(tmpdir(), 'zooroute-example-'));
  tt.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const out = join(tmp, 'tenant.pcap');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/make-tenant-pcap.ts', out], { cwd: root, encoding: 'utf8' });
  tt.equal(r.status, 0, r.stderr);
  tt.ok(readFileSync(out).equals(readFileSync(committed)), 'same bytes');
});

t.test('the example is small, Ethernet, and spans 30 s of several kinds of traffic', async (tt) => {
  tt.ok(statSync(committed).size < 400_000, 'a few hundred KB at most');
  const c = decodeCapture(readFileSync(committed), committed, { linkType: 1 });
  const rs = c.records;
  tt.ok(rs.length > 500);
  const t0 = rs[0].tsSec + rs[0].tsNsec / 1e9, t1 = rs[rs.length - 1].tsSec + rs[rs.length - 1].tsNsec / 1e9;
  tt.ok(t1 - t0 > 29 && t1 - t0 < 31, `duration ${t1 - t0}`);
  let sorted = true;
  for (let i = 1; i < rs.length; i++) if (rs[i].tsSec * 1e9 + rs[i].tsNsec < rs[i - 1].tsSec * 1e9 + rs[i - 1].tsNsec) sorted = false;
  tt.ok(sorted, 'timestamps in order');
  const type = (d: Uint8Array): number => (d[12] << 8) | d[13];
  const kinds = new Set(rs.map((r) => type(r.data)));
  tt.same([...kinds].sort(), [0x0800, 0x0806, 0x8100, 0x86dd], 'IPv4, ARP, VLAN, IPv6');
  tt.ok(rs.every((r) => r.data.length >= 60 && r.data.length === r.origLen), 'whole frames of at least 60 bytes');
});
