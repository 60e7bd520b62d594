// What a capture file hands out, and the limits every reader applies so that memory stays bounded.

/** One captured frame. `data` is a view valid only until the next iteration step (zero-copy). */
export interface PcapRecord {
  /** Timestamp, whole seconds since the epoch. */
  tsSec: number;
  /** Timestamp, nanoseconds within the second (microsecond files give multiples of 1000). */
  tsNsec: number;
  /** The captured bytes (at most the snaplen). */
  data: Uint8Array;
  /** Length of the frame on the wire; never below data.length (see docs/pcap.md). */
  origLen: number;
  /** Link type of the record's interface (LINKTYPE_*; 1 = Ethernet). */
  linkType: number;
}

/** Ethernet (DLT_EN10MB), the only link type the datapath takes. */
export const LINKTYPE_ETHERNET = 1;

/**
 * A capture length above both the snaplen and this is absurd (libpcap's own bound for Ethernet);
 * up to it, a capture length above a wrongly written snaplen is tolerated.
 */
export const MAX_NORMAL_CAPLEN = 256 * 1024;

/** Hard cap on any record or block held in memory, whatever the snaplen claims. */
export const MAX_BLOCK = 16 * 1024 * 1024;

/** The largest capture length accepted for an interface with this snaplen (0 = unlimited). */
export function caplenLimit(snaplen: number): number {
  return Math.max(MAX_NORMAL_CAPLEN, Math.min(snaplen, MAX_BLOCK));
}
