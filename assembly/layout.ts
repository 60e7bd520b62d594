// Fixed layouts shared by every kernel. docs/memory-layout.md describes them; bindings/layout.ts
// mirrors these numbers for the TS side and a test checks that the two agree.

// ---- Batch descriptor: one per packet, DESC_SIZE bytes, little-endian fields ----
export const DESC_SIZE: u32 = 48;
export const D_DATA_OFF: u32 = 0;   // u32 in:  frame start, relative to its slot
export const D_DATA_LEN: u32 = 4;   // u32 in:  frame length
export const D_OUT_OFF: u32 = 8;    // u32 out: result frame start, relative to its slot
export const D_OUT_LEN: u32 = 12;   // u32 out: result frame length (0 when dropped)
export const D_HASH: u32 = 16;      // u32 out: inner flow hash (encap, hash)
export const D_VNI: u32 = 20;       // u32 out: VNI (decap)
export const D_OUTER_SRC: u32 = 24; // u32 out: outer IPv4 source, host order (decap)
export const D_OUTER_DST: u32 = 28; // u32 out: outer IPv4 destination, host order (decap)
export const D_PEER: u32 = 32;      // u16 in:  peer index (encap)
export const D_SPORT: u32 = 34;     // u16 out: port used (encap) / outer source port (decap), 0 if dropped
export const D_STATUS: u32 = 36;    // u16 out: status code
export const D_KEY: u32 = 38;       // u16 out: key kind (KEY_*) | KEY_FRAGMENT
export const D_L3_OFF: u32 = 40;    // u16 out: inner L3 header offset in the frame (0 if none)
export const D_L4_OFF: u32 = 42;    // u16 out: inner L4 header offset in the frame (0 if none)
export const D_CAND: u32 = 44;      // u16 out: candidate index the port came from (0xffff when forced)
export const D_FORCE: u32 = 46;     // u16 in:  forced source port (encap), 0 = choose

// ---- Status codes ----
export const ST_OK: u16 = 0;
export const ST_BAD_DESC: u16 = 1;        // offset/length outside the slot, or no headroom
export const ST_RUNT: u16 = 2;            // shorter than an Ethernet header
export const ST_NO_PEER: u16 = 3;         // peer index not configured
export const ST_MTU: u16 = 4;             // outer packet would exceed the underlay MTU
export const ST_NOT_IPV4: u16 = 10;       // outer ethertype is not IPv4
export const ST_BAD_IP_HEADER: u16 = 11;  // version, IHL or truncated header
export const ST_BAD_IP_CHECKSUM: u16 = 12;
export const ST_BAD_IP_LENGTH: u16 = 13;  // total length beyond the frame or below the header
export const ST_IP_FRAGMENT: u16 = 14;    // outer datagram is a fragment
export const ST_NOT_UDP: u16 = 15;
export const ST_BAD_UDP_LENGTH: u16 = 16;
export const ST_NOT_VXLAN_PORT: u16 = 17;
export const ST_VXLAN_TRUNCATED: u16 = 18;
export const ST_BAD_VXLAN_FLAGS: u16 = 19; // I flag clear
export const ST_VNI_FILTERED: u16 = 20;
export const ST_INNER_RUNT: u16 = 21;     // inner frame shorter than an Ethernet header

// ---- Flow key kinds ----
export const KEY_NONE: u16 = 0;
export const KEY_L2: u16 = 2;
export const KEY_L3: u16 = 3;
export const KEY_L4: u16 = 4;
export const KEY_FRAGMENT: u16 = 0x100;

// ---- Hash families (added to the seed as family << 24 | proto-or-ethertype) ----
export const FAM_L2: u32 = 1;
export const FAM_V4: u32 = 4;
export const FAM_V6: u32 = 6;

// ---- Outer header ----
export const OUTER_LEN: u32 = 50;  // Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
export const MAX_CANDIDATES: u32 = 64;

// ---- Peer record: PEER_SIZE bytes per peer ----
export const PEER_SIZE: u32 = 256;
export const P_FLAGS: u32 = 0;      // u16 bit0 = configured
export const P_NCAND: u32 = 2;      // u16 number of candidate ports (1..64)
export const P_CAND_MASK: u32 = 4;  // u32 N-1 when N is a power of two, else 0xffffffff
export const P_SUM: u32 = 8;        // u32 partial IPv4 header checksum of the template's fixed words
export const P_TABLE: u32 = 12;     // u16 which fast-path table chooses the port (TABLE_*)
export const P_TEMPLATE: u32 = 16;  // 50-byte outer header template (16..66), padded to 72
export const P_CAND: u32 = 72;      // u16[64] candidate ports (72..200)
export const P_TABLE_DATA: u32 = 200; // 56 bytes for per-peer fast-path table state

export const TABLE_DEFAULT: u16 = 0;  // candidates[hash mod N]
export const TABLE_FLAT: u16 = 1;     // flat baseline: first usable entry from hash mod N
export const TABLE_PBM: u16 = 2;      // priority-based bitmap matching
export const TABLE_HI: u16 = 3;       // hierarchical indexing
export const TABLE_REDIRECT: u16 = 4; // per-port redirect cells (hosts)

