// The TS mirror of assembly/layout.ts. test/layout.test.ts checks the two files agree.

export const DESC_SIZE = 48;
export const D_DATA_OFF = 0;
export const D_DATA_LEN = 4;
export const D_OUT_OFF = 8;
export const D_OUT_LEN = 12;
export const D_HASH = 16;
export const D_VNI = 20;
export const D_OUTER_SRC = 24;
export const D_OUTER_DST = 28;
export const D_PEER = 32;
export const D_SPORT = 34;
export const D_STATUS = 36;
export const D_KEY = 38;
export const D_L3_OFF = 40;
export const D_L4_OFF = 42;
export const D_CAND = 44;
export const D_FORCE = 46;

/** Bytes of outer headers encapsulation prepends: Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const OUTER_LEN = 50;
export const MAX_CANDIDATES = 64;

export const KEY_NONE = 0;
/** PacketBatch.keyKind(): the flow hash covered the MAC addresses and ethertype (non-IP or unparsable IP). */
export const KEY_L2 = 2;
/** PacketBatch.keyKind(): the flow hash covered the IP addresses and protocol, no ports. */
export const KEY_L3 = 3;
/** PacketBatch.keyKind(): the flow hash covered IP addresses, protocol and TCP/UDP ports (or the ICMP echo id). */
export const KEY_L4 = 4;
/** Bit ORed into PacketBatch.keyKind() for an IP fragment, which hashes without ports. */
export const KEY_FRAGMENT = 0x100;

export const FAM_L2 = 1;
export const FAM_V4 = 4;
export const FAM_V6 = 6;

// Fast-path tables (docs/tables.md): a peer's P_TABLE, and the register arrays the control plane writes.
export const TABLE_DEFAULT = 0;
export const TABLE_FLAT = 1;
export const TABLE_PBM = 2;
export const TABLE_HI = 3;
export const TABLE_REDIRECT = 4;
export const TA_FLAT = 0;
export const TA_PBM_BITMAP = 1;
export const TA_PBM_SHIFT = 2;
export const TA_HI_L1 = 3;
export const TA_HI_L2 = 4;
export const TA_PBM_PREF_TAG = 5;
export const TA_PBM_PREF_SHIFT = 6;
export const TA_REDIRECT = 7;
export const PBM_PREF_WAYS = 4;
export const CAND_NONE = 0xffff;

/** Per-packet status codes: 0 is success, anything else names why the packet was dropped. */
export const Status = {
  /** Success. */
  OK: 0,
  /** Descriptor offset or length outside the slot, or no headroom for the outer headers. */
  BAD_DESC: 1,
  /** Frame shorter than an Ethernet header (14 bytes). */
  RUNT: 2,
  /** Peer index not configured (encap). */
  NO_PEER: 3,
  /** The outer packet would exceed the underlay MTU (encap). */
  MTU: 4,
  /** Outer ethertype is not IPv4 (decap). */
  NOT_IPV4: 10,
  /** Outer IPv4 version, IHL or truncated header (decap). */
  BAD_IP_HEADER: 11,
  /** Outer IPv4 header checksum wrong (decap). */
  BAD_IP_CHECKSUM: 12,
  /** Outer IPv4 total length beyond the frame or below the header (decap). */
  BAD_IP_LENGTH: 13,
  /** Outer datagram is a fragment (decap). */
  IP_FRAGMENT: 14,
  /** Outer protocol is not UDP (decap). */
  NOT_UDP: 15,
  /** Outer UDP length below 8 or beyond the IP payload (decap). */
  BAD_UDP_LENGTH: 16,
  /** Outer UDP destination port is not the VXLAN port (decap). */
  NOT_VXLAN_PORT: 17,
  /** UDP payload shorter than the VXLAN header (decap). */
  VXLAN_TRUNCATED: 18,
  /** VXLAN I flag clear (decap). */
  BAD_VXLAN_FLAGS: 19,
  /** VNI other than config.decapVni (decap). */
  VNI_FILTERED: 20,
  /** Inner frame shorter than an Ethernet header (decap). */
  INNER_RUNT: 21,
} as const;
/** The name of a status code as a key of Status (e.g. `BAD_IP_CHECKSUM`). */
export type StatusName = keyof typeof Status;
/** A per-packet status code, one of the values of Status. */
export type StatusCode = (typeof Status)[StatusName];

