// TCP retransmission marks: for each encapsulated (or hashed) packet whose inner key is L4 TCP, the
// sequence end of its segment (seq + payload length) against the highest end its flow has shown. A
// segment with payload whose end is not after that highest (RFC 1982 serial arithmetic) is sent
// again: a retransmission. It is marked RT_STALLED when the flow had shown no new data for at least
// stallMs (the caller's clock, ms) — a sender's retransmission timeout, as on a black-holed path —
// else RT_REPEAT (a fast retransmit or a duplicate: the flow was still moving, as under congestion).
// A flow is (peer, inner hash): a frame flooded to several peers is one
// segment to each, not a repeat. Flows live in a direct-mapped table (slot from hash and peer, both
// kept as the tag); a new flow takes its slot. Reads only the frame's bytes [data_off, data_off + data_len) of its
// slot, and treats the descriptor's offsets as hints it checks against the frame: a malformed or
// truncated header is no mark, never a trap. docs/memory-layout.md ("Retransmission marks") has the
// layout; src/reference/retransmit.ts is the TS twin.
import { DESC_SIZE, D_DATA_LEN, D_DATA_OFF, D_HASH, D_KEY, D_L3_OFF, D_L4_OFF, D_PEER, D_STATUS, KEY_L4, ST_OK, RT_AT, RT_END, RT_ENTRY, RT_PEER, RT_REPEAT, RT_SPREAD, RT_STALLED, RT_TAG, RT_USED } from "./layout";

// @ts-ignore: decorator
@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }

/**
 * One segment of the frame at p (len bytes) with inner headers at l3, l4, flow hash h, to peer `peer`:
 * RT_STALLED or RT_REPEAT when it is a retransmission, else 0. Updates the flow's entry in the table.
 */
// @ts-ignore: decorator
@inline function segment(p: usize, len: u32, l3: u32, l4: u32, h: u32, peer: u32, table: usize, mask: u32, now: u32, stallMs: u32): u32 {
  // The TCP header's fixed 20 bytes in the frame, and at least an IPv4 header's 20 before them.
  if (l4 < l3 + 20 || l4 + 20 > len) return 0;
  const hl = l4 - l3;
  const q = p + <usize>l3;
  const v = <u32>load<u8>(q) >> 4;
  let tcpBytes: u32, ipEnd: u32;
  if (v == 4) {
    const ihl = (<u32>load<u8>(q) & 15) << 2;
    const total = be16(q + 2);
    if (ihl != hl || <u32>load<u8>(q, 9) != 6 || total < ihl) return 0;
    tcpBytes = total - ihl; ipEnd = l3 + total;
  } else if (v == 6) {
    // Only a TCP header straight after the fixed IPv6 header; extension headers are not walked.
    if (hl != 40 || <u32>load<u8>(q, 6) != 6) return 0;
    tcpBytes = be16(q + 4); ipEnd = l4 + tcpBytes;
  } else return 0;
  if (ipEnd > len) return 0; // truncated: the lengths cannot be trusted
  const t = p + <usize>l4;
  const doff = (<u32>load<u8>(t, 12) >> 4) << 2;
  if (doff < 20 || doff > tcpBytes) return 0;
  const payload = tcpBytes - doff;
  // SYN and FIN are not counted: a segment's end is seq + payload bytes.
  const end = bswap<u32>(load<u32>(t, 4)) + payload;
  const e = table + (<usize>((h + peer * RT_SPREAD) & mask)) * RT_ENTRY;
  if (load<u16>(e, RT_USED) == 0 || load<u32>(e, RT_TAG) != h || <u32>load<u16>(e, RT_PEER) != peer) {
    store<u32>(e, h, RT_TAG); store<u32>(e, end, RT_END); store<u32>(e, now, RT_AT); store<u16>(e, <u16>peer, RT_PEER); store<u16>(e, 1, RT_USED);
    return 0;
  }
  if (<i32>(end - load<u32>(e, RT_END)) > 0) { store<u32>(e, end, RT_END); store<u32>(e, now, RT_AT); return 0; }
  if (payload == 0) return 0;
  // How long the flow has shown nothing new: a repeat is not new data, so a timeout's repeats that
  // follow (the sender backing off) are still stalled.
  return now - load<u32>(e, RT_AT) >= stallMs ? <u32>RT_STALLED : <u32>RT_REPEAT;
}

/**
 * Mark the batch's TCP retransmissions: marks[i] = RT_STALLED or RT_REPEAT for packet i when it has
 * status OK, key exactly KEY_L4 (no fragment), inner TCP over IPv4 or IPv6 and payload whose end is
 * not after its flow's highest (RT_STALLED when the flow's last new data was at least stallMs before
 * `now`, both in the caller's ms mod 2^32); else 0. Every marks[0, count) is written. The flow table
 * has mask + 1 entries (a power of two) of RT_ENTRY bytes at `table`; a flow is the descriptor's peer
 * with its hash. Returns the number marked (either kind). Run after encap (or hash), which fill key,
 * offsets and hash; the descriptors are not written.
 */
export function tcpRetransmits(desc: usize, arena: usize, count: u32, slotSize: u32, marks: usize, table: usize, mask: u32, now: u32, stallMs: u32): u32 {
  let marked: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const d = desc + <usize>i * DESC_SIZE;
    let m: u32 = 0;
    if (load<u16>(d, D_STATUS) == ST_OK && load<u16>(d, D_KEY) == KEY_L4) {
      const off = load<u32>(d, D_DATA_OFF), len = load<u32>(d, D_DATA_LEN);
      if (off <= slotSize && len <= slotSize - off) {
        const p = arena + <usize>i * slotSize + <usize>off;
        m = segment(p, len, <u32>load<u16>(d, D_L3_OFF), <u32>load<u16>(d, D_L4_OFF), load<u32>(d, D_HASH), <u32>load<u16>(d, D_PEER), table, mask, now, stallMs);
      }
    }
    store<u8>(marks + <usize>i, <u8>m);
    marked += m != 0 ? 1 : 0;
  }
  return marked;
}
