// The counters a Vtep keeps about the frames it handled: the datapath half of its metrics.

/** Frame and byte counters of a Vtep; every field only grows. */
export class VtepCounters {
  /** Tenant frames handed to the Vtep (before replication to several peers). */
  tenantFrames = 0;
  /** Tenant frames encapsulated and sent. */
  encapPackets = 0;
  /** Bytes of those frames, outer headers included. */
  encapBytes = 0;
  /** Underlay frames handed to the Vtep. */
  underlayFrames = 0;
  /** Tenant frames decapsulated and delivered. */
  decapPackets = 0;
  /** Bytes of those inner frames. */
  decapBytes = 0;
  /** Probe frames received (requests and replies). */
  probeFrames = 0;
  /** Frames not forwarded, by reason: a datapath status name (statusName), or runt, oversize, unknown_peer, send_failed, stopped. */
  readonly drops = new Map<string, number>();
  /** Flows whose outer source port changed. */
  flowSwitches = 0;

  /** Count `n` frames dropped for `reason`. */
  drop(reason: string, n = 1): void { this.drops.set(reason, (this.drops.get(reason) ?? 0) + n); }
}
