// The capture reader and writer: round trips, both byte orders, us and ns, pcapng with several
// sections and interfaces of different resolutions, streaming across chunk boundaries, and every kind
// of broken file with the byte offset it is reported at.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../src/cli/errors.js';
import { decodeCapture, encodePcap, PcapReader, PcapWriter, readPackets, type PcapRecord } from '../src/pcap/index.js';
import { encodeEpb, epbSize, pcapngHeader } from '../src/pcap/pcapng-encode.js';
import { classicPcap, concat, epb, frame, idb, ngBlock, opb, shb, spb, unknownBlock } from './fixtures/capture-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'zooroute-pcap-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function tmpFile(bytes: Uint8Array): string {
  const p = join(dir, `f${fileNo++}.pcap`);
  writeFileSync(p, bytes);
  return p;
}

// Frames compare as hex strings: deep comparison of large number arrays is slow.
interface Plain { tsSec: number; tsNsec: number; data: string; origLen: number; linkType: number }
const hex = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
const plain = (r: PcapRecord): Plain => ({ tsSec: r.tsSec, tsNsec: r.tsNsec, data: hex(r.data), origLen: r.origLen, linkType: r.linkType });

async function streamAll(path: string, chunkSize?: number, linkType?: number): Promise<Plain[]> {
  const out: Plain[] = [];
  for await (const r of readPackets(path, { chunkSize, linkType })) out.push(plain(r));
  return out;
}

/** Both readers must reject the bytes with the same offset and a reason matching `re`. */
async function rejects(tt: Test, bytes: Uint8Array, offset: number, re: RegExp, linkType?: number): Promise<void> {
  const path = tmpFile(bytes);
  let mem: unknown;
  try { decodeCapture(bytes, path, { linkType }); } catch (e) { mem = e; }
  tt.ok(mem instanceof InputError, 'in-memory decoder throws InputError');
  if (mem instanceof InputError) {
    tt.equal(mem.offset, offset, `in-memory offset (${mem.reason})`);
    tt.match(mem.reason, re);
    tt.equal(mem.file, path);
  }
  let str: unknown;
  try { await streamAll(path, 4096, linkType); } catch (e) { str = e; }
  tt.ok(str instanceof InputError, 'streaming reader throws InputError');
  if (str instanceof InputError) {
    tt.equal(str.offset, offset, `streaming offset (${str.reason})`);
    tt.match(str.reason, re);
    tt.match(str.message, new RegExp(`^${path.replace(/[/.]/g, '\\$&')}: .* at byte offset ${offset}$`));
  }
}

t.test('classic round trip through PcapWriter and readPackets, us and ns', async (tt) => {
  for (const nanos of [false, true]) {
    const recs = [0, 1, 14, 60, 1514, 9000].map((n, i) => ({ tsSec: 1_700_000_000 + i, tsNsec: 123_456_789 * i % 1e9, data: frame(n, i) }));
    const path = join(dir, `rt-${nanos}.pcap`);
    const w = await PcapWriter.open(path, { nanos });
    for (const r of recs) w.write(r);
    await w.close();
    const got = await streamAll(path);
    tt.same(got, recs.map((r) => ({
      tsSec: r.tsSec, tsNsec: nanos ? r.tsNsec : Math.floor(r.tsNsec / 1000) * 1000, data: hex(r.data), origLen: r.data.length, linkType: 1,
    })), `nanos=${nanos}`);
    const bytes = readFileSync(path);
    tt.equal(bytes.readUInt32LE(0), nanos ? 0xa1b23c4d : 0xa1b2c3d4, 'magic');
    tt.same(decodeCapture(bytes).records.map(plain), got, 'in-memory decoder agrees');
    tt.same(encodePcap(recs, { nanos }), new Uint8Array(bytes), 'in-memory encoder writes the same bytes');
  }
});

