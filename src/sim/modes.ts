// The modes `zooroute simulate` runs side by side, in report order, and how the text report names them.
// Code that reports per mode iterates SIM_MODES rather than naming the modes.

export type SimMode = 'zooroute' | 'static' | 'opportunistic' | 'prr';

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
