// The plain-TS twin of assembly/retransmit.ts (tcpRetransmits): the same arguments, addresses into a
// copy of the Wasm memory, the same marks and flow-table bytes written. test/retransmit-twin.test.ts
// runs both on random and broken frames and hostile descriptors and compares every byte.
import { DESC_SIZE, D_DATA_LEN, D_DATA_OFF, D_HASH, D_KEY, D_L3_OFF, D_L4_OFF, D_PEER, D_STATUS, KEY_L4, RT_AT, RT_END, RT_ENTRY, RT_PEER, RT_REPEAT, RT_SPREAD, RT_STALLED, RT_TAG, RT_USED, Status } from '../../bindings/layout.js';

/** The mark of the segment at frame offset `l4` (inner IP header at `l3`, frame of `len` bytes at `p`, flow (peer, h)): RT_STALLED, RT_REPEAT or 0; updates its flow's entry. */
function segmentRef(dv: DataView, p: number, len: number, l3: number, l4: number, h: number, peer: number, table: number, mask: number, now: number, stallMs: number): number {
  if (l4 < l3 + 20 || l4 + 20 > len) return 0;
  const b0 = dv.getUint8(p + l3);
  let tcpBytes: number, ipEnd: number;
  if (b0 >> 4 === 4) {
    const ihl = (b0 & 15) * 4, total = dv.getUint16(p + l3 + 2);
    if (ihl !== l4 - l3 || dv.getUint8(p + l3 + 9) !== 6 || total < ihl) return 0;
    tcpBytes = total - ihl; ipEnd = l3 + total;
  } else if (b0 >> 4 === 6) {
    if (l4 - l3 !== 40 || dv.getUint8(p + l3 + 6) !== 6) return 0;
    tcpBytes = dv.getUint16(p + l3 + 4); ipEnd = l4 + tcpBytes;
  } else return 0;
  if (ipEnd > len) return 0;
  const doff = (dv.getUint8(p + l4 + 12) >> 4) * 4;
  if (doff < 20 || doff > tcpBytes) return 0;
  const payload = tcpBytes - doff;
  const end = (dv.getUint32(p + l4 + 4) + payload) >>> 0;
  const e = table + (((h + Math.imul(peer, RT_SPREAD)) >>> 0) & mask) * RT_ENTRY;
  if (dv.getUint16(e + RT_USED, true) === 0 || dv.getUint32(e + RT_TAG, true) !== h || dv.getUint16(e + RT_PEER, true) !== peer) {
    dv.setUint32(e + RT_TAG, h, true); dv.setUint32(e + RT_END, end, true); dv.setUint32(e + RT_AT, now, true); dv.setUint16(e + RT_PEER, peer, true); dv.setUint16(e + RT_USED, 1, true);
    return 0;
  }
  // Serial-number arithmetic (RFC 1982): `end` is after the stored end when the difference, as a
  // signed 32-bit number, is positive.
  if (((end - dv.getUint32(e + RT_END, true)) | 0) > 0) { dv.setUint32(e + RT_END, end, true); dv.setUint32(e + RT_AT, now, true); return 0; }
  if (payload === 0) return 0;
  return ((now - dv.getUint32(e + RT_AT, true)) >>> 0) >= stallMs ? RT_STALLED : RT_REPEAT;
}

/** Mark the batch's TCP retransmissions into marks[0, count) and update the flow table, as tcpRetransmits does (now and stallMs are u32 ms). Returns the number marked. */
export function tcpRetransmitsRef(
  mem: Uint8Array, desc: number, arena: number, count: number, slotSize: number, marks: number, table: number, mask: number, now: number, stallMs: number,
): number {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  let marked = 0;
  for (let i = 0; i < count; i++) {
    const d = desc + i * DESC_SIZE;
    let m = 0;
    if (dv.getUint16(d + D_STATUS, true) === Status.OK && dv.getUint16(d + D_KEY, true) === KEY_L4) {
      const off = dv.getUint32(d + D_DATA_OFF, true), len = dv.getUint32(d + D_DATA_LEN, true);
      if (off <= slotSize && len <= slotSize - off) {
        m = segmentRef(dv, arena + i * slotSize + off, len, dv.getUint16(d + D_L3_OFF, true), dv.getUint16(d + D_L4_OFF, true), dv.getUint32(d + D_HASH, true), dv.getUint16(d + D_PEER, true), table, mask, now >>> 0, stallMs >>> 0);
      }
    }
    mem[marks + i] = m;
    marked += m !== 0 ? 1 : 0;
  }
  return marked;
}