t.test('property: any records survive encode -> decode and write -> stream', async (tt) => {
  const rec = fc.record({
    tsSec: fc.integer({ min: 0, max: 0xffffffff }),
    tsNsec: fc.integer({ min: 0, max: 999_999_999 }),
    data: fc.uint8Array({ maxLength: 300 }),
    extra: fc.integer({ min: 0, max: 100 }),
  });
  await fc.assert(fc.asyncProperty(fc.array(rec, { maxLength: 40 }), fc.boolean(), async (rs, nanos) => {
    const input = rs.map((r) => ({ tsSec: r.tsSec, tsNsec: r.tsNsec, data: r.data, origLen: r.data.length + r.extra }));
    const expect = input.map((r) => ({ tsSec: r.tsSec, tsNsec: nanos ? r.tsNsec : Math.floor(r.tsNsec / 1000) * 1000, data: hex(r.data), origLen: r.origLen, linkType: 1 }));
    const bytes = encodePcap(input, { nanos });
    const mem = decodeCapture(bytes).records.map(plain);
    const streamed = await streamAll(tmpFile(bytes), 4096);
    return JSON.stringify(mem) === JSON.stringify(expect) && JSON.stringify(streamed) === JSON.stringify(expect);
  }), { numRuns: 60 });
});

t.test('big-endian and little-endian classic files read the same', async (tt) => {
  const raw = [{ sec: 10, frac: 999_999, data: frame(60, 1) }, { sec: 11, frac: 5, data: frame(1514, 2), orig: 1600 }];
  for (const nanos of [false, true]) {
    const le = decodeCapture(classicPcap(raw, { little: true, nanos }));
    const be = decodeCapture(classicPcap(raw, { little: false, nanos }));
    tt.same(be.records.map(plain), le.records.map(plain), `nanos=${nanos}`);
    tt.equal(be.nanos, nanos);
    const scale = nanos ? 1 : 1000;
    tt.same(le.records.map((r) => [r.tsSec, r.tsNsec, r.origLen]), [[10, 999_999 * scale, 60], [11, 5 * scale, 1600]]);
    tt.same(await streamAll(tmpFile(classicPcap(raw, { little: false, nanos }))), le.records.map(plain));
  }
});

t.test('classic edge decisions: caplen > origLen, fraction carry, caplen above a wrong snaplen', async (tt) => {
  const c = decodeCapture(classicPcap([
    { sec: 5, frac: 60, data: frame(60, 3), orig: 40 },       // caplen > origLen: accepted, origLen raised
    { sec: 5, frac: 2_500_000, data: frame(20, 4) },           // 2.5 s of microseconds: carried
    { sec: 6, frac: 0, data: frame(3000, 5) },                 // above snaplen 1500 but below 256 KiB
  ], { snaplen: 1500 }));
  tt.equal(c.records[0].origLen, 60);
  tt.same([c.records[1].tsSec, c.records[1].tsNsec], [7, 500_000_000]);
  tt.equal(c.records[2].data.length, 3000);
  tt.equal(c.snaplen, 1500);
});

