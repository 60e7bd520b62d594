// Early writeback (src/io/writeback.ts, the addon's writeback(): sync_file_range) is a hint that never
// changes what a file holds: the addon starts it on a regular file and answers misuse with a negative
// errno (never a crash), startWriteback() says whether it asked, and a capture written with it is the
// same bytes as one written without it (the writer asks after its large positional writes).
import t from 'tap';
import { mkdtempSync, openSync, closeSync, writeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afPacketAddon } from '../src/io/addon.js';
import { startWriteback } from '../src/io/writeback.js';
import { PcapWriter } from '../src/pcap/index.js';
import { needAfPacket } from './helpers/needs.js';

const skip = await needAfPacket();
const dir = mkdtempSync(join(tmpdir(), 'zr-writeback-'));

t.test('the addon starts writeback of a regular file and refuses misuse with an errno', { skip }, async (t) => {
  const r = afPacketAddon();
  if (!('addon' in r) || r.addon.writeback === undefined) { t.fail('addon without writeback()'); return; }
  const wb = r.addon.writeback.bind(r.addon);
  const path = join(dir, 'a.bin');
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.alloc(1 << 20, 7));
  t.equal(wb(fd, 0, 1 << 20), 0, 'dirty pages of a regular file');
  t.equal(wb(fd, 1 << 30, 4096), 0, 'a range past the end: nothing to write, no error');
  t.equal(wb(fd, -1, 10), -22, 'negative offset: EINVAL');
  t.equal(wb(fd, 0.5, 10), -22, 'fractional offset: EINVAL');
  t.equal(wb(fd, 0, 2 ** 60), -22, 'length past 2^53: EINVAL');
  t.equal((wb as (...a: unknown[]) => number)('x', 0, 1), -22, 'a string for a descriptor: EINVAL');
  t.equal((wb as (...a: unknown[]) => number)(fd), -22, 'missing arguments: EINVAL');
  closeSync(fd);
  t.equal(wb(fd, 0, 10), -9, 'a closed descriptor: EBADF');
  const again = openSync(path, 'r+');
  t.ok(startWriteback(again, 0, 4096), 'startWriteback asks where the addon has writeback()');
  closeSync(again);
  t.notOk(startWriteback(2 ** 31 - 1, 0, 4096), 'and says so when the kernel refuses (no such descriptor)');
  t.notOk(startWriteback(1, 0, 0), 'an empty range is not asked for');
});

t.test('a capture written with early writeback holds what its records say', async (t) => {
  // Large encoded areas (the bulk paths' writeEncoded), buffered records and the header: every write path.
  const path = join(dir, 'w.pcap');
  const w = await PcapWriter.open(path, { nanos: true });
  const rec = Buffer.alloc(16 + 60);
  rec.writeUInt32LE(1_700_000_000, 0); rec.writeUInt32LE(5, 4); rec.writeUInt32LE(60, 8); rec.writeUInt32LE(60, 12);
  const area = Buffer.concat(Array.from({ length: 9000 }, (_, i) => { const r = Buffer.from(rec); r.fill(i & 255, 16); return r; }));
  w.writeEncoded(area, 9000);
  for (let i = 0; i < 20_000; i++) w.write({ tsSec: 1_700_000_001, tsNsec: i, data: new Uint8Array(60).fill(i & 255) });
  w.writeEncoded(area, 9000);
  await w.close();
  const got = readFileSync(path);
  t.equal(got.length, 24 + 38_000 * 76, 'every record, nothing else');
  t.same(got.subarray(24, 24 + area.length), area, 'the first encoded area');
  t.same(got.subarray(got.length - area.length), area, 'the last encoded area');
  t.equal(got[24 + area.length + 16], 0, 'buffered records between them');
});
