// SipHashBatch: the typed face of the Wasm SipHash-2-4 batch kernel (assembly/siphash.ts). Owns its
// own core instance; every buffer is reserved once, at creation, so the views below stay valid.
import { instantiateCore, type CoreExports } from './module.js';

/** Sizes of a SipHashBatch, fixed at construction. */
export interface SipHashBatchOptions {
  /** Messages per batch, 1..1048576, default 256. */
  capacity?: number;
  /** Bytes per message slot (a message may not be longer), a multiple of 8 in 8..65536, default 64. */
  slotBytes?: number;
}

const TAG_BYTES = 8;

/**
 * SipHash-2-4 tags (8 bytes each) for up to `capacity` messages in one Wasm call, under a 16-byte key
 * set with setKey(). Owns its own Wasm core instance; all memory is reserved by the constructor, which
 * throws a RangeError on bad options and an Error when the memory cannot be reserved.
 */
export class SipHashBatch {
  /** Messages per batch. */
  readonly capacity: number;
  /** Bytes per message slot: the longest message this batch tags. */
  readonly slotBytes: number;
  readonly #core: CoreExports;
  readonly #desc: number;
  readonly #arena: number;
  readonly #out: number;
  readonly #descView: Uint32Array;
  readonly #arenaView: Uint8Array;
  readonly #tags: Uint8Array;

  /** Reserve the batch; throws a RangeError on options outside their ranges. */
  constructor(opts: SipHashBatchOptions = {}) {
    const capacity = opts.capacity ?? 256;
    const slotBytes = opts.slotBytes ?? 64;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) throw new RangeError(`capacity must be 1..1048576, got ${capacity}`);
    if (!Number.isInteger(slotBytes) || slotBytes < 8 || slotBytes > 65536 || slotBytes % 8 !== 0) {
      throw new RangeError(`slotBytes must be a multiple of 8 in 8..65536, got ${slotBytes}`);
    }
    this.capacity = capacity;
    this.slotBytes = slotBytes;
    const c = (this.#core = instantiateCore());
    this.#desc = c.reserve(capacity * 8);
    this.#arena = c.reserve(capacity * slotBytes);
    this.#out = c.reserve(capacity * TAG_BYTES);
    if (this.#desc === 0 || this.#arena === 0 || this.#out === 0) throw new Error('cannot reserve Wasm memory for the SipHash batch');
    // Views only after the last reserve(): growing memory would detach them.
    const buf = c.memory.buffer;
    this.#descView = new Uint32Array(buf, this.#desc, capacity * 2);
    this.#arenaView = new Uint8Array(buf, this.#arena, capacity * slotBytes);
    this.#tags = new Uint8Array(buf, this.#out, capacity * TAG_BYTES);
    for (let i = 0; i < capacity; i++) this.#descView[2 * i] = i * slotBytes;
  }

  /** Set the 16-byte key (two little-endian 64-bit words, as SipHash reads them); throws a RangeError for another length. */
  setKey(key: Uint8Array): void {
    if (key.length !== 16) throw new RangeError(`SipHash key must be 16 bytes, got ${key.length}`);
    const w = (i: number): number => (key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24)) >>> 0;
    this.#core.sipSetKey(w(0), w(4), w(8), w(12));
  }

  /** Slot i, to write message i in place (zero copy); then set its length with setLength(). */
  slot(i: number): Uint8Array {
    this.#index(i);
    return this.#arenaView.subarray(i * this.slotBytes, (i + 1) * this.slotBytes);
  }

  /** Set message i's length in bytes (0..slotBytes) after writing it into slot(i); throws a RangeError outside the ranges. */
  setLength(i: number, len: number): void {
    this.#index(i);
    if (!Number.isInteger(len) || len < 0 || len > this.slotBytes) throw new RangeError(`length must be 0..${this.slotBytes}, got ${len}`);
    this.#descView[2 * i + 1] = len;
  }

  /**
   * Tag messages 0..count-1 (one Wasm call); returns a view of the tags, 8 bytes per message, valid
   * until the next run(). Throws a RangeError when count is outside 0..capacity.
   */
  run(count: number): Uint8Array {
    if (!Number.isInteger(count) || count < 0 || count > this.capacity) throw new RangeError(`count must be 0..${this.capacity}, got ${count}`);
    this.#core.sipHashBatch(this.#desc, this.#arena, this.capacity * this.slotBytes, this.#out, count);
    return this.#tags.subarray(0, count * TAG_BYTES);
  }

  /**
   * Copy msgs in, tag them in one call, and copy the tags to out (8 bytes per message). Throws a
   * RangeError when there are more messages than capacity, one is longer than slotBytes, or out is too small.
   */
  tagAll(msgs: readonly Uint8Array[], out: Uint8Array): void {
    if (msgs.length > this.capacity) throw new RangeError(`${msgs.length} messages exceed the capacity ${this.capacity}`);
    if (out.length < msgs.length * TAG_BYTES) throw new RangeError('out is too small for the tags');
    msgs.forEach((m, i) => {
      if (m.length > this.slotBytes) throw new RangeError(`message ${i} is ${m.length} bytes, the slot holds ${this.slotBytes}`);
      this.#arenaView.set(m, i * this.slotBytes);
      this.#descView[2 * i + 1] = m.length;
    });
    out.set(this.run(msgs.length));
  }

  #index(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.capacity) throw new RangeError(`slot must be 0..${this.capacity - 1}, got ${i}`);
  }
}