// ---- Fast-path table arrays (register arrays the control plane writes; docs/tables.md) ----
export const TA_FLAT: u32 = 0;        // u16 per (peer, candidate): the port, 0 = unusable
export const TA_PBM_BITMAP: u32 = 1;  // u32 words per peer (1 when N <= 32, else 2): bit i = candidate i usable
export const TA_PBM_SHIFT: u32 = 2;   // u8 per priority group: circular shift of the group's fallback scan
export const TA_HI_L1: u32 = 3;       // u16 per peer: 0 = no failure, else second-level block + 1
export const TA_HI_L2: u32 = 4;       // u8 per (block, entry): 0 = empty, else recorded candidate + 1
export const TA_PBM_PREF_TAG: u32 = 5;   // u16 per preference slot: peer + 1, 0 = free (4-way buckets, two choices)
export const TA_PBM_PREF_SHIFT: u32 = 6; // u8 per (preference slot, group): the peer's own group shifts
export const TA_REDIRECT: u32 = 7;    // u8 per (peer, candidate, spread bucket): 0 = default, else candidate + 1
export const PBM_PREF_WAYS: u32 = 4;  // slots per preference bucket
export const CAND_NONE: u16 = 0xffff; // lookup output for a peer index outside the tables

// ---- Bulk classic pcap records (assembly/pcap.ts): control block of u32 words, little-endian ----
export const PC_FLAGS: u32 = 0;      // in: PF_* bits
export const PC_LIMIT: u32 = 4;      // in: largest capture length accepted (caplenLimit of the snaplen)
export const PC_MAX_FRAME: u32 = 8;  // in: longer frames are dropped as oversize
export const PC_HEADROOM: u32 = 12;  // in: where a frame goes in its slot
export const PC_POS: u32 = 16;       // in/out: next record's position in the input area
export const PC_COUNT: u32 = 20;     // in/out: the batch's length
export const PC_FRAMES: u32 = 24;    // out, accumulated: records walked
export const PC_TRUNCATED: u32 = 28; // out, accumulated: records cut by the capture (caplen < origlen)
export const PC_OVERSIZE: u32 = 32;  // out, accumulated: records longer than the max frame
export const PC_ERROR: u32 = 36;     // out: PE_* of the last stop
export const PC_ARG_A: u32 = 40;     // out: first figure of the error, or the bytes needed (NEED)
export const PC_ARG_B: u32 = 44;     // out: second figure of the error
export const PC_OUT_USED: u32 = 48;  // in/out: bytes of the output area in use
export const PC_OK: u32 = 52;        // in/out: records in the output area
export const PC_STATUS: u32 = 64;    // out, accumulated: PC_STATUS_SLOTS u32 counters of dropped frames by status
export const PC_STATUS_SLOTS: u32 = 32;
export const PC_SIZE: u32 = 192;      // bytes of the control block

export const PF_BIG_ENDIAN: u32 = 1;  // the input's records are big-endian
export const PF_NANOS_IN: u32 = 2;    // the input's fractions are nanoseconds
export const PF_MODIFIED: u32 = 4;    // 24-byte record headers (magic a1b2cd34)
export const PF_NANOS_OUT: u32 = 8;   // emit nanosecond fractions
export const PF_KEEP_CUT: u32 = 16;   // take records cut by the capture (caplen < origlen) as they are, not count them as truncated

// pcapIngest's answers
export const PR_FULL: u32 = 0;  // the batch is full; call again after it is drained
export const PR_NEED: u32 = 1;  // the next record is not whole in the input; PC_ARG_A = bytes it needs from PC_POS
export const PR_END: u32 = 2;   // end of input (eof) at a record boundary
export const PR_ERROR: u32 = 3; // broken record at PC_POS: PC_ERROR says which
export const PE_NONE: u32 = 0;
export const PE_TRUNCATED_HEADER: u32 = 1; // A = bytes present, B = header size
export const PE_TRUNCATED_DATA: u32 = 2;   // A = caplen, B = bytes present
export const PE_ABSURD_CAPLEN: u32 = 3;    // A = caplen
export const PE_SECONDS: u32 = 4;          // emit: batch index A's seconds do not fit 32 bits

/** Per batch index: the record's timestamp, u64 seconds (carry included) and u32 nanoseconds. */
export const TS_STRIDE: u32 = 16;

// ---- TCP retransmission marks (assembly/retransmit.ts): a direct-mapped flow table, RT_ENTRY bytes a slot ----
export const RT_ENTRY: u32 = 16;  // bytes per flow-table entry
export const RT_TAG: u32 = 0;     // u32: the flow's full 32-bit inner hash
export const RT_END: u32 = 4;     // u32: highest sequence end seen (seq + payload length, mod 2^32)
export const RT_AT: u32 = 8;      // u32: when the flow last showed new data (the caller's ms, mod 2^32)
export const RT_PEER: u32 = 12;   // u16: the packet's peer index (descriptor `peer`): a flow is (peer, hash)
export const RT_USED: u32 = 14;   // u16: 1 once a flow took the slot, 0 = empty
export const RT_REPEAT: u8 = 1;   // mark: a segment sent again while its flow still showed new data (a fast retransmit, a duplicate)
export const RT_STALLED: u8 = 2;  // mark: a segment sent again after its flow showed no new data for stallMs (a timeout's)
export const RT_SPREAD: u32 = 0x9e3779b1; // slot = (hash + peer * RT_SPREAD) & mask: one flow to two peers, two slots

