// The one module that touches the AF_PACKET addon (native/afpacket/zr_afpacket.c). It is built by
// `npm install` where a C compiler exists (scripts/build-native.mjs) and loaded lazily: without it
// everything runs on cap, and afPacketAddon() says why in one line.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A socket handle of the addon (an opaque external). */
export type AddonHandle = { readonly __zrAfPacket: unique symbol };

/** Options of the addon's open(): numbers (booleans as 0/1), netns a path such as /run/netns/NAME. */
export interface AddonOpenOptions {
  /** Receive ring size in bytes (rounded down to whole blocks; at least 2 blocks). */
  ringBytes?: number;
  /** Block size (a power of two, at least 8 frames at the snap length, default 64 KiB: more, smaller blocks keep a ring of few-frame blocks, retired by their timer, from filling early). */
  blockBytes?: number;
  /** Bytes kept of a frame, default the interface MTU + 22 (Ethernet header, two VLAN tags). */
  snapBytes?: number;
  /** A block is handed over at the latest this many ms after its first frame, default 1. */
  retireMs?: number;
  /** PACKET_QDISC_BYPASS: sends go to the driver directly, not through the qdisc. */
  qdiscBypass?: boolean;
  /** Kernel filter: only IPv4 UDP to this port (non-fragments); 0 or absent takes every frame. */
  filterUdpDst?: number;
  /** With filterUdpDst: only to this IPv4 address (32-bit, host order). */
  filterIpDst?: number;
  /** PACKET_FANOUT group id (non-zero) and mode (PACKET_FANOUT_HASH = 0, ...). */
  fanoutGroup?: number;
  fanoutMode?: number;
  /** PACKET_IGNORE_OUTGOING, default on: frames this host sends are not received. */
  ignoreOutgoing?: boolean;
  /** Network namespace to open the socket in (a path, e.g. /run/netns/NAME). */
  netns?: string;
}

/** The counters of a socket, as the addon reports them. */
export interface AddonStats {
  rxFrames: number; rxBytes: number; rxBlocks: number; ringFrames: number; ringDrops: number; ringFreezes: number; rxOversize: number;
  txFrames: number; txBytes: number; txCalls: number; txRingFull: number; txOversize: number; txBadDesc: number; txError: number; lastTxErrno: number;
}

/** A socket's geometry. */
export interface AddonInfo {
  ifindex: number; mtu: number; snapBytes: number; blockBytes: number; blocks: number; frameBytes: number; qdiscBypass: number; open: number;
}

/**
 * The addon's functions. Every call but open() returns a negative errno on misuse (-22 EINVAL: a
 * bad argument; -34 ERANGE: offsets or counts outside the buffer; -9 EBADF: closed) and never
 * touches memory outside the buffer it was given.
 */
export interface AfPacketAddon {
  /** Open an AF_PACKET socket with a TPACKET_V3 receive ring on `iface` (options: src/io/afpacket.ts); throws naming the errno. */
  open(iface: string, o?: AddonOpenOptions): AddonHandle;
  /** Release the socket and its ring now; the handle then answers -EBADF. Returns 0 or a negative errno. */
  close(h: AddonHandle): number;
  /**
   * Copy every frame of the ready ring blocks into slots `start..` (at most `capacity`) of the batch in
   * `buffer` (descriptors at `descBase`, slots at `arenaBase`, each `slotSize` bytes with `headroom` in
   * front), with our descriptor layout; `stamps` gets the kernel's receive time, two words (seconds,
   * nanoseconds) per slot. Returns the frames written, or a negative errno.
   */
  receive(h: AddonHandle, buffer: ArrayBuffer, descBase: number, arenaBase: number, start: number, capacity: number,
    slotSize: number, headroom: number, stamps?: Uint32Array): number;
  /**
   * Send `count` packets of the batch in one sendmmsg: each one's output (`useOutput` 1) or input
   * (0), for packets 0..count-1 or for `indices[0..count-1]`; `statuses` gets a TxStatus per listed
   * packet. Returns the frames sent, or a negative errno.
   */
  sendBatch(h: AddonHandle, buffer: ArrayBuffer, descBase: number, arenaBase: number, slotSize: number, count: number,
    useOutput: number, indices?: Uint32Array | null, statuses?: Uint8Array | null): number;
  /**
   * Send `count` frames in one sendmmsg, frame j being bytes [spans[2j], spans[2j] + spans[2j+1]) of
   * `buffer` (views of any batch of one memory); `statuses` as sendBatch. Returns the frames sent, or a negative errno.
   */
  sendSpans(h: AddonHandle, buffer: ArrayBuffer, spans: Uint32Array, count: number, statuses?: Uint8Array | null): number;
  /** The socket's counters, PACKET_STATISTICS summed over reads (the kernel resets it on each read). */
  stats(h: AddonHandle): AddonStats;
  /** The socket's geometry: interface index and MTU, snap length, ring blocks and their size, frame size, qdisc bypass. */
  info(h: AddonHandle): AddonInfo;
  /** Call `fn` whenever the ring holds a block for us (libuv poll); `null` stops. Returns 0 or a negative errno. */
  poll(h: AddonHandle, fn: (() => void) | null): number;
  /** Whether a started poll keeps the event loop alive, as a timer's ref()/unref(). Returns 0 or a negative errno. */
  ref(h: AddonHandle, yes: boolean): number;
  /**
   * Start writing file `fd`'s dirty pages in [offset, offset + length) to the disk without waiting
   * (sync_file_range, SYNC_FILE_RANGE_WRITE): a hint, the file's fsync still makes it durable. Returns
   * 0 or a negative errno. Absent from addons built before it.
   */
  writeback?(fd: number, offset: number, length: number): number;
}

/** The errno values the addon returns (negated). */
export const ADDON_ERRNO: Readonly<Record<number, string>> = { 9: 'EBADF', 12: 'ENOMEM', 22: 'EINVAL', 34: 'ERANGE' };

/** How to get the addon where it is missing. */
export const AFPACKET_BUILD_HINT = 'build it with a C compiler and make present: npm run build:native (npm install tries it)';

/** Path of the built addon: native/afpacket/build/Release at the package root, from source or from dist/. */
export function afPacketAddonPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'native', 'afpacket', 'build', 'Release', 'zr_afpacket.node');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return undefined;
}

let loaded: { addon: AfPacketAddon } | { missing: string } | undefined;

/** Load the addon once: the addon, or why it is not there (one line). */
export function afPacketAddon(): { addon: AfPacketAddon } | { missing: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') return (loaded = { missing: `AF_PACKET is Linux only (this is ${process.platform})` });
  const path = afPacketAddonPath();
  if (path === undefined) return (loaded = { missing: `the AF_PACKET addon is not built (${AFPACKET_BUILD_HINT})` });
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<AfPacketAddon>;
    if (typeof addon.receive !== 'function') return (loaded = { missing: `${path} is not the AF_PACKET addon` });
    return (loaded = { addon: addon as AfPacketAddon });
  } catch (e) {
    return (loaded = { missing: `the AF_PACKET addon does not load: ${String(e instanceof Error ? e.message : e).split('\n')[0]}` });
  }
}