/** Longest message a SipHasher tags (the probe codec's are 40 and 48 bytes). */
export const SIPHASHER_MAX_BYTES = 256;
const ONE_SLOT_BYTES = SIPHASHER_MAX_BYTES;
/** The kernel instance every SipHasher shares (created on first use), and whose key it holds now. */
let shared: {
  core: CoreExports; hash: CoreExports['sipHashBatch']; desc: number; arena: number; out: number; descView: Uint32Array; arenaView: Uint8Array; tag: Uint8Array;
} | undefined;
/** The key the shared instance holds now, as its four words (-1: none loaded yet). */
let sharedW0 = -1, sharedW1 = -1, sharedW2 = -1, sharedW3 = -1;

/**
 * One message at a time through the same Wasm kernel, under a fixed key: the probe codec's tag (a
 * few bytes copied in, one JS->Wasm call, 8 bytes out: about half the TS twin's time per 48-byte
 * tag). All hashers share one core instance; the key is loaded when a hasher with a different key
 * calls (hashers with equal keys, such as a simulation's thousands of control planes, share it).
 * Messages of up to SIPHASHER_MAX_BYTES (longer ones: SipHashBatch).
 */
export class SipHasher {
  readonly #w0: number;
  readonly #w1: number;
  readonly #w2: number;
  readonly #w3: number;

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`SipHash key must be 16 bytes, got ${key.length}`);
    const w = (i: number): number => (key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24)) >>> 0;
    this.#w0 = w(0); this.#w1 = w(4); this.#w2 = w(8); this.#w3 = w(12);
  }

  /**
   * SipHash-2-4 of msg[start, end) under this hasher's key; the 8-byte tag goes to out[outOff],
   * little-endian (as sipHash24Into writes it). Throws a RangeError on a range outside msg or out.
   */
  tagInto(msg: Uint8Array, start: number, end: number, out: Uint8Array, outOff: number): void {
    SipHasher.#checkRange(msg, start, end);
    if (!(outOff >= 0 && outOff + TAG_BYTES <= out.length)) throw new RangeError('tag does not fit in out');
    const tag = this.#hash(msg, start, end);
    for (let i = 0; i < TAG_BYTES; i++) out[outOff + i] = tag[i];
  }

  /**
   * Whether the tag of msg[start, end) equals the 8 bytes at tag[tagOff] (as tagInto would write
   * them): a check without copying the tag out. Not constant-time (neither is a byte loop in JS).
   * Throws a RangeError on a range outside msg or tag.
   */
  tagMatches(msg: Uint8Array, start: number, end: number, tag: Uint8Array, tagOff: number): boolean {
    SipHasher.#checkRange(msg, start, end);
    if (!(tagOff >= 0 && tagOff + TAG_BYTES <= tag.length)) throw new RangeError('tag range outside its array');
    const t = this.#hash(msg, start, end);
    let diff = 0;
    for (let i = 0; i < TAG_BYTES; i++) diff |= t[i] ^ tag[tagOff + i];
    return diff === 0;
  }

  static #checkRange(msg: Uint8Array, start: number, end: number): void {
    if (!(start >= 0 && start <= end && end <= msg.length)) throw new RangeError(`bad message range ${start}..${end} of ${msg.length}`);
    if (end - start > SIPHASHER_MAX_BYTES) throw new RangeError(`SipHasher tags messages of up to ${SIPHASHER_MAX_BYTES} bytes, got ${end - start}`);
  }

  /** The tag of msg[start, end) (a checked range), as a view of the shared instance's output, valid until its next call. */
  #hash(msg: Uint8Array, start: number, end: number): Uint8Array {
    const s = (shared ??= SipHasher.#instantiate());
    if (sharedW0 !== this.#w0 || sharedW1 !== this.#w1 || sharedW2 !== this.#w2 || sharedW3 !== this.#w3) {
      s.core.sipSetKey(this.#w0, this.#w1, this.#w2, this.#w3);
      sharedW0 = this.#w0; sharedW1 = this.#w1; sharedW2 = this.#w2; sharedW3 = this.#w3;
    }
    let off = start;
    if (msg.length <= ONE_SLOT_BYTES) s.arenaView.set(msg); // the whole (short) array: no view to build
    else { s.arenaView.set(msg.subarray(start, end)); off = 0; }
    s.descView[0] = off;
    s.descView[1] = end - start;
    s.hash(s.desc, s.arena, ONE_SLOT_BYTES, s.out, 1);
    return s.tag;
  }

  static #instantiate(): NonNullable<typeof shared> {
    const core = instantiateCore();
    const desc = core.reserve(8), arena = core.reserve(ONE_SLOT_BYTES), out = core.reserve(TAG_BYTES);
    if (desc === 0 || arena === 0 || out === 0) throw new Error('cannot reserve Wasm memory for the SipHash tagger');
    const buf = core.memory.buffer; // views after the last reserve(): growing memory would detach them
    // The export itself, not the loader's wrapper of it (a rest-argument arrow per call): one tag is
    // one call on the probe path, and sipHashBatch takes no optional arguments.
    const wrapped = core.sipHashBatch as CoreExports['sipHashBatch'] & { original?: CoreExports['sipHashBatch'] };
    return {
      core, hash: wrapped.original ?? wrapped, desc, arena, out,
      descView: new Uint32Array(buf, desc, 2), arenaView: new Uint8Array(buf, arena, ONE_SLOT_BYTES), tag: new Uint8Array(buf, out, TAG_BYTES),
    };
  }
}
