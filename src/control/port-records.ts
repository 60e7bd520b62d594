// Each candidate port's state as one 128-byte record (two cache lines), the records of a peer's
// ports side by side in one buffer, read through three views of it. With 1000 peers (or a simulation
// of thousands of VTEPs) the control plane touches a different peer on almost every probe, so that
// state is cold: kept as an array per field (struct of arrays), a send, its reply and the health
// update that follows touched some twenty arrays, each a cache miss for its view and one for its
// data; as records they touch three views and the two lines of one port.
//
// Field indices are per view, within a record: FIELD_F64 for f64[k * F64_STRIDE + i], FIELD_U32 for
// u32[k * U32_STRIDE + i], FIELD_U8 for u8[k * U8_STRIDE + i]. The first line holds what a probe's
// send and reply touch; the second what they touch less often.

/** Bytes per port record. */
export const PORT_RECORD_BYTES = 128;
/** Float64 slots per record. */
export const F64_STRIDE = PORT_RECORD_BYTES / 8;
/** Uint32 slots per record. */
export const U32_STRIDE = PORT_RECORD_BYTES / 4;
/** Bytes per record, for the Uint8 view. */
export const U8_STRIDE = PORT_RECORD_BYTES;

// First line (bytes 0-63).
/** f64: send time of the port's outstanding (or latest) probe (PeerState). */
export const SENT_AT = 0;
/** f64: send time of the port's latest answered probe, -Infinity if never (PeerState). */
export const LAST_ANSWER = 1;
/** f64: clock time of the first answer, +Infinity until one (PortHealth). */
export const FIRST_ANSWER_AT = 2;
/** f64: last time a flow was given the port, -Infinity if never (PeerState). */
export const LAST_USED = 3;
/** f64: clock time of the last loss, -Infinity if none (PortHealth). */
export const LAST_LOSS_AT = 4;
/** u32 (bytes 40-43): per-port sequence of the outstanding probe (PeerState). */
export const OUTSTANDING_SEQ = 10;
/** u32: the outstanding probe's entry in the prober's PendingProbes (PeerState). */
export const PENDING_ID = 11;
/** u32: outcomes of the latest probes, newest in bit 0, 1 = answered (PortHealth). */
export const HISTORY = 12;
/** u32: generation of the port's send event; a queued send with another token is stale (PeerState). */
export const SEND_GEN = 13;
/** u32: the port's latest probe sequence (PeerState). */
export const NEXT_SEQ = 14;
/** u8 (byte 60): 1 while a probe of the port is outstanding (PeerState). */
export const HAS_OUTSTANDING = 60;
/** u8: PortState (PortHealth). */
export const STATE = 61;
/** u8: 1 while a good port waits to restore (PortHealth). */
export const RESTORING = 62;
/** u8: probes lost in a row, at most 255 (PortHealth). */
export const CONSECUTIVE_LOSSES = 63;
// Second line (bytes 64-127).
/** u8 (byte 64): 1 while flap damping holds the bad port out (PortHealth). */
export const HELD = 64;
/** u8: 1 while ranked as unvalidated until its next answer (PeerState, VtepControl #markStale). */
export const STALE = 65;
/** u8: 1 for a healthy port kept probed as a backup in partial mode (PeerState). */
export const BACKUP = 66;
/** u8: 1 while a send event of the port is queued (PeerState.setScheduled). */
export const SCHEDULED = 67;
/** u8: how many bits of HISTORY count, at most recoverWindow (PortHealth). */
export const HISTORY_LEN = 68;
/** u32 (bytes 72-75): outcomes of the latest 16 probes, newest in bit 0, 1 = lost (PortHealth). */
export const LOSS_BITS = 18;
/** u32: BackendID group, 0 = none seen (PeerState). */
export const GROUP = 19;
/** u32 (bytes 104-107): the port itself, the outer UDP source port (PeerState: what a send and a reply port read). */
export const SPORT = 26;
/** f64 (bytes 80-87): send time of the first lost probe of the current run of losses (PeerState). */
export const LOSS_RUN_SENT_AT = 10;
/** f64: flap penalty as of PENALTY_AT (PortHealth). */
export const PENALTY = 11;
/** f64: clock time PENALTY was computed at (PortHealth). */
export const PENALTY_AT = 12;

/** n zeroed port records in one buffer (and `extraBytes` more after them), and its three views. */
export class PortRecords {
  /** Records held. */
  readonly n: number;
  /** The records as float64s: port k's field i at k * F64_STRIDE + i. */
  readonly f64: Float64Array;
  /** The records as uint32s: port k's field i at k * U32_STRIDE + i. */
  readonly u32: Uint32Array;
  /** The records as bytes: port k's field i at k * U8_STRIDE + i. */
  readonly u8: Uint8Array;

  /**
   * n records, zeroed, and extraBytes (a multiple of 8) after them for the owner's other per-probe
   * state (PeerState's sent-probe log), read through the same views.
   */
  constructor(n: number, extraBytes = 0) {
    if (!Number.isInteger(extraBytes / 8) || extraBytes < 0) throw new RangeError(`extraBytes must be a multiple of 8, got ${extraBytes}`);
    this.n = n;
    const buf = new ArrayBuffer(n * PORT_RECORD_BYTES + extraBytes);
    this.f64 = new Float64Array(buf);
    this.u32 = new Uint32Array(buf);
    this.u8 = new Uint8Array(buf);
  }
}
