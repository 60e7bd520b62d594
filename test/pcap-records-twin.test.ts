// Property tests: the bulk record kernels (assembly/pcap.ts: pcapIngest, pcapEmit) and their plain-TS
// twin (src/reference/pcap-records.ts) agree on every byte of Wasm memory and every answer, for
// well-formed, odd and broken classic pcap records in both byte orders and all three record flavours,
// hostile control blocks and descriptors. A kernel never traps and touches nothing outside its regions
// (the whole memory is compared). ZR_FUZZ_RUNS raises the number of cases per property (default 2,000).
import t from 'tap';
import fc from 'fast-check';
import { Datapath } from '../bindings/datapath.js';
import {
  DESC_SIZE, D_OUT_LEN, D_OUT_OFF, D_SPORT, D_STATUS, PC_COUNT, PC_FLAGS, PC_HEADROOM, PC_LIMIT, PC_MAX_FRAME, PC_OK, PC_OUT_USED,
  PC_POS, PF_BIG_ENDIAN, PF_MODIFIED, PF_NANOS_IN, PF_NANOS_OUT, PF_KEEP_CUT, TS_STRIDE,
} from '../bindings/layout.js';
import { pcapEmitRef, pcapIngestRef } from '../src/reference/pcap-records.js';

const RUNS = Math.max(2_000, Number(process.env.ZR_FUZZ_RUNS ?? 0) || 0);
const BATCH = 8;
const SLOT = 256;
const INPUT = 4096;
const OUTPUT = 1024;

const dp = Datapath.create({ localIp: '10.0.0.1', batchSize: BATCH, slotSize: SLOT, maxPeers: 1, records: { inputBytes: INPUT, outputBytes: OUTPUT } });
const batch = dp.batch();
const arena = dp.records();
const r = arena.region, br = batch.region;
const mem = (): Uint8Array => new Uint8Array(r.memory.buffer);
const dv = (): DataView => new DataView(r.memory.buffer);

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const record = fc.record({
  sec: u32,
  frac: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 999_999 }) }, { weight: 1, arbitrary: u32 }),
  caplen: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: u32 }),
  // Original length: the captured one mostly, else any.
  orig: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: u32 }),
  fill: fc.integer({ min: 0, max: 255 }),
});
const ingestCase = fc.record({
  records: fc.array(record, { maxLength: 14 }),
  big: fc.boolean(), nanos: fc.boolean(), modified: fc.boolean(), keepCut: fc.boolean(),
  cut: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: INPUT })),
  garbage: fc.uint8Array({ maxLength: 40 }),
  limit: fc.oneof(fc.constant(262144), fc.integer({ min: 0, max: 400 }), u32),
  maxFrame: fc.oneof(fc.constant(SLOT - 64), fc.integer({ min: 0, max: 400 }), u32),
  headroom: fc.oneof(fc.constant(64), fc.integer({ min: 0, max: SLOT + 8 }), u32),
  pos: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: INPUT + 16 }) }),
  count: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: BATCH + 3 }) }),
  eof: fc.boolean(),
});

type IngestCase = typeof ingestCase extends fc.Arbitrary<infer T> ? T : never;

/** The case's records as bytes (cut, or followed by garbage), at most INPUT. */
function inputBytes(c: IngestCase): Uint8Array {
  const h = c.modified ? 24 : 16;
  const parts: number[] = [];
  for (const rec of c.records) {
    const head = new DataView(new ArrayBuffer(h));
    const len = Math.min(rec.caplen, 600);
    head.setUint32(0, rec.sec, !c.big);
    head.setUint32(4, rec.frac, !c.big);
    head.setUint32(8, rec.caplen, !c.big);
    head.setUint32(12, rec.orig < 0 ? rec.caplen : rec.orig, !c.big);
    parts.push(...new Uint8Array(head.buffer));
    for (let k = 0; k < len; k++) parts.push((rec.fill + k) & 255);
  }
  parts.push(...c.garbage);
  const all = Uint8Array.from(parts.slice(0, INPUT));
  return c.cut >= 0 && c.cut < all.length ? all.subarray(0, c.cut) : all;
}

function runIngest(c: IngestCase): { wasm: number; ref: number; same: boolean } {
  const bytes = inputBytes(c);
  const m = mem();
  // Random-ish leftovers everywhere the kernel may write, so stale bytes would show.
  m.fill(0xa5, br.desc, br.desc + BATCH * DESC_SIZE);
  m.fill(0x5a, br.arena, br.arena + BATCH * SLOT);
  m.fill(0x3c, r.ts, r.ts + BATCH * TS_STRIDE);
  m.fill(0, r.ctl, r.ctl + 64);
  m.set(bytes, r.input);
  const d = dv();
  d.setUint32(r.ctl + PC_FLAGS, (c.big ? PF_BIG_ENDIAN : 0) | (c.nanos ? PF_NANOS_IN : 0) | (c.modified ? PF_MODIFIED : 0) | (c.keepCut ? PF_KEEP_CUT : 0), true);
  d.setUint32(r.ctl + PC_LIMIT, c.limit, true);
  d.setUint32(r.ctl + PC_MAX_FRAME, c.maxFrame, true);
  d.setUint32(r.ctl + PC_HEADROOM, c.headroom, true);
  d.setUint32(r.ctl + PC_POS, c.pos, true);
  d.setUint32(r.ctl + PC_COUNT, c.count, true); // what ingestRecords sets from batch.length
  arena.inputLen = bytes.length;
  batch.length = c.count;
  const copy = m.slice();
  const ref = pcapIngestRef(copy, r.ctl, r.input, bytes.length, c.eof, br.desc, br.arena, BATCH, SLOT, r.ts);
  const wasm = dp.ingestRecords(c.eof);
  const follows = batch.length === new DataView(copy.buffer).getUint32(r.ctl + PC_COUNT, true);
  return { wasm, ref, same: follows && Buffer.compare(mem(), copy) === 0 };
}

