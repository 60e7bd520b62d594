// The datapath's defaults and size limits, defined once: resolveConfig() fills them in, and every
// caller that sizes a batch, a slot or the outer headers itself (the CLI, capture, replay, the
// Vtep, the benches) imports them from here rather than repeating the numbers
// (test/constants-once.test.ts checks no copy reappears).

/** IANA's VXLAN UDP destination port (RFC 7348): DatapathConfig.vxlanPort's default, and the port decap accepts. */
export const VXLAN_PORT = 4789;

/** DatapathConfig.localMac's default (outer source MAC): a locally administered placeholder. */
export const DEFAULT_LOCAL_MAC = '02:00:00:00:00:01';

/** PeerConfig.mac's default (outer destination MAC, the underlay next hop): a locally administered placeholder. */
export const DEFAULT_PEER_MAC = '02:00:00:00:00:02';

/**
 * DatapathConfig.headroom's default: bytes reserved in each slot in front of the frame, where
 * encapsulation prepends the OUTER_LEN (50) bytes of outer headers; a multiple of 8.
 */
export const DEFAULT_HEADROOM = 64;

/** DatapathConfig.slotSize's default: bytes per slot, headroom included (a 1500-byte MTU frame fits). */
export const DEFAULT_SLOT_SIZE = 2048;

/** Smallest DatapathConfig.slotSize the datapath accepts. */
export const MIN_SLOT_SIZE = 128;

/** Largest DatapathConfig.slotSize the datapath accepts: a 64 KiB frame plus room for headers. */
export const MAX_SLOT_SIZE = 65536 + 128;

/** DatapathConfig.slotSize must be a multiple of this many bytes. */
export const SLOT_ALIGN = 64;

/** DatapathConfig.batchSize's default: packets per batch, so per JS->Wasm call. */
export const DEFAULT_BATCH_SIZE = 256;

/**
 * The smallest valid slot size that holds a frame of `frameBytes` after `headroom` bytes: rounded
 * up to SLOT_ALIGN, at least MIN_SLOT_SIZE, at most MAX_SLOT_SIZE (a longer frame does not fit any
 * slot; PacketBatch.maxFrame says what does).
 */
export function slotSizeForFrame(frameBytes: number, headroom: number = DEFAULT_HEADROOM): number {
  const slot = Math.ceil((frameBytes + headroom) / SLOT_ALIGN) * SLOT_ALIGN;
  return Math.min(MAX_SLOT_SIZE, Math.max(MIN_SLOT_SIZE, slot));
}
