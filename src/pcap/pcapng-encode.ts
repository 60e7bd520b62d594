// pcapng output: one section header block, one interface description block (the link type, snaplen
// and, for nanosecond files, if_tsresol = 9), then one enhanced packet block per frame on interface 0.
// Little-endian, like the classic writer.
import { BT_EPB, BT_IDB, BT_SHB, BYTE_ORDER_MAGIC } from './pcapng.js';

const OPT_IF_TSRESOL = 9;
/** Enhanced packet block without its data: 28 bytes of header, 4 of trailing length. */
export const EPB_OVERHEAD = 32;
const TWO32 = 4294967296;

const pad4 = (n: number): number => (n + 3) & ~3;

/** Section header block then interface description block. */
export function pcapngHeader(linkType: number, snaplen: number, nanos: boolean): Uint8Array {
  const shbLen = 28;
  const idbLen = nanos ? 32 : 20;
  const b = new Uint8Array(shbLen + idbLen);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, BT_SHB, true);
  dv.setUint32(4, shbLen, true);
  dv.setUint32(8, BYTE_ORDER_MAGIC, true);
  dv.setUint16(12, 1, true);
  dv.setUint16(14, 0, true);
  dv.setInt32(16, -1, true); // section length unknown (-1 as a 64-bit integer)
  dv.setInt32(20, -1, true);
  dv.setUint32(24, shbLen, true);
  const i = shbLen;
  dv.setUint32(i, BT_IDB, true);
  dv.setUint32(i + 4, idbLen, true);
  dv.setUint16(i + 8, linkType, true);
  dv.setUint32(i + 12, snaplen, true);
  if (nanos) {
    dv.setUint16(i + 16, OPT_IF_TSRESOL, true);
    dv.setUint16(i + 18, 1, true);
    b[i + 20] = 9;
    // opt_endofopt: 4 zero bytes at i + 24
  }
  dv.setUint32(i + idbLen - 4, idbLen, true);
  return b;
}

/** Bytes an enhanced packet block takes for a frame of `caplen` captured bytes. */
export const epbSize = (caplen: number): number => EPB_OVERHEAD + pad4(caplen);

/**
 * Write one enhanced packet block at `at` for the first `caplen` bytes of `data`; returns its length.
 * The timestamp is split into 32-bit halves without BigInt: every partial product stays below 2^53.
 */
export function encodeEpb(u8: Uint8Array, dv: DataView, at: number, data: Uint8Array, caplen: number, origLen: number,
  tsSec: number, tsNsec: number, nanos: boolean): number {
  const len = epbSize(caplen);
  let hi: number, lo: number;
  if (nanos) {
    // sec * 1e9 + nsec = (sh * 2^16 + sl) * 1e9 + nsec, with sh * 1e9 = ah * 2^16 + al.
    const sh = Math.floor(tsSec / 65536), sl = tsSec - sh * 65536;
    const a = sh * 1e9;
    const ah = Math.floor(a / 65536), al = a - ah * 65536;
    const c = al * 65536 + sl * 1e9 + tsNsec;
    const carry = Math.floor(c / TWO32);
    hi = ah + carry;
    lo = c - carry * TWO32;
  } else {
    const v = tsSec * 1e6 + Math.floor(tsNsec / 1000);
    hi = Math.floor(v / TWO32);
    lo = v - hi * TWO32;
  }
  dv.setUint32(at, BT_EPB, true);
  dv.setUint32(at + 4, len, true);
  dv.setUint32(at + 8, 0, true);
  dv.setUint32(at + 12, hi, true);
  dv.setUint32(at + 16, lo, true);
  dv.setUint32(at + 20, caplen, true);
  dv.setUint32(at + 24, Math.max(origLen, caplen), true);
  u8.set(caplen === data.length ? data : data.subarray(0, caplen), at + 28);
  u8.fill(0, at + 28 + caplen, at + len - 4);
  dv.setUint32(at + len - 4, len, true);
  return len;
}
