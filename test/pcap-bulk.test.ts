// The bulk path of transformCapture (classic Ethernet pcap in, classic pcap out: Wasm record kernels,
// src/pcap/bulk-records.ts) against the general path (records as columns, a JS step per frame): on
// random captures of every classic flavour, odd records (cut by the capture, oversize, fractions of a
// second or more) and broken files (cut anywhere, absurd capture lengths), both give the same output
// bytes, the same counts and source ports, or the same error at the same offset. Both encap and decap.
import t from 'tap';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Datapath, DEFAULT_BATCH_SIZE, DEFAULT_HEADROOM } from '../bindings/index.js';
import { transformCapture, type CaptureRun } from '../src/pcap/transform.js';
import { InputError } from '../src/errors.js';

const RUNS = Math.max(60, Math.floor((Number(process.env.ZR_FUZZ_RUNS ?? 0) || 0) / 100));
const dir = mkdtempSync(join(tmpdir(), 'zooroute-bulk-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const MAGIC = { micro: 0xa1b2c3d4, nano: 0xa1b23c4d, modified: 0xa1b2cd34 } as const;
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const frameArb = fc.record({
  sec: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 0xffff0000 }) }, { weight: 1, arbitrary: u32 }),
  frac: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 999_999 }) }, { weight: 1, arbitrary: u32 }),
  len: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 42, max: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1600 }) }),
  cutBy: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) }),
  absurd: fc.oneof({ weight: 60, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  seed: fc.integer({ min: 0, max: 255 }),
});
const captureArb = fc.record({
  kind: fc.constantFrom<keyof typeof MAGIC>('micro', 'nano', 'modified'),
  big: fc.boolean(),
  snaplen: fc.constantFrom(65535, 262144, 1000, 128),
  frames: fc.array(frameArb, { maxLength: 700 }),
  tailCut: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }) }),
  nanosOut: fc.constantFrom<boolean | undefined>(undefined, true, false),
});
type Capture = typeof captureArb extends fc.Arbitrary<infer T> ? T : never;

/** An Ethernet/IPv4/UDP-looking frame of `len` bytes (short ones are runts). */
function frame(len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len);
  const head = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 50, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 168, 0, seed, 192, 168, 1, 1, 0x27, seed, 0x1f, 0x90];
  for (let k = 0; k < len; k++) f[k] = k < head.length ? head[k] : (seed * 31 + k) & 255;
  return f;
}

function captureBytes(c: Capture): Uint8Array {
  const h = c.kind === 'modified' ? 24 : 16;
  const parts: Uint8Array[] = [];
  const fh = new DataView(new ArrayBuffer(24));
  fh.setUint32(0, MAGIC[c.kind], !c.big);
  fh.setUint16(4, 2, !c.big); fh.setUint16(6, 4, !c.big);
  fh.setUint32(16, c.snaplen, !c.big); fh.setUint32(20, 1, !c.big);
  parts.push(new Uint8Array(fh.buffer));
  for (const f of c.frames) {
    const data = frame(f.len, f.seed);
    const caplen = Math.max(0, f.len - f.cutBy);
    const rh = new DataView(new ArrayBuffer(h));
    rh.setUint32(0, f.sec, !c.big); rh.setUint32(4, f.frac, !c.big);
    rh.setUint32(8, f.absurd ? 0x7fff0000 : caplen, !c.big); rh.setUint32(12, f.len, !c.big);
    parts.push(new Uint8Array(rh.buffer), data.subarray(0, caplen));
  }
  const all = Buffer.concat(parts);
  return c.tailCut > 0 && c.tailCut < all.length - 24 ? all.subarray(0, all.length - c.tailCut) : all;
}

type Outcome = { run?: CaptureRun; ports: Float64Array; vnis: Map<number, number>; out?: Buffer; error?: string };

