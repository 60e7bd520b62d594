// Byte layout of negotiation packets (docs/tofino.md): Ethernet, a 16-byte negotiation header, then
// 16-byte records, each an update with the PKT marker, the last one the EndFlag. Big-endian.

export const ETHERTYPE_NEGOTIATION = 0x88b5; // IEEE 802 local experimental EtherType 1
export const NEG_MAGIC = 0x5a52; // "ZR"
export const NEG_VERSION = 1;
export const ETH_BYTES = 14;
export const NEG_HEADER_BYTES = 16;
export const RECORDS_AT = ETH_BYTES + NEG_HEADER_BYTES;
export const RECORD_BYTES = 16;
/** Record marker of an update (ASCII 'P', the talk's PKT marker). */
export const MARKER_PKT = 0x50;
/** Record marker of the EndFlag (ASCII 'E'), always the last record. */
export const MARKER_END = 0x45;
/** Header flag set by the pipeline when every record is done and the packet goes back to the CPU. */
export const FLAG_DONE = 0x01;
/** Smallest Ethernet frame without FCS; shorter frames are padded on the wire. */
export const MIN_FRAME_BYTES = 60;

// Offsets inside the frame.
export const OFF_ETHERTYPE = 12;
export const OFF_MAGIC = 14;
export const OFF_VERSION = 16;
export const OFF_FLAGS = 17;
export const OFF_SEQ = 18;
export const OFF_COUNT = 22;
export const OFF_PASSES = 24;
export const OFF_APPLIED = 26;
export const OFF_REFUSED = 28;
export const OFF_RESERVED = 30;

/** Bytes of a negotiation frame carrying `updates` updates plus the EndFlag. */
export function frameBytes(updates: number): number {
  return RECORDS_AT + (updates + 1) * RECORD_BYTES;
}

/** Updates one frame of at most `maxBytes` bytes can carry. */
export function updatesPerFrame(maxBytes: number): number {
  return Math.floor((maxBytes - RECORDS_AT) / RECORD_BYTES) - 1;
}

export function readU16(f: Uint8Array, at: number): number {
  return (f[at]! << 8) | f[at + 1]!;
}

export function readU32(f: Uint8Array, at: number): number {
  return ((f[at]! << 24) | (f[at + 1]! << 16) | (f[at + 2]! << 8) | f[at + 3]!) >>> 0;
}

export function writeU16(f: Uint8Array, at: number, v: number): void {
  f[at] = v >>> 8;
  f[at + 1] = v;
}

export function writeU32(f: Uint8Array, at: number, v: number): void {
  f[at] = v >>> 24;
  f[at + 1] = v >>> 16;
  f[at + 2] = v >>> 8;
  f[at + 3] = v;
}

export interface NegotiationHeader {
  seq: number;
  flags: number;
  /** Records left in the packet, EndFlag included. */
  count: number;
  passes: number;
  applied: number;
  refused: number;
}

/** Why a frame is not a well-formed negotiation packet, or undefined when it is. Never throws. */
export function negotiationProblem(f: Uint8Array): string | undefined {
  if (f.length < frameBytes(0)) return `frame of ${f.length} bytes is shorter than a negotiation header and EndFlag`;
  if (readU16(f, OFF_ETHERTYPE) !== ETHERTYPE_NEGOTIATION) return `EtherType 0x${readU16(f, OFF_ETHERTYPE).toString(16)} is not 0x88b5`;
  if (readU16(f, OFF_MAGIC) !== NEG_MAGIC) return 'bad magic';
  if (f[OFF_VERSION] !== NEG_VERSION) return `unknown version ${f[OFF_VERSION]}`;
  if (f[OFF_FLAGS] !== 0) return `flags 0x${f[OFF_FLAGS]!.toString(16)} set on a packet from the CPU`;
  const count = readU16(f, OFF_COUNT);
  if (count < 1) return 'no records (an EndFlag is required)';
  const need = RECORDS_AT + count * RECORD_BYTES;
  // Exact length, or the 60-byte minimum frame with zero padding after the records.
  if (f.length !== need && !(need < MIN_FRAME_BYTES && f.length === MIN_FRAME_BYTES)) {
    return `${count} records need ${need} bytes, frame has ${f.length}`;
  }
  for (let r = 0; r < count; r++) {
    const at = RECORDS_AT + r * RECORD_BYTES;
    const marker = f[at];
    const last = r === count - 1;
    if (last && marker !== MARKER_END) return `last record ${r} is not an EndFlag`;
    if (!last && marker !== MARKER_PKT) return `record ${r} has marker 0x${marker!.toString(16)}, not PKT`;
    if (f[at + 1] !== 0) return `record ${r} has a non-zero reserved byte`;
  }
  return undefined;
}

/** The header of a frame that negotiationProblem accepted (or a returned, done frame). */
export function readHeader(f: Uint8Array): NegotiationHeader {
  return {
    seq: readU32(f, OFF_SEQ),
    flags: f[OFF_FLAGS]!,
    count: readU16(f, OFF_COUNT),
    passes: readU16(f, OFF_PASSES),
    applied: readU16(f, OFF_APPLIED),
    refused: readU16(f, OFF_REFUSED),
  };
}

export interface UpdateRecord {
  regId: number;
  index: number;
  lo: number;
  hi: number;
}

/** The update records of a well-formed frame (tests and tools; the pipeline reads bytes in place). */
export function readRecords(f: Uint8Array): UpdateRecord[] {
  const count = readU16(f, OFF_COUNT);
  const out: UpdateRecord[] = [];
  for (let r = 0; r < count - 1; r++) {
    const at = RECORDS_AT + r * RECORD_BYTES;
    out.push({ regId: readU16(f, at + 2), index: readU32(f, at + 4), lo: readU32(f, at + 8), hi: readU32(f, at + 12) });
  }
  return out;
}
