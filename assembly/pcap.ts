// Classic pcap records in bulk, so that a capture streams through the datapath with no JS per frame:
// pcapIngest walks the records of a chunk of the file (copied into linear memory) straight into a
// batch's slots and descriptors, pcapEmit encodes the batch's results as classic pcap records into an
// output area. Both read and write only inside the regions they are given, and stop (never trap) at a
// record they cannot take: the caller reads why in the control block. docs/pcap.md ("Bulk path") has the
// layout; src/reference/pcap-records.ts is the TS twin.
import {
  DESC_SIZE, D_DATA_LEN, D_DATA_OFF, D_OUT_LEN, D_OUT_OFF, D_SPORT, D_STATUS, ST_BAD_DESC, ST_OK,
  PC_FLAGS, PC_LIMIT, PC_MAX_FRAME, PC_HEADROOM, PC_POS, PC_COUNT, PC_FRAMES, PC_TRUNCATED, PC_OVERSIZE, PC_ERROR,
  PC_ARG_A, PC_ARG_B, PC_OUT_USED, PC_OK, PC_STATUS, PC_STATUS_SLOTS, PF_BIG_ENDIAN, PF_NANOS_IN, PF_MODIFIED, PF_NANOS_OUT, PF_KEEP_CUT,
  PR_FULL, PR_NEED, PR_END, PR_ERROR, PE_NONE, PE_TRUNCATED_HEADER, PE_TRUNCATED_DATA, PE_ABSURD_CAPLEN, PE_SECONDS, TS_STRIDE,
} from "./layout";

/**
 * Copy len bytes between regions that do not overlap. Small frames (the common case) go by 16-byte
 * vectors: V8 makes memory.copy a call out of Wasm, which costs more than copying 64 bytes.
 */
// @ts-ignore: decorator
@inline function copyBytes(dst: usize, src: usize, len: u32): void {
  if (len > 256) { memory.copy(dst, src, len); return; }
  let i: usize = 0;
  const n = <usize>len;
  for (; i + 16 <= n; i += 16) v128.store(dst + i, v128.load(src + i));
  if (i + 8 <= n) { store<u64>(dst + i, load<u64>(src + i)); i += 8; }
  if (i + 4 <= n) { store<u32>(dst + i, load<u32>(src + i)); i += 4; }
  for (; i < n; i++) store<u8>(dst + i, load<u8>(src + i));
}

// @ts-ignore: decorator
@inline function rd32(p: usize, big: bool): u32 {
  const v = load<u32>(p);
  return big ? bswap<u32>(v) : v;
}

/**
 * Walk the classic pcap records of input[PC_POS, inputLen) into the batch (descriptors `desc`, slots
 * of `slotSize` bytes at `arena`, `capacity` of them, PC_COUNT in use), timestamps into `ts`. A frame
 * goes into its slot at PC_HEADROOM with a fresh descriptor (peer 0, no forced port). Records cut by
 * the capture (unless PF_KEEP_CUT) or longer than PC_MAX_FRAME are counted and skipped. Stops with PR_* (see above);
 * `eof` says no bytes follow inputLen, so a partial record there is an error, not a NEED.
 */
