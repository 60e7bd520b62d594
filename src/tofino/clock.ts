// What the channel models need of a clock: they advance it by what an operation costs and never
// sleep. The project's VirtualClock (src/control/clock.ts) fits structurally; this folder does not
// import the control plane, which sits above it.

export interface ModelClock {
  /** Milliseconds since the clock's origin. */
  now(): number;
  /** Move time forward by `ms` milliseconds. */
  advance(ms: number): void;
}
