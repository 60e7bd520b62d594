// The bulk pcap record kernels under the fuzzer (assembly/pcap.ts: pcapIngest, pcapEmit; twin
// src/reference/pcap-records.ts), each in a rig of its own (fuzz/rig.ts: guard gaps around every
// region, the twin on a copy of the window, a second run with the unreadable bytes changed).
//
// pcapIngest: per batch, a classic pcap record stream of as many records as the batch has frames:
// the batch's (mutated) frames, verbatim records of the real captures (in their file's byte order),
// oversize and random records, in any of the six record flavours, with headers that lie (captured
// beyond the original length as a snap length cuts it, an original length below the captured one, a
// captured length that does not match the bytes that follow, fractions of a second past the unit),
// sometimes cut short, poked or followed by garbage; a third of the streams under PF_KEEP_CUT (cut records
// taken as captured, as replay does). It streams through the input area the way
// src/pcap/bulk-records.ts does (append, ingest, on FULL drain the batch, on NEED compact and append,
// end of file last), under hostile control words now and then (headroom, max frame, limit, a stale
// count, counters about to wrap).
//
// pcapEmit: per batch, the encap results of the batch (descriptors and slots as the encap kernel left
// them) with timestamps, some descriptors made hostile and now and then a timestamp past 32 bits;
// emitted into an output area of random size from a random start, taking the output and calling again
// where it stopped, as bulk-records does.
import { DESC_SIZE, D_DATA_LEN, D_OUT_LEN, D_OUT_OFF, D_STATUS, PC_COUNT, PC_ERROR, PC_FLAGS, PC_FRAMES, PC_HEADROOM, PC_LIMIT,
  PC_MAX_FRAME, PC_OK, PC_OUT_USED, PC_OVERSIZE, PC_POS, PC_SIZE, PC_TRUNCATED, PE_SECONDS, PF_BIG_ENDIAN, PF_KEEP_CUT, PF_MODIFIED, PF_NANOS_IN,
  PF_NANOS_OUT, PR_END, PR_ERROR, PR_FULL, PR_NEED, TS_STRIDE } from '../bindings/layout.js';
import { DEFAULT_HEADROOM } from '../bindings/defaults.js';
import { pcapEmitRef, pcapIngestRef, type Prng } from '../src/reference/index.js';
import type { RecordFile } from './frames.js';
import { checkCall, Rig, tallyOutcome, type CallTally, type KernelCall } from './rig.js';

/** Slots of the ingest rig's batch: fewer than a fuzz batch has frames, so that FULL comes often. */
export const INGEST_CAPACITY = 64;
/** The ingest input area: a 65,535-byte snap length's record with a modified header fits. */
export const INPUT_BYTES = 65_536 + 64;
/** The emit output area. */
export const OUTPUT_BYTES = 128 * 1024;
/** Calls on one stream or one batch's results at most (a stream needs a few dozen at worst). */
const MAX_CALLS = 4096;
const PORTS_BYTES = 65536 * 4;
const STOPS = ['full', 'need', 'end', 'error'] as const;
const ERRORS = ['none', 'truncated-header', 'truncated-data', 'absurd-caplen', 'seconds'] as const;

/** What one kernel's calls came to, added into the fuzzer's per-kernel figures. */

type IngestRegions = 'ctl' | 'input' | 'desc' | 'arena' | 'ts';
type EmitRegions = 'ctl' | 'desc' | 'arena' | 'ts' | 'output' | 'ports';

/** The pcap record kernels' part of the fuzzer: its rigs, a stream buffer and random bytes for records. */
export class RecordsFuzz {
  #ingest: Rig<IngestRegions>;
  #emit: Rig<EmitRegions>;
  #stream = new Uint8Array(1 << 20);
  #len = 0;
  readonly #noise: Uint8Array;

  constructor(readonly files: readonly RecordFile[], readonly batch: number, readonly slot: number, r: Prng) {
    this.#ingest = this.#ingestRig();
    this.#emit = this.#emitRig();
    this.#noise = r.bytes(16384);
  }

