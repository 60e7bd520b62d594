// VtepControl: one VTEP's control plane — prober, responder, health, switching, middlebox sensing
// and rate control — driven by a Clock and a ProbeTransport, so that the simulator and the live
// agent run the same code. Decisions reach the datapath only as contents of the path tables.
import type { Clock } from './clock.js';
import { resolveControlConfig, type ControlConfig, type ProbeMode } from './config.js';
import {
  verifyProbe, ProbeBuffer, probeOrigin, probeTarget, probeSeq, probeSport, probeCtl, probeBackendKey,
  probeNum, probeAckHigh, probeAckMapHi, probeAckMapLo, PROBE_WIRE_BYTES,
} from './probe-codec.js';
import { ReceiptWindows } from './receipt-windows.js';
import { PORT_BAD, PORT_GOOD, PORT_UNKNOWN, type Transition } from './health.js';
import { PeerState, SENT_STRIDE } from './peer.js';
import {
  F64_STRIDE, U32_STRIDE, U8_STRIDE, SENT_AT, LAST_ANSWER, LAST_USED, LAST_LOSS_AT, LOSS_RUN_SENT_AT, OUTSTANDING_SEQ,
  PENDING_ID, SEND_GEN, NEXT_SEQ, GROUP, HAS_OUTSTANDING, STATE, RESTORING, CONSECUTIVE_LOSSES, HELD, STALE, BACKUP, SCHEDULED, SPORT,
} from './port-records.js';
import { TokenBucket } from './token-bucket.js';
import { SourceBuckets } from './source-buckets.js';
import { CpuBackoff } from './cpu-backoff.js';
import { TickScheduler } from './scheduler.js';
import { PendingProbes } from './pending-probes.js';
import { IpMap } from './ip-map.js';
import { restorePeers, snapshotPeers, type HealthSnapshot, type RestoreResult } from './health-state.js';
import { createFastTable, SlowPathTable, type FastTable, type TableKind } from '../tables/index.js';
import { UNVALIDATED_SINCE } from '../tables/slow-path.js';
import { jhash2 } from '../../bindings/jhash.js';
import { DEFAULT_PORT_RANGE, type PortRange } from '../../bindings/ports.js';
import { SipHasher } from '../../bindings/auth.js';

/** How VtepControl sends its probes: the embedder puts them on the wire (or the simulator on its links). */
export interface ProbeTransport {
  /**
   * Send a probe payload from this VTEP to `peerIp` with outer UDP source port `sport` (the path).
   * `payload` is valid only during the call (the control plane reuses its buffer): copy it to keep it.
   */
  send(peerIp: number, sport: number, payload: Uint8Array): void;
}

/** What a VtepControl is built from. */
export interface VtepControlOptions {
  /** Source of time and timers. */
  clock: Clock;
  /** This VTEP's underlay IPv4, host order (the probes' origin). */
  localIp: number;
  /** Shared probe secret: the 16-byte SipHash key. */
  secret: Uint8Array;
  /** Where probe requests and replies are sent. */
  transport: ProbeTransport;
  /** Fast-path table kind the port choice goes through. */
  table: TableKind;
  /** Settings different from DEFAULT_CONTROL_CONFIG. */
  config?: Partial<ControlConfig>;
  /** CPU utilisation 0..1 (modelled in sim, real in the agent). Without it there is no CPU backoff. */
  cpu?: () => number;
  /**
   * Rows of the path tables, 1..config.maxPeers (default maxPeers): the peers this VTEP can hold.
   * A simulation that knows each VTEP's peers sizes a host's redirect table to them, so that 10k
   * control planes do not each zero a maxPeers-row table; nothing else depends on maxPeers here.
   */
  tableRows?: number;
  /**
   * Probe number the first request to each peer follows (ProbeFields.num), uint32, default 0. A live
   * VTEP passes a random one, so that after a restart its numbers do not resume inside the window a
   * responder still keeps for it (docs/probe-format.md "Receipts").
   */
  firstProbeNumber?: number;
  /**
   * Source ports a reply may use when this VTEP knows no healthy port towards the prober (it does not
   * probe it): the datapath's port range, default 49152-65535 (ControlConfig.replyPort 'alternate').
   */
  replyPortRange?: PortRange;
}

/** Something the control plane decided, as VtepControl.onEvent hears it. */
export interface ControlEvent {
  /** port-restored: a port that came back intermittently waited to restore (docs/health.md) and takes its flows again. */
  type: 'port-down' | 'port-up' | 'switch' | 'port-restored';
  /** The peer's underlay IPv4, host order. */
  peerIp: number;
  /** The port that went down or up; for 'switch', the failed port whose flows moved. */
  sport: number;
  /** Clock time of the decision, ms. */
  atMs: number;
  /**
   * port-down: flap damping holds the port out (scattered loss or repeated failure), so it returns
   * only once failure-free for suppressHoldMs. port-up: it had been held.
   */
  held?: boolean;
  /** port-up, port-restored: time since the port's last lost probe. */
  failureFreeMs?: number;
  /** port-up: the port is good but waits to restore: its flows return at port-restored. */
  waitToRestore?: boolean;
}

/** Counters of a VtepControl since it was created (VtepControl.stats()). */
export interface ControlStats {
  /** Probe requests sent. */
  probesSent: number;
  /** Probe replies sent (requests answered). */
  repliesSent: number;
  /** Wire bytes of the requests and replies sent (PROBE_WIRE_BYTES each; a request answered on two ports counts two replies, ControlConfig.replyPort). */
  probeBytes: number;
  /** Replies that matched an outstanding probe. */
  repliesOk: number;
  /** Outstanding probes that a reply's receipt window (not their own reply) showed had arrived. */
  receipts: number;
  /** Probes whose tag did not verify (they change nothing). */
  badTags: number;
  /** Probes that failed any other format check (they change nothing). */
  malformed: number;
  /** Authentic replies that matched nothing outstanding (late, duplicate, unknown port). */
  stale: number;
  /** Requests dropped by this responder's token bucket. */
  throttled: number;
  /** Probes unanswered within probeTimeoutMs. */
  probesLost: number;
  /** Retransmission reports counted as a lost probe (ControlConfig.retransmitTrigger). */
  retransmits: number;
  /** Times a port turned bad. */
  portsDown: number;
  /** Times a bad port turned good again. */
  portsUp: number;
  /** Port failures that moved flows (the port was in use when it went bad). */
  switches: number;
  /** Current CPU backoff exponent. */
  cpuBackoff: number;
}

