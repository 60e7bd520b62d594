// The IPv4 header checksum (RFC 791, RFC 1071), computed plainly over big-endian 16-bit words.

/** One's-complement sum of the 16-bit big-endian words of b[at, at+len), folded to 16 bits. */
export function onesSum16(b: Uint8Array, at: number, len: number): number {
  let s = 0;
  for (let k = 0; k + 1 < len; k += 2) s += (b[at + k] << 8) | b[at + k + 1];
  if (len & 1) s += b[at + len - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum field value for the header at b[at, at+ihl) whose checksum field is zero. */
export function ipv4Checksum(b: Uint8Array, at: number, ihl: number): number {
  return ~onesSum16(b, at, ihl) & 0xffff;
}

/** Whether the header at b[at, at+ihl), checksum field included, sums to 0xffff. */
export function ipv4ChecksumValid(b: Uint8Array, at: number, ihl: number): boolean {
  return onesSum16(b, at, ihl) === 0xffff;
}
