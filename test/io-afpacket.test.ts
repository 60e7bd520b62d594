// The AF_PACKET addon (native/afpacket, src/io/afpacket-io.ts) on a veth pair between two namespaces
// the test creates and removes: frames sent in one batch from one end arrive at the other and are
// handed over in bulk with their bytes and lengths (VLAN tags put back); an unread ring overflows and
// its drops are counted, so that sent = received + counted drops; oversize frames are counted both
// ways; malformed calls return error codes and never crash. Needs root and the addon.
import t from 'tap';
import { Datapath, type PacketBatch } from '../bindings/index.js';
import { AfPacketIo, TxStatus, afPacketAddon, chooseIo, openPacketIo, type AddonHandle, type AfPacketAddon } from '../src/io/index.js';
import { UsageError } from '../src/errors.js';
import { needAfPacket, needRoot } from './helpers/needs.js';
import { withNetns, type NetnsLab } from './helpers/netns.js';

const skip = needRoot() ?? (await needAfPacket());
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A batch in Wasm memory with the core's layout (slots of `slotSize`, 64 bytes of headroom). */
function batchOf(capacity: number, slotSize = 2048): PacketBatch {
  return Datapath.create({ localIp: '10.0.0.1', batchSize: capacity, slotSize, headroom: 64, maxPeers: 1 }).batch(0);
}

const DST = [0x02, 0x5e, 0, 0, 0, 2], SRC = [0x02, 0x5e, 0, 0, 0, 1];
/** Frame k: Ethernet to nobody's MAC, a local experimental EtherType (the kernel ignores it), `len` bytes; tagged when `vlan`. */
function frame(k: number, len: number, vlan = false): Uint8Array {
  const f = new Uint8Array(len);
  f.set(DST, 0); f.set(SRC, 6);
  let p = 12;
  if (vlan) { f.set([0x81, 0x00, 0x00, 0x64 + (k & 0x0f)], 12); p = 16; }
  f[p] = 0x88; f[p + 1] = 0xb5;
  for (let i = p + 2; i < len; i++) f[i] = (k * 31 + i) & 0xff;
  return f;
}

/** The netns path of a lab namespace, for the addon's netns option. */
const nsPath = (lab: NetnsLab, short: string): string => `/run/netns/${lab.ns(short)}`;

/** Two namespaces `a` and `b` joined by a veth (MTU 1500, no addresses: nothing else is sent on it). */
async function pair(lab: NetnsLab): Promise<{ a: string; b: string }> {
  await lab.addNs('a');
  await lab.addNs('b');
  const [a, b] = await lab.veth({ a: 'a', b: 'b', aIf: 'a', bIf: 'b' });
  return { a: a.ifname, b: b.ifname };
}

/** Read an interface counter inside a namespace (sysfs of that namespace). */
async function ifStat(lab: NetnsLab, ns: string, ifname: string, what: string): Promise<number> {
  return Number((await lab.exec(ns, 'cat', [`/sys/class/net/${ifname}/statistics/${what}`])).stdout.trim());
}


