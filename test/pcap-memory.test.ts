// Bounded memory on large captures: `zooroute encap` and `decap` stream, so a run over a capture four
// times larger peaks at about the same RSS (the 4M-frame figures in docs/pcap.md are measured the
// same way). Peak RSS comes from each child's own getrusage; nothing here is timed.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../src/pcap/index.js';
import { root } from './fixtures/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'zooroute-pcap-memory-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = 200_000;
const BIG = 800_000;
/** What the bigger run may add to peak RSS; holding the extra input or output would take 48 / 78 MB. */
const GROWTH_MB = 24;
const RSS_LIMIT_MB = 256;

/** n 64-byte IPv4/UDP frames over 64 flows, 1 us apart. */
async function capture(path: string, n: number): Promise<void> {
  const frames = Array.from({ length: 64 }, (_, k) => {
    const f = new Uint8Array(64);
    f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 50, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 168, 0, 1 + (k % 8), 192, 168, 1, 1]);
    f.set([(10000 + k) >> 8, (10000 + k) & 255, 0x1f, 0x90, 0, 30], 34);
    return f;
  });
  const w = await PcapWriter.open(path, { snaplen: 65535 });
  for (let i = 0; i < n; i++) w.write({ tsSec: 1_700_000_000 + Math.floor(i / 1e6), tsNsec: (i % 1e6) * 1000, data: frames[i % 64] });
  await w.close();
}

/** Run the built CLI in a child; its exit code and peak RSS in MB. */
function peak(args: string[]): { code: number; rssMB: number; stderr: string } {
  const main = join(root, 'dist/src/cli/main.js');
  const code = `const { main } = await import(${JSON.stringify(main)}); const c = await main(['node', 'zooroute', ...${JSON.stringify(args)}]);`
    + ` process.stdout.write(JSON.stringify({ c, rss: process.resourceUsage().maxRSS }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  const doc = JSON.parse(r.stdout) as { c: number; rss: number };
  return { code: doc.c, rssMB: doc.rss / 1024, stderr: r.stderr };
}

t.test('encap and decap peak RSS does not grow with the capture', async (tt) => {
  const rss: Record<string, number> = {};
  for (const n of [SMALL, BIG]) {
    const input = join(dir, `in-${n}.pcap`), enc = join(dir, `enc-${n}.pcap`), dec = join(dir, `dec-${n}.pcap`);
    await capture(input, n);
    const e = peak(['encap', input, '-o', enc, '--vni', '7', '--local', '10.0.0.1', '--remote', '10.0.0.2']);
    tt.equal(e.code, 0, e.stderr);
    // Every frame written: a 16-byte record header and the frame with its 50 bytes of outer headers.
    tt.equal(statSync(enc).size, 24 + n * (16 + 64 + 50), `encap wrote ${n} frames`);
    const d = peak(['decap', enc, '-o', dec]);
    tt.equal(d.code, 0, d.stderr);
    tt.equal(statSync(dec).size, statSync(input).size, `decap gave back ${n} frames`);
    rss[`encap-${n}`] = e.rssMB;
    rss[`decap-${n}`] = d.rssMB;
    rmSync(input); rmSync(enc); rmSync(dec);
  }
  tt.comment(`peak RSS (MB): ${Object.entries(rss).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  for (const cmd of ['encap', 'decap']) {
    tt.ok(rss[`${cmd}-${BIG}`] < RSS_LIMIT_MB, `${cmd} of ${BIG} frames under ${RSS_LIMIT_MB} MB (${rss[`${cmd}-${BIG}`].toFixed(0)})`);
    tt.ok(rss[`${cmd}-${BIG}`] - rss[`${cmd}-${SMALL}`] < GROWTH_MB, `${cmd}: 4x the frames adds under ${GROWTH_MB} MB`);
  }
});