t.test('pcapng: sections of both byte orders, interfaces of several resolutions, all packet blocks', async (tt) => {
  const d1 = frame(60, 10), d2 = frame(98, 11), d3 = frame(1514, 12), d4 = frame(42, 13), d5 = frame(128, 14), d6 = frame(64, 15);
  const build = (first: boolean): Uint8Array => concat(
    shb(first),
    idb(first, 1, 65535),                              // default: microseconds
    idb(first, 1, 262144, 9),                          // nanoseconds
    idb(first, 1, 0, 0x80 | 10),                       // 2^-10 s
    unknownBlock(first, 37),                           // skipped
    epb(first, 0, 1_700_000_000_123_456n, d1),
    epb(first, 1, 1_700_000_001_987_654_321n, d2, 200),
    epb(first, 2, (1_700_000_002n << 10n) | 512n, d3),
    opb(first, 1, 1_700_000_003_000_000_001n, d4),
    shb(!first),                                       // a new section in the other byte order
    idb(!first, 1, 128, 3, 100n),                      // milliseconds, if_tsoffset 100 s
    spb(!first, d5, 300),                              // simple packet: no timestamp, cut at snaplen 128
    epb(!first, 0, 1_700_000_004_250n, d6),
  );
  const expect = [
    { tsSec: 1_700_000_000, tsNsec: 123_456_000, data: hex(d1), origLen: 60, linkType: 1 },
    { tsSec: 1_700_000_001, tsNsec: 987_654_321, data: hex(d2), origLen: 200, linkType: 1 },
    { tsSec: 1_700_000_002, tsNsec: 500_000_000, data: hex(d3), origLen: 1514, linkType: 1 },
    { tsSec: 1_700_000_003, tsNsec: 1, data: hex(d4), origLen: 42, linkType: 1 },
    { tsSec: 0, tsNsec: 0, data: hex(d5), origLen: 300, linkType: 1 },
    { tsSec: 1_700_000_104, tsNsec: 250_000_000, data: hex(d6), origLen: 64, linkType: 1 },
  ];
  for (const little of [true, false]) {
    const bytes = build(little);
    const mem = decodeCapture(bytes);
    tt.equal(mem.format, 'pcapng');
    tt.ok(mem.nanos, 'a nanosecond interface makes the capture nanosecond');
    tt.same(mem.records.map(plain), expect, `first section little=${little}`);
    tt.same(await streamAll(tmpFile(bytes), 4096), expect, 'streaming agrees');
  }
});

t.test('pcapng: per-interface link type, and the link-type requirement', async (tt) => {
  const bytes = concat(shb(true), idb(true, 1, 0), idb(true, 113, 0), epb(true, 0, 1n, frame(20, 1)), epb(true, 1, 2n, frame(30, 2)));
  tt.same(decodeCapture(bytes).records.map((r) => r.linkType), [1, 113]);
  // Refused at the first packet on the SLL interface, not at its description.
  const secondEpbAt = shb(true).length + idb(true, 1, 0).length + idb(true, 113, 0).length + epb(true, 0, 1n, frame(20, 1)).length;
  await rejects(tt, bytes, secondEpbAt, /packet on interface 1: link type 113 \(LINUX_SLL \(Linux cooked\)\) where 1 \(ETHERNET\)/, 1);
  // A simple packet block is on interface 0.
  const spbOnSll = concat(shb(true), idb(true, 113, 0), spb(true, frame(20, 1)));
  await rejects(tt, spbOnSll, shb(true).length + idb(true, 113, 0).length, /packet on interface 0: link type 113/, 1);
});

t.test('pcapng: an interface no packet uses may have any link type', async (tt) => {
  // dumpcap -i eth0 -i any: the SLL2 and the RAW interfaces are described, every packet is on Ethernet.
  const frames = [frame(60, 1), frame(98, 2), frame(1514, 3)];
  for (const le of [true, false]) {
    const bytes = concat(shb(le), idb(le, 276, 262144), idb(le, 1, 262144, 9), idb(le, 101, 65535),
      ...frames.map((f, i) => epb(le, 1, BigInt(i + 1), f)));
    const want = frames.map((f) => ({ data: hex(f), linkType: 1 }));
    const mem = decodeCapture(bytes, 'unused-idb.pcapng', { linkType: 1 }).records.map((r) => ({ data: hex(r.data), linkType: r.linkType }));
    tt.same(mem, want, `in memory (${le ? 'little' : 'big'}-endian): every Ethernet frame, no complaint about interfaces 0 and 2`);
    const streamed = (await streamAll(tmpFile(bytes), 4096, 1)).map((r) => ({ data: r.data, linkType: r.linkType }));
    tt.same(streamed, want, 'streaming agrees');
  }
});

