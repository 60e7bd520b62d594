// Datapath kernels, Wasm against the plain-TS twin in the same run: parse+hash, encap and decap over
// batches of 256, on 64-byte frames and on an IMIX (7:4:1 of 64/576/1500 bytes).
// Wasm timings include all a caller pays per batch except filling frames: the one kernel call, plus
// re-arming the descriptors' forced-port input that encap overwrites with the port it used.
// Beside them the native twins (bench/native/, C over Node-API on the same Wasm memory) of every
// kernel and of the full fast path through each table kind (bench/fastpath.ts); before anything is
// timed, each native kernel must leave exactly the bytes its Wasm kernel leaves.
import { measure, type BenchOptions, type BenchResult, type TaskSpec } from './harness.js';
import type { PacketBatch } from '../bindings/batch.js';
import { DEFAULT_BATCH_SIZE } from '../bindings/defaults.js';
import { Datapath, retransmitTable } from '../bindings/datapath.js';
import { loadNative } from './native.js';
import { FAMILIES, TABLE_KINDS, nativeCall, sameBytes, setupFastpath } from './fastpath.js';
import {
  Mirror, Prng, decapBatchRef, encapBatchRef, ethernet, hashBatchRef, ipv4, tcp, tcpRetransmitsRef, type RefBatch,
} from '../src/reference/index.js';

const BATCH = DEFAULT_BATCH_SIZE;
/** Batches per timed call: one batch takes about a microsecond, too close to the timer's grain. */
const REPS = 16;

const repeat = (fn: () => void): (() => void) => () => { for (let k = 0; k < REPS; k++) fn(); };

/** A TCP/IPv4 frame of exactly `size` bytes on a random flow. */
function frame(r: Prng, size: number): Uint8Array {
  const mac = Uint8Array.from([2, 0, 0, 0, 0, 9]);
  return ethernet(mac, mac, 0x0800, ipv4({ src: r.u32(), dst: r.u32(), proto: 6 }, tcp(r.int(1024, 65535), 443, r.bytes(size - 54))));
}

const MIXES: Record<string, readonly number[]> = {
  '64B': [64],
  IMIX: [64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500],
};

function frames(mix: readonly number[]): Uint8Array[] {
  const r = new Prng(42);
  const sizes = Array.from({ length: BATCH }, (_, i) => mix[i % mix.length]);
  // A fixed shuffle, so large and small frames interleave as on a wire.
  for (let i = sizes.length - 1; i > 0; i--) { const j = r.int(0, i); [sizes[i], sizes[j]] = [sizes[j], sizes[i]]; }
  return sizes.map((s) => frame(r, s));
}

interface Setup { m: Mirror; inner: PacketBatch; outer: PacketBatch; refInner: RefBatch; refOuter: RefBatch }

