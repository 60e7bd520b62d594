// Choosing and opening a PacketIo: `--io cap|mmap`, by default mmap (the AF_PACKET addon) where it is
// built, else cap with ONE line saying so.
import { formatIPv4 } from '../../bindings/index.js';
import { UsageError } from '../errors.js';
import { afPacketAddon } from './addon.js';
import { AfPacketIo } from './afpacket-io.js';
import { CapIo } from './cap-io.js';
import { IO_KINDS, type IoKind, type PacketIo } from './packet-io.js';

/** Which I/O to use and, when the default fell back, the one line to tell the operator. */
export interface IoChoice {
  /** The implementation to open. */
  kind: IoKind;
  /** Set when mmap was the default but is not available (cap is used instead). */
  notice?: string;
}

/** Parse an `--io` value; a UsageError names the flag. */
export function parseIoKind(v: string, flag = '--io'): IoKind {
  if ((IO_KINDS as readonly string[]).includes(v)) return v as IoKind;
  throw new UsageError(`${flag} must be one of ${IO_KINDS.join(', ')}, got ${JSON.stringify(v)}`);
}

/**
 * The I/O to use: the requested one, or by default mmap where the addon loads and cap otherwise
 * (with a notice). An explicit mmap without the addon is a UsageError saying how to build it.
 */
export function chooseIo(requested?: IoKind): IoChoice {
  if (requested === 'cap') return { kind: 'cap' };
  const r = afPacketAddon();
  if (!('missing' in r)) return { kind: 'mmap' };
  if (requested === 'mmap') throw new UsageError(`--io mmap: ${r.missing}`);
  return { kind: 'cap', notice: `using cap for live I/O: ${r.missing}` };
}

/** What to receive on an interface opened with openPacketIo. */
export interface PacketIoOptions {
  /** Kernel receive ring in bytes. */
  ringBytes?: number;
  /** Only IPv4 UDP to this port (and to `ipDst` when given): the underlay's VXLAN. */
  udpDst?: number;
  /** With udpDst: only to this address (32-bit IPv4). */
  ipDst?: number;
  /** A libpcap filter expression: cap only (the addon compiles no pcap-filter text). */
  pcapFilter?: string;
  /** Receive nothing (a send-only handle): a minimal ring, and a filter that matches no frame. */
  sendOnly?: boolean;
  /** PACKET_QDISC_BYPASS for sends (mmap). */
  qdiscBypass?: boolean;
  /**
   * Join this PACKET_FANOUT group (1..65535, mmap only): the sockets of one group on an interface share
   * its frames by flow hash (PACKET_FANOUT_HASH), each frame to one of them, a flow always to the same one.
   */
  fanoutGroup?: number;
}

/** PACKET_FANOUT_HASH (linux/if_packet.h): a frame goes to the group's socket its flow hash picks. */
const PACKET_FANOUT_HASH = 0;

/** A filter that matches nothing (cap: `less 1`; mmap: UDP to 255.255.255.255 port 65535). */
const NOTHING = { cap: 'less 1', udpDst: 0xffff, ipDst: 0xffffffff };

/** Open `iface` with the chosen I/O. */
export function openPacketIo(kind: IoKind, iface: string, o: PacketIoOptions = {}): PacketIo {
  if (kind === 'cap') {
    const filter = o.sendOnly ? NOTHING.cap
      : o.pcapFilter ?? (o.udpDst !== undefined ? `udp dst port ${o.udpDst}${o.ipDst !== undefined ? ` and dst host ${formatIPv4(o.ipDst)}` : ''}` : '');
    if (o.fanoutGroup !== undefined) throw new UsageError('a fanout group needs --io mmap (libpcap has no PACKET_FANOUT)');
    return CapIo.open(iface, { filter, ringBytes: o.sendOnly ? 1 << 20 : o.ringBytes });
  }
  if (o.pcapFilter !== undefined && o.pcapFilter !== '') {
    throw new UsageError('a pcap filter expression needs --io cap (the AF_PACKET addon filters only the underlay\'s VXLAN)');
  }
  if (o.sendOnly) {
    // The kernel filter accepts next to nothing: the ring stays empty.
    return AfPacketIo.open(iface, { ringBytes: 1 << 19, filterUdpDst: NOTHING.udpDst, filterIpDst: NOTHING.ipDst, qdiscBypass: o.qdiscBypass });
  }
  const fanout = o.fanoutGroup === undefined ? {} : { fanoutGroup: o.fanoutGroup, fanoutMode: PACKET_FANOUT_HASH };
  return AfPacketIo.open(iface, { ringBytes: o.ringBytes, filterUdpDst: o.udpDst, filterIpDst: o.ipDst, qdiscBypass: o.qdiscBypass, ...fanout });
}
