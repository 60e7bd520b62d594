// The CPU side of the packet-triggered channel: pack an update set into negotiation frames. Updates are
// interleaved across register arrays (round robin, each array's own order kept), so that the records a
// pass sees hit different arrays and most of them can be applied in the same pass.
import {
  ETHERTYPE_NEGOTIATION, MARKER_END, MARKER_PKT, NEG_MAGIC, NEG_VERSION, OFF_COUNT, OFF_ETHERTYPE,
  OFF_MAGIC, OFF_PASSES, OFF_REFUSED, OFF_SEQ, OFF_VERSION, RECORD_BYTES, RECORDS_AT, frameBytes, updatesPerFrame,
} from './negotiation-format.js';
import type { UpdateSet } from './update-set.js';

export interface PackOptions {
  /** Largest frame, FCS excluded (default 1500). */
  maxPacketBytes?: number;
  /** Sequence number of the first frame (default 0). */
  firstSeq?: number;
  /** Destination and source MAC of the frames (defaults: the switch's and the CPU's placeholder MACs). */
  dstMac?: Uint8Array;
  srcMac?: Uint8Array;
}

export const DEFAULT_MAX_PACKET_BYTES = 1500;
const DEFAULT_DST_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
const DEFAULT_SRC_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);

/**
 * Walks an update set round robin over register ids (ascending), each id's updates in their original
 * order. Built in one backward pass: each update links to the next update of the same array.
 */
class RoundRobin {
  private readonly nextSame: Uint32Array; // index + 1 of the next update of the same id, 0 = none
  private readonly head = new Uint32Array(65536); // index + 1 of each id's next update, 0 = none
  private readonly active: Uint16Array; // ids still holding updates, this round's and the next's
  private live: number;
  private pos = 0;
  private keep = 0;

  constructor(updates: UpdateSet) {
    const n = updates.length;
    const ids = updates.regIds;
    const nextSame = new Uint32Array(n);
    const head = this.head;
    for (let i = n - 1; i >= 0; i--) {
      const r = ids[i]!;
      nextSame[i] = head[r]!;
      head[r] = i + 1;
    }
    this.nextSame = nextSame;
    let m = 0;
    for (let r = 0; r < 65536; r++) if (head[r] !== 0) m++;
    this.active = new Uint16Array(m);
    m = 0;
    for (let r = 0; r < 65536; r++) if (head[r] !== 0) this.active[m++] = r;
    this.live = m;
  }

  /** The next update's index; call only while updates remain. */
  take(): number {
    if (this.pos === this.live) {
      this.live = this.keep;
      this.pos = 0;
      this.keep = 0;
    }
    const r = this.active[this.pos++]!;
    const i = this.head[r]! - 1;
    const nx = this.nextSame[i]!;
    this.head[r] = nx;
    if (nx !== 0) this.active[this.keep++] = r; // compaction in place: keep < pos always
    return i;
  }
}

/** Order of update indices: round robin over register ids, each id's updates in their original order. */
export function interleaveByRegister(updates: UpdateSet): Uint32Array {
  const rr = new RoundRobin(updates);
  const order = new Uint32Array(updates.length);
  for (let o = 0; o < order.length; o++) order[o] = rr.take();
  return order;
}

/**
 * Packs an update set frame by frame into a buffer the caller reuses, as the switch CPU fills its
 * packet buffers: no per-update allocation, and no buffer for all frames at once.
 */
export class UpdatePacker {
  /** Updates per frame (the EndFlag not counted). */
  readonly perFrame: number;
  /** Frames the whole set takes. */
  readonly frames: number;
  private readonly order: RoundRobin;
  private readonly dst: Uint8Array;
  private readonly src: Uint8Array;
  private seq: number;
  private next0 = 0;

  constructor(private readonly updates: UpdateSet, opts: PackOptions = {}) {
    const maxBytes = opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    const per = updatesPerFrame(maxBytes);
    if (!Number.isInteger(maxBytes) || per < 1) {
      throw new RangeError(`negotiation packets of ${maxBytes} bytes cannot carry an update (at least ${frameBytes(1)} bytes)`);
    }
    if (per + 1 > 0xffff) throw new RangeError(`negotiation packets of ${maxBytes} bytes exceed the 16-bit record count`);
    this.perFrame = per;
    this.frames = Math.ceil(updates.length / per);
    this.order = new RoundRobin(updates);
    this.dst = opts.dstMac ?? DEFAULT_DST_MAC;
    this.src = opts.srcMac ?? DEFAULT_SRC_MAC;
    this.seq = opts.firstSeq ?? 0;
  }

  /** Bytes a buffer needs to hold any frame of this set. */
  get maxFrameBytes(): number {
    return frameBytes(this.perFrame);
  }

  /** Write the next frame at the start of `into`; returns its length, or 0 when every update is packed. */
  next(into: Uint8Array): number {
    const { updates, order } = this;
    const k = this.next0;
    const m = Math.min(this.perFrame, updates.length - k);
    if (m <= 0) return 0;
    const len = frameBytes(m);
    if (into.length < len) throw new RangeError(`frame buffer of ${into.length} bytes, ${len} needed`);
    this.next0 = k + m;
    into.set(this.dst, 0);
    into.set(this.src, 6);
    const view = new DataView(into.buffer, into.byteOffset, len);
    view.setUint16(OFF_ETHERTYPE, ETHERTYPE_NEGOTIATION);
    view.setUint16(OFF_MAGIC, NEG_MAGIC);
    view.setUint16(OFF_VERSION, NEG_VERSION << 8); // version, then flags 0
    view.setUint32(OFF_SEQ, this.seq++);
    view.setUint16(OFF_COUNT, m + 1);
    view.setUint32(OFF_PASSES, 0); // passes, applied
    view.setUint32(OFF_REFUSED, 0); // refused, reserved
    const regIds = updates.regIds;
    const indices = updates.indices;
    const los = updates.los;
    const his = updates.his;
    for (let j = 0, p = RECORDS_AT; j < m; j++, p += RECORD_BYTES) {
      const u = order.take();
      view.setUint16(p, MARKER_PKT << 8); // marker, then the reserved byte 0
      view.setUint16(p + 2, regIds[u]!);
      view.setUint32(p + 4, indices[u]!);
      view.setUint32(p + 8, los[u]!);
      view.setUint32(p + 12, his[u]!);
    }
    const e = RECORDS_AT + m * RECORD_BYTES;
    view.setUint32(e, MARKER_END << 24);
    view.setUint32(e + 4, 0);
    view.setUint32(e + 8, 0);
    view.setUint32(e + 12, 0);
    return len;
  }
}

/** Encode the updates into frames, all of them views into one buffer. */
export function packUpdates(updates: UpdateSet, opts: PackOptions = {}): Uint8Array[] {
  const packer = new UpdatePacker(updates, opts);
  const buf = new Uint8Array(packer.frames * packer.maxFrameBytes);
  const out: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const len = packer.next(buf.subarray(at));
    if (len === 0) return out;
    out.push(buf.subarray(at, at + len));
    at += len;
  }
}
