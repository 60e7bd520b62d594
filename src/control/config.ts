// Control-plane settings, their defaults (SPEC.md "Path probing"; docs/health.md) and validation.

/** How a peer's ports are probed: 'full' probes all N_p candidates, 'partial' the ports in use plus backupPorts healthy ones. */
export type ProbeMode = 'full' | 'partial';

/**
 * Which outer source port a responder answers a probe on (docs/probe-format.md "Reply port"):
 * 'probed' the probed port only; 'healthy' the responder's own best healthy port towards the prober
 * (the probed port when it knows none); 'alternate' one reply per request, on the probed port and on
 * that healthy port in turn (by the request's sequence), so that two replies lost in a row need both
 * reverse paths to fail; 'both' the probed port and, when it differs, the healthy port too (two
 * replies per request: beyond docs/security.md's no-amplification rule, opt-in only).
 */
export type ReplyPort = 'probed' | 'healthy' | 'both' | 'alternate' | 'spread';

/** Every control-plane setting (times in ms); resolveControlConfig() fills defaults and checks ranges. */
export interface ControlConfig {
  /** Candidate ports per peer, N_p (every peer has exactly this many). Default 32. */
  candidates: number;
  /** Peers the path tables hold. Default 1024. */
  maxPeers: number;
  /** PBM priority groups G, 1..64, default 4 (docs/tables.md). */
  pbmGroups: number;
  /** HI candidates per entry M, a power of two 1..64, default 8 (docs/tables.md). */
  hiGroupSize: number;
  /** Redirect table (hosts): healthy ports a failed port's flows spread over, S in 1..16, default 4. */
  redirectSpread: number;
  /** Each probed port is probed once per interval (spread over it, never in bursts). Default 300 ms. */
  probeIntervalMs: number;
  /**
   * A probe unanswered this long is lost: the timeout before any round-trip sample, and the most it
   * can be. Default 200 ms.
   */
  probeTimeoutMs: number;
  /**
   * Adaptive timeout's floor: once replies give round-trip samples the timeout is the largest
   * SRTT + 4 x RTTVAR among the peers (RFC 6298's estimator; the largest decays slowly), kept between
   * this and probeTimeoutMs. Default 50 ms; equal to probeTimeoutMs = a fixed timeout (docs/health.md).
   */
  minProbeTimeoutMs: number;
  /** Consecutive losses that turn a port bad. Default 2. */
  badAfterLosses: number;
  /**
   * After a port's first lost probe (the port not bad), probe it again at once rather than at its next
   * slot, so that badAfterLosses = 2 takes about two timeouts, not an interval and a timeout. Default true.
   */
  reprobeOnLoss: boolean;
  /** A bad port is good again when >= recoverAnswered of its last recoverWindow probes were answered, the latest included. Defaults 3 of 5. */
  recoverAnswered: number;
  /** Probes looked back over for recovery (1..32), default 5; see recoverAnswered. */
  recoverWindow: number;
  /**
   * Flap damping: each time a port turns bad its penalty grows by 1 and halves every flapHalfLifeMs;
   * above flapSuppressPenalty (two failures within about a half-life) a bad port must also be
   * failure-free for suppressHoldMs before it returns. Defaults 10 s, 1.5, 5 s (docs/health.md).
   */
  flapHalfLifeMs: number;
  /** Flap penalty above which a bad port is held (see flapHalfLifeMs). Default 1.5. */
  flapSuppressPenalty: number;
  /** How long a held port must be failure-free before it returns, ms. Default 5000. */
  suppressHoldMs: number;
  /**
   * A port that turns bad after another loss among its previous lossyWindow probes (scattered, random
   * loss rather than a black hole) is held like a flapping one. Default 8; 0 = off (docs/health.md).
   */
  lossyWindow: number;
  /** Damping holds no port while fewer than this share of a peer's candidates are not bad. Default 0.25. */
  holdFloor: number;
  /**
   * Wait to restore: a port that recovered with a loss among the answers that brought it back takes
   * flows again only once failure-free this long. Default 5 s; 0 = off (docs/health.md).
   */
  waitToRestoreMs: number;
  /** A peer is active (probed) while it had tenant traffic within this window. Default 10 s. */
  activeWindowMs: number;
  /** A port is "in use" while a flow was given it within this window. Default 10 s. */
  inUseWindowMs: number;
  /** Peers' probing mode unless addPeer says otherwise: all N_p ports, or in-use ports plus backups. Default 'partial'. */
  probeMode: ProbeMode;
  /** Healthy ports probed in partial mode besides those in use, to keep them pre-validated. Default 4. */
  backupPorts: number;
  /**
   * Partial mode: when a port in use fails, probe all of that peer's candidates for this long (ms),
   * so that validated targets are known within about one probe interval. Default 10 s; 0 = off.
   */
  fullProbeAfterFailureMs: number;
  /**
   * When a port fails, its peer's good ports not answered within the last interval and timeout rank
   * as unvalidated until they answer again: moved flows go to ports validated since the failure began,
   * while there are any. Default true.
   */
  freshTargets: boolean;
  /**
   * Beyond the talk: act on VtepControl.noteRetransmission, the datapath's report that a tenant TCP
   * segment sent on a port was retransmitted after a timeout. A report counts as one lost probe of
   * that port (never the only evidence: the port goes down only if the probe sent at once is lost
   * too). Default true; false gives the talk's design, which acts on probes alone (docs/health.md
   * "Retransmission trigger").
   */
  retransmitTrigger: boolean;
  /**
   * With retransmitTrigger, in the live datapath: a TCP segment sent again is reported only when its
   * flow had sent no new data for at least this long (a sender's retransmission timeout, which on
   * Linux is at least 200 ms), not a fast retransmit of a flow still moving, as under congestion. The
   * simulator models the timeouts alone. Default 100 ms (docs/health.md "Retransmission trigger").
   */
  retransmitStallMs: number;
  /** Group ports by the BackendID their replies carried (middlebox sensing). Default true. */
  middleboxSensing: boolean;
  /** VNI that marks probes. Default 0xFFFFFF. */
  probeVni: number;
  /**
   * Outer source port of a probe reply: the probed port, the responder's best healthy port towards
   * the prober, the two in turn, or both (see ReplyPort). Default 'alternate' (docs/probe-format.md, measured there).
   */
  replyPort: ReplyPort;
  /**
   * Read the receipt window of every authentic reply: an outstanding probe it shows arrived at the
   * peer counts as answered, so a port's health is its forward path's, whichever reverse path (if
   * any) its own reply had. Default true; false judges each probe by its own reply only (the round
   * trip). docs/probe-format.md "Receipts".
   */
  receipts: boolean;
  /** Probe rate backs off exponentially while CPU utilisation is above this. Default 0.8. */
  cpuHighWatermark: number;
  /** How often the CPU function is sampled. Default 1000 ms. */
  cpuSampleMs: number;
  /** Highest backoff exponent from CPU (interval x 2^level). Default 5. */
  maxCpuBackoff: number;
  /** Highest backoff exponent a responder's CTL may ask for. Default 5. */
  maxCtlBackoff: number;
  /** Responder token bucket: probe requests answered per second in all. Default 20000. */
  responderRatePerSec: number;
  /** Responder token bucket's depth, requests. Default 2000. */
  responderBurst: number;
  /**
   * And per source VTEP: requests answered per second and bucket depth for each sender (a sender
   * probing 64 ports every 300 ms asks about 213/s). Defaults 1000/s, 200.
   */
  responderSourceRatePerSec: number;
  /** Depth of each source VTEP's bucket, requests. Default 200. */
  responderSourceBurst: number;
  /** Granularity of the prober's scheduler (> 0): events are coalesced into ticks this long. Default 5 ms. */
  tickMs: number;
}