/** One candidate port as the control plane sees it (VtepControl.ports()). */
export interface PortView {
  /** The candidate's outer UDP source port. */
  sport: number;
  /** Health: never answered, answering, or failed. */
  state: 'unknown' | 'good' | 'bad';
  /** BackendID group its replies came back through (middlebox sensing); 0 = unknown. */
  group: number;
  /** Clock ms of its last loss, or of its first answer if none; +Infinity if never answered. */
  failureFreeSince: number;
  /** Whether it is currently scheduled for probing. */
  probed: boolean;
  /** Good, but waiting to restore: carries no flows yet (docs/health.md). */
  restoring: boolean;
}

/** failureFreeSince written for never-validated ports (defined with the tables that rank by it). */
export { UNVALIDATED_SINCE };

// Queued events are (peer or undefined, kind + 4 * port, token) in the scheduler's records: no object per event.
const EV_SEND = 0, EV_SWEEP = 1, EV_CPU = 2;

/**
 * One VTEP's control plane: prober, responder, port health, path switching, middlebox sensing and
 * rate control, driven by a Clock and a ProbeTransport (the simulator and the agent run the same
 * code). Its decisions reach the datapath only as contents of the path tables (`slow`, `fast`).
 * Single-threaded; call onProbe() for every probe payload that arrives and start() to begin probing.
 */
export class VtepControl {
  /** The settings in force, defaults filled in. */
  readonly config: ControlConfig;
  /** Source of truth for every peer's ports, indexed by table row. */
  readonly slow = new SlowPathTable();
  /** The fast-path table compiled from `slow`; attach it to a Datapath to mirror it. */
  readonly fast: FastTable;
  /** Called synchronously for every port-down, port-up, switch and port-restored decision. */
  onEvent?: (e: ControlEvent) => void;