t.test('ingest: Wasm and twin agree on every byte, for any records', async (t) => {
  let stops = [0, 0, 0, 0];
  fc.assert(fc.property(ingestCase, (c) => {
    const { wasm, ref, same } = runIngest(c);
    stops[wasm]++;
    return wasm === ref && same;
  }), { numRuns: RUNS });
  t.ok(stops.every((n) => n > 0), `every stop seen (full, need, end, error: ${stops.join(', ')})`);
  stops = [];
});

t.test('ingest: a well-formed little-endian capture comes out whole', async (t) => {
  const c: IngestCase = {
    records: [{ sec: 5, frac: 7, caplen: 60, orig: -1, fill: 1 }, { sec: 6, frac: 1_500_000, caplen: 20, orig: -1, fill: 9 }],
    big: false, nanos: false, modified: false, keepCut: false, cut: -1, garbage: new Uint8Array(0), limit: 262144, maxFrame: 192, headroom: 64, pos: 0, count: 0, eof: true,
  };
  const { wasm, same } = runIngest(c);
  t.equal(wasm, 2, 'END');
  t.ok(same);
  t.equal(batch.length, 2);
  t.same([...batch.input(0)], Array.from({ length: 60 }, (_, k) => (1 + k) & 255), 'frame 0 in its slot');
  const d = dv();
  t.equal(Number(d.getBigUint64(r.ts + TS_STRIDE, true)), 7, 'the 1.5 s fraction carried into the seconds');
  t.equal(d.getUint32(r.ts + TS_STRIDE + 8, true), 500_000_000, 'nanoseconds');
});

const descCase = fc.record({
  status: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
  off: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: SLOT }) }, { weight: 1, arbitrary: u32 }),
  len: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: SLOT }) }, { weight: 1, arbitrary: u32 }),
  sport: fc.integer({ min: 0, max: 0xffff }),
  sec: fc.oneof({ weight: 6, arbitrary: u32 }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
  ns: fc.integer({ min: 0, max: 999_999_999 }),
});
const emitCase = fc.record({
  descs: fc.array(descCase, { minLength: 0, maxLength: BATCH }),
  from: fc.integer({ min: 0, max: BATCH + 1 }),
  used: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: OUTPUT }) }, { weight: 1, arbitrary: u32 }),
  ok: u32,
  nanos: fc.boolean(),
  fill: fc.integer({ min: 0, max: 255 }),
});

t.test('emit: Wasm and twin agree on every byte, for any descriptors', async (t) => {
  let short = 0, done = 0;
  fc.assert(fc.property(emitCase, (c) => {
    const m = mem(), d = dv();
    for (let k = 0; k < BATCH * SLOT; k++) m[br.arena + k] = (c.fill + k * 7) & 255;
    m.fill(0x77, r.output, r.output + OUTPUT);
    c.descs.forEach((x, i) => {
      const at = br.desc + i * DESC_SIZE;
      d.setUint16(at + D_STATUS, x.status, true);
      d.setUint32(at + D_OUT_OFF, x.off, true);
      d.setUint32(at + D_OUT_LEN, x.len, true);
      d.setUint16(at + D_SPORT, x.sport, true);
      d.setBigUint64(r.ts + i * TS_STRIDE, BigInt(x.sec), true);
      d.setUint32(r.ts + i * TS_STRIDE + 8, x.ns, true);
    });
    d.setUint32(r.ctl + PC_FLAGS, c.nanos ? PF_NANOS_OUT : 0, true);
    d.setUint32(r.ctl + PC_OUT_USED, c.used, true);
    d.setUint32(r.ctl + PC_OK, c.ok, true);
    batch.length = c.descs.length;
    const copy = m.slice();
    const ref = pcapEmitRef(copy, r.ctl, br.desc, br.arena, c.descs.length, SLOT, r.ts, c.from, r.output, OUTPUT, r.ports);
    const wasm = dp.emitRecords(c.from);
    if (wasm >= c.descs.length) done++; else short++;
    return wasm === ref && Buffer.compare(mem(), copy) === 0;
  }), { numRuns: RUNS });
  t.ok(done > 0 && short > 0, `both ends seen (done ${done}, stopped short ${short})`);
});
