// The TCP retransmission kernel under the fuzzer (assembly/retransmit.ts: tcpRetransmits; twin
// src/reference/retransmit.ts), in a rig of its own (fuzz/rig.ts) with two flow tables that keep
// their state from batch to batch: a small one (16 entries, so that flows keep taking each other's
// slots) and a large one, the batches taking one or the other at random.
//
// Each batch's frames are mostly TCP segments of a pool of flows (headers of the real captures' TCP
// frames, and generated ones: IPv4 with and without options, IPv6, VLAN tags, TCP options) whose
// sequence numbers repeat, overlap, pass and fall behind what the flow has sent, cross the 2^32 wrap
// and sit on the serial-arithmetic edge (2^31 ahead); pure ACKs, SYN and FIN; the same segment to
// peers whose flows share a slot of the small table. Some are mutated (fuzz/frames.ts), cut a few
// bytes short, or replaced by the batch's own frames. The hash kernel fills the descriptors (key, inner offsets, flow hash),
// then a few are made hostile (status, key, offsets, lengths, peer; a hash copied from another packet,
// or moved to another flow's slot) before both kernels run.
import { DESC_SIZE, D_DATA_LEN, D_DATA_OFF, D_HASH, D_KEY, D_L3_OFF, D_L4_OFF, D_PEER, D_STATUS, KEY_FRAGMENT, KEY_L4,
  RT_ENTRY, RT_PEER, RT_STALLED, RT_TAG, RT_USED } from '../bindings/layout.js';
import { DEFAULT_HEADROOM } from '../bindings/defaults.js';
import { ethernet, ipv4, ipv4Checksum, ipv6, tcp, tcpRetransmitsRef, type Prng, type VlanTag } from '../src/reference/index.js';
import { mutate } from './frames.js';
import { checkCall, Rig, tallyOutcome, type CallTally } from './rig.js';

/** Entries of the two flow tables. */
export const SMALL_FLOWS = 16;
export const LARGE_FLOWS = 4096;
const FLOWS = 96;
const HOT = 12;
const HISTORY = 8;

/** A TCP frame's headers (no payload) and where its IP and TCP headers start. */
interface Template { head: Uint8Array; l3: number; l4: number; v6: boolean }

interface Flow { t: Template; hi: number; peer: number; sent: { seq: number; len: number }[] }

type Regions = 'desc' | 'arena' | 'marks' | 'small' | 'large';

/** The headers of a captured TCP frame (VLAN tags, IPv4 not fragmented or IPv6 without extensions), or undefined. */
export function tcpTemplate(f: Uint8Array): Template | undefined {
  let l3 = 14, type = f.length >= 14 ? (f[12]! << 8) | f[13]! : 0;
  for (let k = 0; k < 2 && (type === 0x8100 || type === 0x88a8) && f.length >= l3 + 4; k++) { type = (f[l3 + 2]! << 8) | f[l3 + 3]!; l3 += 4; }
  let l4: number;
  if (type === 0x0800 && f.length >= l3 + 20 && f[l3]! >> 4 === 4) {
    l4 = l3 + (f[l3]! & 15) * 4;
    if (f[l3 + 9] !== 6 || (((f[l3 + 6]! << 8) | f[l3 + 7]!) & 0x3fff) !== 0 || l4 < l3 + 20) return undefined;
  } else if (type === 0x86dd && f.length >= l3 + 40 && f[l3 + 6] === 6) l4 = l3 + 40;
  else return undefined;
  if (f.length < l4 + 20) return undefined;
  const doff = (f[l4 + 12]! >> 4) * 4;
  if (doff < 20 || f.length < l4 + doff) return undefined;
  return { head: f.slice(0, l4 + doff), l3, l4, v6: type === 0x86dd };
}

