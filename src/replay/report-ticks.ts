// Axis numbers: a round ceiling for the y scale and round time ticks (1, 2 or 5 x 10^n seconds).

/** Smallest of 1, 2, 2.5, 5 x 10^n that is >= v (1 when v <= 0). */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= v * (1 - 1e-12)) return m * mag;
  return 10 * mag;
}

/** Tick times in ms from 0 to extentMs: a round step giving at most `maxTicks` intervals. */
export function timeTicks(extentMs: number, maxTicks = 12): number[] {
  if (!(extentMs > 0)) return [0];
  const raw = extentMs / maxTicks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = 10 * mag;
  for (const m of [1, 2, 5]) if (m * mag >= raw) { step = m * mag; break; }
  const ticks: number[] = [];
  for (let i = 0; i * step <= extentMs + 1e-9; i++) ticks.push(i * step);
  return ticks;
}
