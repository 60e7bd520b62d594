/**
 * Live packet I/O on a Linux interface for an embedder or agent that owns no I/O of its own:
 * PacketIo (batched receive into a PacketBatch, a send call per batch, drops by reason; docs/io.md)
 * over the AF_PACKET addon or libpcap (the optional `cap` addon), and cap's frame-at-a-time
 * LiveInterface; and the reading of a small input file (a configuration) with errors that name it.
 * Loaded lazily: importing this module never needs either addon.
 *
 * @module zooroute/capture
 */
export {
  LiveInterface, canCapture, CAP_INSTALL_HINT, DEFAULT_RING_BYTES, RING_SLOT_BYTES,
  type LiveOptions, type FrameListener,
} from './cap.js';
export {
  IO_KINDS, TxStatus, AfPacketIo, CapIo, afPacketAddon, chooseIo, openPacketIo, parseIoKind, AFPACKET_BUILD_HINT,
  type IoKind, type IoDrops, type IoStats, type FrameViews, type SendWhich, type SendOptions, type PacketIo,
  type IoChoice, type PacketIoOptions, type AddonOpenOptions, type AddonInfo, type AfPacketAddon, type AddonHandle, type AddonStats,
} from '../io/index.js';
export { InputError, UsageError, FileError } from '../errors.js';
export { readInputText } from '../read-input.js';