// ---- Replay keys (assembly/replay.ts): RK_SIZE bytes per batch packet, little-endian ----
export const RK_SIZE: u32 = 24;
export const RK_FLOW: u32 = 0;     // i32 out: the memo's flow id for the packet's 5-tuple, -1 none (replay may write it for replayMemoInsert)
export const RK_SRC: u32 = 4;      // u32 out: inner source (IPv4 address, or a 32-bit fold of an IPv6 address / MAC)
export const RK_DST: u32 = 8;      // u32 out: inner destination, the same way
export const RK_FAMILY: u32 = 12;  // u8 out: 4 IPv4 (or ARP), 6 IPv6, 2 MAC; 0 = bad descriptor
export const RK_PROTO: u32 = 13;   // u8 out: IPv4 protocol / IPv6 next header, else 0
export const RK_L4: u32 = 14;      // u8 out: 1 = unfragmented IPv4 TCP/UDP with its ports read
export const RK_SPORT: u32 = 16;   // u16 out: inner L4 ports (RK_L4 only, else 0)
export const RK_DPORT: u32 = 18;
export const RK_BIN: u32 = 20;     // u32 out: 100 ms bin of the packet's timestamp after time zero (saturates)
export const RK_FAMILY_IPV4: u32 = 4;
export const RK_FAMILY_IPV6: u32 = 6;
export const RK_FAMILY_MAC: u32 = 2;

// ---- Replay 5-tuple memo: RM_SIZE bytes per slot, a power of two of slots ----
export const RM_SIZE: u32 = 20;
export const RM_SRC: u32 = 0;      // u32 inner IPv4 source
export const RM_DST: u32 = 4;      // u32 inner IPv4 destination
export const RM_PORTS: u32 = 8;    // u32 sport << 16 | dport
export const RM_PROTO: u32 = 12;   // u32 protocol (6 or 17)
export const RM_ID: u32 = 16;      // u32 flow id + 1; 0 = empty slot

// ---- Replay flow rows (assembly/replay.ts: replayScanCount, replayEncapPlan): RF_SIZE bytes per flow id ----
export const RF_SIZE: u32 = 16;
export const RF_BIN: u32 = 0;        // scan: u32 the bin being tallied
export const RF_COUNT: u32 = 4;      // scan: u32 packets tallied in that bin (0 = none)
export const RF_BYTES: u32 = 8;      // scan: u64 their bytes
export const RF_SRC: u32 = 0;        // encap: u32 the flow's source VTEP (below 2^31)
export const RF_PEER: u32 = 4;       // encap: u16 the flow's peer row (descriptor peer)
export const RF_FORCED_AT: u32 = 8;  // encap: u32 first forced-port entry of the flow
export const RF_FORCED_LEN: u32 = 12; // encap: u32 its entries, sorted by bin (a list outside the area: the caller's)

// ---- Replay forced ports (replayEncapPlan): RP_SIZE bytes per (flow, bin) whose port zooroute moved ----
export const RP_SIZE: u32 = 8;
export const RP_BIN: u32 = 0;        // u32 the bin
export const RP_PORT: u32 = 4;       // u16 the port forced in that bin (never 0)

// ---- Replay spill rows (replayScanCount): a flow's finished bin tally, RS_SIZE bytes ----
export const RS_SIZE: u32 = 24;
export const RS_FLOW: u32 = 0;       // u32 flow id
export const RS_BIN: u32 = 4;        // u32 bin
export const RS_COUNT: u32 = 8;      // u32 packets
export const RS_BYTES: u32 = 16;     // u64 bytes

// ---- Replay runs (replayEncapPlan): consecutive packets of one source VTEP, RR_SIZE bytes ----
export const RR_SIZE: u32 = 12;
export const RR_SRC: u32 = 0;        // u32 source VTEP
export const RR_FROM: u32 = 4;       // u32 first packet
export const RR_TO: u32 = 8;         // u32 one past the last

// ---- Replay pass control block (replayScanCount, replayEncapPlan): u32 words out ----
export const RC_TODO: u32 = 0;       // rows left to the caller (their indices in the todo list)
export const RC_SPILLS: u32 = 4;     // scan: spill rows written
export const RC_REPLAYED: u32 = 8;   // scan: rows tallied
export const RC_MAX_BIN: u32 = 12;   // scan: largest bin tallied (0 when none)
export const RC_FORCED: u32 = 16;    // encap: rows given a forced port
export const RC_RUNS: u32 = 20;      // encap: runs written
export const RC_SIZE: u32 = 32;
