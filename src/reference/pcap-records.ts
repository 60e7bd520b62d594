// The plain-TS twin of assembly/pcap.ts (pcapIngest, pcapEmit): the same arguments, addresses into a
// copy of the Wasm memory, the same bytes written. test/pcap-records-twin.test.ts runs both on random
// and broken records and compares every byte of the memory they may touch.
import {
  DESC_SIZE, D_DATA_LEN, D_DATA_OFF, D_OUT_LEN, D_OUT_OFF, D_SPORT, D_STATUS, PC_ARG_A, PC_ARG_B, PC_COUNT, PC_ERROR, PC_FLAGS,
  PC_FRAMES, PC_HEADROOM, PC_LIMIT, PC_MAX_FRAME, PC_OK, PC_OUT_USED, PC_OVERSIZE, PC_POS, PC_STATUS, PC_STATUS_SLOTS,
  PC_TRUNCATED, PE_ABSURD_CAPLEN, PE_NONE, PE_SECONDS, PE_TRUNCATED_DATA, PE_TRUNCATED_HEADER, PF_BIG_ENDIAN, PF_MODIFIED,
  PF_NANOS_IN, PF_NANOS_OUT, PF_KEEP_CUT, PR_END, PR_ERROR, PR_FULL, PR_NEED, Status, TS_STRIDE,
} from '../../bindings/layout.js';

/** Walk classic pcap records into a batch, as pcapIngest does (see assembly/pcap.ts). */
export function pcapIngestRef(
  mem: Uint8Array, ctl: number, input: number, inputLen: number, eof: boolean,
  desc: number, arena: number, capacity: number, slotSize: number, ts: number,
): number {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const w = (off: number): number => dv.getUint32(ctl + off, true);
  const flags = w(PC_FLAGS);
  const little = (flags & PF_BIG_ENDIAN) === 0;
  const nanosIn = (flags & PF_NANOS_IN) !== 0;
  const unit = nanosIn ? 1_000_000_000 : 1_000_000;
  const h = (flags & PF_MODIFIED) !== 0 ? 24 : 16;
  const limit = w(PC_LIMIT), headroom = w(PC_HEADROOM);
  const fits = headroom <= slotSize;
  const maxFrame = Math.min(w(PC_MAX_FRAME), fits ? slotSize - headroom : 0);
  let pos = Math.min(w(PC_POS), inputLen);
  let count = w(PC_COUNT), frames = w(PC_FRAMES), truncated = w(PC_TRUNCATED), oversize = w(PC_OVERSIZE);
  let code = PR_END, err = PE_NONE, a = 0, b = 0;
  for (;;) {
    const avail = inputLen - pos;
    if (avail === 0) { code = eof ? PR_END : PR_NEED; a = h; break; }
    if (avail < h) {
      if (eof) { code = PR_ERROR; err = PE_TRUNCATED_HEADER; a = avail; b = h; } else { code = PR_NEED; a = h; }
      break;
    }
    const p = input + pos;
    const caplen = dv.getUint32(p + 8, little);
    if (caplen > limit) { code = PR_ERROR; err = PE_ABSURD_CAPLEN; a = caplen; break; }
    if (avail - h < caplen) {
      if (eof) { code = PR_ERROR; err = PE_TRUNCATED_DATA; a = caplen; b = avail - h; } else { code = PR_NEED; a = h + caplen; }
      break;
    }
    if (count >= capacity) { code = PR_FULL; break; }
    const orig = dv.getUint32(p + 12, little);
    frames = (frames + 1) >>> 0;
    pos += h + caplen;
    if (orig > caplen && (flags & PF_KEEP_CUT) === 0) { truncated = (truncated + 1) >>> 0; continue; }
    if (!fits || caplen > maxFrame) { oversize = (oversize + 1) >>> 0; continue; }
    let sec = dv.getUint32(p, little);
    let frac = dv.getUint32(p + 4, little);
    if (frac >= unit) { sec += Math.floor(frac / unit); frac %= unit; }
    const t = ts + count * TS_STRIDE;
    dv.setBigUint64(t, BigInt(sec), true);
    dv.setUint32(t + 8, nanosIn ? frac : frac * 1000, true);
    dv.setUint32(t + 12, 0, true);
    const d = desc + count * DESC_SIZE;
    mem.fill(0, d, d + DESC_SIZE);
    dv.setUint32(d + D_DATA_OFF, headroom, true);
    dv.setUint32(d + D_DATA_LEN, caplen, true);
    mem.copyWithin(arena + count * slotSize + headroom, p + h, p + h + caplen);
    count++;
  }
  const set = (off: number, v: number): void => dv.setUint32(ctl + off, v >>> 0, true);
  set(PC_POS, pos); set(PC_COUNT, count); set(PC_FRAMES, frames); set(PC_TRUNCATED, truncated); set(PC_OVERSIZE, oversize);
  set(PC_ERROR, err); set(PC_ARG_A, a); set(PC_ARG_B, b);
  return code;
}

/** Encode a batch's results as classic pcap records, as pcapEmit does (see assembly/pcap.ts). */
export function pcapEmitRef(
  mem: Uint8Array, ctl: number, desc: number, arena: number, count: number, slotSize: number, ts: number,
  from: number, out: number, outCap: number, ports: number,
): number {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const nanos = (dv.getUint32(ctl + PC_FLAGS, true) & PF_NANOS_OUT) !== 0;
  let used = dv.getUint32(ctl + PC_OUT_USED, true);
  let ok = dv.getUint32(ctl + PC_OK, true);
  dv.setUint32(ctl + PC_ERROR, PE_NONE, true);
  let i = from;
  for (; i < count; i++) {
    const d = desc + i * DESC_SIZE;
    let st: number = dv.getUint16(d + D_STATUS, true);
    const off = dv.getUint32(d + D_OUT_OFF, true), len = dv.getUint32(d + D_OUT_LEN, true);
    if (st === Status.OK && !(off <= slotSize && len <= slotSize - off)) st = Status.BAD_DESC;
    if (st !== Status.OK) {
      const c = ctl + PC_STATUS + Math.min(st, PC_STATUS_SLOTS - 1) * 4;
      dv.setUint32(c, (dv.getUint32(c, true) + 1) >>> 0, true);
      continue;
    }
    if (used > outCap || outCap - used < 16 + len) break;
    const t = ts + i * TS_STRIDE;
    const sec = dv.getBigUint64(t, true);
    if (sec > 0xffffffffn) { dv.setUint32(ctl + PC_ERROR, PE_SECONDS, true); dv.setUint32(ctl + PC_ARG_A, i, true); break; }
    const ns = dv.getUint32(t + 8, true);
    const o = out + used;
    dv.setUint32(o, Number(sec), true);
    dv.setUint32(o + 4, nanos ? ns : Math.floor(ns / 1000), true);
    dv.setUint32(o + 8, len, true);
    dv.setUint32(o + 12, len, true);
    const src = arena + i * slotSize + off;
    mem.copyWithin(o + 16, src, src + len);
    used += 16 + len;
    ok = (ok + 1) >>> 0;
    if (ports !== 0) {
      const c = ports + dv.getUint16(d + D_SPORT, true) * 4;
      dv.setUint32(c, (dv.getUint32(c, true) + 1) >>> 0, true);
    }
  }
  dv.setUint32(ctl + PC_OUT_USED, used >>> 0, true);
  dv.setUint32(ctl + PC_OK, ok, true);
  return i;
}
