// Replay's bulk-path kernels under the fuzzer (assembly/replay.ts: replayKeys, replayMemoInsert,
// replayRetemplate; twin src/reference/replay-keys.ts), in two rigs of their own (fuzz/rig.ts).
//
// replayKeys and replayMemoInsert share a rig (descriptors, slots, timestamps, the 5-tuple memo, keys
// rows) whose memo keeps its state from batch to batch, as replay's does. Each batch's slots hold the
// batch's own (mutated) frames, or frames of a pool of hot flows (captured and generated IPv4 TCP/UDP,
// VLAN tags, IPv4 options; ARP; fragments), so that 5-tuples repeat: memo hits, and misses on a slot
// another tuple holds. Descriptors are hostile now and then (offsets and lengths beyond the slot, any
// u32; lengths below 14, 12 and 6 bytes). Timestamps: near time zero, before it, any u32 or u64 seconds
// (2^64 - 1, past 2^53), any nanoseconds; time zero any double now and then (negative, NaN, infinite,
// fractional). The memo mask is 0 (one slot: every insert evicts), 15, 255, 4095 or any value below
// 4096 (not a power of two); the memo is cleared, filled with random bytes, or planted with tuples
// under odd ids now and then. Before the insert the caller's part is played: misses get flow ids (new
// ones, -1, any i32), some rows made hostile (L4 flag, protocol, the whole row).
//
// replayRetemplate runs on a rig whose one region is the core's peer table (initPeers): peers
// configured by setPeer, cleared, or filled with random bytes (flags of any value), at indices in and
// out of range (any u32), with any local address.
import { DESC_SIZE, D_DATA_LEN, D_DATA_OFF, PEER_SIZE, P_FLAGS, P_SUM, P_TEMPLATE, RK_BIN, RK_DPORT, RK_DST, RK_FAMILY, RK_FLOW,
  RK_L4, RK_PROTO, RK_SIZE, RK_SPORT, RK_SRC, RM_DST, RM_ID, RM_PORTS, RM_PROTO, RM_SIZE, RM_SRC, TS_STRIDE } from '../bindings/layout.js';
import { DEFAULT_HEADROOM, VXLAN_PORT } from '../bindings/defaults.js';
import { ethernet, ipv4, tcp, udp, type Prng, type VlanTag } from '../src/reference/index.js';
import { replayKeysRef, replayMemoInsertRef, replayRetemplateRef } from '../src/reference/replay-keys.js';
import { mutate } from './frames.js';
import { checkCall, Rig, tallyOutcome, type CallTally } from './rig.js';

/** Slots of the memo region; the mask in use is at most MEMO_SLOTS - 1. */
export const MEMO_SLOTS = 4096;
/** Peers of the retemplate rig's table. */
export const RETEMPLATE_PEERS = 8;
/** replayRetemplate calls per batch. */
const RETEMPLATE_CALLS = 4;
const HOT = 48;

type KeysRegions = 'desc' | 'arena' | 'ts' | 'memo' | 'keys';

/**
 * The memo slot of a 5-tuple, as the kernel and its twin compute it. Here only to know which slots a
 * call may read or write (the out-of-bounds read check): a wrong slot here hides a byte the kernel
 * reads, which shows as an out-of-bounds read, never as silence.
 */
function memoSlot(src: number, dst: number, ports: number, proto: number, mask: number): number {
  let h = Math.imul(src ^ Math.imul(dst, 0x85ebca6b), 0x9e3779b1) ^ Math.imul((ports + proto) | 0, 0xc2b2ae35);
  h ^= h >>> 15;
  return (h & mask) >>> 0;
}