/** The defaults of every ControlConfig field (SPEC.md "Path probing", docs/health.md). */
export const DEFAULT_CONTROL_CONFIG: Readonly<ControlConfig> = Object.freeze({
  candidates: 32,
  maxPeers: 1024,
  pbmGroups: 4,
  hiGroupSize: 8,
  redirectSpread: 4,
  probeIntervalMs: 300,
  probeTimeoutMs: 200,
  minProbeTimeoutMs: 50,
  badAfterLosses: 2,
  reprobeOnLoss: true,
  recoverAnswered: 3,
  recoverWindow: 5,
  flapHalfLifeMs: 10_000,
  flapSuppressPenalty: 1.5,
  suppressHoldMs: 5_000,
  lossyWindow: 8,
  holdFloor: 0.25,
  waitToRestoreMs: 5_000,
  activeWindowMs: 10_000,
  inUseWindowMs: 10_000,
  probeMode: 'partial',
  backupPorts: 4,
  fullProbeAfterFailureMs: 10_000,
  freshTargets: true,
  retransmitTrigger: true,
  retransmitStallMs: 100,
  middleboxSensing: true,
  probeVni: 0xffffff,
  replyPort: 'alternate',
  receipts: true,
  cpuHighWatermark: 0.8,
  cpuSampleMs: 1000,
  maxCpuBackoff: 5,
  maxCtlBackoff: 5,
  responderRatePerSec: 20_000,
  responderBurst: 2000,
  responderSourceRatePerSec: 1000,
  responderSourceBurst: 200,
  tickMs: 5,
});

