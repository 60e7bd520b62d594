// Names of common link types, so that an error can say what a capture holds instead of a number.

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