/** A hot flow's frame: IPv4 TCP or UDP (VLAN tags, options sometimes), or ARP. */
function hotFrame(r: Prng): Uint8Array {
  const mac = (): Uint8Array => r.bytes(6);
  const vlans: VlanTag[] = r.int(0, 4) === 0 ? [{ tpid: r.int(0, 1) === 0 ? 0x8100 : 0x88a8, tci: r.int(0, 0xfff) }] : [];
  if (r.int(0, 7) === 0) { // ARP: hardware and protocol lengths 6 and 4 (or not)
    const a = new Uint8Array(28);
    a.set([0, 1, 8, 0, r.int(0, 3) === 0 ? r.int(0, 255) : 6, r.int(0, 3) === 0 ? r.int(0, 255) : 4, 0, 1]);
    a.set(r.bytes(20), 8);
    return ethernet(mac(), mac(), 0x0806, a, vlans);
  }
  const sport = r.int(0, 3) === 0 ? r.int(0, 0xffff) : [53, 80, 443, VXLAN_PORT][r.int(0, 3)]!;
  const isTcp = r.int(0, 1) === 0;
  const seg = isTcp ? tcp(sport, r.int(0, 0xffff)) : udp(sport, r.int(0, 0xffff), r.bytes(r.int(0, 32)));
  const options = r.int(0, 5) === 0 ? new Uint8Array(4 * r.int(1, 10)).fill(1) : undefined;
  const fragment = r.int(0, 15) === 0;
  return ethernet(mac(), mac(), 0x0800, ipv4({
    src: r.int(0, 3) === 0 ? r.u32() : (0x0a000000 | r.int(0, 15)) >>> 0, dst: r.int(0, 3) === 0 ? r.u32() : (0xc0a80000 | r.int(0, 15)) >>> 0,
    proto: isTcp ? 6 : 17, id: r.int(0, 0xffff), dontFragment: !fragment,
    moreFragments: fragment, fragOffset: fragment ? r.int(0, 100) : 0, options,
  }, seg), vlans);
}

export class ReplayFuzz {
  #keys: Rig<KeysRegions>;
  #peers: Rig<'peers'>;
  #mask = 15;
  #nextId = 0;
  /** Rows the keys region holds from the last batch. */
  #lastCount = 0;
  readonly #hot: Uint8Array[] = [];

  /** `captured`: the corpus's captured frames (their IPv4 TCP/UDP ones join the hot flows). */
  constructor(captured: readonly Uint8Array[], readonly batch: number, readonly slot: number, r: Prng) {
    this.#keys = this.#keysRig();
    this.#peers = this.#peersRig();
    const real = captured.filter((f) => f.length >= 38 && f[12] === 0x08 && f[13] === 0x00 && (f[23] === 6 || f[23] === 17));
    for (let k = 0; k < HOT; k++) this.#hot.push(real.length > 0 && r.int(0, 2) === 0 ? real[r.int(0, real.length - 1)]! : hotFrame(r));
  }

