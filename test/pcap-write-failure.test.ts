// A capture write that fails part way (here the file-size limit, `ulimit -f`, which makes write(2)
// return EFBIG like a full disk does) while buffers are written behind: close() must wait for every
// write, then discard the temporary file and throw, so the output path keeps what it held before and
// no temporary file is left; the CLI reports it in one line with exit code 2.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from '../src/pcap/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'zooroute-wfail-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Run `node ARGS` under a file-size limit of `kib` KiB, SIGXFSZ ignored so writes fail with EFBIG. The
 * child runs without the test runner's NODE_OPTIONS hook (which the runner puts back into a spawn's
 * environment): its exit handler would re-raise the ignored SIGXFSZ and kill the child.
 */
function limited(kib: number, args: string[]): ReturnType<typeof spawnSync> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f ${kib}; unset NODE_OPTIONS; exec '${process.execPath}' ${quoted}`], { cwd: root, encoding: 'utf8' });
}

const temps = (): string[] => readdirSync(dir).filter((n) => n.includes('.tmp-'));

t.test('PcapWriter: a failed write-behind makes close() discard the file and throw', async (tt) => {
  // 3.5 MiB of records: three full buffers are written behind (the third crosses the 2 MiB limit),
  // the rest synchronously by close(). With `settle`, the writes in flight finish (and fail) before
  // close(), which then throws the failure the write-behind recorded; without, close() meets it first.
  for (const settle of [false, true]) {
    const target = join(dir, `w-${settle}.pcap`);
    writeFileSync(target, 'previous contents');
    const script = `
      import { PcapWriter } from ${JSON.stringify(join(root, 'dist/src/pcap/index.js'))};
      const w = await PcapWriter.open(process.argv[1]);
      const f = new Uint8Array(1000);
      for (let i = 0; i < 3500; i++) w.write({ tsSec: i, tsNsec: 0, data: f });
      if (${settle}) await new Promise((r) => setTimeout(r, 300));
      try { await w.close(); console.log('closed'); } catch (e) { console.log('threw ' + e.code); }
    `;
    const r = limited(2048, ['--input-type=module', '-e', script, target]);
    tt.equal(r.status, 0, `settle ${settle}: the script ran (signal ${r.signal}): ${r.stderr}`);
    tt.equal(String(r.stdout).trim(), 'threw EFBIG', `settle ${settle}: close() rejects with the write error`);
    tt.equal(readFileSync(target, 'utf8'), 'previous contents', `settle ${settle}: the target keeps its bytes`);
    tt.same(temps(), [], `settle ${settle}: no temporary file is left`);
  }
});

t.test('zooroute encap: an output that cannot be written whole is one line, exit 2, target untouched', async (tt) => {
  // 30000 frames of 1000 bytes: about 31 MiB out, limited to 4 MiB.
  const input = join(dir, 'in.pcap');
  const w = await PcapWriter.open(input);
  const f = new Uint8Array(1000);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  for (let i = 0; i < 30_000; i++) w.write({ tsSec: i, tsNsec: 0, data: f });
  await w.close();
  const target = join(dir, 'out.pcap');
  writeFileSync(target, 'keep');
  const r = limited(4096, [join(root, 'bin/zooroute.js'), 'encap', input, '-o', target, '--vni', '1', '--local', '10.0.0.1', '--remote', '10.0.0.2']);
  tt.equal(r.status, 2, 'exit code 2');
  tt.equal(String(r.stderr).trim(), `zooroute: ${target}: file too large`, 'one line naming the output');
  tt.equal(readFileSync(target, 'utf8'), 'keep', 'the target keeps its bytes');
  tt.same(temps(), [], 'no temporary file is left');
});

t.test('PcapWriter: abort() with writes in flight removes the file at once and closes it after them', async (tt) => {
  const target = join(dir, 'a.pcap');
  writeFileSync(target, 'previous contents');
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  const w = await PcapWriter.open(target);
  const f = new Uint8Array(1000);
  for (let i = 0; i < 3500; i++) w.write({ tsSec: i, tsNsec: 0, data: f }); // three buffers in flight
  w.abort();
  tt.same(temps(), [], 'the temporary file is removed by abort() itself');
  tt.equal(readFileSync(target, 'utf8'), 'previous contents', 'the target keeps its bytes');
  tt.throws(() => w.write({ tsSec: 0, tsNsec: 0, data: f }), /write after close/, 'nothing more is written');
  // The descriptor stays open until the writes in flight settle, then is closed.
  for (let k = 0; k < 1000 && fds() > before; k++) await new Promise((r) => setTimeout(r, 10));
  tt.equal(fds(), before, 'the descriptor is closed once the writes settled');
});
