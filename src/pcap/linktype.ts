// Names of common link types, so that an error can say what a capture holds instead of a number.
import { InputError } from '../errors.js';

const names: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'ETHERNET',
  6: 'IEEE802_5',
  9: 'PPP',
  101: 'RAW (IP without link header)',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL (Linux cooked)',
  127: 'IEEE802_11_RADIOTAP',
  147: 'USER0',
  192: 'PPI',
  195: 'IEEE802_15_4',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  249: 'NETLINK',
  276: 'LINUX_SLL2 (Linux cooked v2)',
};

/** `101 (RAW (IP without link header))`, or just the number when unknown. */
export function linkTypeName(t: number): string {
  const n = names[t];
  return n === undefined ? String(t) : `${t} (${n})`;
}

/** The reason text used when a capture's link type is not the one required. */
export function wrongLinkType(found: number, wanted: number): string {
  return `link type ${linkTypeName(found)} where ${linkTypeName(wanted)} frames are required`;
}

/**
 * A capture (or one of its packets' interfaces) of another link type than the reader was told to
 * require: an InputError that also carries both link types, so a caller can say what would help.
 */
export class LinkTypeError extends InputError {
  /**
   * @param file - the capture
   * @param offset - byte offset of the link-type field (classic) or of the packet block (pcapng)
   * @param found - the capture's link type there
   * @param wanted - the link type required
   * @param where - what the link type belongs to, put before the reason (e.g. `packet on interface 1: `)
   */
  constructor(file: string, offset: number, readonly found: number, readonly wanted: number, where = '') {
    super(file, offset, `${where}${wrongLinkType(found, wanted)}`);
    this.name = 'LinkTypeError';
  }
}