  #keysRig(): Rig<KeysRegions> {
    return new Rig({ desc: this.batch * DESC_SIZE, arena: this.batch * this.slot, ts: this.batch * TS_STRIDE, memo: MEMO_SLOTS * RM_SIZE, keys: this.batch * RK_SIZE });
  }

  #peersRig(): Rig<'peers'> {
    // The peer table is reserved by the core itself (initPeers), where the region would have been.
    return new Rig({ peers: RETEMPLATE_PEERS * PEER_SIZE }, {
      peers: (c) => { const at = c.reserve(0); return at !== 0 && c.initPeers(RETEMPLATE_PEERS) !== 0 ? at : 0; },
    });
  }

  /**
   * One batch of `count` packets through replayKeys, then replayMemoInsert on the rows it wrote.
   * `frame(i)` is the batch's frame i, `pool` frames to splice in mutations. Adds into the tallies.
   */
  keys(r: Prng, count: number, frame: (i: number) => Uint8Array, pool: readonly Uint8Array[], tk: CallTally, ti: CallTally,
    tally: (k: string, n?: number) => void, fail: (m: string) => void): void {
    const rig = this.#keys, g = rig.regions, mem = rig.mem, slot = this.slot, lo = rig.lo;
    const dv = new DataView(mem.buffer);
    const room = slot - DEFAULT_HEADROOM;
    // ---- frames and descriptors ----
    for (let i = 0; i < count; i++) {
      const s = g.arena.at + i * slot;
      const f = r.int(0, 1) === 0 ? frame(i) : this.#hot[r.int(0, HOT - 1)]!;
      let len = Math.min(f.length, room);
      mem.set(f.subarray(0, len), s + DEFAULT_HEADROOM);
      if (r.int(0, 7) === 0) len = mutate(r, mem, s + DEFAULT_HEADROOM, len, room, pool);
      let off = DEFAULT_HEADROOM;
      const h = r.int(0, 31);
      if (h === 0) { off = r.int(0, 1) === 0 ? r.u32() : r.int(0, slot + 64); len = r.int(0, 1) === 0 ? r.u32() : r.int(0, slot + 64); }
      else if (h === 1) len = r.int(0, 15); // runts: below 14, 12 and 6 bytes
      else if (h === 2) len = room + r.int(0, 1); // the slot's end, or a byte past it
      else if (h === 3) { off = slot - r.int(0, 1); len = r.int(0, 1); } // an empty frame at the slot's end
      const d = g.desc.at + i * DESC_SIZE;
      for (let k = 0; k < DESC_SIZE; k += 4) dv.setUint32(d + k, r.u32(), true); // fields it must not read
      dv.setUint32(d + D_DATA_OFF, off >>> 0, true);
      dv.setUint32(d + D_DATA_LEN, len >>> 0, true);
    }
    // ---- timestamps and time zero ----
    const t0 = r.int(0, 3) === 0 ? r.u32() : 1_700_000_000 + r.int(0, 1_000_000);
    const t0n = r.int(0, 999_999_999);
    const z = r.int(0, 31);
    const t0Sec = z === 0 ? [-1e300, Number.NaN, Infinity, -Infinity, 2 ** 64, 2 ** 53 + 2, t0 + 0.5, -t0][r.int(0, 7)]! : t0;
    const t0Nsec = z === 1 ? [Number.NaN, -1, 1e20, Infinity, r.u32(), 0.25][r.int(0, 5)]! : t0n;
    let sec = t0;
    for (let i = 0; i < count; i++) {
      const t = g.ts.at + i * TS_STRIDE;
      if (r.int(0, 3) === 0) sec += 1;
      const w = r.int(0, 31);
      let s: bigint;
      if (w === 0) s = [0n, (1n << 64n) - 1n, (1n << 63n), (1n << 53n) + 1n, BigInt(r.u32()) << 32n | BigInt(r.u32()), BigInt(r.u32())][r.int(0, 5)]!;
      else if (w === 1) s = BigInt(Math.max(0, sec - r.int(1, 100))); // before time zero
      else if (w === 2) { // a bin at 2^32 - 2 .. 2^32: where the bin saturates
        s = BigInt(t0 + 429_496_729);
        dv.setUint32(t + 8, t0n + r.int(4, 6) * 100_000_000 + r.int(-2, 2) * (r.int(0, 1) === 0 ? 1 : 1_000_000), true);
        dv.setUint32(t + 12, r.u32(), true);
        dv.setBigUint64(t, s, true);
        continue;
      }
      else s = BigInt(sec);
      dv.setBigUint64(t, s, true);
      dv.setUint32(t + 8, r.int(0, 15) === 0 ? r.u32() : r.int(0, 999_999_999), true);
      dv.setUint32(t + 12, r.u32(), true); // pad: not to be read
    }
    // ---- the memo: its mask, and hostile contents now and then ----
    if (r.int(0, 15) === 0) this.#mask = [0, 15, 15, 255, 4095, r.int(0, MEMO_SLOTS - 1)][r.int(0, 5)]!;
    const mask = this.#mask;
    const memoBytes = (mask + 1) * RM_SIZE;
    const m = r.int(0, 127);
    if (m === 0) mem.fill(0, g.memo.at, g.memo.at + g.memo.bytes);
    else if (m === 1) for (let a = g.memo.at; a < g.memo.at + memoBytes; a += 4) dv.setUint32(a, r.u32(), true);
    else if (m < 12) { // tuples of the last batch's L4 rows (hot flows recur) planted in their own slot or another, under odd ids or protocols
      const rows: number[] = [];
      for (let i = 0; i < this.#lastCount; i++) if (mem[g.keys.at + i * RK_SIZE + RK_L4] === 1) rows.push(g.keys.at + i * RK_SIZE);
      for (let n = r.int(1, 8); n > 0; n--) {
        const k = rows.length > 0 && r.int(0, 3) > 0 ? rows[r.int(0, rows.length - 1)]! : -1;
        const src = k < 0 ? r.u32() : dv.getUint32(k + RK_SRC, true), dst = k < 0 ? r.u32() : dv.getUint32(k + RK_DST, true);
        const ports = k < 0 ? r.u32() : ((dv.getUint16(k + RK_SPORT, true) << 16) | dv.getUint16(k + RK_DPORT, true)) >>> 0;
        const p0 = k < 0 ? 6 : mem[k + RK_PROTO]!;
        const proto = [p0, p0, p0 + 256, p0 ^ 0x80000000, r.u32()][r.int(0, 4)]!;
        const at = g.memo.at + (r.int(0, 1) === 0 ? memoSlot(src, dst, ports, proto & 255, mask) : r.int(0, mask)) * RM_SIZE;
        dv.setUint32(at + RM_SRC, src, true); dv.setUint32(at + RM_DST, dst, true); dv.setUint32(at + RM_PORTS, ports, true);
        dv.setUint32(at + RM_PROTO, proto >>> 0, true); dv.setUint32(at + RM_ID, [0, 1, 0xffffffff, 0x80000000, r.u32()][r.int(0, 4)]!, true);
      }
    }
    // Keys rows: anything before the call (it writes every byte of rows [0, count)).
    for (let a = g.keys.at; a < g.keys.at + count * RK_SIZE; a += 4) dv.setUint32(a, r.u32(), true);

    // ---- replayKeys ----
    const slotOf = (v: DataView, k: number): number => memoSlot(v.getUint32(k + RK_SRC, true), v.getUint32(k + RK_DST, true),
      ((v.getUint16(k + RK_SPORT, true) << 16) | v.getUint16(k + RK_DPORT, true)) >>> 0, v.getUint8(k + RK_PROTO), mask);
    const twinView = (): DataView => new DataView(rig.twinCopy.buffer, rig.twinCopy.byteOffset, rig.twinCopy.byteLength);
    const o = checkCall(rig, r, {
      wasm: () => rig.core.replayKeys(g.desc.at, g.arena.at, count, slot, g.ts.at, t0Sec, t0Nsec, g.memo.at, mask, g.keys.at),
      twin: (c) => replayKeysRef(c, g.desc.at - lo, g.arena.at - lo, count, slot, g.ts.at - lo, t0Sec, t0Nsec, g.memo.at - lo, mask, g.keys.at - lo),
      guards: [[g.desc.at + count * DESC_SIZE, g.desc.at + g.desc.bytes], [g.arena.at + count * slot, g.arena.at + g.arena.bytes],
        [g.ts.at + count * TS_STRIDE, g.ts.at + g.ts.bytes], [g.keys.at + count * RK_SIZE, g.keys.at + g.keys.bytes], [g.memo.at + memoBytes, g.memo.at + g.memo.bytes]],
      // It reads each descriptor's data offset and length, the frame inside its slot, the timestamp's
      // first 12 bytes, and the memo slot of each L4 row (known from the twin's rows); it writes the rows.
      hide: (v) => {
        const tv = twinView();
        const memo = new Uint8Array(mask + 1);
        for (let i = 0; i < count; i++) {
          const d = g.desc.at + i * DESC_SIZE, s = g.arena.at + i * slot, t = g.ts.at + i * TS_STRIDE;
          const off = dv.getUint32(d + D_DATA_OFF, true), len = dv.getUint32(d + D_DATA_LEN, true);
          mem.fill(v, d, d + D_DATA_OFF); mem.fill(v, d + D_DATA_OFF + 4, d + D_DATA_LEN); mem.fill(v, d + D_DATA_LEN + 4, d + DESC_SIZE);
          if (off <= slot && len <= slot - off) { mem.fill(v, s, s + off); mem.fill(v, s + off + len, s + slot); } else mem.fill(v, s, s + slot);
          mem.fill(v, t + 12, t + TS_STRIDE);
          const k = g.keys.at - lo + i * RK_SIZE;
          if (tv.getUint8(k + RK_L4) !== 0) memo[slotOf(tv, k)] = 1;
        }
        mem.fill(v, g.keys.at, g.keys.at + count * RK_SIZE);
        for (let sl = 0; sl <= mask; sl++) if (memo[sl] === 0) mem.fill(v, g.memo.at + sl * RM_SIZE, g.memo.at + (sl + 1) * RM_SIZE);
      },
      outputs: () => [[g.keys.at, g.keys.at + count * RK_SIZE]],
    });
    if (!tallyOutcome(o, tk, 'replayKeys', fail)) { this.#keys = this.#keysRig(); this.#lastCount = 0; return; }
    this.#lastCount = count;
    tally('replayKeys:hits', o.result);
    let collisions = 0, saturated = 0, binned = 0, l4 = 0;
    const fam: Record<number, number> = {};
    for (let i = 0; i < count; i++) {
      const k = g.keys.at + i * RK_SIZE;
      const f = mem[k + RK_FAMILY]!;
      fam[f] = (fam[f] ?? 0) + 1;
      const bin = dv.getUint32(k + RK_BIN, true);
      if (bin === 0xffffffff) saturated++; else if (bin > 0) binned++;
      if (mem[k + RK_L4] === 1) {
        l4++;
        const sl = g.memo.at + slotOf(dv, k) * RM_SIZE;
        if (dv.getInt32(k + RK_FLOW, true) < 0 && dv.getUint32(sl + RM_ID, true) !== 0) collisions++;
      }
    }
    for (const f of Object.keys(fam)) tally(`replayKeys:family:${f}`, fam[Number(f)]);
    tally('replayKeys:l4', l4);
    tally('replayKeys:collisions', collisions);
    tally('replayKeys:bin-saturated', saturated);
    tally('replayKeys:binned', binned);

    // ---- the caller's part: flow ids for the misses, some rows hostile ----
    for (let i = 0; i < count; i++) {
      const k = g.keys.at + i * RK_SIZE;
      const h = r.int(0, 63);
      if (h === 0) { for (let a = k; a < k + RK_SIZE; a += 4) dv.setUint32(a, r.u32(), true); continue; }
      if (h === 1) mem[k + RK_L4] = r.int(0, 255);
      else if (h === 2) mem[k + RK_PROTO] = r.int(0, 255);
      const id = dv.getInt32(k + RK_FLOW, true);
      const p = r.int(0, 15);
      if (id >= 0 && p > 0) continue; // a hit keeps its id (inserted again: the same slot, the same bytes)
      // Replay numbers its flows from 0: new ids count up (and start again from 0 now and then).
      if (r.int(0, 1023) === 0) this.#nextId = 0;
      const next = (): number => { const v = this.#nextId; this.#nextId = (v + 1) & 0x7fffffff; return v; };
      dv.setInt32(k + RK_FLOW, p < 9 ? next() : p < 11 ? r.int(0, 3) : p < 13 ? -1 : p < 14 ? [0x7fffffff, -0x80000000][r.int(0, 1)]! : r.u32() | 0, true);
    }
    const n = r.int(0, 7) === 0 ? r.int(0, count) : count;
    let full = true;
    for (let sl = 0; sl <= mask && full; sl++) if (dv.getUint32(g.memo.at + sl * RM_SIZE + RM_ID, true) === 0) full = false;
    if (full) tally('replayMemoInsert:full-memo');
    const before = mem.slice(g.memo.at, g.memo.at + memoBytes);
    const written = (v: DataView, base: number): Uint8Array => {
      const w = new Uint8Array(mask + 1);
      for (let i = 0; i < n; i++) {
        const k = base + i * RK_SIZE;
        if (v.getUint8(k + RK_L4) !== 0 && v.getInt32(k + RK_FLOW, true) >= 0) w[slotOf(v, k)] = 1;
      }
      return w;
    };
    const io = checkCall(rig, r, {
      wasm: () => rig.core.replayMemoInsert(g.memo.at, mask, g.keys.at, n),
      twin: (c) => replayMemoInsertRef(c, g.memo.at - lo, mask, g.keys.at - lo, n),
      guards: [[g.keys.at + n * RK_SIZE, g.keys.at + g.keys.bytes], [g.memo.at + memoBytes, g.memo.at + g.memo.bytes]],
      // It reads each row's flow id and L4 flag, the tuple of the rows it inserts; it writes their memo
      // slots without reading them. Nothing else (descriptors, slots, timestamps).
      hide: (v) => {
        for (let i = 0; i < n; i++) {
          const k = g.keys.at + i * RK_SIZE;
          const takes = mem[k + RK_L4] !== 0 && dv.getInt32(k + RK_FLOW, true) >= 0;
          if (!takes) { mem.fill(v, k + RK_SRC, k + RK_L4); mem.fill(v, k + RK_SPORT, k + RK_SIZE); mem[k + RK_L4 + 1] = v; }
          else { mem[k + RK_FAMILY] = v; mem[k + RK_L4 + 1] = v; mem.fill(v, k + RK_BIN, k + RK_BIN + 4); }
        }
        mem.fill(v, g.memo.at, g.memo.at + memoBytes); // written, never read
        mem.fill(v, g.desc.at, g.desc.at + g.desc.bytes); mem.fill(v, g.arena.at, g.arena.at + g.arena.bytes); mem.fill(v, g.ts.at, g.ts.at + g.ts.bytes);
      },
      outputs: () => {
        const w = written(twinView(), g.keys.at - lo), out: [number, number][] = [];
        for (let sl = 0; sl <= mask; sl++) if (w[sl] === 1) out.push([g.memo.at + sl * RM_SIZE, g.memo.at + (sl + 1) * RM_SIZE]);
        return out;
      },
    });
    if (!tallyOutcome(io, ti, 'replayMemoInsert', fail)) { this.#keys = this.#keysRig(); this.#lastCount = 0; return; }
    tally('replayMemoInsert:written', io.result);
    tally('replayMemoInsert:skipped', n - io.result);
    // Slots that held another tuple's flow before (evicted) and now hold the row's.
    const bv = new DataView(before.buffer);
    let evicted = 0;
    for (let sl = 0; sl <= mask; sl++) {
      const a = sl * RM_SIZE;
      if (bv.getUint32(a + RM_ID, true) === 0) continue;
      const b = g.memo.at + a;
      if ([RM_SRC, RM_DST, RM_PORTS, RM_PROTO].some((f) => bv.getUint32(a + f, true) !== dv.getUint32(b + f, true))) evicted++;
    }
    tally('replayMemoInsert:evicted', evicted);
  }

  /** replayRetemplate on hostile peer rows and indices (RETEMPLATE_CALLS calls); adds into `t` and `tally`. */
  retemplate(r: Prng, t: CallTally, tally: (k: string, n?: number) => void, fail: (m: string) => void): void {
    const rig = this.#peers, g = rig.regions.peers, mem = rig.mem, lo = rig.lo, core = rig.core;
    const dv = new DataView(mem.buffer);
    for (let p = 0; p < RETEMPLATE_PEERS; p++) {
      const h = r.int(0, 15), row = g.at + p * PEER_SIZE;
      if (h === 0) core.setPeer(p, r.u32(), r.u32(), r.int(0, 0xffff), r.int(0, 0xffffff), r.int(1, 64));
      else if (h === 1) mem.fill(0, row, row + PEER_SIZE);
      else if (h === 2) for (let a = row; a < row + PEER_SIZE; a += 4) dv.setUint32(a, r.u32(), true);
      else if (h === 3) dv.setUint16(row + P_FLAGS, r.int(0, 3) === 0 ? 0 : r.int(1, 0xffff), true);
    }
    for (let c = 0; c < RETEMPLATE_CALLS; c++) {
      const x = r.int(0, 15);
      const i = x < 12 ? r.int(0, RETEMPLATE_PEERS - 1) : x < 14 ? RETEMPLATE_PEERS + r.int(0, 3) : x < 15 ? 0xffffffff : r.u32();
      const ip = [r.u32(), r.u32(), 0, 0xffffffff][r.int(0, 3)]!;
      const row = g.at + i * PEER_SIZE;
      const configured = i < RETEMPLATE_PEERS && dv.getUint16(row + P_FLAGS, true) !== 0;
      const o = checkCall(rig, r, {
        wasm: () => core.replayRetemplate(i, ip),
        twin: (m) => (replayRetemplateRef(m, g.at - lo, RETEMPLATE_PEERS, i, ip) ? 1 : 0),
        guards: [],
        // It reads the row's flags and, for a configured peer, template bytes 14-34 (IPv4 header).
        hide: (v) => {
          if (!configured) { mem.fill(v, g.at, g.at + g.bytes); if (i < RETEMPLATE_PEERS) dv.setUint16(row + P_FLAGS, 0, true); return; }
          mem.fill(v, g.at, row + P_FLAGS); mem.fill(v, row + P_FLAGS + 2, row + P_TEMPLATE + 14);
          mem.fill(v, row + P_TEMPLATE + 34, g.at + g.bytes);
        },
        outputs: () => (configured ? [[row + P_SUM, row + P_SUM + 4], [row + P_TEMPLATE + 14, row + P_TEMPLATE + 34]] : []),
      });
      if (!tallyOutcome(o, t, 'replayRetemplate', fail)) { this.#peers = this.#peersRig(); return; }
      tally(o.result === 1 ? 'replayRetemplate:done' : i < RETEMPLATE_PEERS ? 'replayRetemplate:unconfigured' : 'replayRetemplate:out-of-range');
    }
  }
}
