// pcapng timestamps: a 64-bit count of units of 10^-e or 2^-e seconds (if_tsresol), to seconds and
// nanoseconds. Microseconds and coarser decimal units fit a double exactly and take the fast path.

export interface TsResolution {
  /** true: units of 10^-exp s; false: units of 2^-exp s. */
  decimal: boolean;
  exp: number;
}

export const MICROSECONDS: TsResolution = { decimal: true, exp: 6 };

/** Parse the if_tsresol option byte: MSB clear = power of ten, set = power of two. */
export function parseTsResol(b: number): TsResolution {
  return b & 0x80 ? { decimal: false, exp: b & 0x7f } : { decimal: true, exp: b };
}

/** Whether the resolution is finer than a microsecond (then nanoseconds are worth writing). */
export function finerThanMicro(r: TsResolution): boolean {
  return r.decimal ? r.exp > 6 : r.exp > 19; // 2^-20 s < 1 us
}

const TWO32 = 4294967296;

/** Split a timestamp into [seconds, nanoseconds]; `out` receives them to avoid an allocation. */
export function splitTimestamp(hi: number, lo: number, r: TsResolution, out: { tsSec: number; tsNsec: number }): void {
  if (r.decimal && r.exp <= 9 && hi < 0x200000) {
    // v < 2^53: exact in a double.
    const v = hi * TWO32 + lo;
    const ups = 10 ** r.exp;
    let sec = Math.floor(v / ups);
    let rem = v - sec * ups;
    if (rem < 0) { sec -= 1; rem += ups; } else if (rem >= ups) { sec += 1; rem -= ups; }
    out.tsSec = sec;
    out.tsNsec = rem * 10 ** (9 - r.exp);
    return;
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const ups = r.decimal ? 10n ** BigInt(r.exp) : 1n << BigInt(r.exp);
  out.tsSec = Number(v / ups);
  out.tsNsec = Number(((v % ups) * 1_000_000_000n) / ups);
}
