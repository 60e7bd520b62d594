// Per-port typed arrays carved out of one ArrayBuffer. With 1000 peers the control plane touches a
// different peer on almost every probe, so its per-port state is cold: ten small arrays, each its
// own object and backing store, cost a cache miss apiece; views of one buffer sit side by side.

export interface PortArrays {
  f64: Float64Array[];
  u32: Uint32Array[];
  u16: Uint16Array[];
  u8: Uint8Array[];
}

/** `counts` arrays of each width, n entries each, in one zeroed buffer (widest first: aligned). */
export function carvePortArrays(n: number, counts: { f64?: number; u32?: number; u16?: number; u8?: number }): PortArrays {
  const f64 = counts.f64 ?? 0, u32 = counts.u32 ?? 0, u16 = counts.u16 ?? 0, u8 = counts.u8 ?? 0;
  const buf = new ArrayBuffer(n * (8 * f64 + 4 * u32 + 2 * u16 + u8));
  let at = 0;
  const take = <A>(count: number, width: number, make: (off: number) => A): A[] => {
    const out: A[] = [];
    for (let i = 0; i < count; i++, at += n * width) out.push(make(at));
    return out;
  };
  return {
    f64: take(f64, 8, (o) => new Float64Array(buf, o, n)),
    u32: take(u32, 4, (o) => new Uint32Array(buf, o, n)),
    u16: take(u16, 2, (o) => new Uint16Array(buf, o, n)),
    u8: take(u8, 1, (o) => new Uint8Array(buf, o, n)),
  };
}