function num(name: string, v: number, lo: number, hi: number, int = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
    throw new RangeError(`control config ${name} must be ${int ? 'an integer' : 'a number'} in ${lo}..${hi}, got ${String(v)}`);
  }
}

/** Defaults filled in and every field checked; throws a RangeError naming the bad field. */
export function resolveControlConfig(c: Partial<ControlConfig> = {}): ControlConfig {
  const r: ControlConfig = { ...DEFAULT_CONTROL_CONFIG, ...c };
  num('candidates', r.candidates, 1, 64, true);
  num('maxPeers', r.maxPeers, 1, 65535, true);
  num('pbmGroups', r.pbmGroups, 1, 64, true);
  num('hiGroupSize', r.hiGroupSize, 1, 64, true);
  num('redirectSpread', r.redirectSpread, 1, 16, true);
  num('probeIntervalMs', r.probeIntervalMs, 1, 3_600_000);
  num('probeTimeoutMs', r.probeTimeoutMs, 1, 3_600_000);
  num('minProbeTimeoutMs', r.minProbeTimeoutMs, 1, r.probeTimeoutMs);
  num('badAfterLosses', r.badAfterLosses, 1, 32, true);
  num('recoverWindow', r.recoverWindow, 1, 32, true);
  num('recoverAnswered', r.recoverAnswered, 1, r.recoverWindow, true);
  num('flapHalfLifeMs', r.flapHalfLifeMs, 1, 1e9);
  num('flapSuppressPenalty', r.flapSuppressPenalty, 0, 1e6);
  num('suppressHoldMs', r.suppressHoldMs, 0, 1e9);
  num('lossyWindow', r.lossyWindow, 0, 16, true);
  num('holdFloor', r.holdFloor, 0, 1);
  num('waitToRestoreMs', r.waitToRestoreMs, 0, 1e9);
  num('activeWindowMs', r.activeWindowMs, 0, 1e9);
  num('inUseWindowMs', r.inUseWindowMs, 0, 1e9);
  if (r.probeMode !== 'full' && r.probeMode !== 'partial') throw new RangeError(`control config probeMode must be 'full' or 'partial', got ${String(r.probeMode)}`);
  num('backupPorts', r.backupPorts, 0, 64, true);
  num('fullProbeAfterFailureMs', r.fullProbeAfterFailureMs, 0, 1e9);
  if (typeof r.middleboxSensing !== 'boolean') throw new RangeError('control config middleboxSensing must be a boolean');
  num('probeVni', r.probeVni, 0, 0xffffff, true);
  if (r.replyPort !== 'probed' && r.replyPort !== 'healthy' && r.replyPort !== 'both' && r.replyPort !== 'alternate' && r.replyPort !== 'spread') {
    throw new RangeError(`control config replyPort must be 'probed', 'healthy', 'both', 'alternate' or 'spread', got ${String(r.replyPort)}`);
  }
  if (typeof r.retransmitTrigger !== 'boolean') throw new RangeError('control config retransmitTrigger must be a boolean');
  num('retransmitStallMs', r.retransmitStallMs, 0, 60_000, true);
  if (typeof r.freshTargets !== 'boolean') throw new RangeError('control config freshTargets must be a boolean');
  if (typeof r.reprobeOnLoss !== 'boolean') throw new RangeError('control config reprobeOnLoss must be a boolean');
  if (typeof r.receipts !== 'boolean') throw new RangeError('control config receipts must be a boolean');
  num('cpuHighWatermark', r.cpuHighWatermark, 0, 1);
  num('cpuSampleMs', r.cpuSampleMs, 1, 3_600_000);
  num('maxCpuBackoff', r.maxCpuBackoff, 0, 16, true);
  num('maxCtlBackoff', r.maxCtlBackoff, 0, 15, true);
  num('responderRatePerSec', r.responderRatePerSec, 0, 1e9);
  num('responderBurst', r.responderBurst, 1, 1e9);
  num('responderSourceRatePerSec', r.responderSourceRatePerSec, 0, 1e9);
  num('responderSourceBurst', r.responderSourceBurst, 1, 1e9);
  num('tickMs', r.tickMs, 0.001, 1000);
  return r;
}