function setup(mix: readonly number[]): Setup {
  const m = new Mirror({ localIp: '10.0.0.1', batchSize: BATCH, batches: 2, maxPeers: 16 });
  m.setPeer(0, { remoteIp: '10.0.0.2', vni: 42 });
  const inner = m.dp.batch(0);
  const outer = m.dp.batch(1);
  for (const f of frames(mix)) inner.push(f, 0);
  const refInner = m.snapshot(inner);
  m.dp.encap(inner);
  for (let i = 0; i < inner.length; i++) outer.push(inner.output(i), 0);
  const refOuter = m.snapshot(outer);
  for (let i = 0; i < inner.length; i++) inner.setPeer(i, 0, 0);
  return { m, inner, outer, refInner, refOuter };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const tasks: TaskSpec[] = [];
  const checks: string[] = [];
  const nat = loadNative();
  const k = 'kernels' in nat ? nat.kernels : undefined;
  if (!k) process.stderr.write(`datapath bench: native twins skipped: ${'skipped' in nat ? nat.skipped : ''}\n`);
  for (const [label, mix] of Object.entries(MIXES)) {
    const { m, inner, outer, refInner, refOuter } = setup(mix);
    const { dp, state } = m;
    const n = inner.length;
    // The kernels must do real work: every packet of these batches succeeds.
    if (dp.hash(inner) !== n || hashBatchRef(refInner, state) !== n) checks.push(`${label}: hash`);
    if (dp.encap(inner) !== n) checks.push(`${label}: encap`);
    if (encapBatchRef(refInner, state) !== n) checks.push(`${label}: ref encap`);
    if (dp.decap(outer) !== n || decapBatchRef(refOuter, state) !== n) checks.push(`${label}: decap`);
    const native = (kernel: string): { native?: string } => (k ? { native: `${kernel}/native/${label}` } : {});
    tasks.push(
      { name: `parse+hash/ts/${label}`, perCall: n * REPS, fn: repeat(() => { hashBatchRef(refInner, state); }) },
      { name: `parse+hash/wasm/${label}`, perCall: n * REPS, baseline: `parse+hash/ts/${label}`, ...native('parse+hash'), fn: repeat(() => { dp.hash(inner); }) },
      { name: `encap/ts/${label}`, perCall: n * REPS, fn: repeat(() => { encapBatchRef(refInner, state); }) },
      { name: `encap/wasm/${label}`, perCall: n * REPS, baseline: `encap/ts/${label}`, ...native('encap'), fn: repeat(() => { dp.encap(inner); }) },
      { name: `decap/ts/${label}`, perCall: n * REPS, fn: repeat(() => { decapBatchRef(refOuter, state); }) },
      { name: `decap/wasm/${label}`, perCall: n * REPS, baseline: `decap/ts/${label}`, ...native('decap'), fn: repeat(() => { dp.decap(outer); }) },
    );
    // TCP retransmission marks over the same frames, after a first pass: every segment is a repeat,
    // marked unless its flow lost its slot to another of the batch's 256 random flows (about 7% of
    // them in 4096 slots). The twin runs on the same Wasm memory.
    const rt = Datapath.create({ localIp: '10.0.0.1', batchSize: BATCH, maxPeers: 1, retransmitFlows: 4096 });
    const rb = rt.batch();
    for (const f of frames(mix)) rb.push(f, 0);
    rt.hash(rb);
    rt.markRetransmits(rb);
    const rr = rb.region, rtt = retransmitTable(rt)!, rmem = new Uint8Array(rr.memory.buffer);
    const want = tcpRetransmitsRef(rmem.slice(), rr.desc, rr.arena, rb.length, rr.slotSize, rr.marks!, rtt.table, rtt.mask, 0, 0);
    if (want < n * 0.8 || rt.markRetransmits(rb) !== want) checks.push(`${label}: retransmission marks`);
    tasks.push(
      { name: `retransmits/ts/${label}`, perCall: n * REPS, fn: repeat(() => { tcpRetransmitsRef(rmem, rr.desc, rr.arena, rb.length, rr.slotSize, rr.marks!, rtt.table, rtt.mask, 0, 0); }) },
      { name: `retransmits/wasm/${label}`, perCall: n * REPS, baseline: `retransmits/ts/${label}`, fn: repeat(() => { rt.markRetransmits(rb); }) },
    );
    if (k) {
      const nh = nativeCall(k, dp, inner, 'hash'), ne = nativeCall(k, dp, inner, 'encap'), nd = nativeCall(k, dp, outer, 'decap');
      for (const [kernel, w, c] of [['hash', () => dp.hash(inner), nh], ['encap', () => dp.encap(inner), ne], ['decap', () => dp.decap(outer), nd]] as const) {
        const diff = sameBytes(dp, k, w, c);
        if (diff !== undefined) checks.push(`${label}: native ${kernel} differs from wasm: ${diff}`);
      }
      tasks.push(
        { name: `parse+hash/native/${label}`, perCall: n * REPS, fn: repeat(() => { nh(); }) },
        { name: `encap/native/${label}`, perCall: n * REPS, fn: repeat(() => { ne(); }) },
        { name: `decap/native/${label}`, perCall: n * REPS, fn: repeat(() => { nd(); }) },
      );
    }
  }
  // The full fast path through each table kind, IPv4 and IPv6.
  for (const kind of TABLE_KINDS) {
    const { dp, batches } = setupFastpath(kind);
    for (const family of Object.keys(FAMILIES) as (keyof typeof FAMILIES)[]) {
      const b = batches[family];
      const n = b.length;
      if (dp.encap(b) !== n) checks.push(`fastpath ${kind}/${family}: encap`);
      const wasm = `fastpath/wasm/${kind}/${family}`, native = `fastpath/native/${kind}/${family}`;
      tasks.push({ name: wasm, perCall: n * REPS, ...(k ? { native } : {}), fn: repeat(() => { dp.encap(b); }) });
      if (k) {
        const ne = nativeCall(k, dp, b, 'encap');
        const diff = sameBytes(dp, k, () => dp.encap(b), ne);
        if (diff !== undefined) checks.push(`fastpath ${kind}/${family}: native differs from wasm: ${diff}`);
        tasks.push({ name: native, perCall: n * REPS, fn: repeat(() => { ne(); }) });
      }
    }
  }
  if (checks.length > 0) throw new Error(`datapath bench set-up failed: ${checks.join(', ')}`);
  return measure(tasks, opts);
}
