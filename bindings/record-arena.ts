// RecordArena: the Wasm-side regions for classic pcap records in bulk (assembly/pcap.ts). The file's
// bytes are copied in by the chunk, Datapath.ingestRecords() walks them into batch 0, and
// Datapath.emitRecords() encodes the batch's results as records into the output area, which is
// copied out by the chunk: JS makes a few calls per batch and none per frame.
import {
  PC_ARG_A, PC_ARG_B, PC_COUNT, PC_ERROR, PC_FLAGS, PC_FRAMES, PC_HEADROOM, PC_LIMIT, PC_MAX_FRAME, PC_OK, PC_OUT_USED,
  PC_OVERSIZE, PC_POS, PC_STATUS, PC_STATUS_SLOTS, PC_TRUNCATED, PF_BIG_ENDIAN, PF_MODIFIED, PF_NANOS_IN, PF_NANOS_OUT, PF_KEEP_CUT, TS_STRIDE,
  PR_FULL, PR_NEED, PR_END, PR_ERROR, PE_NONE, PE_TRUNCATED_HEADER, PE_TRUNCATED_DATA, PE_ABSURD_CAPLEN, PE_SECONDS,
} from './layout.js';

/** Why Datapath.ingestRecords() stopped. */
export const IngestStop = {
  /** Batch 0 is full: drain it, then call again. */
  FULL: PR_FULL,
  /** The next record is not whole in the input: RecordArena.argA bytes are needed from its position. */
  NEED: PR_NEED,
  /** The input ended (eof) at a record boundary. */
  END: PR_END,
  /** A broken record at RecordArena.pos: RecordArena.error says which (a RecordFault). */
  ERROR: PR_ERROR,
} as const;

/** What was wrong, after IngestStop.ERROR or a short Datapath.emitRecords(); figures in RecordArena.argA / argB. */
export const RecordFault = {
  NONE: PE_NONE,
  /** Input ended inside a record header: argA bytes of argB present. */
  TRUNCATED_HEADER: PE_TRUNCATED_HEADER,
  /** Input ended inside a record's data: argA bytes announced, argB present. */
  TRUNCATED_DATA: PE_TRUNCATED_DATA,
  /** Capture length argA above the limit. */
  ABSURD_CAPLEN: PE_ABSURD_CAPLEN,
  /** Emit: batch index argA has seconds a classic record cannot hold (RecordArena.tsSec). */
  SECONDS: PE_SECONDS,
} as const;

/** Where a RecordArena lives in Wasm memory; reserved by Datapath.create() (DatapathConfig.records). */
export interface RecordRegion {
  readonly memory: WebAssembly.Memory;
  /** Control block (PC_* words). */
  readonly ctl: number;
  readonly input: number;
  readonly inputCap: number;
  readonly output: number;
  readonly outputCap: number;
  /** Per batch-0 index: TS_STRIDE bytes of timestamp. */
  readonly ts: number;
  /** u32[65536]: records emitted per outer source port. */
  readonly ports: number;
}

/** How the input's records are laid out and how the output's are written (RecordArena.configure()). */
export interface RecordFormat {
  /** The input's record headers are big-endian. */
  bigEndian: boolean;
  /** The input's fractions are nanoseconds (else microseconds). */
  nanosIn: boolean;
  /** 24-byte record headers (the modified pcap, magic a1b2cd34), else 16. */
  modified: boolean;
  /** Write nanosecond fractions (else microseconds). */
  nanosOut: boolean;
  /** Largest capture length accepted; a larger one is an error (absurd capture length). */
  limit: number;
  /** Longer frames are skipped and counted as oversize (the slot bounds it too). */
  maxFrame: number;
  /** Take records cut by the capture (caplen < origlen) as captured instead of skipping them as truncated (replay). */
  keepCut?: boolean;
}

/**
 * Input and output areas for classic pcap records in a Datapath's Wasm memory, with the control block
 * its record kernels share (counters accumulate over a whole capture). Fill the input with append(),
 * let Datapath.ingestRecords() walk it, compact() what is left of a partial record, and take the
 * encoded output with takeOutput(). Views are into Wasm memory, which never grows after set-up.
 */
export class RecordArena {
  /** Where it lives (for Datapath's kernel calls). */
  readonly region: RecordRegion;
  #u8: Uint8Array;
  #u32: Uint32Array;
  /** Bytes of the input area in use: [0, inputLen). */
  inputLen = 0;

  /** @internal Made by Datapath for its reserved regions. */
  constructor(region: RecordRegion) {
    this.region = region;
    this.#u8 = new Uint8Array(region.memory.buffer);
    this.#u32 = new Uint32Array(region.memory.buffer);
  }

