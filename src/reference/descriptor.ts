// The batch descriptor as a plain object, its 48-byte encoding (bindings/layout.ts offsets) and the
// input validation every kernel starts with. docs/memory-layout.md describes the fields.
import {
  DESC_SIZE, D_CAND, D_DATA_LEN, D_DATA_OFF, D_HASH, D_KEY, D_L3_OFF, D_L4_OFF, D_OUTER_DST, D_OUTER_SRC,
  D_OUT_LEN, D_OUT_OFF, D_PEER, D_FORCE, D_SPORT, D_STATUS, D_VNI,
} from '../../bindings/layout.js';

export interface RefDescriptor {
  /** in: frame start relative to its slot */
  dataOff: number;
  /** in: frame length */
  dataLen: number;
  outOff: number;
  outLen: number;
  hash: number;
  vni: number;
  outerSrc: number;
  outerDst: number;
  /** in: peer index (encap) */
  peer: number;
  /** out: port used (encap) or found (decap); 0 when dropped */
  sport: number;
  status: number;
  key: number;
  l3: number;
  l4: number;
  cand: number;
  /** in: forced source port (encap), 0 = choose */
  force: number;
}

/** A descriptor holding only inputs, outputs zeroed. */
export function inputDescriptor(dataOff: number, dataLen: number, peer = 0, force = 0): RefDescriptor {
  return {
    dataOff: dataOff >>> 0, dataLen: dataLen >>> 0, outOff: 0, outLen: 0, hash: 0, vni: 0, outerSrc: 0,
    outerDst: 0, peer: peer & 0xffff, sport: 0, status: 0, key: 0, l3: 0, l4: 0, cand: 0, force: force & 0xffff,
  };
}

/** Does [off, off+len) lie inside a slot of slotSize bytes with `head` bytes of room in front? */
export function frameFits(off: number, len: number, slotSize: number, head: number): boolean {
  return off >= head && off <= slotSize && len <= slotSize - off;
}

/** A dropped packet: every output zeroed, no candidate, the status set; inputs stay as they were. */
export function clearOutputs(d: RefDescriptor, status: number): void {
  d.outOff = 0; d.outLen = 0; d.hash = 0; d.vni = 0; d.outerSrc = 0; d.outerDst = 0; d.sport = 0;
  d.status = status; d.key = 0; d.l3 = 0; d.l4 = 0; d.cand = 0xffff;
}

export function encodeDescriptor(d: RefDescriptor): Uint8Array {
  const b = new Uint8Array(DESC_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(D_DATA_OFF, d.dataOff, true);
  v.setUint32(D_DATA_LEN, d.dataLen, true);
  v.setUint32(D_OUT_OFF, d.outOff, true);
  v.setUint32(D_OUT_LEN, d.outLen, true);
  v.setUint32(D_HASH, d.hash, true);
  v.setUint32(D_VNI, d.vni, true);
  v.setUint32(D_OUTER_SRC, d.outerSrc, true);
  v.setUint32(D_OUTER_DST, d.outerDst, true);
  v.setUint16(D_PEER, d.peer, true);
  v.setUint16(D_SPORT, d.sport, true);
  v.setUint16(D_STATUS, d.status, true);
  v.setUint16(D_KEY, d.key, true);
  v.setUint16(D_L3_OFF, d.l3, true);
  v.setUint16(D_L4_OFF, d.l4, true);
  v.setUint16(D_CAND, d.cand, true);
  v.setUint16(D_FORCE, d.force, true);
  return b;
}

export function decodeDescriptor(b: Uint8Array): RefDescriptor {
  if (b.length < DESC_SIZE) throw new RangeError(`descriptor needs ${DESC_SIZE} bytes, got ${b.length}`);
  const v = new DataView(b.buffer, b.byteOffset, DESC_SIZE);
  return {
    dataOff: v.getUint32(D_DATA_OFF, true),
    dataLen: v.getUint32(D_DATA_LEN, true),
    outOff: v.getUint32(D_OUT_OFF, true),
    outLen: v.getUint32(D_OUT_LEN, true),
    hash: v.getUint32(D_HASH, true),
    vni: v.getUint32(D_VNI, true),
    outerSrc: v.getUint32(D_OUTER_SRC, true),
    outerDst: v.getUint32(D_OUTER_DST, true),
    peer: v.getUint16(D_PEER, true),
    sport: v.getUint16(D_SPORT, true),
    status: v.getUint16(D_STATUS, true),
    key: v.getUint16(D_KEY, true),
    l3: v.getUint16(D_L3_OFF, true),
    l4: v.getUint16(D_L4_OFF, true),
    cand: v.getUint16(D_CAND, true),
    force: v.getUint16(D_FORCE, true),
  };
}