t.test('streaming across chunk boundaries and records larger than the chunk', async (tt) => {
  const recs = Array.from({ length: 400 }, (_, i) => ({ tsSec: i, tsNsec: i * 1000, data: frame((i * 7919) % 9100, i) }));
  const bytes = encodePcap(recs);
  const path = tmpFile(bytes);
  const ref = decodeCapture(bytes).records.map(plain);
  tt.equal(ref.length, 400);
  for (const chunk of [4096, 10000, 1 << 20]) tt.same(await streamAll(path, chunk), ref, `chunk ${chunk}`);
  const ng = concat(shb(true), idb(true, 1, 0), ...recs.map((r) => epb(true, 0, BigInt(r.tsSec) * 1_000_000n + BigInt(r.tsNsec / 1000), r.data)));
  tt.same(await streamAll(tmpFile(ng), 4096), ref, 'pcapng in 4 KiB chunks');
});

t.test('pcapng: a block too large to buffer is skipped unread; truncated, it is an error', async (tt) => {
  // Built directly: 17 MiB through the byte-by-byte builder would be slow.
  const big = new Uint8Array(12 + 17 * 1024 * 1024);
  const bdv = new DataView(big.buffer);
  bdv.setUint32(0, 0x40000bad, true);
  bdv.setUint32(4, big.length, true);
  bdv.setUint32(big.length - 4, big.length, true);
  const d = frame(60, 1);
  const bytes = concat(shb(true), idb(true, 1, 0), big, epb(true, 0, 5n, d));
  const got = await streamAll(tmpFile(bytes));
  tt.same(got.map((r) => r.data), [hex(d)]);
  const cut = bytes.subarray(0, bytes.length - 1000 - epb(true, 0, 5n, d).length);
  const at = shb(true).length + idb(true, 1, 0).length;
  await rejects(tt, cut, at, /truncated block/);
});

t.test('batches() hands out the same records as records(), whole buffers at a time', async (tt) => {
  const recs = Array.from({ length: 3000 }, (_, i) => ({ tsSec: i, tsNsec: 0, data: frame(i % 7 === 0 ? 5000 : 64, i) }));
  const path = tmpFile(encodePcap(recs));
  const ref = await streamAll(path);
  for (const chunkSize of [4096, 1 << 20]) {
    const r = await PcapReader.open(path, { chunkSize });
    const got: Plain[] = [];
    let batches = 0;
    for await (const b of r.batches()) { batches++; for (const x of b) got.push(plain(x)); }
    await r.close();
    tt.same(got, ref, `chunk ${chunkSize}`);
    tt.ok(batches > 1 && batches < got.length, `${batches} batches`);
  }
});

t.test('columns() hands out the same records as decodeCapture, across read-ahead, large and oversized records', async (tt) => {
  // 64 B, 5000 B, 70000 B (above the 64 KiB kept in front of a chunk read ahead) and 200000 B (above a
  // 4 KiB reader's whole buffer, which then grows) frames, in classic and pcapng.
  const sizes = [64, 64, 5000, 64, 70000, 64, 200000, 64, 64, 5000];
  const recs = Array.from({ length: 400 }, (_, i) => ({ tsSec: 1000 + i, tsNsec: (i * 7919) % 1e9, data: frame(sizes[i % sizes.length], i) }));
  const classic = encodePcap(recs, { nanos: true });
  const ng = concat(shb(true), idb(true, 1, 0, 9), ...recs.map((r) => epb(true, 0, BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec), r.data)));
  for (const [name, bytes] of [['pcap', classic], ['pcapng', ng]] as const) {
    const ref = decodeCapture(bytes).records;
    const path = tmpFile(bytes);
    for (const chunkSize of [4096, 10000, 1 << 20]) {
      const r = await PcapReader.open(path, { chunkSize });
      const got: Plain[] = [];
      const offsets: number[] = [];
      let steps = 0;
      for await (const c of r.columns()) {
        steps++;
        for (let i = 0; i < c.length; i++) {
          const at = c.dataStart[i];
          got.push({ tsSec: c.tsSec[i], tsNsec: c.tsNsec[i], data: hex(c.buf.subarray(at, at + c.dataLen[i])), origLen: c.origLen[i], linkType: c.linkType[i] });
          offsets.push(c.offset[i]);
        }
        tt.equal(r.recordOffset, c.offset[c.length - 1], 'recordOffset is the step\'s last record');
      }
      await r.close();
      tt.same(got, ref.map(plain), `${name}, chunk ${chunkSize}: same records`);
      tt.same(offsets, ref.map((x) => x.offset), `${name}, chunk ${chunkSize}: same offsets`);
      tt.ok(steps > 1, `${name}, chunk ${chunkSize}: ${steps} steps`);
    }
  }
});

