// The modes `zooroute simulate` runs side by side, in report order, and how the text report names them.
// Code that reports per mode iterates SIM_MODES rather than naming the modes.

/**
 * A way of choosing outer source ports that the simulator compares: zooroute (probing control plane),
 * static (kernel hash, never moves), opportunistic (ideal blind re-hash on timeout) and prr (the
 * tenant's TCP timer re-labels IPv6 flows).
 */
export type SimMode = 'zooroute' | 'static' | 'opportunistic' | 'prr';

/** Every mode, in report order: reports and tables iterate this rather than naming modes. */
export const SIM_MODES: readonly SimMode[] = ['zooroute', 'static', 'opportunistic', 'prr'];

/** The modes compared against static (outage cut). */
export type BaselineCutMode = Exclude<SimMode, 'static'>;

/** Names for people: the opportunistic mode is an idealised bound, not a deployable scheme. */
export const MODE_LABELS: Readonly<Record<SimMode, string>> = {
  zooroute: 'zooroute',
  static: 'static',
  opportunistic: 'opportunistic (ideal re-hash)',
  prr: 'prr (TCP RTO, IPv6 label)',
};