export function pcapIngest(ctl: usize, input: usize, inputLen: u32, eof: u32, desc: usize, arena: usize, capacity: u32, slotSize: u32, ts: usize): u32 {
  const flags = load<u32>(ctl, PC_FLAGS);
  const big = (flags & PF_BIG_ENDIAN) != 0;
  const unit: u32 = (flags & PF_NANOS_IN) != 0 ? 1000000000 : 1000000;
  const scale: u32 = (flags & PF_NANOS_IN) != 0 ? 1 : 1000;
  const h: u32 = (flags & PF_MODIFIED) != 0 ? 24 : 16;
  const keepCut = (flags & PF_KEEP_CUT) != 0;
  const limit = load<u32>(ctl, PC_LIMIT);
  const headroom = load<u32>(ctl, PC_HEADROOM);
  // A frame fits its slot after the headroom, whatever PC_MAX_FRAME says.
  let maxFrame = load<u32>(ctl, PC_MAX_FRAME);
  // (A headroom beyond the slot leaves room for nothing, not even an empty frame.)
  const fits = headroom <= slotSize;
  const room: u32 = fits ? slotSize - headroom : 0;
  if (maxFrame > room) maxFrame = room;
  let pos = load<u32>(ctl, PC_POS);
  let count = load<u32>(ctl, PC_COUNT);
  let frames = load<u32>(ctl, PC_FRAMES), truncated = load<u32>(ctl, PC_TRUNCATED), oversize = load<u32>(ctl, PC_OVERSIZE);
  let code = PR_END, err = PE_NONE, a: u32 = 0, b: u32 = 0;
  if (pos > inputLen) pos = inputLen;
  for (;;) {
    const avail = inputLen - pos;
    if (avail == 0) { code = eof != 0 ? PR_END : PR_NEED; a = h; break; }
    if (avail < h) {
      if (eof != 0) { code = PR_ERROR; err = PE_TRUNCATED_HEADER; a = avail; b = h; } else { code = PR_NEED; a = h; }
      break;
    }
    const p = input + <usize>pos;
    const caplen = rd32(p + 8, big);
    if (caplen > limit) { code = PR_ERROR; err = PE_ABSURD_CAPLEN; a = caplen; break; }
    if (avail - h < caplen) {
      if (eof != 0) { code = PR_ERROR; err = PE_TRUNCATED_DATA; a = caplen; b = avail - h; } else { code = PR_NEED; a = h + caplen; }
      break;
    }
    if (count >= capacity) { code = PR_FULL; break; }
    const orig = rd32(p + 12, big);
    frames++;
    pos += h + caplen;
    // A frame cut by the capture's snaplen is not the frame that was on the wire (PF_KEEP_CUT: replay
    // takes it as captured, as its general path does).
    if (orig > caplen && !keepCut) { truncated++; continue; }
    if (!fits || caplen > maxFrame) { oversize++; continue; }
    let sec = <u64>rd32(p, big);
    let frac = rd32(p + 4, big);
    // A fraction of a second or more is carried into the seconds.
    if (frac >= unit) { sec += <u64>(frac / unit); frac %= unit; }
    const t = ts + <usize>count * TS_STRIDE;
    store<u64>(t, sec);
    store<u32>(t, frac * scale, 8);
    store<u32>(t, 0, 12);
    const d = desc + <usize>count * DESC_SIZE;
    v128.store(d, i64x2.splat(0)); v128.store(d, i64x2.splat(0), 16); v128.store(d, i64x2.splat(0), 32); // DESC_SIZE 48
    store<u32>(d, headroom, D_DATA_OFF);
    store<u32>(d, caplen, D_DATA_LEN);
    copyBytes(arena + <usize>count * slotSize + headroom, p + h, caplen);
    count++;
  }
  store<u32>(ctl, pos, PC_POS);
  store<u32>(ctl, count, PC_COUNT);
  store<u32>(ctl, frames, PC_FRAMES);
  store<u32>(ctl, truncated, PC_TRUNCATED);
  store<u32>(ctl, oversize, PC_OVERSIZE);
  store<u32>(ctl, err, PC_ERROR);
  store<u32>(ctl, a, PC_ARG_A);
  store<u32>(ctl, b, PC_ARG_B);
  return code;
}

/**
 * Encode the results of batch packets [from, count) as little-endian classic pcap records (16-byte
 * header: seconds, fraction — PF_NANOS_OUT: nanoseconds, else microseconds — captured and original
 * length, both the result's length) into out[PC_OUT_USED, outCap). A dropped packet is counted under
 * its status (codes above the last slot share it); a descriptor whose result lies outside its slot
 * counts as BAD_DESC. `ports` (0: none) is a u32[65536] bumped at each emitted packet's source port.
 * Returns the index it stopped at: `count` when done, earlier when the next record does not fit the
 * output area, or (PC_ERROR = PE_SECONDS, PC_ARG_A = the index) at a timestamp 32 bits cannot hold.
 */
export function pcapEmit(ctl: usize, desc: usize, arena: usize, count: u32, slotSize: u32, ts: usize, from: u32, out: usize, outCap: u32, ports: usize): u32 {
  const nanos = (load<u32>(ctl, PC_FLAGS) & PF_NANOS_OUT) != 0;
  let used = load<u32>(ctl, PC_OUT_USED);
  let ok = load<u32>(ctl, PC_OK);
  store<u32>(ctl, PE_NONE, PC_ERROR);
  let i = from;
  for (; i < count; i++) {
    const d = desc + <usize>i * DESC_SIZE;
    let st = <u32>load<u16>(d, D_STATUS);
    const off = load<u32>(d, D_OUT_OFF), len = load<u32>(d, D_OUT_LEN);
    if (st == ST_OK && !(off <= slotSize && len <= slotSize - off)) st = ST_BAD_DESC;
    if (st != ST_OK) {
      const k = st < PC_STATUS_SLOTS ? st : PC_STATUS_SLOTS - 1;
      const c = ctl + PC_STATUS + <usize>k * 4;
      store<u32>(c, load<u32>(c) + 1);
      continue;
    }
    if (used > outCap || outCap - used < 16 + len) break;
    const t = ts + <usize>i * TS_STRIDE;
    const sec = load<u64>(t);
    if (sec > 0xffffffff) { store<u32>(ctl, PE_SECONDS, PC_ERROR); store<u32>(ctl, i, PC_ARG_A); break; }
    const ns = load<u32>(t, 8);
    const o = out + <usize>used;
    store<u32>(o, <u32>sec);
    store<u32>(o, nanos ? ns : ns / 1000, 4);
    store<u32>(o, len, 8);
    store<u32>(o, len, 12);
    copyBytes(o + 16, arena + <usize>i * slotSize + off, len);
    used += 16 + len;
    ok++;
    if (ports != 0) {
      const c = ports + (<usize>load<u16>(d, D_SPORT) << 2);
      store<u32>(c, load<u32>(c) + 1);
    }
  }
  store<u32>(ctl, used, PC_OUT_USED);
  store<u32>(ctl, ok, PC_OK);
  return i;
}