  #ingestRig(): Rig<IngestRegions> {
    return new Rig({ ctl: PC_SIZE, input: INPUT_BYTES, desc: INGEST_CAPACITY * DESC_SIZE, arena: INGEST_CAPACITY * this.slot, ts: INGEST_CAPACITY * TS_STRIDE });
  }

  #emitRig(): Rig<EmitRegions> {
    return new Rig({ ctl: PC_SIZE, desc: this.batch * DESC_SIZE, arena: this.batch * this.slot, ts: this.batch * TS_STRIDE, output: OUTPUT_BYTES, ports: PORTS_BYTES });
  }

  #put(bytes: Uint8Array): void {
    if (this.#len + bytes.length > this.#stream.length) {
      const grown = new Uint8Array(Math.max(this.#stream.length * 2, this.#len + bytes.length));
      grown.set(this.#stream.subarray(0, this.#len));
      this.#stream = grown;
    }
    this.#stream.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** `n` bytes of noise (a view: the caller copies it). */
  #noiseBytes(r: Prng, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let at = 0; at < n;) {
      const from = r.int(0, this.#noise.length - 1), k = Math.min(n - at, this.#noise.length - from);
      out.set(this.#noise.subarray(from, from + k), at);
      at += k;
    }
    return out;
  }

  /**
   * A record stream of `count` records into the stream buffer; returns its control words. `frame(i)`
   * is the batch's frame i.
   */
  #buildStream(r: Prng, count: number, frame: (i: number) => Uint8Array): { flags: number; h: number; limit: number; unit: number; cut: number } {
    this.#len = 0;
    const real = this.files.length > 0 && r.int(0, 2) === 0 ? this.files[r.int(0, this.files.length - 1)]! : undefined;
    const big = real ? real.bigEndian : r.int(0, 1) === 1;
    const nanos = real ? real.nanos : r.int(0, 2) === 0;
    const modified = real ? real.modified : r.int(0, 3) === 0;
    const h = modified ? 24 : 16;
    const unit = nanos ? 1_000_000_000 : 1_000_000;
    const lim = r.int(0, 31);
    const limit = lim < 28 ? 65535 : lim < 31 ? INPUT_BYTES - h : r.int(0, 3000);
    const head = new Uint8Array(h);
    const dv = new DataView(head.buffer);
    let sec = r.int(0, 7) === 0 ? r.u32() : 1_700_000_000 + r.int(0, 1_000_000);
    let realAt = real ? r.int(0, real.records.length - 1) : 0;
    let cut = 0;
    for (let i = 0; i < count; i++) {
      const pick = r.int(0, 99);
      if (real !== undefined && pick < 35) { this.#put(real.records[realAt++ % real.records.length]!); continue; }
      const payload = pick < 88 ? frame(i) : pick < 94 ? this.#noiseBytes(r, r.int(this.slot - DEFAULT_HEADROOM - 8, 9000)) : this.#noiseBytes(r, r.int(0, 200));
      let caplen = payload.length, orig = caplen, field = caplen;
      const lie = r.int(0, 1999);
      if (lie < 120) { // a snap length cut it (or the original length says so)
        const snap = [14, 54, 68, 96, 128, 200, 1500][r.int(0, 6)]!;
        if (snap < caplen) { caplen = field = snap; } else orig = caplen + r.int(1, 100);
      } else if (lie < 180) orig = r.int(0, caplen); // an original length below the captured one
      else if (lie < 181) { // the captured length does not match the bytes that follow: the stream goes out of step
        const k = r.int(0, 4);
        field = k === 0 ? caplen + r.int(1, 64) : k === 1 ? Math.max(0, caplen - r.int(1, 64)) : k === 2 ? r.u32() : k === 3 ? limit : limit + 1;
      }
      sec = (sec + (r.int(0, 3) === 0 ? 1 : 0)) >>> 0;
      const s = r.int(0, 63) === 0 ? [0, 0xffffffff, r.u32()][r.int(0, 2)]! : sec;
      const frac = r.int(0, 31) === 0 ? r.u32() : r.int(0, unit - 1);
      dv.setUint32(0, s, !big);
      dv.setUint32(4, frac, !big);
      dv.setUint32(8, field >>> 0, !big);
      dv.setUint32(12, orig >>> 0, !big);
      if (modified) for (let k = 16; k < 24; k++) head[k] = r.u32() & 0xff;
      if (orig > caplen) cut++;
      this.#put(head);
      this.#put(payload.subarray(0, caplen));
    }
    const damage = r.int(0, 31);
    if (damage < 3 && this.#len > 0) for (let n = r.int(1, 4); n > 0; n--) this.#stream[r.int(0, this.#len - 1)] = r.u32() & 0xff;
    else if (damage < 5) this.#put(this.#noiseBytes(r, r.int(1, 40)));
    else if (damage < 8) this.#len = r.int(0, this.#len);
    // PF_KEEP_CUT (replay's way): records the capture cut are taken as captured, not skipped.
    const flags = (big ? PF_BIG_ENDIAN : 0) | (nanos ? PF_NANOS_IN : 0) | (modified ? PF_MODIFIED : 0) | (r.int(0, 1) === 0 ? PF_NANOS_OUT : 0)
      | (r.int(0, 2) === 0 ? PF_KEEP_CUT : 0);
    return { flags, h, limit, unit, cut };
  }

  /** pcapIngest over a stream of `count` records (see above); adds into `t` and `tally`. */
  ingest(r: Prng, count: number, frame: (i: number) => Uint8Array, t: CallTally, tally: (k: string, n?: number) => void, fail: (m: string) => void): void {
    const { flags, limit, cut } = this.#buildStream(r, count, frame);
    if ((flags & PF_KEEP_CUT) !== 0) { tally('pcapIngest:keep-cut:streams'); tally('pcapIngest:keep-cut:cut-records', cut); }
    const stream = this.#stream.subarray(0, this.#len);
    const rig = this.#ingest;
    const dv = new DataView(rig.mem.buffer);
    const ctlAt = (): number => rig.regions.ctl.at;
    const word = (off: number): number => dv.getUint32(ctlAt() + off, true);
    const setWord = (off: number, v: number): void => dv.setUint32(ctlAt() + off, v >>> 0, true);
    // The control block as RecordArena.configure() leaves it, hostile now and then.
    rig.view('ctl').fill(0);
    setWord(PC_FLAGS, flags);
    setWord(PC_LIMIT, limit);
    const slotRoom = this.slot - DEFAULT_HEADROOM;
    setWord(PC_MAX_FRAME, r.int(0, 15) === 0 ? r.int(0, this.slot + 100) : r.int(0, 31) === 0 ? r.u32() : slotRoom);
    setWord(PC_HEADROOM, r.int(0, 15) === 0 ? r.int(0, this.slot + 8) : r.int(0, 63) === 0 ? r.u32() : DEFAULT_HEADROOM);
    if (r.int(0, 31) === 0) for (const off of [PC_FRAMES, PC_TRUNCATED, PC_OVERSIZE]) setWord(off, 0xffffffff - r.int(0, 3)); // about to wrap
    const capacity = r.int(0, 15) === 0 ? r.int(8, INGEST_CAPACITY) : INGEST_CAPACITY;
    setWord(PC_COUNT, r.int(0, 15) === 0 ? r.int(0, capacity + 3) : 0);
    const walked0 = [PC_FRAMES, PC_TRUNCATED, PC_OVERSIZE].map(word);
    // Now and then the file comes in small reads: records split across appends.
    const chunk = r.int(0, 31) === 0 ? r.int(1000, 8000) : INPUT_BYTES;
    let off = 0, inputLen = 0, append = true;
    for (let calls = 0; ; calls++) {
      if (calls >= MAX_CALLS) { fail(`pcapIngest: no end after ${MAX_CALLS} calls`); t.disagreements++; break; }
      if (append) {
        const k = Math.min(INPUT_BYTES - inputLen, stream.length - off, chunk);
        rig.mem.set(stream.subarray(off, off + k), rig.regions.input.at + inputLen);
        off += k; inputLen += k;
      }
      const eof = off === stream.length;
      const o = checkCall(rig, r, this.#ingestCall(rig, inputLen, eof, capacity));
      if (!tallyOutcome(o, t, 'pcapIngest', fail)) { this.#ingest = this.#ingestRig(); return; }
      const code = o.result;
      tally(`pcapIngest:stop:${STOPS[code] ?? code}`);
      if (code === PR_FULL) { setWord(PC_COUNT, 0); append = false; continue; } // the batch went on: drained
      if (code === PR_NEED) {
        // Compact, as RecordArena.compact() does; a record larger than the input area cannot come.
        const pos = Math.min(word(PC_POS), inputLen), input = rig.regions.input.at;
        rig.mem.copyWithin(input, input + pos, input + inputLen);
        inputLen -= pos;
        setWord(PC_POS, 0);
        if (inputLen === INPUT_BYTES) { tally('pcapIngest:stuck'); break; }
        append = true;
        continue;
      }
      if (code === PR_ERROR) tally(`pcapIngest:error:${ERRORS[word(PC_ERROR)] ?? word(PC_ERROR)}`);
      else if (code !== PR_END) { fail(`pcapIngest returned ${code}`); t.disagreements++; }
      break;
    }
    const since = (off: number, k: number): number => (word(off) - walked0[k]!) >>> 0;
    tally('pcapIngest:walked', since(PC_FRAMES, 0));
    tally('pcapIngest:skipped:truncated', since(PC_TRUNCATED, 1));
    tally('pcapIngest:skipped:oversize', since(PC_OVERSIZE, 2));
  }

  #ingestCall(rig: Rig<IngestRegions>, inputLen: number, eof: boolean, capacity: number): KernelCall {
    const g = rig.regions, slot = this.slot, mem = rig.mem;
    const dv = new DataView(mem.buffer);
    const count0 = dv.getUint32(g.ctl.at + PC_COUNT, true);
    const pos0 = Math.min(dv.getUint32(g.ctl.at + PC_POS, true), inputLen);
    const headroom = dv.getUint32(g.ctl.at + PC_HEADROOM, true);
    const lo = rig.lo;
    return {
      wasm: () => rig.core.pcapIngest(g.ctl.at, g.input.at, inputLen, eof ? 1 : 0, g.desc.at, g.arena.at, capacity, slot, g.ts.at),
      twin: (m) => pcapIngestRef(m, g.ctl.at - lo, g.input.at - lo, inputLen, eof, g.desc.at - lo, g.arena.at - lo, capacity, slot, g.ts.at - lo),
      // Slots beyond the capacity it was given are not its own.
      guards: capacity < INGEST_CAPACITY ? [
        [g.desc.at + capacity * DESC_SIZE, g.desc.at + g.desc.bytes], [g.arena.at + capacity * slot, g.arena.at + g.arena.bytes],
        [g.ts.at + capacity * TS_STRIDE, g.ts.at + g.ts.bytes]] : [],
      // It reads the control block and the input's unconsumed records, nothing else.
      hide: (v) => {
        mem.fill(v, g.input.at, g.input.at + pos0);
        mem.fill(v, g.input.at + inputLen, g.input.at + g.input.bytes);
        mem.fill(v, g.desc.at, g.desc.at + capacity * DESC_SIZE);
        mem.fill(v, g.arena.at, g.arena.at + capacity * slot);
        mem.fill(v, g.ts.at, g.ts.at + capacity * TS_STRIDE);
      },
      outputs: (tc) => {
        const tv = new DataView(tc.buffer, tc.byteOffset, tc.byteLength);
        const count1 = Math.min(tv.getUint32(g.ctl.at - lo + PC_COUNT, true), capacity);
        const out: [number, number][] = [[g.ctl.at, g.ctl.at + PC_SIZE]];
        for (let i = count0; i < count1; i++) {
          const d = g.desc.at + i * DESC_SIZE;
          out.push([d, d + DESC_SIZE], [g.ts.at + i * TS_STRIDE, g.ts.at + (i + 1) * TS_STRIDE]);
          const s = g.arena.at + i * slot + headroom;
          out.push([s, s + tv.getUint32(d - lo + D_DATA_LEN, true)]);
        }
        return out;
      },
    };
  }

  /**
   * pcapEmit over the results of a batch of `count` packets: `desc` and `arena` as the encap kernel
   * left the batch's descriptors and slots. Adds into `t` and `tally`.
   */
  emit(r: Prng, desc: Uint8Array, arena: Uint8Array, count: number, t: CallTally, tally: (k: string, n?: number) => void, fail: (m: string) => void): void {
    const rig = this.#emit, g = rig.regions, mem = rig.mem, slot = this.slot;
    const dv = new DataView(mem.buffer);
    mem.set(desc.subarray(0, count * DESC_SIZE), g.desc.at);
    mem.set(arena.subarray(0, count * slot), g.arena.at);
    // A few descriptors made hostile: any status, results outside their slot.
    for (let i = 0; i < count; i++) {
      if (r.int(0, 31) !== 0) continue;
      const d = g.desc.at + i * DESC_SIZE;
      const any = (): number => (r.int(0, 1) === 0 ? r.int(0, slot + 64) : r.u32());
      switch (r.int(0, 2)) {
        case 0: dv.setUint16(d + D_STATUS, r.int(0, 1) === 0 ? 0 : r.int(0, 0xffff), true); break;
        case 1: dv.setUint32(d + D_OUT_OFF, any(), true); break;
        default: dv.setUint32(d + D_OUT_LEN, any(), true);
      }
    }
    // Timestamps: seconds counting up, now and then one beyond 32 bits.
    let sec = r.int(0, 7) === 0 ? r.u32() : 1_700_000_000 + r.int(0, 1_000_000);
    const late = r.int(0, 63) === 0 ? r.int(0, count - 1) : -1;
    for (let i = 0; i < count; i++) {
      const t0 = g.ts.at + i * TS_STRIDE;
      sec = (sec + r.int(0, 1)) >>> 0;
      dv.setUint32(t0, sec, true);
      dv.setUint32(t0 + 4, i === late ? r.int(1, 0xffffffff) : 0, true);
      dv.setUint32(t0 + 8, r.int(0, 31) === 0 ? r.u32() : r.int(0, 999_999_999), true);
      dv.setUint32(t0 + 12, r.u32(), true);
    }
    const ctl = g.ctl.at;
    if (r.int(0, 1) === 0) mem.fill(0, ctl, ctl + PC_SIZE); // configure(); else the counters go on
    dv.setUint32(ctl + PC_FLAGS, r.int(0, 1) === 0 ? PF_NANOS_OUT : r.u32() & ~PF_NANOS_OUT, true);
    if (r.int(0, 15) === 0) dv.setUint32(ctl + PC_OK, 0xffffffff - r.int(0, 3), true);
    if (r.int(0, 63) === 0) mem.fill(0, g.ports.at, g.ports.at + PORTS_BYTES);
    const ports = r.int(0, 7) === 0 ? 0 : g.ports.at;
    let outCap = r.int(0, 7) === 0 ? r.int(0, 4096) : OUTPUT_BYTES;
    const used = r.int(0, 15);
    dv.setUint32(ctl + PC_OUT_USED, used === 0 ? r.int(0, outCap) : used === 1 ? r.u32() : 0, true);
    let from = r.int(0, 15) === 0 ? r.int(0, count + 1) : 0;
    if (r.int(0, 7) === 0) { // an output area the next few records fill exactly, or miss by a byte
      let need = 0;
      for (let i = from, k = r.int(1, 8); i < count && k > 0; i++) {
        const d = g.desc.at + i * DESC_SIZE, off = dv.getUint32(d + D_OUT_OFF, true), len = dv.getUint32(d + D_OUT_LEN, true);
        if (dv.getUint16(d + D_STATUS, true) === 0 && off <= slot && len <= slot - off) { need += 16 + len; k--; }
      }
      outCap = Math.min(OUTPUT_BYTES, Math.max(0, need - r.int(0, 1)));
      dv.setUint32(ctl + PC_OUT_USED, 0, true);
    }
    for (let calls = 0; from < count; calls++) {
      if (calls >= MAX_CALLS) { fail(`pcapEmit: no end after ${MAX_CALLS} calls`); t.disagreements++; break; }
      if (calls === 4) outCap = OUTPUT_BYTES;
      const ok0 = dv.getUint32(ctl + PC_OK, true), used0 = dv.getUint32(ctl + PC_OUT_USED, true);
      const o = checkCall(rig, r, this.#emitCall(rig, count, from, outCap, ports));
      if (!tallyOutcome(o, t, 'pcapEmit', fail)) { this.#emit = this.#emitRig(); return; }
      const i = o.result;
      tally('pcapEmit:records', (dv.getUint32(ctl + PC_OK, true) - ok0) >>> 0);
      if (dv.getUint32(ctl + PC_ERROR, true) === PE_SECONDS) { tally('pcapEmit:stop:seconds'); from = i + 1; continue; }
      if (i >= count) { tally('pcapEmit:stop:done'); break; }
      tally('pcapEmit:stop:output-full');
      // Take the output and go on; a record larger than the whole output area is passed over.
      const emptyBefore = used0 === 0;
      dv.setUint32(ctl + PC_OUT_USED, 0, true);
      from = emptyBefore && dv.getUint32(ctl + PC_OK, true) === ok0 ? i + 1 : i;
    }
  }

  #emitCall(rig: Rig<EmitRegions>, count: number, from: number, outCap: number, ports: number): KernelCall {
    const g = rig.regions, slot = this.slot, mem = rig.mem, lo = rig.lo;
    const dv = new DataView(mem.buffer);
    const used0 = dv.getUint32(g.ctl.at + PC_OUT_USED, true);
    const guards: [number, number][] = [
      [g.desc.at + count * DESC_SIZE, g.desc.at + g.desc.bytes], [g.arena.at + count * slot, g.arena.at + g.arena.bytes],
      [g.ts.at + count * TS_STRIDE, g.ts.at + g.ts.bytes], [g.output.at + outCap, g.output.at + g.output.bytes],
    ];
    if (ports === 0) guards.push([g.ports.at, g.ports.at + g.ports.bytes]);
    return {
      wasm: () => rig.core.pcapEmit(g.ctl.at, g.desc.at, g.arena.at, count, slot, g.ts.at, from, g.output.at, outCap, ports),
      twin: (m) => pcapEmitRef(m, g.ctl.at - lo, g.desc.at - lo, g.arena.at - lo, count, slot, g.ts.at - lo, from, g.output.at - lo, outCap, ports === 0 ? 0 : ports - lo),
      guards,
      // It reads the control block, the port counters, descriptors and timestamps from `from` on, and
      // the results of the packets it emits; it writes the output without reading it.
      hide: (v) => {
        const start = Math.min(from, count);
        mem.fill(v, g.desc.at, g.desc.at + start * DESC_SIZE);
        mem.fill(v, g.ts.at, g.ts.at + start * TS_STRIDE);
        mem.fill(v, g.output.at, g.output.at + outCap);
        for (let i = 0; i < count; i++) {
          const s = g.arena.at + i * slot, d = g.desc.at + i * DESC_SIZE;
          const off = dv.getUint32(d + D_OUT_OFF, true), len = dv.getUint32(d + D_OUT_LEN, true);
          if (i >= start && dv.getUint16(d + D_STATUS, true) === 0 && off <= slot && len <= slot - off) {
            mem.fill(v, s, s + off);
            mem.fill(v, s + off + len, s + slot);
          } else mem.fill(v, s, s + slot);
        }
      },
      outputs: (tc) => {
        const used1 = new DataView(tc.buffer, tc.byteOffset, tc.byteLength).getUint32(g.ctl.at - lo + PC_OUT_USED, true);
        const out: [number, number][] = [[g.ctl.at, g.ctl.at + PC_SIZE]];
        if (used0 <= outCap && used1 > used0) out.push([g.output.at + used0, g.output.at + used1]);
        if (ports !== 0) out.push([g.ports.at, g.ports.at + g.ports.bytes]);
        return out;
      },
    };
  }
}