  #views(): void {
    if (this.#u8.byteLength === 0) {
      this.#u8 = new Uint8Array(this.region.memory.buffer);
      this.#u32 = new Uint32Array(this.region.memory.buffer);
    }
  }

  #word(off: number): number { this.#views(); return this.#u32[(this.region.ctl + off) >>> 2]; }
  #set(off: number, v: number): void { this.#views(); this.#u32[(this.region.ctl + off) >>> 2] = v >>> 0; }

  /** Start a capture: its format, the slot headroom of the batch; counters, input and output emptied. */
  configure(f: RecordFormat, headroom: number): void {
    this.#views();
    const r = this.region;
    this.#u8.fill(0, r.ctl, r.ctl + PC_STATUS + PC_STATUS_SLOTS * 4);
    this.#u8.fill(0, r.ports, r.ports + 65536 * 4);
    const flags = (f.bigEndian ? PF_BIG_ENDIAN : 0) | (f.nanosIn ? PF_NANOS_IN : 0) | (f.modified ? PF_MODIFIED : 0) | (f.nanosOut ? PF_NANOS_OUT : 0) | (f.keepCut ? PF_KEEP_CUT : 0);
    this.#set(PC_FLAGS, flags);
    this.#set(PC_LIMIT, Math.min(f.limit, 0xffffffff));
    this.#set(PC_MAX_FRAME, Math.min(f.maxFrame, 0xffffffff));
    this.#set(PC_HEADROOM, headroom);
    this.inputLen = 0;
  }

  /** Copy as much of src[start, start + len) as fits after the input in use; returns the bytes copied. */
  append(src: Uint8Array, start: number, len: number): number {
    this.#views();
    const k = Math.min(len, this.region.inputCap - this.inputLen);
    if (k > 0) this.#u8.set(src.subarray(start, start + k), this.region.input + this.inputLen);
    this.inputLen += k;
    return k;
  }

  /**
   * The free part of the input area, [inputLen, inputCap), as a view: to read bytes straight into
   * (then appended(n)) rather than append() a copy. Valid until the next call that could move memory.
   */
  inputRoom(): Uint8Array {
    this.#views();
    const r = this.region;
    return this.#u8.subarray(r.input + this.inputLen, r.input + r.inputCap);
  }

  /** `n` bytes were written at the start of inputRoom(): they join the input. */
  appended(n: number): void {
    if (!(Number.isInteger(n) && n >= 0 && n <= this.region.inputCap - this.inputLen)) throw new RangeError(`appended ${n} bytes, room for ${this.region.inputCap - this.inputLen}`);
    this.inputLen += n;
  }

  /** Position of the next record in the input area (what ingest has consumed). */
  get pos(): number { return this.#word(PC_POS); }

  /** Move the unconsumed input [pos, inputLen) to the front; returns the bytes moved. */
  compact(): number {
    this.#views();
    const r = this.region, pos = Math.min(this.pos, this.inputLen), rest = this.inputLen - pos;
    if (pos > 0) this.#u8.copyWithin(r.input, r.input + pos, r.input + this.inputLen);
    this.inputLen = rest;
    this.#set(PC_POS, 0);
    return pos;
  }

  /** The batch's length as the kernels see it; set to 0 after a batch is drained. */
  get count(): number { return this.#word(PC_COUNT); }
  set count(n: number) { this.#set(PC_COUNT, n); }
  /** Records walked since the last foldWalked(). */
  get frames(): number { return this.#word(PC_FRAMES); }
  /** Records skipped because the capture cut them (captured < original length). */
  get truncated(): number { return this.#word(PC_TRUNCATED); }
  /** Records skipped for being longer than the max frame. */
  get oversize(): number { return this.#word(PC_OVERSIZE); }
  /** Records in the output area (since resetOutput()). */
  get ok(): number { return this.#word(PC_OK); }
  /** PE_* code of the last stop. */
  get error(): number { return this.#word(PC_ERROR); }
  /** First figure of the last stop (the bytes needed, after PR_NEED). */
  get argA(): number { return this.#word(PC_ARG_A); }
  /** Second figure of the last stop. */
  get argB(): number { return this.#word(PC_ARG_B); }
  /** Timestamp seconds recorded for batch index i (for the error message of an out-of-range one). */
  tsSec(i: number): number {
    this.#views();
    const w = (this.region.ts + i * TS_STRIDE) >>> 2;
    return this.#u32[w] + this.#u32[w + 1] * 2 ** 32;
  }

  /** Bytes of encoded records in the output area. */
  get outputUsed(): number { return this.#word(PC_OUT_USED); }
  /** The encoded records (a view, valid until takeOutput's reset). */
  output(): Uint8Array { this.#views(); const o = this.region.output; return this.#u8.subarray(o, o + this.outputUsed); }
  /** Empty the output area (after its bytes were copied out): its bytes and its record count. */
  resetOutput(): void { this.#set(PC_OUT_USED, 0); this.#set(PC_OK, 0); }

  /**
   * Add the walk counters (records walked, truncated, oversize) into `into` and zero them, so that
   * their u32 words never wrap however long the capture.
   */
  foldWalked(into: { frames: number; truncated: number; oversize: number }): void {
    into.frames += this.frames; into.truncated += this.truncated; into.oversize += this.oversize;
    this.#set(PC_FRAMES, 0); this.#set(PC_TRUNCATED, 0); this.#set(PC_OVERSIZE, 0);
  }

  /**
   * Add the emit tallies into `dropped` (by status code) and `ports` (by port, when given), and zero
   * them: call at least every 2^32 - 1 frames so that no u32 counter wraps.
   */
  foldTallies(dropped: Float64Array, ports?: Float64Array): void {
    this.#views();
    const r = this.region, s = (r.ctl + PC_STATUS) >>> 2, p = r.ports >>> 2, u32 = this.#u32;
    for (let k = 0; k < PC_STATUS_SLOTS; k++) { dropped[k] += u32[s + k]; u32[s + k] = 0; }
    if (ports) for (let k = 0; k < 65536; k++) { const n = u32[p + k]; if (n !== 0) { ports[k] += n; u32[p + k] = 0; } }
  }
}
