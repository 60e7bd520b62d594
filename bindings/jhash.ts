// jhash2 (lookup3, as in Linux include/linux/jhash.h) in plain TS. Used to place candidate ports and
// by the reference twin of the flow hash.

export const JHASH_INITVAL = 0xdeadbeef;

const rol = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** jhash2 over 32-bit words. */
export function jhash2(k: ArrayLike<number>, initval: number): number {
  let n = k.length;
  let a = (JHASH_INITVAL + (n << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  while (n > 3) {
    a = (a + k[i]) >>> 0; b = (b + k[i + 1]) >>> 0; c = (c + k[i + 2]) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol(b, 4)) >>> 0; b = (b + a) >>> 0;
    n -= 3; i += 3;
  }
  if (n > 0) {
    if (n === 3) c = (c + k[i + 2]) >>> 0;
    if (n >= 2) b = (b + k[i + 1]) >>> 0;
    a = (a + k[i]) >>> 0;
    c = (c ^ b) >>> 0; c = (c - rol(b, 14)) >>> 0;
    a = (a ^ c) >>> 0; a = (a - rol(c, 11)) >>> 0;
    b = (b ^ a) >>> 0; b = (b - rol(a, 25)) >>> 0;
    c = (c ^ b) >>> 0; c = (c - rol(b, 16)) >>> 0;
    a = (a ^ c) >>> 0; a = (a - rol(c, 4)) >>> 0;
    b = (b ^ a) >>> 0; b = (b - rol(a, 14)) >>> 0;
    c = (c ^ b) >>> 0; c = (c - rol(b, 24)) >>> 0;
  }
  return c >>> 0;
}