const names = new Map<number, string>(Object.entries(Status).map(([k, v]) => [v, k.toLowerCase()]));
/** A status code's reason name as the CLI and metrics report it (e.g. `bad_ip_checksum`). */
export function statusName(code: number): string {
  return names.get(code) ?? `status_${code}`;
}

// Bulk classic pcap records (assembly/pcap.ts, bindings/record-arena.ts): the control block's words.
export const PC_FLAGS = 0;
export const PC_LIMIT = 4;
export const PC_MAX_FRAME = 8;
export const PC_HEADROOM = 12;
export const PC_POS = 16;
export const PC_COUNT = 20;
export const PC_FRAMES = 24;
export const PC_TRUNCATED = 28;
export const PC_OVERSIZE = 32;
export const PC_ERROR = 36;
export const PC_ARG_A = 40;
export const PC_ARG_B = 44;
export const PC_OUT_USED = 48;
export const PC_OK = 52;
export const PC_STATUS = 64;
export const PC_STATUS_SLOTS = 32;
export const PC_SIZE = 192;
export const PF_BIG_ENDIAN = 1;
export const PF_NANOS_IN = 2;
export const PF_MODIFIED = 4;
export const PF_NANOS_OUT = 8;
export const PF_KEEP_CUT = 16;
export const PR_FULL = 0;
export const PR_NEED = 1;
export const PR_END = 2;
export const PR_ERROR = 3;
export const PE_NONE = 0;
export const PE_TRUNCATED_HEADER = 1;
export const PE_TRUNCATED_DATA = 2;
export const PE_ABSURD_CAPLEN = 3;
export const PE_SECONDS = 4;
export const TS_STRIDE = 16;

// TCP retransmission marks (assembly/retransmit.ts): the flow table's entries.
export const RT_ENTRY = 16;
export const RT_TAG = 0;
export const RT_END = 4;
export const RT_AT = 8;
export const RT_PEER = 12;
export const RT_USED = 14;
/** Retransmission mark: a repeat while the flow still showed new data (fast retransmit, duplicate). */
export const RT_REPEAT = 1;
/** Retransmission mark: a repeat after the flow showed no new data for the call's stallMs (a timeout's). */
export const RT_STALLED = 2;
export const RT_SPREAD = 0x9e3779b1;

// Replay keys and 5-tuple memo (assembly/replay.ts, docs/memory-layout.md).
export const RK_SIZE = 24;
export const RK_FLOW = 0;
export const RK_SRC = 4;
export const RK_DST = 8;
export const RK_FAMILY = 12;
export const RK_PROTO = 13;
export const RK_L4 = 14;
export const RK_SPORT = 16;
export const RK_DPORT = 18;
export const RK_BIN = 20;
export const RK_FAMILY_IPV4 = 4;
export const RK_FAMILY_IPV6 = 6;
export const RK_FAMILY_MAC = 2;
export const RM_SIZE = 20;
export const RM_SRC = 0;
export const RM_DST = 4;
export const RM_PORTS = 8;
export const RM_PROTO = 12;
export const RM_ID = 16;
// Replay flow rows, forced ports, spill rows, runs and the pass control block (assembly/replay.ts).
export const RF_SIZE = 16;
export const RF_BIN = 0;
export const RF_COUNT = 4;
export const RF_BYTES = 8;
export const RF_SRC = 0;
export const RF_PEER = 4;
export const RF_FORCED_AT = 8;
export const RF_FORCED_LEN = 12;
export const RP_SIZE = 8;
export const RP_BIN = 0;
export const RP_PORT = 4;
export const RS_SIZE = 24;
export const RS_FLOW = 0;
export const RS_BIN = 4;
export const RS_COUNT = 8;
export const RS_BYTES = 16;
export const RR_SIZE = 12;
export const RR_SRC = 0;
export const RR_FROM = 4;
export const RR_TO = 8;
export const RC_TODO = 0;
export const RC_SPILLS = 4;
export const RC_REPLAYED = 8;
export const RC_MAX_BIN = 12;
export const RC_FORCED = 16;
export const RC_RUNS = 20;
export const RC_SIZE = 32;
// The peer record's fields replayRetemplate rewrites (assembly/layout.ts, "Peer record").
export const PEER_SIZE = 256;
export const P_FLAGS = 0;
export const P_SUM = 8;
export const P_TEMPLATE = 16;