async function transform(input: string, output: string, bulk: boolean, mode: 'encap' | 'decap', nanos: boolean | undefined): Promise<Outcome> {
  const ports = new Float64Array(65536);
  const vnis = new Map<number, number>();
  try {
    const run = await transformCapture({
      input, output, bulk, maxFrame: 65535 - 36, flavour: { nanos },
      ports: mode === 'encap' ? ports : undefined,
      datapath: (slotSize, records) => {
        const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: DEFAULT_BATCH_SIZE, slotSize, headroom: DEFAULT_HEADROOM, records, mtu: 1400 });
        dp.setPeer(0, { remoteIp: '10.0.0.2', vni: 5 });
        return dp;
      },
      kernel: (dp, b) => { if (mode === 'encap') dp.encap(b); else dp.decap(b); },
      onOk: mode === 'decap' ? (b, i) => { const v = b.vni(i); vnis.set(v, (vnis.get(v) ?? 0) + 1); } : undefined,
    });
    return { run, ports, vnis, out: readFileSync(output) };
  } catch (e) {
    const err = e as Error;
    return { ports, vnis, error: `${err.constructor.name}: ${err.message}${e instanceof InputError ? ` @${e.offset}` : ''}`, out: existsSync(output) ? readFileSync(output) : undefined };
  }
}

const sorted = (o: Record<string, number>): [string, number][] => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));

let n = 0, errors = 0, drops = 0;
t.test('bulk and general paths give the same bytes, counts and errors', async (t) => {
  await fc.assert(fc.asyncProperty(captureArb, async (c) => {
    const k = n++;
    const input = join(dir, `in-${k}.pcap`);
    writeFileSync(input, captureBytes(c));
    for (const mode of ['encap', 'decap'] as const) {
      let src = input;
      if (mode === 'decap') {
        // Decap an encapsulated capture (when the encap went through), else the raw one.
        const e = join(dir, `e-${k}.pcap`);
        if (existsSync(e)) src = e;
      }
      const a = await transform(src, join(dir, `${mode === 'encap' ? 'e' : 'd'}-${k}.pcap`), true, mode, c.nanosOut);
      const b = await transform(src, join(dir, `g-${mode}-${k}.pcap`), false, mode, c.nanosOut);
      if (a.error !== undefined || b.error !== undefined) {
        errors++;
        if (a.error !== b.error) throw new Error(`${mode}: bulk ${a.error} / general ${b.error}`);
        continue;
      }
      const ra = a.run!, rb = b.run!;
      if (Object.keys(ra.dropped).length > 0) drops++;
      if (Buffer.compare(a.out!, b.out!) !== 0) throw new Error(`${mode}: outputs differ (${a.out!.length} / ${b.out!.length} bytes)`);
      if (ra.frames !== rb.frames || ra.ok !== rb.ok || ra.slotSize !== rb.slotSize || ra.format !== rb.format) {
        throw new Error(`${mode}: runs differ ${JSON.stringify(ra)} / ${JSON.stringify(rb)}`);
      }
      if (JSON.stringify(sorted(ra.dropped)) !== JSON.stringify(sorted(rb.dropped))) throw new Error(`${mode}: drops differ ${JSON.stringify(ra.dropped)} / ${JSON.stringify(rb.dropped)}`);
      if (Buffer.compare(Buffer.from(a.ports.buffer), Buffer.from(b.ports.buffer)) !== 0) throw new Error(`${mode}: source ports differ`);
      if (JSON.stringify([...a.vnis]) !== JSON.stringify([...b.vnis])) throw new Error(`${mode}: VNIs differ`);
    }
    rmSync(input, { force: true });
  }), { numRuns: RUNS });
  t.ok(errors > 0 && drops > 0, `cases with errors (${errors}) and with drops (${drops}) seen`);
});

t.test('a capture larger than the record arena\'s input streams through (records straddle reads)', async (t) => {
  const frames = Array.from({ length: 30_000 }, (_, i) => ({ sec: 1_700_000_000 + (i >> 10), frac: i % 1_000_000, len: 60 + (i % 90), cutBy: 0, absurd: false, seed: i & 255 }));
  const c: Capture = { kind: 'micro', big: false, snaplen: 65535, frames, tailCut: 0, nanosOut: undefined };
  const input = join(dir, 'long.pcap');
  writeFileSync(input, captureBytes(c));
  const a = await transform(input, join(dir, 'long-bulk.pcap'), true, 'encap', undefined);
  const b = await transform(input, join(dir, 'long-general.pcap'), false, 'encap', undefined);
  t.equal(a.error, undefined);
  t.equal(a.run!.frames, 30_000);
  t.equal(a.run!.ok, 30_000);
  t.ok(Buffer.compare(a.out!, b.out!) === 0, `same ${a.out!.length} bytes`);
});
