// A Datapath and its reference twin kept in the same configuration, and the comparison of one Wasm
// kernel run with the twin's run on a snapshot of the same batch. Used by tests and benchmarks.
import { Datapath, type DatapathConfig, type PeerConfig } from '../../bindings/datapath.js';
import type { PacketBatch } from '../../bindings/batch.js';
import { parseMac } from '../../bindings/addr.js';
import { DEFAULT_PEER_MAC } from '../../bindings/defaults.js';
import { type RefBatch, refBatch } from './batch.js';
import { decodeDescriptor, encodeDescriptor, type RefDescriptor } from './descriptor.js';
import { decapBatchRef } from './decap.js';
import { encapBatchRef } from './encap.js';
import { hashBatchRef } from './hash.js';
import { refState, type RefState } from './state.js';

export type Kernel = 'encap' | 'decap' | 'hash';

const FIELDS: readonly (keyof RefDescriptor)[] = [
  'dataOff', 'dataLen', 'outOff', 'outLen', 'hash', 'vni', 'outerSrc', 'outerDst', 'peer', 'sport',
  'status', 'key', 'l3', 'l4', 'cand', 'force',
];

export class Mirror {
  readonly dp: Datapath;
  readonly state: RefState;

  constructor(config: DatapathConfig) {
    this.dp = Datapath.create(config);
    this.state = refState(this.dp.config);
  }

  setPeer(index: number, p: PeerConfig): void {
    const peer = this.dp.setPeer(index, p);
    this.state.peers[index] = {
      remoteIp: peer.remoteIp, mac: parseMac(p.mac ?? DEFAULT_PEER_MAC), vni: peer.vni, candidates: peer.candidates,
    };
  }

  removePeer(index: number): void {
    this.dp.removePeer(index);
    if (index < this.state.peers.length) this.state.peers[index] = undefined;
  }

  set ipId(v: number) { this.dp.ipId = v; this.state.ipId = v & 0xffff; }
  get ipId(): number { return this.state.ipId; }

  /** Copies of the batch's slots and descriptors as they are now. */
  snapshot(b: PacketBatch): RefBatch {
    const slots: Uint8Array[] = [];
    const desc: RefDescriptor[] = [];
    for (let i = 0; i < b.length; i++) { slots.push(b.rawSlot(i).slice()); desc.push(decodeDescriptor(b.descriptor(i))); }
    return refBatch(b.slotSize, slots, desc);
  }

  /** Run `kernel` in Wasm on b and in the twin on a snapshot taken just before. */
  run(kernel: Kernel, b: PacketBatch): { wasm: number; ref: number; twin: RefBatch } {
    const twin = this.snapshot(b);
    const wasm = kernel === 'encap' ? this.dp.encap(b) : kernel === 'decap' ? this.dp.decap(b) : this.dp.hash(b);
    const ref = runRef(kernel, twin, this.state);
    return { wasm, ref, twin };
  }
}

export function runRef(kernel: Kernel, b: RefBatch, s: RefState): number {
  return kernel === 'encap' ? encapBatchRef(b, s) : kernel === 'decap' ? decapBatchRef(b, s) : hashBatchRef(b, s);
}

/**
 * Differences between a Wasm batch and the twin's batch: descriptor fields (all 48 bytes) and every
 * byte of every slot. Empty when they agree.
 */
export function diffBatches(b: PacketBatch, twin: RefBatch, limit = 8): string[] {
  const out: string[] = [];
  if (b.length !== twin.desc.length) out.push(`length ${b.length} vs twin ${twin.desc.length}`);
  for (let i = 0; i < Math.min(b.length, twin.desc.length) && out.length < limit; i++) {
    const wb = b.descriptor(i);
    const rb = encodeDescriptor(twin.desc[i]);
    if (!sameBytes(wb, rb)) {
      const w = decodeDescriptor(wb), r = twin.desc[i];
      for (const f of FIELDS) if (w[f] !== r[f]) out.push(`packet ${i} ${f}: wasm ${w[f]} twin ${r[f]}`);
    }
    const ws = b.rawSlot(i);
    const rs = twin.arena.subarray(i * twin.slotSize, (i + 1) * twin.slotSize);
    for (let k = 0; k < ws.length && out.length < limit; k++) {
      if (ws[k] !== rs[k]) { out.push(`packet ${i} slot byte ${k}: wasm ${ws[k]} twin ${rs[k]}`); break; }
    }
  }
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
