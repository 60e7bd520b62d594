// SipHash-2-4 over a batch of short messages: the probe authentication tag (docs/probe-format.md).
// One call tags `count` messages. Messages live in an arena; a descriptor of two u32 per message
// (offset into the arena, length) says where; tags go to `out` as u64 little-endian, 8 bytes each.
// A descriptor that points outside the arena gets tag 0 and is not counted, so no input can read
// out of bounds. The key is per instance (bindings/auth.ts owns its own instance).

let k0: u64 = 0;
let k1: u64 = 0;

/** Set the 128-bit key as four little-endian u32 words (k0 = w1:w0, k1 = w3:w2). */
export function sipSetKey(w0: u32, w1: u32, w2: u32, w3: u32): void {
  k0 = (<u64>w1 << 32) | <u64>w0;
  k1 = (<u64>w3 << 32) | <u64>w2;
}

// @ts-ignore: decorator
@inline function sipHash(p: usize, len: u32): u64 {
  let v0: u64 = k0 ^ 0x736f6d6570736575;
  let v1: u64 = k1 ^ 0x646f72616e646f6d;
  let v2: u64 = k0 ^ 0x6c7967656e657261;
  let v3: u64 = k1 ^ 0x7465646279746573;
  const end = p + <usize>(len & ~7);
  let q = p;
  while (q < end) {
    const m = load<u64>(q);
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
      v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
    }
    v0 ^= m;
    q += 8;
  }
  let b: u64 = <u64>(len & 0xff) << 56;
  const rest = len & 7;
  for (let j: u32 = 0; j < rest; j++) b |= <u64>load<u8>(q + <usize>j) << (8 * j);
  v3 ^= b;
  for (let r = 0; r < 2; r++) {
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  }
  v0 ^= b;
  v2 ^= 0xff;
  for (let r = 0; r < 4; r++) {
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  }
  return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * Tag `count` messages: desc holds (offset u32, length u32) pairs into arena[0, arenaBytes); tag i
 * goes to out + 8*i. Returns how many descriptors were in bounds (and tagged).
 */
export function sipHashBatch(desc: usize, arena: usize, arenaBytes: u32, out: usize, count: u32): u32 {
  let ok: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const d = desc + (<usize>i << 3);
    const off = load<u32>(d);
    const len = load<u32>(d, 4);
    const o = out + (<usize>i << 3);
    // u64 sum so that off + len cannot wrap past the check.
    if (<u64>off + <u64>len > <u64>arenaBytes) { store<u64>(o, 0); continue; }
    store<u64>(o, sipHash(arena + <usize>off, len));
    ok++;
  }
  return ok;
}