t.test('PcapWriter writes behind: many MiB of records and one larger than its buffer come back in order', async (tt) => {
  // 6 MiB of 100-byte frames spill the 1 MiB buffer many times (written behind, or synchronously
  // when no spare is free); a 2 MiB frame needs a buffer of its own.
  const recs = Array.from({ length: 60_000 }, (_, i) => ({ tsSec: i, tsNsec: i * 1000, data: frame(i === 30_000 ? 2 << 20 : 100, i) }));
  for (const format of ['pcap', 'pcapng'] as const) {
    const path = join(dir, `behind-${format}`);
    const w = await PcapWriter.open(path, { format, nanos: true, snaplen: 4 << 20 });
    for (const r of recs) w.write(r);
    writeFileSync(join(dir, 'unrelated'), 'x'); // other I/O between writes changes nothing
    await w.close();
    const back = decodeCapture(readFileSync(path)).records;
    tt.equal(back.length, recs.length, `${format}: every record`);
    let bad = 0;
    for (let i = 0; i < recs.length; i++) {
      if (back[i].tsSec !== recs[i].tsSec || back[i].tsNsec !== recs[i].tsNsec || hex(back[i].data) !== hex(recs[i].data)) bad++;
    }
    tt.equal(bad, 0, `${format}: records identical and in order`);
  }
});

t.test('records before broken input are handed out before the error', async (tt) => {
  const recs = Array.from({ length: 5 }, (_, i) => ({ tsSec: i, tsNsec: 0, data: frame(60, i) }));
  const bytes = encodePcap(recs);
  new DataView(bytes.buffer).setUint32(24 + 3 * 76 + 8, 1 << 30, true); // the 4th record's caplen
  for (const mode of ['records', 'batches'] as const) {
    const r = await PcapReader.open(tmpFile(bytes));
    const seen: number[] = [];
    let err: unknown;
    try {
      if (mode === 'records') for await (const x of r.records()) seen.push(x.tsSec);
      else for await (const b of r.batches()) for (const x of b) seen.push(x.tsSec);
    } catch (e) { err = e; }
    await r.close();
    tt.same(seen, [0, 1, 2], mode);
    tt.ok(err instanceof InputError && err.offset === 24 + 3 * 76, `${mode}: then the error at the 4th record`);
  }
});

t.test('PcapReader exposes format, snaplen, resolution and record offsets', async (tt) => {
  const bytes = classicPcap([{ sec: 1, frac: 2, data: frame(10, 1) }, { sec: 1, frac: 3, data: frame(20, 2) }], { nanos: true, snaplen: 4000 });
  const r = await PcapReader.open(tmpFile(bytes));
  tt.equal(r.format, 'pcap');
  tt.equal(r.nanos, true);
  const offsets: number[] = [];
  for await (const _ of r.records()) offsets.push(r.recordOffset);
  tt.equal(r.snaplen, 4000);
  tt.same(offsets, [24, 24 + 16 + 10]);
  await r.close();
});

t.test('the writer cuts frames at its snaplen and keeps origLen', async (tt) => {
  const bytes = encodePcap([{ tsSec: 1, tsNsec: 0, data: frame(500, 1) }], { snaplen: 100 });
  const c = decodeCapture(bytes);
  tt.equal(c.snaplen, 100);
  tt.same(c.records.map((r) => [r.data.length, r.origLen]), [[100, 500]]);
  tt.throws(() => encodePcap([{ tsSec: -1, tsNsec: 0, data: frame(1, 1) }]), RangeError);
  tt.throws(() => encodePcap([{ tsSec: 0, tsNsec: 1e9, data: frame(1, 1) }]), RangeError);
});