  readonly #clock: Clock;
  readonly #localIp: number;
  /** The probe tag's key, bound in the Wasm kernel (see ProbeKey). */
  readonly #key: SipHasher;
  readonly #transport: ProbeTransport;
  readonly #cpu: (() => number) | undefined;
  readonly #peers = new IpMap<PeerState>();
  /** Path-table row of each peer (tables index peers 0..maxPeers-1), and the rows free for reuse. */
  readonly #freeRows: number[] = [];
  /** Rows below this have been handed out; the rest are free (so no list of maxPeers rows up front). */
  #rowsUsed = 0;
  /** Rows of the path tables (VtepControlOptions.tableRows). */
  readonly #rows: number;
  /** Peers by table row (notePortUsed). */
  readonly #byRow: (PeerState | undefined)[] = [];
  readonly #sched: TickScheduler<PeerState | undefined>;
  readonly #bucket: TokenBucket;
  readonly #sourceBuckets: SourceBuckets;
  readonly #receiptWindows: ReceiptWindows;
  readonly #firstNum: number;
  readonly #replyRange: PortRange;
  /**
   * The probe timeout now (ControlConfig.minProbeTimeoutMs): probeTimeoutMs until a round trip is
   * measured, then the largest peer estimate, decaying slowly, within [minProbeTimeoutMs, probeTimeoutMs].
   * One timeout for every peer keeps the outstanding probes in deadline order (PendingProbes).
   */
  #timeoutMs: number;
  #sampled = false;
  readonly #backoff: CpuBackoff;
  #started = false;
  /** Outstanding probes, oldest (first deadline) first. */
  readonly #pending = new PendingProbes();
  #sweepQueued = false;
  /** The payload of the request and of the reply being sent (ProbeTransport.send copies what it keeps): no array per probe. */
  readonly #requestOut = new ProbeBuffer();
  readonly #replyOut = new ProbeBuffer();
  /** The words #spreadPort hashes (no array per reply). */
  readonly #spreadWords: number[] = [0, 0];
  readonly #stats: ControlStats = {
    probesSent: 0, repliesSent: 0, probeBytes: 0, repliesOk: 0, receipts: 0, badTags: 0, malformed: 0, stale: 0,
    throttled: 0, probesLost: 0, retransmits: 0, portsDown: 0, portsUp: 0, switches: 0, cpuBackoff: 0,
  };

  /** Throws a RangeError when the secret is not 16 bytes or a config field is out of range. */
  constructor(o: VtepControlOptions) {
    if (o.secret.length !== 16) throw new RangeError(`probe secret must be 16 bytes, got ${o.secret.length}`);
    this.config = resolveControlConfig(o.config);
    this.#clock = o.clock;
    this.#localIp = o.localIp >>> 0;
    this.#key = new SipHasher(o.secret);
    this.#transport = o.transport;
    this.#cpu = o.cpu;
    const c = this.config;
    const rows = o.tableRows ?? c.maxPeers;
    if (!Number.isInteger(rows) || rows < 1 || rows > c.maxPeers) throw new RangeError(`tableRows must be an integer 1..maxPeers (${c.maxPeers}), got ${rows}`);
    this.#rows = rows;
    this.fast = createFastTable(o.table, this.slow, {
      peers: this.#rows, candidates: c.candidates, groups: c.pbmGroups, groupSize: c.hiGroupSize, spread: c.redirectSpread,
    });
    this.#sched = new TickScheduler<PeerState | undefined>(o.clock, this.config.tickMs, (p, due, kindK, token) => this.#dispatch(p, due, kindK, token),
      // A send's first reads, for all of a tick's sends before the first runs (see TickScheduler).
      (p, kindK) => (p === undefined ? 0 : p.u32[(kindK >>> 2) * U32_STRIDE + SEND_GEN]! + p.u8[(kindK >>> 2) * U8_STRIDE + BACKUP]! + p.health.n));
    this.#bucket = new TokenBucket(o.clock, this.config.responderRatePerSec, this.config.responderBurst);
    // Bounded well above the peers a VTEP talks to: only senders with the key get a bucket.
    this.#sourceBuckets = new SourceBuckets(o.clock, this.config.responderSourceRatePerSec, this.config.responderSourceBurst, 4 * this.config.maxPeers);
    this.#receiptWindows = new ReceiptWindows(4 * this.config.maxPeers);
    this.#backoff = new CpuBackoff(this.config.cpuHighWatermark, this.config.maxCpuBackoff);
    this.#firstNum = (o.firstProbeNumber ?? 0) >>> 0;
    const range = o.replyPortRange ?? DEFAULT_PORT_RANGE;
    if (!Number.isInteger(range.lo) || !Number.isInteger(range.hi) || range.lo < 1 || range.hi > 65535 || range.lo > range.hi) {
      throw new RangeError(`replyPortRange must be 1 <= lo <= hi <= 65535, got ${range.lo}-${range.hi}`);
    }
    this.#replyRange = { lo: range.lo, hi: range.hi };
    this.#timeoutMs = this.config.probeTimeoutMs;
  }

  // ---- peers and flows ------------------------------------------------------------------------

  /**
   * Add a peer with its N_p candidate ports (config.candidates of them, distinct). probes: false for
   * a peer known not to answer probes (it keeps the default choice); mode overrides config.probeMode.
   * Re-adding a peer replaces it, with fresh health. Throws a RangeError on a wrong count, repeated
   * ports, or when the tables hold maxPeers peers already.
   */
  addPeer(peerIp: number, candidates: readonly number[], opts: { probes?: boolean; mode?: ProbeMode } = {}): void {
    const ip = peerIp >>> 0;
    if (candidates.length !== this.config.candidates) throw new RangeError(`a peer needs ${this.config.candidates} candidates, got ${candidates.length}`);
    if (new Set(candidates).size !== candidates.length) throw new RangeError('candidate ports must be distinct');
    const old = this.#peers.get(ip);
    const row = old !== undefined ? old.row : this.#takeRow();
    if (row === undefined) throw new RangeError(`the path tables are full (${this.#rows} peers)`);
    const phase = jhash2([ip], 0x5a52) % this.config.probeIntervalMs;
    const p = new PeerState(ip, row, candidates, opts.probes ?? true, opts.mode ?? this.config.probeMode, phase, this.config, this.#firstNum);
    this.slow.addPeer(row, candidates);
    this.#peers.set(ip, p);
    this.#byRow[row] = p;
    if (old !== undefined) old.live = false; // replaced: its queued events and outstanding probes go stale
    for (let k = 0; k < p.n; k++) this.#publish(p, k);
  }

  /** A free table row: the last one released, else the lowest never used. */
  #takeRow(): number | undefined {
    const r = this.#freeRows.pop();
    if (r !== undefined) return r;
    return this.#rowsUsed < this.#rows ? this.#rowsUsed++ : undefined;
  }

  /** Forget a peer: stop probing it and free its table row; an unknown peer is ignored. */
  removePeer(peerIp: number): void {
    const ip = peerIp >>> 0;
    const p = this.#peers.get(ip);
    if (p === undefined) return;
    this.#peers.delete(ip);
    p.live = false; // queued events for the old PeerState find it gone and stop
    this.slow.removePeer(p.row);
    this.#byRow[p.row] = undefined;
    this.#freeRows.push(p.row);
  }

  /** The path-table row (peer index) of peerIp, for mirroring the fast table into a Datapath. */
  peerRow(peerIp: number): number | undefined { return this.#peers.get(peerIp >>> 0)?.row; }

  /** Tenant traffic to or from peerIp: keeps it active, so it is probed (on demand). */
  noteTenantTraffic(peerIp: number): void {
    const p = this.#peers.get(peerIp >>> 0);
    if (p === undefined) return;
    const now = this.#clock.now();
    // Idle until now: its ports were (or are being) dropped from the schedule, so requeue them all.
    const wasIdle = now - p.lastTraffic > this.config.activeWindowMs;
    p.lastTraffic = now;
    if (this.#started && p.probes && (wasIdle || p.scheduledCount === 0)) this.#kick(p);
  }

  /** The outer source port the fast-path table chooses now for a flow with this inner hash (marks it in use); throws a RangeError for an unknown peer. */
  sourcePort(peerIp: number, flowHash: number): number {
    const p = this.#peers.get(peerIp >>> 0);
    if (p === undefined) throw new RangeError(`unknown peer ${peerIp >>> 0}`);
    const k = this.fast.select(p.row, flowHash >>> 0);
    this.#used(p, k);
    return p.candidates[k];
  }

  /**
   * The datapath saw a tenant TCP segment towards peerIp on outer source port `sport` retransmitted
   * after a timeout (the same sequence number again). With ControlConfig.retransmitTrigger, and the
   * port probed, good or unvalidated and with no loss pending, it counts as one lost probe of the port
   * and the port is probed at once: two losses in a row, the second a probe's, take it out. Otherwise
   * (or for an unknown peer or port) nothing happens.
   */
  noteRetransmission(peerIp: number, sport: number): void {
    if (!this.config.retransmitTrigger || !this.#started) return;
    const p = this.#peers.get(peerIp >>> 0);
    if (p === undefined || !p.probes || !p.everAnswered) return;
    const k = p.indexOf(sport);
    if (k < 0 || p.u8[k * U8_STRIDE + STATE] === PORT_BAD || p.u8[k * U8_STRIDE + CONSECUTIVE_LOSSES] !== 0) return;
    const now = this.#clock.now();
    this.#stats.retransmits++;
    p.f64[k * F64_STRIDE + LOSS_RUN_SENT_AT] = now;
    const t = p.health.lost(k, now, true);
    this.#publish(p, k);
    if (t === 'down') { this.#down(p, k, now); return; }
    if (p.u8[k * U8_STRIDE + SCHEDULED] === 0) p.setScheduled(k, true);
    if (p.u8[k * U8_STRIDE + HAS_OUTSTANDING] === 1) return; // a probe is on its way: its fate is the confirmation
    this.#queue(now, EV_SEND, p, k, (p.u32[k * U32_STRIDE + SEND_GEN] = (p.u32[k * U32_STRIDE + SEND_GEN] + 1) >>> 0));
  }

  /**
   * A datapath that selects ports itself, from a mirror of `fast` (FastTable.attach), reports the
   * candidate it used: what sourcePort records, without the lookup. Peer by table row.
   */
  notePortUsed(row: number, candidate: number): void {
    const p = this.#byRow[row];
    if (p === undefined || candidate < 0 || candidate >= p.n) return;
    this.#used(p, candidate);
  }

  #used(p: PeerState, k: number): void {
    const now = this.#clock.now();
    const fresh = now - p.f64[k * F64_STRIDE + LAST_USED] > this.config.inUseWindowMs;
    p.f64[k * F64_STRIDE + LAST_USED] = now;
    if (fresh && this.#started && p.probes && p.mode === 'partial' && this.#active(p)) {
      this.#ensure(p, k);
      this.#refreshBackups(p);
    }
  }

  // ---- saved health (graceful restart, docs/health-state.md) ------------------------------------

  /** Every peer's port health now, for a state file; `epochMs` is the wall-clock time of the save. */
  saveHealth(epochMs: number): HealthSnapshot {
    return snapshotPeers(this.#peers.values(), {
      localIp: this.#localIp, now: this.#clock.now(), epochMs, activeWindowMs: this.config.activeWindowMs, inUseWindowMs: this.config.inUseWindowMs,
    });
  }

  /**
   * Restore saved port health, when at most maxAgeMs old at wall-clock `epochMs`, into the peers
   * configured now (those whose candidates are unchanged), and publish it to the path tables. Call it
   * before start(): peers active when saved are probed at once, which re-validates what was restored.
   */
  restoreHealth(s: HealthSnapshot, epochMs: number, maxAgeMs: number): RestoreResult {
    return restorePeers(s, this.#peers, { localIp: this.#localIp, now: this.#clock.now(), epochMs, maxAgeMs, publish: (p, k) => this.#publish(p, k) });
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Begin probing active peers and sampling the CPU; calling it again does nothing. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const p of this.#peers.values()) if (p.probes && this.#active(p)) this.#kick(p);
    if (this.#cpu !== undefined) this.#queue(this.#clock.now() + this.config.cpuSampleMs, EV_CPU, undefined, 0, 0);
  }

  /** Stop probing: drop queued events and outstanding probes (health and tables are kept); start() resumes. */
  stop(): void {
    this.#started = false;
    this.#sched.clear();
    this.#sweepQueued = false;
    this.#pending.clear();
    for (const p of this.#peers.values()) {
      p.clearScheduled();
      for (let k = 0; k < p.n; k++) p.u8[k * U8_STRIDE + HAS_OUTSTANDING] = 0;
      p.outstandingCount = 0;
    }
  }

  /** A copy of the counters now. */
  stats(): ControlStats { return { ...this.#stats, cpuBackoff: this.#backoff.level }; }

  /** Current probe interval towards peerIp: the base interval x 2^(CPU backoff + CTL). */
  effectiveIntervalMs(peerIp: number): number {
    const p = this.#peers.get(peerIp >>> 0);
    if (p === undefined) throw new RangeError(`unknown peer ${peerIp >>> 0}`);
    return this.#interval(p);
  }

  /** Every candidate port of a peer as the control plane sees it. */
  ports(peerIp: number): PortView[] {
    const p = this.#peers.get(peerIp >>> 0);
    if (p === undefined) throw new RangeError(`unknown peer ${peerIp >>> 0}`);
    const names = ['unknown', 'good', 'bad'] as const;
    return p.candidates.map((sport, k) => ({
      sport,
      state: names[p.u8[k * U8_STRIDE + STATE]],
      group: p.u32[k * U32_STRIDE + GROUP],
      failureFreeSince: p.health.failureFreeSince(k),
      probed: p.u8[k * U8_STRIDE + SCHEDULED] === 1,
      restoring: p.u8[k * U8_STRIDE + RESTORING] === 1,
    }));
  }

  /** Peers currently active (tenant traffic within the active window). */
  activePeers(): number {
    let n = 0;
    for (const p of this.#peers.values()) if (this.#active(p)) n++;
    return n;
  }

  // ---- probes in ------------------------------------------------------------------------------

  /**
   * A probe payload arrived from fromIp: requests are answered, replies feed health. Returns true
   * when it was an authentic reply that matched an outstanding probe (counted in stats().repliesOk).
   */
  onProbe(fromIp: number, _sport: number, payload: Uint8Array): boolean {
    const v = verifyProbe(payload, this.#key);
    if (v === 'request') this.#answer(fromIp >>> 0, payload);
    else if (v === 'reply') return this.#onReply(fromIp >>> 0, payload);
    else if (v === 'tag') this.#stats.badTags++;
    else this.#stats.malformed++;
    return false;
  }

  #answer(fromIp: number, request: Uint8Array): void {
    if (probeTarget(request) !== this.#localIp || probeOrigin(request) !== fromIp) { this.#stats.malformed++; return; }
    // One clock reading for the whole answer (the buckets' refills, CTL and the reply time): the
    // clock does not move within a call, and each reading was a call of its own.
    const now = this.#clock.now();
    const mine = this.#sourceBuckets.of(fromIp);
    if (!mine.takeAt(now)) { this.#stats.throttled++; return; }
    if (!this.#bucket.takeAt(now)) { this.#stats.throttled++; return; }
    // CTL from whichever bucket is lower: the whole responder's, or this sender's own.
    const maxCtl = this.config.maxCtlBackoff;
    const ctl = Math.max(this.#bucket.ctlLevelAt(now, maxCtl), mine.ctlLevelAt(now, maxCtl));
    const probed = probeSport(request);
    const num = probeNum(request);
    const w = this.#receiptWindows.note(fromIp, num);
    const reply = this.#replyOut.replyTo(request, ctl, now * 1000, this.#key, w.high, w.hi, w.lo);
    this.#stats.repliesSent++;
    const mode = this.config.replyPort;
    // The prober matches a reply by its payload (probed port, sequence), never by its outer port, so
    // the reply may come back on any port: on our own healthy port towards the prober, the prober's
    // health of the probed port measures that port's forward path (docs/probe-format.md "Reply port").
    // (#replyPortTo and #spreadPort are pure: each is worked out only on the turns that use it.)
    const odd = (probeSeq(request) & 1) === 1;
    if (mode === 'spread') {
      // One reply per request: on our healthy port and on a port drawn anew in turn (always a drawn
      // one while we know no healthy port). Successive replies take different reverse paths, so
      // with receipts a forward path is judged on its own; no one reverse path can hide it.
      const healthy = odd ? this.#replyPortTo(fromIp) : -1;
      this.#stats.probeBytes += PROBE_WIRE_BYTES;
      this.#transport.send(fromIp, healthy >= 0 ? healthy : this.#spreadPort(probed, num), reply);
      return;
    }
    if (mode === 'alternate') {
      // One reply per request (no amplification): consecutive probes of a port come back on the
      // probed port and on our healthy port in turn, so two losses in a row need both to fail.
      // Knowing no healthy port (we do not probe the prober), the other turn takes a port of the
      // source-port range that changes with every request: the probed port's reverse path may be
      // the one that fails, and any reply that gets back brings the whole receipt window.
      let port = probed;
      if (odd) { const healthy = this.#replyPortTo(fromIp); port = healthy >= 0 ? healthy : this.#spreadPort(probed, num); }
      this.#stats.probeBytes += PROBE_WIRE_BYTES;
      this.#transport.send(fromIp, port, reply);
      return;
    }
    const healthy = mode === 'probed' ? -1 : this.#replyPortTo(fromIp);
    if (mode !== 'healthy' || healthy < 0) {
      this.#stats.probeBytes += PROBE_WIRE_BYTES;
      this.#transport.send(fromIp, probed, reply);
    }
    if (healthy >= 0 && (mode === 'healthy' || healthy !== probed)) {
      this.#stats.probeBytes += PROBE_WIRE_BYTES;
      this.#transport.send(fromIp, healthy, reply);
    }
  }

  /** A port of the reply range other than `probed`, drawn by a hash of the probe number. */
  #spreadPort(probed: number, num: number): number {
    const { lo, hi } = this.#replyRange;
    const span = hi - lo + 1;
    if (span < 2) return probed;
    const w = this.#spreadWords;
    w[0] = num >>> 0; w[1] = probed;
    const port = lo + (jhash2(w, 0x7270) % span);
    return port === probed ? (port === hi ? lo : port + 1) : port;
  }

  /**
   * Our best port towards peerIp for a reply, or -1: a good port, probed now (so its state is fresh),
   * not restoring, whose latest probe was answered, failure-free the longest. -1 when we do not
   * probe that peer or know no such port.
   */
  #replyPortTo(peerIp: number): number {
    const p = this.#peers.get(peerIp);
    if (p === undefined || !p.live) return -1;
    return p.replyPort();
  }

  #onReply(fromIp: number, reply: Uint8Array): boolean {
    const p = this.#peers.get(fromIp);
    if (p === undefined || probeOrigin(reply) !== this.#localIp || probeTarget(reply) !== fromIp) {
      this.#stats.stale++;
      return false;
    }
    const sport = probeSport(reply), seq = probeSeq(reply), num = probeNum(reply);
    // The port: the one the sent-probe log has for the reply's probe number, while the log still holds
    // that probe (the receipts read the log anyway, and it shares the records' views), else a scan.
    const u32 = p.u32, e = p.sentLogAt + (num & 63) * SENT_STRIDE;
    let k = u32[e] === num && u32[e + 1] === seq ? u32[e + 2]! : -1;
    if (k < 0 || u32[k * U32_STRIDE + SPORT] !== sport) k = p.indexOf(sport);
    const mine = k >= 0 && p.u8[k * U8_STRIDE + HAS_OUTSTANDING] === 1 && p.u32[k * U32_STRIDE + OUTSTANDING_SEQ] === seq;
    if (!mine) {
      this.#stats.stale++;
      // A late reply to the port's latest probe (already counted lost) is still a round trip: without
      // it the estimate would see only the replies quick enough to beat the timeout, and a timeout
      // that had come down too far would never grow again.
      if (k >= 0 && p.u8[k * U8_STRIDE + HAS_OUTSTANDING] === 0 && p.u32[k * U32_STRIDE + NEXT_SEQ] === seq) this.#rttSample(p, this.#clock.now() - p.f64[k * F64_STRIDE + SENT_AT]);
    } else this.#answered(p, k, reply);
    // Authentic and from this peer, even when late: its receipt window may resolve other probes
    // (none when nothing is outstanding: the window's up to 64 bits would each find nothing to do).
    if (this.config.receipts && p.outstandingCount > 0) this.#receipts(p, probeAckHigh(reply), probeAckMapHi(reply), probeAckMapLo(reply));
    return mine;
  }

  /**
   * The requests that a reply's receipt window shows arrived at the peer, still outstanding here,
   * count as answered: their forward path worked, whichever reverse path their own reply took (or
   * failed on). The window says nothing of the path's middlebox, so groups are left as they are.
   */
  #receipts(p: PeerState, high: number, hi: number, lo: number): void {
    while ((lo | hi) !== 0) {
      // Lowest set bit first: i = its index in the 64-bit window.
      let i: number;
      if (lo !== 0) { i = 31 - Math.clz32(lo & -lo); lo = (lo & (lo - 1)) >>> 0; } else { i = 63 - Math.clz32(hi & -hi); hi = (hi & (hi - 1)) >>> 0; }
      const num = (high - i) >>> 0, slot = num & 63;
      const log = p.u32, e = p.sentLogAt + slot * SENT_STRIDE;
      if (log[e] !== num) continue;
      const k = log[e + 2];
      if (p.u8[k * U8_STRIDE + HAS_OUTSTANDING] === 0 || p.u32[k * U32_STRIDE + OUTSTANDING_SEQ] !== log[e + 1]) continue;
      this.#stats.receipts++;
      this.#answered(p, k, undefined);
    }
  }

  /**
   * A probe's round trip (its own reply: receipts carry no timing). RFC 6298's SRTT and RTTVAR per
   * peer; the VTEP's timeout follows the largest SRTT + 4 RTTVAR (plus a scheduler tick), rising at
   * once and falling by 1/16 of the gap per sample, so a far peer's estimate is not forgotten between
   * its samples.
   */
  #rttSample(p: PeerState, r: number): void {
    if (p.srtt < 0) { p.srtt = r; p.rttvar = r / 2; } else {
      p.rttvar = 0.75 * p.rttvar + 0.25 * Math.abs(p.srtt - r);
      p.srtt = 0.875 * p.srtt + 0.125 * r;
    }
    const c = this.config;
    if (c.minProbeTimeoutMs >= c.probeTimeoutMs) return;
    const want = Math.min(c.probeTimeoutMs, Math.max(c.minProbeTimeoutMs, p.srtt + 4 * p.rttvar + c.tickMs));
    if (!this.#sampled) { this.#sampled = true; this.#timeoutMs = want; return; }
    this.#timeoutMs = want >= this.#timeoutMs ? want : this.#timeoutMs - (this.#timeoutMs - want) / 16;
  }

  /** Port k's outstanding probe was answered: by its own reply (which carries CTL and BackendID) or by a receipt. */
  #answered(p: PeerState, k: number, reply: Uint8Array | undefined): void {
    const now = this.#clock.now();
    p.u8[k * U8_STRIDE + HAS_OUTSTANDING] = 0;
    p.outstandingCount--;
    p.f64[k * F64_STRIDE + LAST_ANSWER] = p.f64[k * F64_STRIDE + SENT_AT];
    const wasStale = p.u8[k * U8_STRIDE + STALE] === 1;
    p.u8[k * U8_STRIDE + STALE] = 0;
    this.#pending.markDone(p.u32[k * U32_STRIDE + PENDING_ID]);
    let regrouped = false;
    if (reply !== undefined) {
      this.#stats.repliesOk++;
      this.#rttSample(p, now - p.f64[k * F64_STRIDE + SENT_AT]);
      const ctl = Math.min(this.config.maxCtlBackoff, probeCtl(reply));
      const eased = ctl < p.ctl;
      p.ctl = ctl;
      if (eased) this.#reschedule(p); // ports queued at the slower rate come back to the faster one now
      const g = this.config.middleboxSensing ? p.groupFor(probeBackendKey(reply)) : 0;
      regrouped = p.u32[k * U32_STRIDE + GROUP] !== g;
      p.u32[k * U32_STRIDE + GROUP] = g;
    }
    if (!p.everAnswered) {
      p.everAnswered = true;
      // Losses counted while the peer had never answered now count (see PortHealth.lost).
      for (let j = 0; j < p.n; j++) if (j !== k && p.health.settle(j) === 'down') { this.#publish(p, j); this.#down(p, j, now); }
    }
    const before = p.u8[k * U8_STRIDE + STATE];
    const wasHeld = p.u8[k * U8_STRIDE + HELD] === 1;
    const t = p.health.answered(k, now);
    if (t !== 'none' || regrouped || wasStale || before === PORT_UNKNOWN) this.#publish(p, k);
    if (t === 'up') this.#up(p, k, now, wasHeld);
    else if (t === 'restored') {
      this.onEvent?.({ type: 'port-restored', peerIp: p.ip, sport: p.candidates[k], atMs: now, failureFreeMs: now - p.f64[k * F64_STRIDE + LAST_LOSS_AT]! });
    }
    // A port in use or a backup (a scout) told its group: the backups may need to cover it now.
    else if (regrouped && p.mode === 'partial' && this.#started && this.#active(p, now)
      && (p.u8[k * U8_STRIDE + BACKUP] === 1 || now - p.f64[k * F64_STRIDE + LAST_USED] <= this.config.inUseWindowMs)) this.#refreshBackups(p);
  }

  // ---- probes out -----------------------------------------------------------------------------

  /** Queue an event at atMs. */
  #queue(atMs: number, kind: number, peer: PeerState | undefined, k: number, token: number): void {
    this.#sched.at(atMs, peer, kind + 4 * k, token);
  }

  /** Run a queued event: `due` is the time it was queued for. */
  #dispatch(p: PeerState | undefined, due: number, kindK: number, token: number): void {
    const kind = kindK & 3, k = kindK >>> 2;
    if (kind === EV_CPU) { this.#sampleCpu(); return; }
    if (kind === EV_SWEEP) { this.#sweep(); return; }
    if (!p!.live) return; // peer removed
    if (kind === EV_SEND) {
      if (token === p!.u32[k * U32_STRIDE + SEND_GEN]) this.#send(p!, k, due, this.#clock.now());
    }
  }

  /** Count as lost every outstanding probe whose deadline has passed, oldest first. */
  #sweep(): void {
    this.#sweepQueued = false;
    const now = this.#clock.now();
    const q = this.#pending;
    while (q.size > 0 && q.oldestDeadline <= now) {
      const done = q.oldestDone, p = q.oldestPeer, k = q.oldestK, seq = q.oldestSeq;
      q.shift();
      if (!done && p.live && p.u8[k * U8_STRIDE + HAS_OUTSTANDING] === 1 && p.u32[k * U32_STRIDE + OUTSTANDING_SEQ] === seq) this.#lost(p, k);
    }
    this.#queueSweep();
  }

  #queueSweep(): void {
    if (this.#sweepQueued || this.#pending.size === 0) return;
    this.#sweepQueued = true;
    this.#queue(this.#pending.oldestDeadline, EV_SWEEP, undefined, 0, 0);
  }

  #send(p: PeerState, k: number, due: number, now: number): void {
    if (!this.#started || !this.#shouldProbe(p, k, now)) {
      p.setScheduled(k, false);
      return;
    }
    if (p.u8[k * U8_STRIDE + HAS_OUTSTANDING] === 1) {
      // Never two probes of a port within a timeout (a reschedule or a stall's catch-up can bring its
      // next slot that close): the one out may still be answered. Its slot is taken by the next one.
      if (now - p.f64[k * F64_STRIDE + SENT_AT] < this.#timeoutMs) { this.#queue(this.#nextSlot(p, due, now), EV_SEND, p, k, p.u32[k * U32_STRIDE + SEND_GEN]); return; }
      this.#lost(p, k); // timeout longer than the interval: the older one is lost
    }
    const seq = (p.u32[k * U32_STRIDE + NEXT_SEQ] = (p.u32[k * U32_STRIDE + NEXT_SEQ] + 1) >>> 0);
    p.u32[k * U32_STRIDE + OUTSTANDING_SEQ] = seq;
    p.u8[k * U8_STRIDE + HAS_OUTSTANDING] = 1;
    p.outstandingCount++;
    p.f64[k * F64_STRIDE + SENT_AT] = now;
    const num = (p.nextNum = (p.nextNum + 1) >>> 0), slot = num & 63;
    const log = p.u32, e = p.sentLogAt + slot * SENT_STRIDE;
    log[e] = num; log[e + 1] = seq; log[e + 2] = k;
    const sport = p.u32[k * U32_STRIDE + SPORT]!; // p.candidates[k], from the record the send touches anyway
    const payload = this.#requestOut.request(this.#localIp, p.ip, seq, sport, now * 1000, this.#key, num);
    this.#stats.probesSent++;
    this.#stats.probeBytes += PROBE_WIRE_BYTES;
    p.u32[k * U32_STRIDE + PENDING_ID] = this.#pending.push(p, k, seq, now + this.#timeoutMs);
    this.#queueSweep();
    const next = this.#nextSlot(p, due, now);
    this.#queue(next, EV_SEND, p, k, p.u32[k * U32_STRIDE + SEND_GEN]);
    this.#transport.send(p.ip, sport, payload);
  }

  /**
   * The slot after `due` strictly after now, an interval apart: after a stall (timers run late) the
   * missed slots are skipped, not caught up in a burst that would count each probe lost as the next
   * one leaves.
   */
  #nextSlot(p: PeerState, due: number, now: number): number {
    const I = this.#interval(p);
    return due + I > now ? due + I : due + (Math.floor((now - due) / I) + 1) * I;
  }

  #lost(p: PeerState, k: number): void {
    p.u8[k * U8_STRIDE + HAS_OUTSTANDING] = 0;
    p.outstandingCount--;
    this.#stats.probesLost++;
    const now = this.#clock.now();
    if (p.u8[k * U8_STRIDE + CONSECUTIVE_LOSSES] === 0) p.f64[k * F64_STRIDE + LOSS_RUN_SENT_AT] = p.f64[k * F64_STRIDE + SENT_AT];
    const t: Transition = p.health.lost(k, now, p.everAnswered);
    this.#publish(p, k); // the loss restarts the port's failure-free duration, so its rank moves
    if (t === 'down') this.#down(p, k, now);
    else if (this.config.reprobeOnLoss && p.u8[k * U8_STRIDE + STATE] !== PORT_BAD && p.u8[k * U8_STRIDE + CONSECUTIVE_LOSSES] === 1
      && p.u8[k * U8_STRIDE + SCHEDULED] === 1 && this.#started && p.everAnswered && p.ctl === 0 && this.#backoff.level === 0) {
      // First loss on a port that is not bad: probe it again now instead of at its next slot, so a
      // failed path takes two probe timeouts to leave, not an interval and a timeout. Not towards a
      // peer that never answered (it may not probe at all), nor while the responder or our CPU asks
      // for fewer probes (a throttled request is lost too: re-probing would add to the overload).
      this.#queue(now, EV_SEND, p, k, (p.u32[k * U32_STRIDE + SEND_GEN] = (p.u32[k * U32_STRIDE + SEND_GEN] + 1) >>> 0));
    }
  }

  #down(p: PeerState, k: number, now: number): void {
    this.#stats.portsDown++;
    if (this.config.freshTargets) this.#markStale(p, k);
    this.onEvent?.({ type: 'port-down', peerIp: p.ip, sport: p.candidates[k], atMs: now, held: p.u8[k * U8_STRIDE + HELD] === 1 });
    const inUse = now - p.f64[k * F64_STRIDE + LAST_USED] <= this.config.inUseWindowMs;
    if (inUse) {
      // The table already sends this port's flows elsewhere: the switch happened with the publish.
      this.#stats.switches++;
      this.onEvent?.({ type: 'switch', peerIp: p.ip, sport: p.candidates[k], atMs: now });
    }
    if (this.#started && p.probes && this.#active(p)) {
      if (inUse && p.mode === 'partial' && this.config.fullProbeAfterFailureMs > 0) {
        // A port in use failed: probe all of this peer's candidates for a while, so that its flows
        // (and those of the next port to fail) find validated ports instead of trying backups in turn.
        const until = now + this.config.fullProbeAfterFailureMs;
        const was = p.fullUntil;
        p.fullUntil = until;
        if (was <= now) { this.#kick(p); return; }
      }
      this.#ensure(p, k); this.#refreshBackups(p);
    }
  }

  #up(p: PeerState, k: number, now: number, wasHeld: boolean): void {
    this.#stats.portsUp++;
    this.onEvent?.({
      type: 'port-up', peerIp: p.ip, sport: p.candidates[k], atMs: now, held: wasHeld, failureFreeMs: now - p.f64[k * F64_STRIDE + LAST_LOSS_AT]!,
      waitToRestore: p.u8[k * U8_STRIDE + RESTORING] === 1,
    });
    if (this.#started && p.probes && this.#active(p)) this.#refreshBackups(p);
  }

  /**
   * Port k of p just failed: the good ports whose latest answered probe was sent before k's first
   * lost one rank as unvalidated until they answer again, so that flows moved now go to ports known
   * good since the failure began (and the full probe that follows re-validates the rest).
   */
  #markStale(p: PeerState, k: number): void {
    const since = p.f64[k * F64_STRIDE + LOSS_RUN_SENT_AT];
    for (let j = 0; j < p.n; j++) {
      if (p.u8[j * U8_STRIDE + STALE] === 1 || p.u8[j * U8_STRIDE + STATE] !== PORT_GOOD || p.f64[j * F64_STRIDE + LAST_ANSWER] >= since) continue;
      p.u8[j * U8_STRIDE + STALE] = 1;
      this.#publish(p, j);
    }
  }

  /** Write port k's health, group and rank into the slow-path table (which updates the fast one). */
  #publish(p: PeerState, k: number): void {
    // Stale (see #markStale), or its latest probe lost: not a place to move flows to for now.
    const ffs = p.u8[k * U8_STRIDE + STALE] === 1 || p.u8[k * U8_STRIDE + CONSECUTIVE_LOSSES] !== 0 ? Infinity : p.health.failureFreeSince(k);
    this.slow.setPort(p.row, k, {
      healthy: p.health.usable(k),
      group: p.u32[k * U32_STRIDE + GROUP],
      failureFreeSince: ffs === Infinity ? UNVALIDATED_SINCE : ffs,
    });
  }

  // ---- scheduling -----------------------------------------------------------------------------

  #active(p: PeerState, now = this.#clock.now()): boolean { return now - p.lastTraffic <= this.config.activeWindowMs; }

  #interval(p: PeerState): number {
    const e = this.#backoff.level + p.ctl;
    // No backoff (the usual case): no Math.pow per probe.
    return e === 0 ? this.config.probeIntervalMs : this.config.probeIntervalMs * 2 ** e;
  }

  #shouldProbe(p: PeerState, k: number, now: number): boolean {
    if (!p.probes || now - p.lastTraffic > this.config.activeWindowMs) return false;
    if (p.mode === 'full' || now < p.fullUntil) return true;
    return p.u8[k * U8_STRIDE + BACKUP] === 1 || !p.health.usable(k) || now - p.f64[k * F64_STRIDE + LAST_USED] <= this.config.inUseWindowMs;
  }

  /** Start probing an active peer: every port that should be probed gets its slot in the interval. */
  #kick(p: PeerState): void {
    if (p.mode === 'partial') this.#refreshBackups(p);
    const now = this.#clock.now();
    for (let k = 0; k < p.n; k++) if (this.#shouldProbe(p, k, now)) this.#ensure(p, k);
  }

  /**
   * Queue port k's next probe, unless one is queued. Port k of a peer probes at phase + k*I/n within
   * each interval I (aligned to the scheduler's tick), so a peer's ports, and peers, are spread
   * over the interval instead of probed in bursts.
   */
  #ensure(p: PeerState, k: number): void {
    if (p.u8[k * U8_STRIDE + SCHEDULED] === 1) return;
    p.setScheduled(k, true);
    const gen = (p.u32[k * U32_STRIDE + SEND_GEN] = (p.u32[k * U32_STRIDE + SEND_GEN] + 1) >>> 0);
    const I = this.config.probeIntervalMs;
    const tick = this.config.tickMs > 0 ? this.config.tickMs : 1;
    const off = Math.round((p.phase + (k * I) / p.n) / tick) * tick;
    const now = this.#clock.now();
    // The port's next slot strictly after now (never again in the instant it was just probed).
    const t = off + (Math.floor((now - off) / I) + 1) * I;
    this.#queue(t, EV_SEND, p, k, gen);
  }

  /**
   * Partial mode: the best-ranked usable ports not in use become the backups, and are probed. With
   * middlebox sensing, every BackendID group of the ports in use gets a backup of its own group first
   * (so a failed port's sessions have a validated port of their instance to go to); a group with no
   * known spare port gets a *scout*, an unprobed port whose reply will tell its group, a different one
   * each time (PeerState.scoutCursor) until the group is covered.
   */
  #refreshBackups(p: PeerState): void {
    if (p.mode !== 'partial') return;
    for (let k = 0; k < p.n; k++) p.u8[k * U8_STRIDE + BACKUP] = 0;
    const want = this.config.backupPorts;
    if (want === 0) return;
    const now = this.#clock.now();
    const win = this.config.inUseWindowMs;
    const pool: number[] = [];
    for (let i = 0; i < p.n; i++) {
      const k = (i + p.phase) % p.n; // unvalidated ties: a per-peer rotation, not always port 0
      if (p.health.usable(k) && now - p.f64[k * F64_STRIDE + LAST_USED] > win) pool.push(k);
    }
    // Validated ports first, longest failure-free first; stable sort keeps the rotation for ties.
    pool.sort((a, b) => p.health.failureFreeSince(a) - p.health.failureFreeSince(b) || 0);
    let chosen = 0;
    const pick = (k: number): void => { p.u8[k * U8_STRIDE + BACKUP] = 1; chosen++; this.#ensure(p, k); };
    if (this.config.middleboxSensing) {
      const uncovered = new Set<number>(); // groups of the ports in use without a backup of their own yet
      for (let k = 0; k < p.n; k++) if (p.u32[k * U32_STRIDE + GROUP] !== 0 && now - p.f64[k * F64_STRIDE + LAST_USED] <= win) uncovered.add(p.u32[k * U32_STRIDE + GROUP]!);
      for (const k of pool) if (uncovered.delete(p.u32[k * U32_STRIDE + GROUP]!)) pick(k);
      if (uncovered.size > 0) {
        // Some group has no known spare: scout one never-answered port (its group is unknown).
        const unknown = pool.filter((k) => p.u8[k * U8_STRIDE + STATE] === PORT_UNKNOWN && p.u8[k * U8_STRIDE + BACKUP] === 0);
        if (unknown.length > 0) pick(unknown[p.scoutCursor++ % unknown.length]!);
      }
    }
    for (let i = 0; i < pool.length && chosen < want; i++) if (p.u8[(pool[i]!) * U8_STRIDE + BACKUP] === 0) pick(pool[i]!);
  }

  /** Requeue every queued port of p at its next slot at the current rate. */
  #reschedule(p: PeerState): void {
    for (let k = 0; k < p.n; k++) {
      if (p.u8[k * U8_STRIDE + SCHEDULED] === 0) continue;
      p.setScheduled(k, false);
      this.#ensure(p, k); // a new generation: the queued send goes stale
    }
  }

  #sampleCpu(): void {
    if (!this.#started || this.#cpu === undefined) return;
    const u = this.#cpu();
    const before = this.#backoff.level;
    if (this.#backoff.sample(Number.isFinite(u) ? u : 0) < before) {
      for (const p of this.#peers.values()) if (p.scheduledCount > 0) this.#reschedule(p);
    }
    this.#queue(this.#clock.now() + this.config.cpuSampleMs, EV_CPU, undefined, 0, 0);
  }
}

