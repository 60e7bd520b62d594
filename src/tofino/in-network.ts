// The packet-triggered channel: negotiation packets from the CPU port pass through the emulated
// pipeline, which applies the update records it may in each pass (one write per register array per
// pass), strips them, and re-injects the packet through loopback until only the EndFlag is left.
import type { ModelClock } from './clock.js';
import {
  FLAG_DONE, MARKER_END, MIN_FRAME_BYTES, OFF_APPLIED, OFF_COUNT, OFF_FLAGS, OFF_PASSES, OFF_REFUSED, RECORD_BYTES,
  RECORDS_AT, negotiationProblem, readU16, writeU16,
} from './negotiation-format.js';
import { DEFAULT_MAX_PACKET_BYTES, UpdatePacker } from './negotiation-packer.js';
import type { Pipeline } from './pipeline.js';
import { Program } from './program.js';
import type { UpdateSet } from './update-set.js';

export interface InNetworkOptions {
  /** Port the switch CPU's packets enter by; only these may update registers. */
  cpuPort: number;
  /** Rate negotiation packets enter the pipeline from the CPU port, bit/s. */
  lineRateBps: number;
  /** Capacity of the loopback (recirculation) path, bit/s. */
  recirculationBps: number;
  /** Largest negotiation frame, FCS excluded. */
  maxPacketBytes: number;
  /** Records the parser extracts per pass: 16 x 128 bits = half of Tofino 1's 4096-bit PHV. */
  recordsPerPass: number;
  /** Bytes each frame costs on the wire besides itself: preamble 8 + FCS 4 + inter-frame gap 12. */
  wireOverheadBytes: number;
}

/** Tofino 1's CPU Ethernet port number on a 64-port pipe 0. */
export const DEFAULT_CPU_PORT = 64;

export const DEFAULT_IN_NETWORK: Readonly<InNetworkOptions> = Object.freeze({
  cpuPort: DEFAULT_CPU_PORT,
  lineRateBps: 100e9,
  recirculationBps: 100e9,
  maxPacketBytes: DEFAULT_MAX_PACKET_BYTES,
  recordsPerPass: 16,
  wireOverheadBytes: 24,
});

export interface InNetworkCounters {
  /** Packets offered to the pipeline. */
  packets: number;
  /** Packets that finished (every record done) and went back to the CPU. */
  completed: number;
  /** Pipeline passes (first entries plus recirculations). */
  passes: number;
  recirculations: number;
  applied: number;
  /** Records with a register id, index or value out of range: refused, never applied. */
  refused: number;
  /** Packets that are not well-formed negotiation packets, or longer than maxPacketBytes: dropped,
   * nothing applied. */
  malformed: number;
  /** Packets from any port but the CPU port: dropped, nothing applied. */
  notCpuPort: number;
  /** Bits that entered from the CPU port, malformed frames included (wire overhead and
   * minimum-frame padding included). */
  injectedBits: number;
  /** Bits that went through the loopback. */
  recirculatedBits: number;
}

export type Outcome = 'done' | 'malformed' | 'not-cpu-port';

export interface InNetworkReport {
  updates: number;
  packets: number;
  passes: number;
  recirculations: number;
  applied: number;
  refused: number;
  /** Modelled time: injection at line rate plus recirculation at loopback capacity. */
  seconds: number;
}

function wireBits(len: number, overhead: number): number {
  return (Math.max(len, MIN_FRAME_BYTES) + overhead) * 8;
}

export class InNetworkChannel {
  readonly options: InNetworkOptions;
  /** The program each pass runs: one write action per register array, in stage order. */
  readonly program: Program;
  readonly counters: InNetworkCounters = {
    packets: 0, completed: 0, passes: 0, recirculations: 0, applied: 0, refused: 0, malformed: 0, notCpuPort: 0,
    injectedBits: 0, recirculatedBits: 0,
  };
  /** Pass stamp of each register array's last write: the one-access-per-array-per-pass rule. */
  private lastPass: Uint32Array;
  private pass = 0;

  constructor(private readonly pipeline: Pipeline, private readonly clock: ModelClock, options: Partial<InNetworkOptions> = {}) {
    const o: InNetworkOptions = { ...DEFAULT_IN_NETWORK, ...options };
    for (const k of ['lineRateBps', 'recirculationBps'] as const) {
      if (!(o[k] > 0) || !Number.isFinite(o[k])) throw new RangeError(`${k} must be a positive number, got ${o[k]}`);
    }
    if (!Number.isInteger(o.recordsPerPass) || o.recordsPerPass < 1) throw new RangeError(`recordsPerPass must be a positive integer, got ${o.recordsPerPass}`);
    if (!Number.isInteger(o.wireOverheadBytes) || o.wireOverheadBytes < 0) throw new RangeError(`wireOverheadBytes must be >= 0, got ${o.wireOverheadBytes}`);
    this.options = o;
    const regs = [...pipeline.registers].sort((a, b) => a.stage - b.stage || a.id - b.id);
    this.program = Program.build(pipeline, regs.map((r) => ({
      register: r, op: 'write' as const, index: { field: `rec.${r.id}.index` }, value: { field: `rec.${r.id}.lo` },
      ...(r.isPair ? { valueHi: { field: `rec.${r.id}.hi` } } : {}), when: { field: `rec.${r.id}.valid` },
    })));
    this.lastPass = new Uint32Array(pipeline.registers.length);
  }

