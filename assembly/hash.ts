// Bob Jenkins' lookup3 as the Linux kernel's jhash2 uses it (include/linux/jhash.h), over u32 words.
// The flow key's words are read little-endian straight from the frame; see docs/flow-hash.md.

export const JHASH_INITVAL: u32 = 0xdeadbeef;

// @ts-ignore: decorator
@inline export function jhashFinal3(a: u32, b: u32, c: u32): u32 {
  c ^= b; c -= rotl<u32>(b, 14);
  a ^= c; a -= rotl<u32>(c, 11);
  b ^= a; b -= rotl<u32>(a, 25);
  c ^= b; c -= rotl<u32>(b, 16);
  a ^= c; a -= rotl<u32>(c, 4);
  b ^= a; b -= rotl<u32>(a, 14);
  c ^= b; c -= rotl<u32>(b, 24);
  return c;
}

/** jhash2 of exactly three words. */
// @ts-ignore: decorator
@inline export function jhash3(k0: u32, k1: u32, k2: u32, initval: u32): u32 {
  const iv: u32 = JHASH_INITVAL + (3 << 2) + initval;
  return jhashFinal3(iv + k0, iv + k1, iv + k2);
}

/** jhash2 of the nine words at `p` (IPv6 source, destination, ports). */
// @ts-ignore: decorator
@inline export function jhash9(p: usize, ports: u32, initval: u32): u32 {
  let a: u32 = JHASH_INITVAL + (9 << 2) + initval;
  let b = a, c = a;
  a += load<u32>(p, 0); b += load<u32>(p, 4); c += load<u32>(p, 8);
  a -= c; a ^= rotl<u32>(c, 4);  c += b;
  b -= a; b ^= rotl<u32>(a, 6);  a += c;
  c -= b; c ^= rotl<u32>(b, 8);  b += a;
  a -= c; a ^= rotl<u32>(c, 16); c += b;
  b -= a; b ^= rotl<u32>(a, 19); a += c;
  c -= b; c ^= rotl<u32>(b, 4);  b += a;
  a += load<u32>(p, 12); b += load<u32>(p, 16); c += load<u32>(p, 20);
  a -= c; a ^= rotl<u32>(c, 4);  c += b;
  b -= a; b ^= rotl<u32>(a, 6);  a += c;
  c -= b; c ^= rotl<u32>(b, 8);  b += a;
  a -= c; a ^= rotl<u32>(c, 16); c += b;
  b -= a; b ^= rotl<u32>(a, 19); a += c;
  c -= b; c ^= rotl<u32>(b, 4);  b += a;
  a += load<u32>(p, 24); b += load<u32>(p, 28); c += ports;
  return jhashFinal3(a, b, c);
}
