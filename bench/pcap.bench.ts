// Read throughput of the streaming capture reader (records/s) on a temporary file of 64-byte frames,
// against a plain fs read of the same file in the same chunk size: the ratio is what parsing and
// handing out records costs on top of getting the bytes. `read` is readPackets (one async step per
// record), `batches` is PcapReader.batches() (one async step per 1 MiB buffer), `columns` is
// PcapReader.columns() (the same steps, fields in typed arrays: no object per record). `encap/general`
// and `encap/bulk` are transformCapture (what `zooroute encap` runs) on the classic file to /dev/null:
// the general path (a JS step per frame) and the bulk path (Wasm record kernels, no JS per frame).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, type BenchOptions, type BenchResult } from './harness.js';
import { encodePcap, PcapReader, readPackets } from '../src/pcap/index.js';
import { transformCapture } from '../src/pcap/transform.js';
import { Datapath, DEFAULT_BATCH_SIZE, DEFAULT_HEADROOM } from '../bindings/index.js';

const CHUNK = 1 << 20;

/** The same file as pcapng: section header, one interface, one enhanced packet block per frame. */
function pcapngOf(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(28 + 20 + frames.reduce((n, f) => n + 32 + ((f.length + 3) & ~3), 0));
  const dv = new DataView(out.buffer);
  let at = 0;
  const block = (type: number, len: number): number => { dv.setUint32(at, type, true); dv.setUint32(at + 4, len, true); dv.setUint32(at + len - 4, len, true); const b = at; at += len; return b; };
  let b = block(0x0a0d0d0a, 28); dv.setUint32(b + 8, 0x1a2b3c4d, true); dv.setUint16(b + 12, 1, true); dv.setBigInt64(b + 16, -1n, true);
  b = block(1, 20); dv.setUint16(b + 8, 1, true); dv.setUint32(b + 12, 65535, true);
  frames.forEach((f, i) => {
    b = block(6, 32 + ((f.length + 3) & ~3));
    dv.setUint32(b + 16, i, true); dv.setUint32(b + 20, f.length, true); dv.setUint32(b + 24, f.length, true);
    out.set(f, b + 28);
  });
  return out;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = opts.quick ? 20_000 : 200_000;
  const frames = Array.from({ length: n }, (_, i) => { const f = new Uint8Array(64); f[0] = i & 255; f[12] = 8; return f; });
  const dir = mkdtempSync(join(tmpdir(), 'zooroute-bench-pcap-'));
  const classic = join(dir, 'frames.pcap');
  const ng = join(dir, 'frames.pcapng');
  writeFileSync(classic, encodePcap(frames.map((data, i) => ({ tsSec: i, tsNsec: 0, data }))));
  writeFileSync(ng, pcapngOf(frames));
  const read = (path: string) => async (): Promise<void> => {
    let bytes = 0;
    for await (const r of readPackets(path)) bytes += r.data.length;
    if (bytes !== n * 64) throw new Error(`read ${bytes} bytes, expected ${n * 64}`);
  };
  const readBatches = (path: string) => async (): Promise<void> => {
    let bytes = 0;
    const r = await PcapReader.open(path);
    try { for await (const b of r.batches()) for (const x of b) bytes += x.data.length; } finally { await r.close(); }
    if (bytes !== n * 64) throw new Error(`read ${bytes} bytes, expected ${n * 64}`);
  };
  const readColumns = (path: string) => async (): Promise<void> => {
    let bytes = 0;
    const r = await PcapReader.open(path);
    try { for await (const c of r.columns()) for (let i = 0; i < c.length; i++) bytes += c.dataLen[i]; } finally { await r.close(); }
    if (bytes !== n * 64) throw new Error(`read ${bytes} bytes, expected ${n * 64}`);
  };
  const encap = (bulk: boolean) => async (): Promise<void> => {
    const run = await transformCapture({
      input: classic, output: '/dev/null', bulk, maxFrame: 65535 - 36,
      datapath: (slotSize, records) => {
        const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: DEFAULT_BATCH_SIZE, slotSize, headroom: DEFAULT_HEADROOM, records });
        dp.setPeer(0, { remoteIp: '10.0.0.2', vni: 1 });
        return dp;
      },
      kernel: (dp, b) => { dp.encap(b); },
    });
    if (run.ok !== n) throw new Error(`encapsulated ${run.ok} frames, expected ${n}`);
  };
  const fsRead = async (): Promise<void> => {
    const fh = await open(classic, 'r');
    const buf = new Uint8Array(CHUNK);
    try { while ((await fh.read(buf, 0, CHUNK, null)).bytesRead > 0); } finally { await fh.close(); }
  };
  try {
    const results = await measure([
      { name: 'pcap/fs-read/64B', fn: fsRead, perCall: n },
      { name: 'pcap/read/classic/64B', fn: read(classic), perCall: n, baseline: 'pcap/fs-read/64B' },
      { name: 'pcap/read/pcapng/64B', fn: read(ng), perCall: n, baseline: 'pcap/fs-read/64B' },
      { name: 'pcap/batches/classic/64B', fn: readBatches(classic), perCall: n, baseline: 'pcap/fs-read/64B' },
      { name: 'pcap/batches/pcapng/64B', fn: readBatches(ng), perCall: n, baseline: 'pcap/fs-read/64B' },
      { name: 'pcap/columns/classic/64B', fn: readColumns(classic), perCall: n, baseline: 'pcap/fs-read/64B' },
      { name: 'pcap/columns/pcapng/64B', fn: readColumns(ng), perCall: n, baseline: 'pcap/fs-read/64B' },
      { name: 'pcap/encap/general/64B', fn: encap(false), perCall: n, baseline: 'pcap/fs-read/64B' },
      { name: 'pcap/encap/bulk/64B', fn: encap(true), perCall: n, baseline: 'pcap/encap/general/64B' },
    ], opts);
    for (const r of results) r.extra = { records: n };
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
