// Batched packet I/O on live interfaces (docs/io.md): one interface, PacketIo, implemented over cap
// (libpcap) and over the AF_PACKET addon (TPACKET_V3 ring, sendmmsg).
export { IO_KINDS, TxStatus, type IoKind, type IoDrops, type IoStats, type FrameViews, type SendWhich, type SendOptions, type PacketIo } from './packet-io.js';
export { AfPacketIo } from './afpacket-io.js';
export { CapIo } from './cap-io.js';
export { afPacketAddon, afPacketAddonPath, AFPACKET_BUILD_HINT, ADDON_ERRNO, type AfPacketAddon, type AddonHandle, type AddonInfo, type AddonOpenOptions, type AddonStats } from './addon.js';
export { chooseIo, openPacketIo, parseIoKind, type IoChoice, type PacketIoOptions } from './open.js';
