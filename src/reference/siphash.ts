// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF") in plain TS: the twin of the
// Wasm batch kernel assembly/siphash.ts and the tag the probe codec uses for single probes.
// Each 64-bit lane is held as two int32 halves so that no BigInt is created per tag (BigInt
// arithmetic costs several times more in V8); the result is written as 8 bytes, little-endian, as
// the reference implementation outputs it.

/** A SipHash key: 16 bytes, read as two little-endian 64-bit words k0, k1. */
export const SIPHASH_KEY_BYTES = 16;
export const SIPHASH_TAG_BYTES = 8;

const le32 = (b: Uint8Array, i: number): number =>
  b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

/**
 * SipHash-2-4 of msg[start, end) under `key` (16 bytes); writes the 8-byte tag at out[outOff].
 * Throws a RangeError on a key of the wrong size or a range outside msg.
 */
export function sipHash24Into(key: Uint8Array, msg: Uint8Array, start: number, end: number, out: Uint8Array, outOff: number): void {
  if (key.length !== SIPHASH_KEY_BYTES) throw new RangeError(`SipHash key must be 16 bytes, got ${key.length}`);
  if (!(start >= 0 && start <= end && end <= msg.length)) throw new RangeError(`bad message range ${start}..${end} of ${msg.length}`);
  if (!(outOff >= 0 && outOff + SIPHASH_TAG_BYTES <= out.length)) throw new RangeError('tag does not fit in out');
  const k0l = le32(key, 0), k0h = le32(key, 4), k1l = le32(key, 8), k1h = le32(key, 12);
  // Locals, not module state: V8 keeps them unboxed (module-level numbers above 2^30 are boxed on
  // every store, which made a tag cost microseconds).
  let v0h = k0h ^ 0x736f6d65, v0l = k0l ^ 0x70736575;
  let v1h = k1h ^ 0x646f7261, v1l = k1l ^ 0x6e646f6d;
  let v2h = k0h ^ 0x6c796765, v2l = k0l ^ 0x6e657261;
  let v3h = k1h ^ 0x74656462, v3l = k1l ^ 0x79746573;
  const len = end - start;
  const full = start + (len & ~7);
  let i = start;
  let mh = 0, ml = 0;
  // Blocks: the full 8-byte words, then the last block (remaining 0..7 bytes, length mod 256 in the
  // top byte); then finalisation. `phase` walks the three, `rounds` SipRounds each.
  for (let phase = 0; phase < 3;) {
    let rounds = 2;
    if (phase === 0) {
      if (i >= full) { phase = 1; continue; }
      ml = le32(msg, i); mh = le32(msg, i + 4); i += 8;
    } else if (phase === 1) {
      ml = 0; mh = (len & 0xff) << 24;
      for (let j = 0; i + j < end; j++) {
        const byte = msg[i + j];
        if (j < 4) ml |= byte << (8 * j); else mh |= byte << (8 * (j - 4));
      }
    } else {
      v2l ^= 0xff;
      rounds = 4;
    }
    if (phase < 2) { v3h ^= mh; v3l ^= ml; }
    for (let r = 0; r < rounds; r++) {
      let lo = 0, hi = 0;
      // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
      lo = (v0l + v1l) | 0; v0h = (v0h + v1h + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
      hi = (v1h << 13) | (v1l >>> 19); lo = (v1l << 13) | (v1h >>> 19);
      v1h = hi ^ v0h; v1l = lo ^ v0l;
      hi = v0h; v0h = v0l; v0l = hi;
      // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
      lo = (v2l + v3l) | 0; v2h = (v2h + v3h + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
      hi = (v3h << 16) | (v3l >>> 16); lo = (v3l << 16) | (v3h >>> 16);
      v3h = hi ^ v2h; v3l = lo ^ v2l;
      // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
      lo = (v0l + v3l) | 0; v0h = (v0h + v3h + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
      hi = (v3h << 21) | (v3l >>> 11); lo = (v3l << 21) | (v3h >>> 11);
      v3h = hi ^ v0h; v3l = lo ^ v0l;
      // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
      lo = (v2l + v1l) | 0; v2h = (v2h + v1h + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
      hi = (v1h << 17) | (v1l >>> 15); lo = (v1l << 17) | (v1h >>> 15);
      v1h = hi ^ v2h; v1l = lo ^ v2l;
      hi = v2h; v2h = v2l; v2l = hi;
    }
    if (phase < 2) { v0h ^= mh; v0l ^= ml; }
    if (phase >= 1) phase++;
  }
  const rl = (v0l ^ v1l ^ v2l ^ v3l) >>> 0, rh = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  out[outOff] = rl; out[outOff + 1] = rl >>> 8; out[outOff + 2] = rl >>> 16; out[outOff + 3] = rl >>> 24;
  out[outOff + 4] = rh; out[outOff + 5] = rh >>> 8; out[outOff + 6] = rh >>> 16; out[outOff + 7] = rh >>> 24;
}

/** SipHash-2-4 of the whole message, as an unsigned 64-bit bigint (the reference's uint64 output). */
export function sipHash24(key: Uint8Array, msg: Uint8Array): bigint {
  const out = new Uint8Array(SIPHASH_TAG_BYTES);
  sipHash24Into(key, msg, 0, msg.length, out, 0);
  return new DataView(out.buffer).getBigUint64(0, true);
}
