// Byte access for the reference twin: explicit big-endian (wire) and little-endian (Wasm load) reads
// and writes on a Uint8Array, so the twin never depends on the host's byte order.

export const be16 = (b: Uint8Array, i: number): number => (b[i] << 8) | b[i + 1];

/** A little-endian u16, as Wasm's load<u16> reads it. */
export const le16 = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8);

/** A little-endian u32, as Wasm's load<u32> reads it: how flow-key words are loaded. */
export const le32 = (b: Uint8Array, i: number): number =>
  (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

export const be32 = (b: Uint8Array, i: number): number =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

export function putBe16(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 8) & 0xff;
  b[i + 1] = v & 0xff;
}

export function putBe32(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 24) & 0xff;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}
