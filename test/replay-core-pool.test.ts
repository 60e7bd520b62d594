// Replay cores kept between replays (src/replay/core-pool.ts): a core given back is handed out again
// only for the same configuration, reset as made (memo empty, no peers, outer IPv4 id 0), and never to
// two takers at once. Replays through the pool against the general path: test/replay-bulk.test.ts.
import t from 'tap';
import { giveBackReplayCore, takeReplayCore } from '../src/replay/core-pool.js';
import { RM_SIZE } from '../bindings/layout.js';

const config = { localIp: '0.0.0.1', hashSeed: 5, batchSize: 64, slotSize: 2048, maxPeers: 4, records: { inputBytes: 1 << 16, outputBytes: 1 << 16 } };

t.test('the same configuration gets the core back, reset; another gets a new one', async (t) => {
  const a = takeReplayCore(config, 64);
  // Leave state behind: a memo entry, a peer, an outer IPv4 id, a packet in the batch.
  a.views.keyU8.fill(7, a.memoAddr, a.memoAddr + 64 * RM_SIZE);
  a.dp.setPeer(2, { remoteIp: '10.0.0.9', vni: 3 });
  a.dp.ipId = 1234;
  a.batch.push(new Uint8Array(60));
  const b = takeReplayCore(config, 64);
  t.not(b, a, 'a core lent out is not handed out again');
  giveBackReplayCore(a);
  giveBackReplayCore(a); // twice: nothing more
  const c = takeReplayCore(config, 64);
  t.equal(c, a, 'given back, then taken again');
  const memo = c.views.keyU8.subarray(c.memoAddr, c.memoAddr + 64 * RM_SIZE);
  t.ok(memo.every((v) => v === 0), 'memo emptied');
  t.equal(c.dp.peer(2), undefined, 'peers cleared');
  t.equal(c.dp.ipId, 0, 'outer IPv4 id back at 0');
  t.equal(c.batch.length, 0, 'batch empty');
  giveBackReplayCore(c);
  const d = takeReplayCore({ ...config, hashSeed: 6 }, 64);
  t.not(d, a, 'another configuration: a core of its own');
  const e = takeReplayCore(config, 128);
  t.not(e, a, 'another memo size: a core of its own');
  giveBackReplayCore(b);
  giveBackReplayCore(d);
  giveBackReplayCore(e);
});