t.test('broken files: each rejected with InputError at its byte offset', async (tt) => {
  const good = classicPcap([{ sec: 1, frac: 0, data: frame(60, 1) }, { sec: 2, frac: 0, data: frame(100, 2) }]);
  await rejects(tt, new Uint8Array(0), 0, /^empty file$/);
  await rejects(tt, Uint8Array.from([0xd4, 0xc3]), 0, /truncated file header \(2 of 24 bytes\)/);
  await rejects(tt, good.subarray(0, 20), 0, /truncated file header \(20 of 24 bytes\)/);
  await rejects(tt, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 0, /bad magic 0x01020304/);
  await rejects(tt, Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]), 0, /gzip/);
  const v3 = good.slice(); v3[4] = 3;
  await rejects(tt, v3, 4, /unsupported pcap version 3\.4/);
  await rejects(tt, good.subarray(0, 24 + 16 + 60 + 9), 100, /truncated record header \(9 of 16 bytes\)/);
  await rejects(tt, good.subarray(0, good.length - 1), 100, /truncated record data \(100 bytes announced, 99 present\)/);
  const absurd = good.slice(); new DataView(absurd.buffer).setUint32(100 + 8, 300_000, true);
  await rejects(tt, absurd, 100, /absurd capture length 300000 \(snaplen 65535, limit 262144\)/);
  await rejects(tt, classicPcap([], { linkType: 101 }), 20, /link type 101 \(RAW/, 1);

  const head = concat(shb(true), idb(true, 1, 0));
  const e = epb(true, 0, 1n, frame(60, 1));
  const badLen = e.slice(); new DataView(badLen.buffer).setUint32(4, 30, true);
  await rejects(tt, concat(head, badLen), head.length, /bad pcapng block length 30/);
  const shortLen = e.slice(); new DataView(shortLen.buffer).setUint32(4, 8, true);
  await rejects(tt, concat(head, shortLen), head.length, /bad pcapng block length 8/);
  const badTrail = e.slice(); new DataView(badTrail.buffer).setUint32(e.length - 4, 96, true);
  await rejects(tt, concat(head, badTrail), head.length + e.length - 4, /trailing length 96 differs from leading length/);
  await rejects(tt, concat(head, e.subarray(0, 50)), head.length, /truncated block \(\d+ bytes announced, 50 present\)/);
  await rejects(tt, concat(head, e.subarray(0, 7)), head.length, /truncated block header \(7 of 12 bytes\)/);
  await rejects(tt, concat(shb(true), e), shb(true).length, /undefined interface 0/);
  await rejects(tt, concat(shb(true), spb(true, frame(20, 1))), shb(true).length, /simple packet block before any interface/);
  const overrun = e.slice(); new DataView(overrun.buffer).setUint32(20, 200, true);
  await rejects(tt, concat(head, overrun), head.length, /too short for capture length 200/);
  const absurdNg = e.slice(); new DataView(absurdNg.buffer).setUint32(20, 1 << 20, true);
  await rejects(tt, concat(head, absurdNg), head.length, /absurd capture length 1048576/);
  const bom = shb(true).slice(); bom[8] = 0x99;
  await rejects(tt, bom, 8, /bad byte-order magic/);
  const ver = shb(true).slice(); ver[12] = 2;
  await rejects(tt, ver, 12, /unsupported pcapng version 2\.0/);
  const badOpt = ngBlock(true, 1, (b) => b.u16(1).u16(0).u32(0), [{ code: 9, value: [6] }]);
  new DataView(badOpt.buffer).setUint16(18, 200, true);
  await rejects(tt, concat(shb(true), badOpt), shb(true).length + 16, /option 9 of 200 bytes overruns/);
  // After a second section header, interfaces of the first section no longer exist.
  await rejects(tt, concat(head, shb(false), epb(false, 0, 1n, frame(10, 1))), head.length + shb(false).length, /undefined interface 0/);
});