t.test('frames sent in one batch arrive in bulk, byte for byte', { skip }, async (t) => {
  await withNetns(async (lab) => {
    const ifs = await pair(lab);
    const tx = AfPacketIo.open(ifs.a, { netns: nsPath(lab, 'a'), ringBytes: 1 << 19 });
    const rx = AfPacketIo.open(ifs.b, { netns: nsPath(lab, 'b'), ringBytes: 4 << 20 });
    t.teardown(() => { tx.close(); rx.close(); });
    t.equal(rx.info.mtu, 1500, 'the ring is sized for the interface MTU');
    t.equal(rx.info.snapBytes, 1522, 'snap length: MTU + Ethernet header + two VLAN tags, not 64 KiB');
    t.ok(rx.info.blocks >= 2 && rx.info.blockBytes >= 8 * rx.info.snapBytes, `ring of ${rx.info.blocks} blocks of ${rx.info.blockBytes} bytes`);

    const out = batchOf(200);
    const sentFrames: Uint8Array[] = [];
    for (let k = 0; k < 200; k++) {
      const len = k % 50 === 7 ? 1514 : 60 + ((k * 37) % 1400);
      const f = frame(k, len, k % 20 === 3);
      sentFrames.push(f);
      out.push(f);
    }
    const statuses = new Uint8Array(200).fill(0xff);
    const sent = tx.send(out, { which: 'input', statuses });
    t.equal(sent, 200, 'one send call sent the whole batch');
    t.same([...new Set(statuses)], [TxStatus.SENT], 'every frame has status SENT');
    t.equal(tx.stats().sendCalls, 1, 'one sendmmsg for the batch');

    // Wait for the ring to hold every frame and for its last block to be handed over.
    let ready = false;
    rx.onReadable(() => { ready = true; });
    for (let i = 0; i < 300 && !ready; i++) await sleep(10);
    t.ok(ready, 'the poll callback fired');
    rx.onReadable(undefined);
    await sleep(200);

    const inb = batchOf(256);
    const stamps = new Uint32Array(2 * 256);
    const n = rx.receive(inb, stamps);
    t.equal(n, 200, 'one receive call hands over every frame of the ready blocks');
    t.equal(inb.length, 200, 'batch.length advanced');
    let same = 0;
    for (let k = 0; k < n; k++) if (Buffer.compare(Buffer.from(inb.input(k)), Buffer.from(sentFrames[k])) === 0) same++;
    t.equal(same, 200, 'every frame has its bytes and length, VLAN tags back in place');
    t.equal(inb.input(3).length, sentFrames[3].length, 'a tagged frame keeps its 4 tag bytes');
    const now = Date.now() / 1000;
    t.ok(Math.abs(stamps[0] - now) < 600 && Math.abs(stamps[2 * 199] - now) < 600, 'kernel receive times are filled in');
    t.equal(rx.receive(inb), 0, 'nothing more waiting');
    const s = rx.stats();
    t.equal(s.received, 200);
    t.equal(s.drops.ring, 0, 'no ring drop');
    t.ok(s.receivedBytes > 0 && s.drops.oversize === 0);
    t.ok(s.sendCalls === 0 && tx.stats().received === 0, 'ignoring outgoing frames: the sender receives none of its own');

    // Sending views (FrameBatch's shape): one call per memory.
    const views = { length: 10, frame: (i: number) => out.input(i) };
    t.equal(tx.sendFrames(views), 10, 'sendFrames sends views of Wasm memory');
    t.equal(tx.stats().sendCalls, 2, 'in one more sendmmsg');
  });
});

t.test('oversize frames are counted, not handed over or sent', { skip }, async (t) => {
  await withNetns(async (lab) => {
    const ifs = await pair(lab);
    const tx = AfPacketIo.open(ifs.a, { netns: nsPath(lab, 'a'), ringBytes: 1 << 19 });
    const rx = AfPacketIo.open(ifs.b, { netns: nsPath(lab, 'b') });
    t.teardown(() => { tx.close(); rx.close(); });
    const out = batchOf(4);
    out.push(frame(0, 1514)); out.push(frame(1, 1600)); out.push(frame(2, 100)); out.push(frame(3, 900));
    const st = new Uint8Array(4);
    t.equal(tx.send(out, { which: 'input', statuses: st }), 3, 'three of four sent');
    t.same([...st], [TxStatus.SENT, TxStatus.OVERSIZE, TxStatus.SENT, TxStatus.SENT], 'the frame over the MTU is OVERSIZE, the rest still went');
    t.equal(tx.stats().drops.txOversize, 1, 'counted as txOversize');
    await sleep(300);
    const small = batchOf(8, 1024); // 960-byte frames at most
    t.equal(rx.receive(small), 2, 'the frames that fit a slot are handed over');
    t.same([small.input(0).length, small.input(1).length], [100, 900]);
    t.equal(rx.stats().drops.oversize, 1, 'the 1514-byte frame is counted as oversize');
  });
});