/** A generated TCP frame's headers. */
function generatedTemplate(r: Prng): Template {
  const vlans: VlanTag[] = r.int(0, 4) === 0 ? [{ tpid: 0x8100, tci: r.int(0, 0xfff) }] : [];
  let seg = tcp(r.int(1, 0xffff), r.int(1, 0xffff));
  if (r.int(0, 2) === 0) { // TCP options (NOPs and a timestamp): data offset 8
    const o = new Uint8Array(32);
    o.set(seg.subarray(0, 20));
    o[12] = 8 << 4;
    o.set([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], 20);
    seg = o;
  }
  const mac = (): Uint8Array => r.bytes(6);
  const l3 = 14 + 4 * vlans.length;
  if (r.int(0, 2) === 0) return { head: ethernet(mac(), mac(), 0x86dd, ipv6(r.bytes(16), r.bytes(16), 6, seg), vlans), l3, l4: l3 + 40, v6: true };
  const options = r.int(0, 3) === 0 ? new Uint8Array(4 * r.int(1, 10)).fill(1) : undefined;
  const head = ethernet(mac(), mac(), 0x0800, ipv4({ src: r.u32(), dst: r.u32(), proto: 6, id: r.int(0, 0xffff), dontFragment: true, options }, seg), vlans);
  return { head, l3, l4: l3 + 20 + (options?.length ?? 0), v6: false };
}

export class RetransmitsFuzz {
  #rig: Rig<Regions>;
  readonly #flows: Flow[] = [];
  /** The caller's clock (ms, mod 2^32) given to each call: it moves on by a random step, now and then jumps anywhere. */
  #now = 0;
  readonly #noise: Uint8Array;
  /** Flows whose headers come from a captured frame. */
  readonly capturedFlows: number = 0;

  constructor(captured: readonly Uint8Array[], readonly batch: number, readonly slot: number, readonly seed: number, r: Prng) {
    this.#rig = this.#newRig();
    const real = captured.map(tcpTemplate).filter((t): t is Template => t !== undefined);
    for (let k = 0; k < FLOWS; k++) {
      const fromCapture = real.length > 0 && r.int(0, 2) === 0;
      const t = fromCapture ? real[r.int(0, real.length - 1)]! : generatedTemplate(r);
      if (fromCapture) this.capturedFlows++;
      // Start anywhere, near the wrap and the serial-arithmetic edge too.
      const hi = [r.u32(), (0xffffff00 + r.int(0, 255)) >>> 0, (0x7fffff00 + r.int(0, 255)) >>> 0, 0][r.int(0, 3)]!;
      this.#flows.push({ t, hi, peer: r.int(0, 3), sent: [] });
    }
    this.#noise = r.bytes(4096);
  }

