// The full fast path (parse + flow hash + port choice through the table + encap) on 64-byte frames,
// in Wasm and in its native twin on the same memory: one datapath per table kind, 1024 peers of 32
// candidate ports, a fifth of them with failed ports (so table fallbacks run), IPv4 and IPv6 batches
// of 256 frames to random peers. Also the byte-identity check the suite runs before timing.
import { Datapath, DEFAULT_BATCH_SIZE, DEFAULT_HEADROOM, MIN_SLOT_SIZE, type DatapathTable } from '../bindings/index.js';
import { coreImage } from '../bindings/datapath.js';
import type { PacketBatch } from '../bindings/batch.js';
import { SlowPathTable, fastTableFor } from '../src/tables/index.js';
import { Prng } from '../src/reference/prng.js';
import { ethernet, ipv4, ipv6, udp } from '../src/reference/frames.js';
import { attach, type NativeKernels } from './native.js';

/** Row names use `none` for the default choice (candidates[hash mod N], no table). */
export const TABLE_KINDS = ['none', 'flat', 'pbm', 'hi', 'redirect'] as const;
export type TableRow = (typeof TABLE_KINDS)[number];
export const FAMILIES = { '64B': 4, '64B-v6': 6 } as const;

const PEERS = 1024;
const PORTS = 32;
const BATCH = DEFAULT_BATCH_SIZE;

export interface FastpathSetup {
  kind: TableRow;
  dp: Datapath;
  /** Batch 0 holds IPv4 frames, batch 1 IPv6 frames. */
  batches: Record<keyof typeof FAMILIES, PacketBatch>;
}

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1), MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);

/** A 64-byte UDP frame of a random flow: IPv4 (22 payload bytes) or IPv6 (2). */
export function frame64(rng: Prng, family: 4 | 6): Uint8Array {
  const sport = rng.int(1024, 65535);
  if (family === 4) return ethernet(MAC_A, MAC_B, 0x0800, ipv4({ src: rng.u32(), dst: rng.u32(), proto: 17 }, udp(sport, 53, rng.bytes(22))));
  return ethernet(MAC_A, MAC_B, 0x86dd, ipv6(rng.bytes(16), rng.bytes(16), 17, udp(sport, 53, rng.bytes(2))));
}

export function setupFastpath(kind: TableRow, seed = 42): FastpathSetup {
  const table: DatapathTable = kind === 'none' ? 'default' : kind;
  const dp = Datapath.create({
    localIp: '10.0.0.1', table, maxPeers: PEERS, candidates: PORTS, batchSize: BATCH, batches: 2, slotSize: MIN_SLOT_SIZE, headroom: DEFAULT_HEADROOM,
  });
  const slow = new SlowPathTable();
  for (let v = 0; v < PEERS; v++) {
    const p = dp.setPeer(v, { remoteIp: `10.1.${v >> 8}.${v & 255}`, vni: 100 + v });
    slow.addPeer(v, p.candidates);
  }
  if (kind !== 'none') fastTableFor(dp, slow);
  const rng = new Prng(seed);
  // A fifth of the peers lose one to three ports (the tables then steer the flows of those ports).
  for (let v = 0; v < PEERS; v++) {
    if (rng.u32() % 5 !== 0) continue;
    const lost = 1 + (rng.u32() % 3);
    for (let j = 0; j < lost; j++) slow.setPort(v, rng.u32() % PORTS, { healthy: false });
  }
  const fill = (b: PacketBatch, family: 4 | 6): PacketBatch => {
    b.clear();
    while (!b.full) b.push(frame64(rng, family), rng.u32() % PEERS);
    return b;
  };
  return { kind, dp, batches: { '64B': fill(dp.batch(0), 4), '64B-v6': fill(dp.batch(1), 6) } };
}

/** The twins currently point at this datapath (the addon holds one image at a time). */
let attached: Datapath | undefined;
export function ensureAttached(k: NativeKernels, dp: Datapath): void {
  if (attached !== dp) { attach(k, dp); attached = dp; }
}

/**
 * Run `wasm` and `native` from the same memory state and compare: their return values, the whole
 * linear memory afterwards (descriptors and frames) and the next IPv4 identification. Returns a
 * description of the first difference, or undefined when they agree. Leaves the memory as both left it.
 */
export function sameBytes(dp: Datapath, k: NativeKernels, wasm: () => number, native: () => number): string | undefined {
  const mem = new Uint8Array(coreImage(dp).memory.buffer);
  const before = mem.slice();
  const id0 = dp.ipId;
  const nw = wasm();
  const afterWasm = mem.slice();
  const idWasm = dp.ipId;
  mem.set(before);
  dp.ipId = id0;
  attach(k, dp); attached = dp;
  const nn = native();
  if (nw !== nn) return `returned ${nw} (wasm) vs ${nn} (native)`;
  for (let i = 0; i < mem.length; i++) {
    if (mem[i] !== afterWasm[i]) return `byte ${i} differs: ${afterWasm[i]} (wasm) vs ${mem[i]} (native)`;
  }
  if (k.getIpId() !== idWasm) return `next IPv4 id ${idWasm} (wasm) vs ${k.getIpId()} (native)`;
  dp.ipId = idWasm;
  return undefined;
}

/** The native call for one batch of dp's kernel. */
export function nativeCall(k: NativeKernels, dp: Datapath, b: PacketBatch, kernel: 'encap' | 'decap' | 'hash'): () => number {
  const r = b.region;
  const f = kernel === 'encap' ? k.encapBatch : kernel === 'decap' ? k.decapBatch : k.hashBatch;
  return () => { ensureAttached(k, dp); return f(r.desc, r.arena, b.length, r.slotSize); };
}