  /** Modelled seconds of the traffic so far. */
  get modelledSeconds(): number {
    const c = this.counters;
    return c.injectedBits / this.options.lineRateBps + c.recirculatedBits / this.options.recirculationBps;
  }

  /**
   * One frame enters the pipeline from `ingressPort`. The frame's bytes are rewritten in place as
   * passes strip records; the returned length is that of the final frame (the done packet sent back
   * to the CPU), or 0 when the frame was dropped.
   */
  receive(frame: Uint8Array, ingressPort: number): { outcome: Outcome; length: number } {
    const c = this.counters;
    const o = this.options;
    c.packets++;
    if (ingressPort !== o.cpuPort) {
      c.notCpuPort++;
      return { outcome: 'not-cpu-port', length: 0 };
    }
    c.injectedBits += wireBits(frame.length, o.wireOverheadBytes);
    // A frame over the size limit is refused like any malformed one (it would also cost passes
    // quadratic in its length).
    if (frame.length > o.maxPacketBytes || negotiationProblem(frame) !== undefined) {
      c.malformed++;
      return { outcome: 'malformed', length: 0 };
    }
    if (this.lastPass.length !== this.pipeline.registers.length) {
      throw new Error('InNetworkChannel: registers were allocated after the program was built; build a new channel');
    }
    const regs = this.pipeline.registers;
    const nRegs = regs.length;
    const lastPass = this.lastPass;
    const perPass = o.recordsPerPass;
    let count = readU16(frame, OFF_COUNT);
    let len = RECORDS_AT + count * RECORD_BYTES;
    let passes = 0;
    let applied = 0;
    let refused = 0;
    // Every pass removes at least its first record, so count - 1 passes always suffice.
    while (count > 1) {
      if (passes > 0) {
        c.recirculations++;
        c.recirculatedBits += wireBits(len, o.wireOverheadBytes);
      }
      passes++;
      const pass = ++this.pass;
      const window = Math.min(perPass, count - 1);
      let w = RECORDS_AT;
      let r = RECORDS_AT;
      for (let k = 0; k < window; k++, r += RECORD_BYTES) {
        const regId = (frame[r + 2]! << 8) | frame[r + 3]!;
        let keep = false;
        if (regId >= nRegs) {
          refused++;
        } else {
          const reg = regs[regId]!;
          const index = ((frame[r + 4]! << 24) | (frame[r + 5]! << 16) | (frame[r + 6]! << 8) | frame[r + 7]!) >>> 0;
          const lo = ((frame[r + 8]! << 24) | (frame[r + 9]! << 16) | (frame[r + 10]! << 8) | frame[r + 11]!) >>> 0;
          const hi = ((frame[r + 12]! << 24) | (frame[r + 13]! << 16) | (frame[r + 14]! << 8) | frame[r + 15]!) >>> 0;
          if (index >= reg.size || lo > reg.loMax || hi > reg.hiMax) {
            refused++;
          } else if (lastPass[regId] === pass) {
            keep = true; // this array's stateful ALU is taken in this pass: wait for the next one
          } else {
            lastPass[regId] = pass;
            if (reg.hiMax !== 0) {
              reg.cells[2 * index] = lo;
              reg.cells[2 * index + 1] = hi;
            } else {
              reg.cells[index] = lo;
            }
            applied++;
          }
        }
        if (keep) {
          if (w !== r) frame.copyWithin(w, r, r + RECORD_BYTES);
          w += RECORD_BYTES;
        }
      }
      // The deparser emits the kept records, then the unparsed rest (later records and the EndFlag).
      if (w !== r) frame.copyWithin(w, r, len);
      len -= r - w;
      count = (len - RECORDS_AT) / RECORD_BYTES;
      writeU16(frame, OFF_COUNT, count);
    }
    c.passes += passes;
    c.applied += applied;
    c.refused += refused;
    c.completed++;
    writeU16(frame, OFF_PASSES, Math.min(passes, 0xffff));
    writeU16(frame, OFF_APPLIED, applied);
    writeU16(frame, OFF_REFUSED, refused);
    frame[OFF_FLAGS] = FLAG_DONE;
    if (frame[RECORDS_AT] !== MARKER_END) throw new Error('InNetworkChannel: lost the EndFlag (bug)');
    return { outcome: 'done', length: len };
  }

  /** Pack the updates into negotiation packets one at a time (one reused buffer), send each from the
   * CPU port, and advance the clock by the modelled time. */
  send(updates: UpdateSet, firstSeq = 0): InNetworkReport {
    const before = { ...this.counters };
    const t0 = this.modelledSeconds;
    const packer = new UpdatePacker(updates, { maxPacketBytes: this.options.maxPacketBytes, firstSeq });
    const buf = new Uint8Array(packer.maxFrameBytes);
    for (let len = packer.next(buf); len > 0; len = packer.next(buf)) this.receive(buf.subarray(0, len), this.options.cpuPort);
    const c = this.counters;
    const seconds = this.modelledSeconds - t0;
    this.clock.advance(seconds * 1000);
    return {
      updates: updates.length,
      packets: c.packets - before.packets,
      passes: c.passes - before.passes,
      recirculations: c.recirculations - before.recirculations,
      applied: c.applied - before.applied,
      refused: c.refused - before.refused,
      seconds,
    };
  }
}
