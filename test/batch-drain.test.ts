// PacketBatch.forEachResult(): the one drain loop (capture, replay, encap/decap, the Vtep) visits
// every packet once, in order, OK ones to `ok` and the others to `dropped` with the status the
// descriptor holds, and leaves the batch as it was.
import t from 'tap';
import { Datapath, Status, statusName, type StatusCode } from '../bindings/index.js';

function ethIpv4Udp(payload: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload);
  f.set([2, 0, 0, 0, 0, 0xbb, 2, 0, 0, 0, 0, 0xaa, 0x08, 0x00], 0);
  const ipLen = 20 + 8 + payload;
  f.set([0x45, 0, ipLen >> 8, ipLen & 255, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[24] = c >> 8; f[25] = c & 255;
  f.set([0x30, 0x39, 0x00, 0x35, (8 + payload) >> 8, (8 + payload) & 255, 0, 0], 34);
  return f;
}

t.test('ok and dropped see every packet once, in order, with its status', async (t) => {
  const dp = Datapath.create({ localIp: '10.0.0.1', maxPeers: 1, batchSize: 16, mtu: 200 });
  dp.setPeer(0, { remoteIp: '10.0.0.2', vni: 7 });
  const b = dp.batch();
  // A mix: good frames, runts (< 14 bytes) and frames over the MTU.
  const kinds = ['ok', 'runt', 'ok', 'mtu', 'ok', 'runt', 'runt', 'ok', 'mtu'];
  for (const k of kinds) b.push(k === 'runt' ? new Uint8Array(6) : ethIpv4Udp(k === 'mtu' ? 400 : 10), 0);
  dp.encap(b);
  const seen: string[] = [];
  const okCount = b.forEachResult(
    (i, batch) => { t.equal(batch, b, 'ok gets the batch'); seen.push(`${i}:ok:${batch.output(i).length}`); },
    (i, st: StatusCode) => { t.equal(st, b.status(i), `status of ${i} as status() reads it`); seen.push(`${i}:${statusName(st)}`); },
  );
  t.equal(okCount, 4, 'returns how many passed');
  t.same(seen, kinds.map((k, i) => (k === 'ok' ? `${i}:ok:${b.output(i).length}` : `${i}:${k}`)), 'every packet once, in order');
  t.ok(b.output(0).length === 50 + 52, 'an OK packet has its encapsulated output');
  t.equal(b.length, kinds.length, 'the batch is left as it was');
  t.equal(b.status(1), Status.RUNT);
});

t.test('an empty batch visits nothing and returns 0', async (t) => {
  const dp = Datapath.create({ localIp: '10.0.0.1', maxPeers: 1, batchSize: 4 });
  const b = dp.batch();
  let calls = 0;
  t.equal(b.forEachResult(() => { calls++; }, () => { calls++; }), 0);
  t.equal(calls, 0);
});

t.test('after clear() and a refill only the new packets are visited', async (t) => {
  const dp = Datapath.create({ localIp: '10.0.0.1', maxPeers: 1, batchSize: 8 });
  dp.setPeer(0, { remoteIp: '10.0.0.2', vni: 7 });
  const b = dp.batch();
  for (let i = 0; i < 8; i++) b.push(new Uint8Array(4), 0);
  dp.encap(b);
  t.equal(b.forEachResult(() => {}, () => {}), 0, 'eight runts');
  b.clear();
  b.push(ethIpv4Udp(20), 0);
  dp.encap(b);
  const idx: number[] = [];
  t.equal(b.forEachResult((i) => idx.push(i), (i) => idx.push(-i - 1)), 1);
  t.same(idx, [0]);
});