t.test('every Zeek capture reads the same as a pcapng conversion of it would', async (tt) => {
  // The conversion is done here by our own in-test builder, not by the code under test.
  const zdir = new URL('./fixtures/zeek/', import.meta.url).pathname;
  for (const f of readdirSync(zdir).filter((x) => x.endsWith('.pcap'))) {
    const classic = decodeCapture(readFileSync(join(zdir, f)), f, { linkType: 1 });
    tt.ok(classic.records.length > 0, `${f}: ${classic.records.length} records`);
    const ng = concat(shb(false), idb(false, 1, 0, 9), ...classic.records.map((r) =>
      epb(false, 0, BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec), r.data, r.origLen)));
    tt.same(await streamAll(tmpFile(ng), 4096), classic.records.map(plain), f);
  }
});

t.test('a writer reusing the buffers of a closed one (writer.ts keeps them) writes only its own bytes', async (t) => {
  // Fill every buffer of a first writer with 0xee, then write a small capture of each format: it is
  // exactly what encodePcap gives, with no byte left over from the first.
  const big = join(dir, 'reuse-big.pcap');
  const w1 = await PcapWriter.open(big);
  const junk = new Uint8Array(60000).fill(0xee);
  for (let i = 0; i < 120; i++) w1.write({ tsSec: 1, tsNsec: 0, data: junk });
  await w1.close();
  const recs = [1, 2, 3].map((k) => ({ tsSec: 1_700_000_000 + k, tsNsec: k * 1000, data: new Uint8Array(61 + k).fill(k) }));
  // pcapng, encoded by hand into zeroed memory.
  const head = pcapngHeader(1, 262144, true);
  const ng = new Uint8Array(head.length + recs.reduce((n, r) => n + epbSize(r.data.length), 0));
  ng.set(head);
  for (let i = 0, at = head.length; i < recs.length; i++) at += encodeEpb(ng, new DataView(ng.buffer), at, recs[i].data, recs[i].data.length, recs[i].data.length, recs[i].tsSec, recs[i].tsNsec, true);
  for (const format of ['pcap', 'pcapng'] as const) {
    const p = join(dir, `reuse-small.${format}`);
    const w2 = await PcapWriter.open(p, { format, nanos: true });
    for (const r of recs) w2.write(r);
    await w2.close();
    t.same(readFileSync(p), Buffer.from(format === 'pcap' ? encodePcap(recs, { nanos: true }) : ng), `${format}: byte for byte`);
  }
});

t.test('readRaw(): the bytes after the file header, into the caller\'s memory, with their file offsets', async (t) => {
  // Larger than the reader's 1 MiB chunk, so that the window's bytes come first, then direct reads.
  const recs = Array.from({ length: 30000 }, (_, k) => ({ tsSec: 1_700_000_000 + k, tsNsec: k, data: new Uint8Array(40 + (k % 50)).fill(k & 255) }));
  const bytes = encodePcap(recs);
  const p = tmpFile(bytes);
  for (const piece of [7, 4096, 1 << 21]) {
    const r = await PcapReader.open(p);
    try {
      t.ok(await r.classicHeader());
      const got = new Uint8Array(bytes.length - 24 + piece);
      let at = 0, offsetsOk = true;
      for (;;) {
        const n = await r.readRaw(got, at, Math.min(piece, got.length - at));
        if (n === 0) break;
        if (r.recordOffset !== 24 + at) offsetsOk = false;
        at += n;
      }
      t.equal(at, bytes.length - 24, `piece ${piece}: every byte after the header`);
      t.ok(Buffer.compare(got.subarray(0, at), bytes.subarray(24)) === 0, `piece ${piece}: the same bytes`);
      t.ok(offsetsOk, `piece ${piece}: recordOffset is each piece's file offset`);
    } finally {
      await r.close();
    }
  }
});
