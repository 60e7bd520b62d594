// Address parsing and formatting for configuration: strings at the edge, numbers inside.

/** Parse dotted-quad IPv4 into a host-order number; throws on malformed input. */
export function parseIPv4(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) throw new Error(`not an IPv4 address: ${JSON.stringify(s)}`);
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) throw new Error(`not an IPv4 address: ${JSON.stringify(s)}`);
    v = v * 256 + o;
  }
  return v >>> 0;
}

/** Format a host-order IPv4 number (the low 32 bits are used) as a dotted quad. */
export function formatIPv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Parse a MAC (aa:bb:cc:dd:ee:ff or aa-bb-...) into its six bytes; throws on malformed input. */
export function parseMac(s: string): Uint8Array {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(s.trim());
  if (!m) throw new Error(`not a MAC address: ${JSON.stringify(s)}`);
  return Uint8Array.from(m.slice(1, 7).map((h) => parseInt(h, 16)));
}

/** Format the first six bytes of `b` as a lower-case, colon-separated MAC (aa:bb:cc:dd:ee:ff). */
export function formatMac(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** A MAC split as the Wasm core takes it: bytes 0-3 and bytes 4-5. */
export function macWords(mac: Uint8Array): [number, number] {
  const hi = ((mac[0] << 24) | (mac[1] << 16) | (mac[2] << 8) | mac[3]) >>> 0;
  const lo = (mac[4] << 8) | mac[5];
  return [hi, lo];
}
