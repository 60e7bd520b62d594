// The tenant frame the in-memory agent and facade tests send: IPv4/UDP 10.1.0.1 -> 10.1.0.2, 60 bytes.

/** A tenant IPv4/UDP frame; the low bits of seq pick one of 8 flows (inner source ports). */
export function tenantFrame(dst: number[], src: number[], seq: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set(dst, 0); f.set(src, 6); f[12] = 0x08; f[13] = 0x00;
  f.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 0, 1, 10, 1, 0, 2], 14);
  let s = 0; for (let i = 0; i < 20; i += 2) s += (f[14 + i] << 8) | f[15 + i];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  f[24] = (~s >> 8) & 0xff; f[25] = ~s & 0xff;
  f.set([0x4e, 0x20 + (seq % 8), 0x23, 0x28, 0, 26, 0, 0], 34);
  f[42] = seq;
  return f;
}