  #newRig(): Rig<Regions> {
    const rig = new Rig({ desc: this.batch * DESC_SIZE, arena: this.batch * this.slot, marks: this.batch, small: SMALL_FLOWS * RT_ENTRY, large: LARGE_FLOWS * RT_ENTRY });
    rig.core.setSeed(this.seed);
    return rig;
  }

  /** Write a segment of flow f into buf at `at` (room bytes); returns its length. */
  #segment(r: Prng, f: Flow, buf: Uint8Array, at: number, room: number): number {
    const t = f.t, doff = t.head.length - t.l4;
    const max = Math.max(0, room - t.head.length);
    const size = (): number => Math.min(max, r.int(0, 3) === 0 ? r.int(1, 1460) : r.int(1, 200));
    let seq: number, len: number, flags = 0x18;
    const a = r.int(0, 99);
    const old = f.sent.length > 0 ? f.sent[r.int(0, f.sent.length - 1)]! : undefined;
    if (a < 35 || (a < 50 && old === undefined)) { seq = f.hi; len = size(); } // new data
    else if (a < 50) { seq = old!.seq; len = Math.min(old!.len, max); } // a repeat
    else if (a < 62) { seq = (f.hi - r.int(1, 300)) >>> 0; len = size(); } // overlapping what was sent
    else if (a < 70) { seq = f.hi; len = 0; flags = 0x10; } // a pure ACK
    else if (a < 76) { seq = (f.hi + 0x7fffffff + r.int(-2, 2)) >>> 0; len = Math.min(max, r.int(0, 100)); } // 2^31 ahead
    else if (a < 84) { seq = (f.hi - r.int(1, 0x7fffffff)) >>> 0; len = Math.min(max, r.int(1, 100)); } // far behind
    else { seq = (f.hi + r.int(-2, 2)) >>> 0; len = Math.min(max, r.int(0, 50)); flags = [0x02, 0x12, 0x11, 0x19, 0x04][r.int(0, 4)]!; } // SYN, FIN, RST
    buf.set(t.head, at);
    for (let k = 0; k < len;) { // payload from the noise
      const from = r.int(0, this.#noise.length - 1), n = Math.min(len - k, this.#noise.length - from);
      buf.set(this.#noise.subarray(from, from + n), at + t.head.length + k);
      k += n;
    }
    const l3 = at + t.l3, l4 = at + t.l4;
    if (t.v6) { const pl = doff + len; buf[l3 + 4] = pl >> 8; buf[l3 + 5] = pl & 255; }
    else {
      const total = t.l4 - t.l3 + doff + len, ihl = t.l4 - t.l3;
      buf[l3 + 2] = total >> 8; buf[l3 + 3] = total & 255;
      buf[l3 + 10] = 0; buf[l3 + 11] = 0;
      const c = ipv4Checksum(buf, l3, ihl);
      buf[l3 + 10] = c >> 8; buf[l3 + 11] = c & 255;
    }
    buf[l4 + 4] = seq >>> 24; buf[l4 + 5] = (seq >>> 16) & 255; buf[l4 + 6] = (seq >>> 8) & 255; buf[l4 + 7] = seq & 255;
    buf[l4 + 13] = flags;
    const end = (seq + len) >>> 0;
    if (((end - f.hi) | 0) > 0) f.hi = end;
    if (len > 0) { f.sent.push({ seq, len }); if (f.sent.length > HISTORY) f.sent.shift(); }
    return t.head.length + len;
  }

  /**
   * One batch of `count` segments through tcpRetransmits; `frame(i)` is the batch's own frame i,
   * `pool` frames to splice in mutations. Adds into `t` and `tally`.
   */
  run(r: Prng, count: number, frame: (i: number) => Uint8Array, pool: readonly Uint8Array[], t: CallTally,
    tally: (k: string, n?: number) => void, fail: (m: string) => void): void {
    const rig = this.#rig, g = rig.regions, mem = rig.mem, slot = this.slot, lo = rig.lo;
    const dv = new DataView(mem.buffer);
    const room = slot - DEFAULT_HEADROOM;
    mem.fill(0, g.desc.at, g.desc.at + count * DESC_SIZE);
    for (let i = 0; i < count; i++) {
      const s = g.arena.at + i * slot;
      let len: number, peer: number;
      if (r.int(0, 19) === 0) { // the batch's own frame
        const f = frame(i);
        len = Math.min(f.length, room);
        mem.set(f.subarray(0, len), s + DEFAULT_HEADROOM);
        peer = r.int(0, 3);
      } else {
        const f = this.#flows[r.int(0, 2) === 0 ? r.int(0, FLOWS - 1) : r.int(0, HOT - 1)]!;
        len = this.#segment(r, f, mem, s + DEFAULT_HEADROOM, room);
        const p = r.int(0, 9);
        // The same flow to another peer: 16 apart they share a slot of the small table.
        peer = p > 0 ? f.peer : r.int(0, 3) === 0 ? r.int(0, 0xffff) : (f.peer + 16 * r.int(1, 3)) & 0xffff;
      }
      const damage = r.int(0, 23);
      if (damage < 2) len = mutate(r, mem, s + DEFAULT_HEADROOM, len, room, pool);
      else if (damage === 2) len = Math.max(0, len - r.int(1, 3)); // a few bytes short: the IP length runs just past the frame
      const d = g.desc.at + i * DESC_SIZE;
      dv.setUint32(d + D_DATA_OFF, DEFAULT_HEADROOM, true);
      dv.setUint32(d + D_DATA_LEN, len, true);
      dv.setUint16(d + D_PEER, peer, true);
    }
    // The hash kernel fills status, key, inner offsets and flow hash, as before markRetransmits.
    try { rig.core.hashBatch(g.desc.at, g.arena.at, count, slot); } catch (e) {
      t.traps++; fail(`tcpRetransmits: the hash kernel trapped setting up the batch: ${(e as Error).message}`);
      this.#rig = this.#newRig();
      return;
    }
    const small = r.int(0, 1) === 0;
    const table = small ? g.small : g.large, other = small ? g.large : g.small;
    const mask = (small ? SMALL_FLOWS : LARGE_FLOWS) - 1;
    for (let i = 0; i < count; i++) {
      if (r.int(0, 23) !== 0) continue;
      const d = g.desc.at + i * DESC_SIZE;
      switch (r.int(0, 7)) {
        case 0: dv.setUint16(d + D_STATUS, r.int(0, 1) === 0 ? 0 : r.int(0, 0xffff), true); break;
        case 1: dv.setUint16(d + D_KEY, [KEY_L4, KEY_L4 | KEY_FRAGMENT, r.int(0, 0xffff)][r.int(0, 2)]!, true); break;
        case 2: dv.setUint16(d + D_L3_OFF, r.int(0, 1) === 0 ? r.int(0, 80) : r.int(0, 0xffff), true); break;
        case 3: dv.setUint16(d + D_L4_OFF, r.int(0, 1) === 0 ? r.int(0, 120) : r.int(0, 0xffff), true); break;
        case 4: dv.setUint32(d + D_HASH, dv.getUint32(g.desc.at + r.int(0, count - 1) * DESC_SIZE + D_HASH, true), true); break; // another packet's flow
        case 5: dv.setUint32(d + D_HASH, (dv.getUint32(d + D_HASH, true) + (mask + 1) * r.int(1, 1000)) >>> 0, true); break; // its slot, another tag
        case 6: dv.setUint16(d + D_PEER, r.int(0, 0xffff), true); break;
        default: dv.setUint32(d + (r.int(0, 1) === 0 ? D_DATA_OFF : D_DATA_LEN), r.int(0, 1) === 0 ? r.int(0, slot + 64) : r.u32(), true);
      }
    }
    if (r.int(0, 255) === 0) mem.fill(0, table.at, table.at + table.bytes); // clearRetransmitFlows()
    const before = mem.slice(table.at, table.at + table.bytes);
    this.#now = r.int(0, 63) === 0 ? r.u32() : (this.#now + r.int(0, 300)) >>> 0;
    const now = this.#now, stall = [0, 1, 100, 100, 250, 0xffffffff][r.int(0, 5)]!;
    const o = checkCall(rig, r, {
      wasm: () => rig.core.tcpRetransmits(g.desc.at, g.arena.at, count, slot, g.marks.at, table.at, mask, now, stall),
      twin: (m) => tcpRetransmitsRef(m, g.desc.at - lo, g.arena.at - lo, count, slot, g.marks.at - lo, table.at - lo, mask, now, stall),
      guards: [[g.desc.at + count * DESC_SIZE, g.desc.at + g.desc.bytes], [g.arena.at + count * slot, g.arena.at + g.arena.bytes], [g.marks.at + count, g.marks.at + g.marks.bytes]],
      // It reads the descriptors, its table, and the frames of OK packets keyed to L4 (inside their slots).
      hide: (v) => {
        mem.fill(v, g.marks.at, g.marks.at + count);
        mem.fill(v, other.at, other.at + other.bytes);
        for (let i = 0; i < count; i++) {
          const s = g.arena.at + i * slot, d = g.desc.at + i * DESC_SIZE;
          const off = dv.getUint32(d + D_DATA_OFF, true), len = dv.getUint32(d + D_DATA_LEN, true);
          if (dv.getUint16(d + D_STATUS, true) === 0 && dv.getUint16(d + D_KEY, true) === KEY_L4 && off <= slot && len <= slot - off) {
            mem.fill(v, s, s + off);
            mem.fill(v, s + off + len, s + slot);
          } else mem.fill(v, s, s + slot);
        }
      },
      outputs: () => [[g.marks.at, g.marks.at + count], [table.at, table.at + table.bytes]],
    });
    if (!tallyOutcome(o, t, `tcpRetransmits (${small ? 'small' : 'large'} table)`, fail)) { this.#rig = this.#newRig(); return; }
    tally('tcpRetransmits:marked', o.result);
    let stalled = 0;
    for (let i = 0; i < count; i++) if (mem[g.marks.at + i] === RT_STALLED) stalled++;
    tally('tcpRetransmits:stalled', stalled);
    // Entries taken over by another flow (same slot, another tag or peer).
    const bv = new DataView(before.buffer);
    let evicted = 0;
    for (let e = 0; e < table.bytes; e += RT_ENTRY) {
      if (bv.getUint16(e + RT_USED, true) === 0) continue;
      const a = table.at + e;
      if (dv.getUint32(a + RT_TAG, true) !== bv.getUint32(e + RT_TAG, true) || dv.getUint16(a + RT_PEER, true) !== bv.getUint16(e + RT_PEER, true)) evicted++;
    }
    tally('tcpRetransmits:evicted', evicted);
  }
}