t.test('an unread ring overflows and every frame is accounted for', { skip, timeout: 120_000 }, async (t) => {
  await withNetns(async (lab) => {
    const ifs = await pair(lab);
    const tx = AfPacketIo.open(ifs.a, { netns: nsPath(lab, 'a'), ringBytes: 1 << 19 });
    // The smallest ring: two blocks of 256 KiB, a few thousand 64-byte frames.
    const rx = AfPacketIo.open(ifs.b, { netns: nsPath(lab, 'b'), ringBytes: 1 << 19 });
    t.teardown(() => { tx.close(); rx.close(); });
    const out = batchOf(1024);
    for (let k = 0; k < 1024; k++) out.push(frame(k, 60));
    const ROUNDS = 30;
    let sent = 0;
    for (let r = 0; r < ROUNDS; r++) sent += tx.send(out, { which: 'input' });
    t.ok(sent > 0, `sent ${sent} frames`);
    await sleep(300);
    let received = 0;
    const inb = batchOf(1024);
    for (let n = rx.receive(inb); n > 0; n = rx.receive(inb)) { received += n; inb.clear(); }
    const s = rx.stats();
    const vethDrops = (await ifStat(lab, 'b', ifs.b, 'rx_dropped')) + (await ifStat(lab, 'a', ifs.a, 'tx_dropped'));
    t.comment(`sent ${sent}, received ${received}, ring drops ${s.drops.ring}, veth drops ${vethDrops}`);
    t.ok(s.drops.ring! > 0, `the ring overflowed and tp_drops counted it (${s.drops.ring})`);
    t.equal(received, s.received);
    t.equal(received + s.drops.ring! + s.drops.oversize + vethDrops, sent, 'sent = received + ring drops (+ veth drops)');
    // A fresh round after reading: the ring takes frames again.
    t.equal(tx.send(out, { which: 'input', count: 10 }), 10);
    await sleep(300);
    inb.clear();
    t.equal(rx.receive(inb), 10, 'after the overflow, frames are received again');
  });
});

