// Path tables at the talk's scale (50k VTEPs x 32 ports, 1% with a failed port): batch lookups of
// flat, PBM and HI in Wasm (one call per 1024 lookups, hashes + peers in, candidates out) against
// their TS twins on the same inputs, for three mixes of flows: towards any VTEP (`all`), towards the
// VTEPs with a failure (`failed`), and only flows whose default port is the failed one (`fallback`,
// every lookup takes the table's failure path). Then the rate of incremental updates (a port fails
// or recovers), into the TS table alone and mirrored into the Wasm table. Last, encapsulation of
// 64-byte frames to random VTEPs through each table against the same without a table (the default
// candidates[hash mod N]), to show what the lookup adds to the datapath.
import { measure, type BenchOptions, type BenchResult, type TaskSpec } from './harness.js';
import { Datapath, DEFAULT_HEADROOM, MIN_SLOT_SIZE } from '../bindings/index.js';
import { SlowPathTable, fastTableFor, createFastTable, type FastTable, type TableKind } from '../src/tables/index.js';
import { Prng } from '../src/reference/prng.js';
import { ethernet, ipv4, udp } from '../src/reference/frames.js';
import type { PacketBatch } from '../bindings/batch.js';

const VTEPS = 50_000;
const PORTS = 32;
const FAILED = 0.01;
const LOOKUPS = 1024;

interface Setup { dp: Datapath; slow: SlowPathTable; table: FastTable | undefined; failed: number[]; failedPort: number[] }

/** Fill a batch with 64-byte UDP frames of random flows to random VTEPs; returns the re-arm step. */
function fillEncap(b: PacketBatch, vteps: number, rng: Prng): void {
  b.clear();
  while (!b.full) {
    const f = ethernet(Uint8Array.of(2, 0, 0, 0, 0, 1), Uint8Array.of(2, 0, 0, 0, 0, 2), 0x0800,
      ipv4({ src: rng.u32(), dst: rng.u32(), proto: 17 }, udp(rng.int(1024, 65535), 53, new Uint8Array(18))));
    b.push(f, rng.u32() % vteps);
  }
}

function setup(kind: TableKind | 'default', vteps: number): Setup {
  // Pools sized for twice the expected failing VTEPs, as a deployment would size them.
  const pool = Math.ceil(vteps * FAILED * 2);
  const dp = Datapath.create({
    localIp: '10.0.0.1', table: kind, maxPeers: vteps, candidates: PORTS, batchSize: LOOKUPS, slotSize: MIN_SLOT_SIZE, headroom: DEFAULT_HEADROOM,
    pbmPrefSlots: pool, hiBlocks: pool,
  });
  const slow = new SlowPathTable();
  for (let v = 0; v < vteps; v++) {
    const p = dp.setPeer(v, { remoteIp: `10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`, vni: 1 });
    slow.addPeer(v, p.candidates);
  }
  const rng = new Prng(42);
  const failed: number[] = [], failedPort: number[] = [];
  for (let v = 0; v < vteps; v++) {
    if (rng.u32() / 2 ** 32 < FAILED) {
      const c = rng.u32() % PORTS;
      failed.push(v); failedPort.push(c);
      slow.setPort(v, c, { healthy: false });
    }
  }
  return { dp, slow, table: kind === 'default' ? undefined : fastTableFor(dp, slow), failed, failedPort };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const vteps = opts.quick ? 5_000 : VTEPS;
  const tasks: TaskSpec[] = [];
  const extras = new Map<string, Record<string, number | string>>();
  for (const kind of ['flat', 'pbm', 'hi', 'redirect'] as const) {
    const s = setup(kind, vteps);
    const table = s.table!;
    const lb = s.dp.lookupBatch();
    lb.length = LOOKUPS;
    const rng = new Prng(7);
    for (const mix of ['all', 'failed', 'fallback'] as const) {
      // Fresh random inputs per mix, copied into the lookup batch before each call (as a caller would fill it).
      const hashes = new Uint32Array(LOOKUPS);
      const peers = new Uint16Array(LOOKUPS);
      for (let i = 0; i < LOOKUPS; i++) {
        const f = rng.u32() % s.failed.length;
        peers[i] = mix === 'all' ? rng.u32() % vteps : s.failed[f]!;
        // PORTS is a power of two: the low bits are the default candidate.
        hashes[i] = mix === 'fallback' ? ((rng.u32() & ~(PORTS - 1)) | s.failedPort[f]!) >>> 0 : rng.u32();
      }
      const out = new Uint16Array(LOOKUPS);
      const ts = `tables/${kind}/ts/${mix}`;
      tasks.push({
        name: ts, perCall: LOOKUPS,
        fn: () => { for (let i = 0; i < LOOKUPS; i++) out[i] = table.select(peers[i]!, hashes[i]!); },
      });
      tasks.push({
        name: `tables/${kind}/wasm/${mix}`, perCall: LOOKUPS, baseline: ts,
        fn: () => { lb.hashes.set(hashes); lb.peers.set(peers); s.dp.lookup(lb); },
      });
      // The two must agree before they are timed.
      lb.hashes.set(hashes); lb.peers.set(peers); s.dp.lookup(lb);
      for (let i = 0; i < LOOKUPS; i++) {
        if (lb.out[i] !== table.select(peers[i]!, hashes[i]!)) throw new Error(`${kind}: wasm and twin disagree at ${i}`);
      }
    }
    // Updates: a healthy port of a random VTEP fails, then recovers (two updates per step).
    const detached = new SlowPathTable();
    const local = createFastTable(kind, detached, { peers: vteps, candidates: PORTS });
    for (let v = 0; v < vteps; v++) detached.addPeer(v, s.slow.candidates(v));
    const STEPS = 256;
    const targets = Array.from({ length: STEPS }, () => [rng.u32() % vteps, rng.u32() % PORTS] as const);
    const flap = (slow: SlowPathTable) => () => {
      for (const [v, c] of targets) { slow.setPort(v, c, { healthy: false }); slow.setPort(v, c, { healthy: true }); }
    };
    const upTs = `tables/${kind}/update/ts`;
    const w0 = local.registerWrites;
    flap(detached)();
    extras.set(upTs, { writesPerUpdate: (local.registerWrites - w0) / (2 * STEPS) });
    tasks.push({ name: upTs, perCall: 2 * STEPS, fn: flap(detached) });
    tasks.push({ name: `tables/${kind}/update/mirrored`, perCall: 2 * STEPS, baseline: upTs, fn: flap(s.slow) });
  }
  // Encapsulation through each table against the default choice (no table), same frames and peers.
  for (const kind of ['default', 'flat', 'pbm', 'hi', 'redirect'] as const) {
    const s = setup(kind, vteps);
    const b = s.dp.batch();
    fillEncap(b, vteps, new Prng(11));
    tasks.push({
      name: `tables/encap/${kind}`, perCall: b.length, ...(kind === 'default' ? {} : { baseline: 'tables/encap/default' }),
      fn: () => { s.dp.encap(b); },
    });
  }
  const results = await measure(tasks, opts);
  for (const r of results) {
    const e = extras.get(r.name);
    if (e) r.extra = e;
  }
  return results;
}