t.test('malformed calls return error codes, never crash', { skip }, async (t) => {
  const r = afPacketAddon();
  if ('missing' in r) { t.fail(r.missing); return; }
  const a: AfPacketAddon = r.addon;
  await withNetns(async (lab) => {
    const ifs = await pair(lab);
    const h = a.open(ifs.a, { netns: nsPath(lab, 'a'), ringBytes: 1 << 19 });
    const buf = new ArrayBuffer(64 * 1024);
    const EINVAL = -22, ERANGE = -34, EBADF = -9;
    t.equal(a.receive(h, buf, 0, 64 * 48, 0, 16, 2048, 64), 0, 'a well-formed receive: nothing waiting');
    t.equal(a.receive(h, buf, 0, 64 * 48, 0, 64, 2048, 64), ERANGE, 'arena too small for capacity x slot');
    t.equal(a.receive(h, buf, 65536, 0, 0, 1, 2048, 64), ERANGE, 'descriptors past the end of the buffer');
    t.equal(a.receive(h, buf, 0xfffffff0, 0, 0, 1, 2048, 64), ERANGE, 'an offset that would wrap');
    t.equal(a.receive(h, buf, 0, 4096, 17, 16, 2048, 64), EINVAL, 'start beyond capacity');
    t.equal(a.receive(h, buf, 0, 4096, 0, 4, 64, 64), EINVAL, 'headroom not inside the slot');
    t.equal(a.receive(h, buf, -1, 0, 0, 1, 2048, 64), EINVAL, 'a negative offset');
    t.equal(a.receive(h, buf, 1.5, 0, 0, 1, 2048, 64), EINVAL, 'a fractional offset');
    t.equal(a.receive(h, new Uint8Array(buf) as unknown as ArrayBuffer, 0, 4096, 0, 1, 2048, 64), EINVAL, 'not an ArrayBuffer');
    t.equal(a.receive({} as AddonHandle, buf, 0, 4096, 0, 1, 2048, 64), EINVAL, 'not a handle');
    t.equal(a.receive(h, buf, 0, 4096, 0, 1, 2048, 64, new Uint32Array(1)), ERANGE, 'stamps too short');
    t.equal((a.receive as (...x: unknown[]) => number)(h), EINVAL, 'missing arguments');
    t.equal(a.sendBatch(h, buf, 0, 4096, 2048, 100, 0), ERANGE, 'send: more descriptors than the buffer holds');
    t.equal(a.sendBatch(h, buf, 0, 4096, 2048, 2, 0, new Uint32Array([0, 9999])), ERANGE, 'send: an index beyond the buffer');
    t.equal(a.sendBatch(h, buf, 0, 4096, 2048, 2, 0, new Uint32Array(1)), ERANGE, 'send: index list shorter than count');
    t.equal(a.sendBatch(h, buf, 0, 4096, 2048, 2, 0, new Uint32Array([0, 0xffffffff])), ERANGE, 'send: an index that would wrap');
    t.equal(a.sendSpans(h, buf, new Uint32Array([0, 100]), 2), ERANGE, 'send: span list shorter than count');
    // Descriptors that point outside their slot: refused one by one, nothing read out of bounds.
    const dv = new DataView(buf);
    dv.setUint32(0, 2000, true); dv.setUint32(4, 100, true); // 2000 + 100 > 2048
    dv.setUint32(48, 64, true); dv.setUint32(52, 0, true);   // empty
    const st = new Uint8Array(3);
    const sp = new Uint32Array([65000, 1000, 0, 0, 100, 60]);
    t.equal(a.sendBatch(h, buf, 0, 4096, 2048, 2, 0, null, st), 0, 'bad descriptors are not sent');
    t.same([...st.subarray(0, 2)], [TxStatus.BAD_DESC, TxStatus.BAD_DESC]);
    t.equal(a.sendSpans(h, buf, sp, 3, st), 1, 'a span past the buffer and an empty one are refused, the good one goes');
    t.same([...st], [TxStatus.BAD_DESC, TxStatus.BAD_DESC, TxStatus.SENT]);
    t.equal(a.stats(h).txBadDesc, 4, 'counted as txBadDesc');
    t.equal(a.poll(h, 42 as unknown as () => void), EINVAL, 'poll: not a function');
    t.equal(a.close(h), 0);
    t.equal(a.receive(h, buf, 0, 4096, 0, 1, 2048, 64), EBADF, 'receive on a closed socket');
    t.equal(a.sendBatch(h, buf, 0, 4096, 2048, 1, 0), EBADF, 'send on a closed socket');
    t.equal(a.poll(h, () => {}), EBADF, 'poll on a closed socket');
    t.equal(a.close(h), 0, 'closing twice is harmless');
    t.throws(() => a.open('', {}), TypeError, 'open: an empty name throws');
    t.throws(() => a.open(ifs.a, { ringBytes: -1 }), TypeError, 'open: a negative option throws');
    t.throws(() => a.open('zz-no-such-if', { netns: nsPath(lab, 'a') }), /No such device/, 'open: no such interface');
    t.throws(() => a.open(ifs.a, { netns: '/nonexistent/ns' }), /network namespace/, 'open: a missing namespace');
    // Through the TypeScript layer: a user error is one line; a bad batch is a RangeError.
    t.throws(() => AfPacketIo.open('zz-no-such-if'), UsageError, 'no such interface');
    const io = AfPacketIo.open(ifs.a, { netns: nsPath(lab, 'a'), ringBytes: 1 << 19 });
    const b = batchOf(4);
    b.length = 5; // a corrupted batch: more packets than slots
    t.throws(() => io.receive(b), RangeError, 'a corrupted batch is a RangeError naming the errno');
    io.close();
    io.close();
  });
});

t.test('choosing the I/O: mmap by default where the addon loads', { skip }, async (t) => {
  t.same(chooseIo(), { kind: 'mmap' });
  t.same(chooseIo('cap'), { kind: 'cap' });
  t.throws(() => openPacketIo('mmap', 'lo', { pcapFilter: 'tcp' }), UsageError, 'a pcap filter needs cap');
});
