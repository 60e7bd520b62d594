// Per-port health of one peer's candidates (docs/health.md): bad after `badAfterLosses` consecutive
// losses; a bad port is good again when >= recoverAnswered of its last recoverWindow probes were
// answered, the latest included; ports are ranked by failure-free duration (time since last loss).
import {
  PortRecords, F64_STRIDE, U32_STRIDE, U8_STRIDE, STATE, HISTORY, HISTORY_LEN, CONSECUTIVE_LOSSES, LAST_LOSS_AT,
  FIRST_ANSWER_AT, PENALTY, PENALTY_AT, HELD, RESTORING, LOSS_BITS,
} from './port-records.js';

/** Port state: never answered a probe; usable by default, not pre-validated. */
export const PORT_UNKNOWN = 0;
/** Port state: answering probes. */
export const PORT_GOOD = 1;
/** Port state: lost badAfterLosses probes in a row and not recovered; carries no flows. */
export const PORT_BAD = 2;
/** A port's health state: PORT_UNKNOWN, PORT_GOOD or PORT_BAD. */
export type PortState = typeof PORT_UNKNOWN | typeof PORT_GOOD | typeof PORT_BAD;
/** 'restored': a good port waiting to restore (see HealthRules.waitToRestoreMs) takes flows again. */
export type Transition = 'none' | 'down' | 'up' | 'restored';

/** The rules PortHealth applies (the health fields of ControlConfig; times in ms; docs/health.md). */
export interface HealthRules {
  /** Consecutive losses that turn a port bad. */
  badAfterLosses: number;
  /** A bad port is good again when at least this many of its last recoverWindow probes were answered, the latest included. */
  recoverAnswered: number;
  /** Probes looked back over for recovery, 1..32. */
  recoverWindow: number;
  /**
   * Flap damping (absent = none): every down event adds 1 to a port's penalty, which halves every
   * flapHalfLifeMs; a port that turns bad with its penalty above flapSuppressPenalty is held: it must
   * also have been failure-free for suppressHoldMs before it is good again. A port that fails once recovers on 3-of-5
   * alone; one that keeps failing (random loss) stays out instead of taking its flows back each time.
   */
  flapHalfLifeMs?: number;
  /** Penalty above which a port that turns bad is held (see flapHalfLifeMs). */
  flapSuppressPenalty?: number;
  /** How long a held port must be failure-free before it is good again, ms. */
  suppressHoldMs?: number;
  /**
   * Lossy, not dead (with flap damping): a port that turns bad after another loss among the
   * `lossyWindow` probes before its run of losses had scattered losses — random loss, not a black
   * hole — and is held at once, as a flapping port is, instead of returning on 3-of-5 (which random
   * loss of up to ~50% meets within a few probes) and taking its flows back. 0 = off.
   */
  lossyWindow?: number;
  /**
   * Damping never holds out a port the peer needs: while fewer than this share of its candidates
   * are good or unvalidated, a held port returns on 3-of-5 alone (congestion can make every path lossy).
   */
  holdFloor?: number;
  /**
   * Wait to restore (revertive protection switching, as ITU-T G.8031's WTR timer): a port whose
   * recovery was intermittent (a probe lost between the answers that met 3-of-5) is good but
   * *restoring*: flows return to it only once it has been failure-free this long; a loss restarts the
   * wait. A clean recovery (a repaired black hole: losses, then only answers) takes flows back at once.
   * 0 or absent = off. Like damping, never while the peer is under holdFloor.
   */
  waitToRestoreMs?: number;
}

/** One port's state as PortHealth.load takes it (times on the current clock). */
export interface SavedPortHealth {
  /** Health state. */
  state: PortState;
  /** Outcomes of the latest probes, newest in bit 0 (1 = answered). */
  history: number;
  /** How many bits of `history` count. */
  historyLen: number;
  /** Probes lost in a row. */
  consecutiveLosses: number;
  /** Outcomes of the latest 16 probes, newest in bit 0 (1 = lost). */
  lossBits: number;
  /** Clock time of the last loss, ms; -Infinity if none. */
  lastLossAt: number;
  /** Clock time of the first answer, ms; +Infinity if none. */
  firstAnswerAt: number;
  /** Flap penalty as of penaltyAt. */
  penalty: number;
  /** Clock time `penalty` was computed at, ms. */
  penaltyAt: number;
  /** Held out by damping. */
  held: boolean;
  /** Waiting to restore. */
  restoring: boolean;
}

function popcount(x: number): number {
  let c = 0;
  for (; x !== 0; x &= x - 1) c++;
  return c;
}

/**
 * Health of one peer's n candidate ports, kept in the ports' records (PortRecords: the peer's other
 * per-port state shares them, so that a probe's outcome touches one port's two cache lines). Fed
 * probe outcomes with answered() and lost(), which return the transition they caused; applies the
 * bad rule, 3-of-5 style recovery, flap and loss damping and wait-to-restore of HealthRules. Times
 * are Clock milliseconds.
 */
export class PortHealth {
  /** Candidate ports tracked. */
  readonly n: number;
  /** The records the state lives in (shared with the peer's own per-port state). */
  readonly records: PortRecords;
  readonly #f64: Float64Array;
  readonly #u32: Uint32Array;
  readonly #u8: Uint8Array;
  readonly #rules: HealthRules;
  readonly #mask: number;
  readonly #lossyMask: number;
  #bad = 0;
  #restoring = 0;
  /**
   * Counts changes to what ranks a port as a reply port (state, restoring, losses in a row, last loss,
   * first answer): a port answering again while good and not losing changes none of it (PeerState.replyPort).
   */
  rankChanges = 0;

  /**
   * n ports, all PORT_UNKNOWN with no history, under `rules`, in `records` (n of them, fresh: zeroed)
   * or in records of their own.
   */
  constructor(n: number, rules: HealthRules, records: PortRecords = new PortRecords(n)) {
    if (records.n !== n) throw new RangeError(`PortHealth of ${n} ports given ${records.n} records`);
    this.n = n;
    this.records = records;
    this.#f64 = records.f64; this.#u32 = records.u32; this.#u8 = records.u8;
    this.#rules = rules;
    this.#mask = rules.recoverWindow >= 32 ? 0xffffffff : (1 << rules.recoverWindow) - 1;
    this.#lossyMask = (1 << Math.min(16, rules.lossyWindow ?? 0)) - 1;
    for (let k = 0; k < n; k++) {
      this.#f64[k * F64_STRIDE + LAST_LOSS_AT] = -Infinity;
      this.#f64[k * F64_STRIDE + FIRST_ANSWER_AT] = Infinity;
    }
  }

  /** Port k's PortState. */
  state(k: number): PortState { return this.#u8[k * U8_STRIDE + STATE] as PortState; }
  /** Port k's latest probe outcomes, newest in bit 0 (1 = answered). */
  history(k: number): number { return this.#u32[k * U32_STRIDE + HISTORY]!; }
  /** How many bits of port k's history count (at most recoverWindow). */
  historyLen(k: number): number { return this.#u8[k * U8_STRIDE + HISTORY_LEN]!; }
  /** Probes of port k lost in a row (at most 255). */
  consecutiveLosses(k: number): number { return this.#u8[k * U8_STRIDE + CONSECUTIVE_LOSSES]!; }
  /** Time of port k's last loss, -Infinity if none. */
  lastLossAt(k: number): number { return this.#f64[k * F64_STRIDE + LAST_LOSS_AT]!; }
  /** Time of port k's first answer, +Infinity until one. */
  firstAnswerAt(k: number): number { return this.#f64[k * F64_STRIDE + FIRST_ANSWER_AT]!; }
  /** Port k's flap penalty as of penaltyAt(k) (see HealthRules). */
  penalty(k: number): number { return this.#f64[k * F64_STRIDE + PENALTY]!; }
  /** Clock time port k's penalty was computed at, ms. */
  penaltyAt(k: number): number { return this.#f64[k * F64_STRIDE + PENALTY_AT]!; }
  /** Whether flap damping holds bad port k out (it failed again while its penalty was high). */
  held(k: number): boolean { return this.#u8[k * U8_STRIDE + HELD] === 1; }
  /** Whether good port k waits to restore (HealthRules.waitToRestoreMs): not usable yet. */
  restoring(k: number): boolean { return this.#u8[k * U8_STRIDE + RESTORING] === 1; }
  /** Port k's latest 16 probe outcomes, newest in bit 0 (1 = lost); never reset, unlike history. */
  lossBits(k: number): number { return this.#u32[k * U32_STRIDE + LOSS_BITS]!; }

  /** Candidates currently bad. */
  get badCount(): number { return this.#bad; }

  /** Port k's flap penalty decayed to `now`. */
  flapPenalty(k: number, now: number): number {
    const half = this.#rules.flapHalfLifeMs;
    const f = k * F64_STRIDE, pen = this.#f64[f + PENALTY]!;
    if (half === undefined || pen === 0) return pen;
    return pen * Math.pow(2, -Math.max(0, now - this.#f64[f + PENALTY_AT]!) / half);
  }

  /** Whether port k may carry flows: not bad and not waiting to restore. */
  usable(k: number): boolean {
    const b = k * U8_STRIDE;
    return this.#u8[b + STATE] !== PORT_BAD && this.#u8[b + RESTORING] === 0;
  }

  /** Whether the peer has enough ports not bad for damping to hold one out. */
  #aboveFloor(): boolean { return this.n - this.#bad >= (this.#rules.holdFloor ?? 0) * this.n; }

  /** Whether the peer has enough usable ports (not bad, not restoring) for a port to wait to restore. */
  #usableAboveFloor(): boolean { return this.n - this.#bad - this.#restoring >= (this.#rules.holdFloor ?? 0) * this.n; }

  /**
   * Whether flap damping still holds bad port k out at `now`: held, not failure-free long enough, and
   * the peer has enough other ports (holdFloor).
   */
  suppressed(k: number, now: number): boolean {
    if (this.#u8[k * U8_STRIDE + HELD] !== 1 || now - this.#f64[k * F64_STRIDE + LAST_LOSS_AT]! >= (this.#rules.suppressHoldMs ?? 0)) return false;
    return this.#aboveFloor();
  }

  /** Probe k was answered at now. */
  answered(k: number, now: number): Transition {
    const u8 = this.#u8, u32 = this.#u32, f64 = this.#f64;
    const b = k * U8_STRIDE, w = k * U32_STRIDE, f = k * F64_STRIDE;
    const h = (u32[w + HISTORY] = ((u32[w + HISTORY]! << 1) | 1) & this.#mask);
    u32[w + LOSS_BITS] = (u32[w + LOSS_BITS]! << 1) & 0xffff;
    if (u8[b + HISTORY_LEN]! < this.#rules.recoverWindow) u8[b + HISTORY_LEN]++;
    const consecutiveBefore = u8[b + CONSECUTIVE_LOSSES]!, firstBefore = f64[f + FIRST_ANSWER_AT]!;
    u8[b + CONSECUTIVE_LOSSES] = 0;
    if (firstBefore === Infinity) f64[f + FIRST_ANSWER_AT] = now;
    const s = u8[b + STATE];
    // (Losses in a row and the first answer were reset above: a change unless good with none before.)
    if (s !== PORT_GOOD || consecutiveBefore !== 0 || firstBefore === Infinity) this.rankChanges++;
    if (s === PORT_UNKNOWN) { u8[b + STATE] = PORT_GOOD; return 'none'; }
    if (s === PORT_BAD && popcount(h >>> 0) >= this.#rules.recoverAnswered && !this.suppressed(k, now)) {
      // Intermittent: a lost probe between the answers in the window (clean = zeros, then only ones).
      // Decided while k still counts as bad: the other usable ports must meet the floor without it.
      const hu = h >>> 0;
      const wtr = this.#rules.waitToRestoreMs ?? 0;
      if (wtr > 0 && (hu & (hu + 1)) !== 0 && now - f64[f + LAST_LOSS_AT]! < wtr && this.#usableAboveFloor()) {
        u8[b + RESTORING] = 1;
        this.#restoring++;
      }
      u8[b + STATE] = PORT_GOOD;
      this.#bad--;
      u8[b + HELD] = 0;
      return 'up';
    }
    // Released when failure-free long enough, or when the other usable ports (k, restoring, is not
    // one) no longer meet the floor.
    if (u8[b + RESTORING] === 1 && (now - f64[f + LAST_LOSS_AT]! >= (this.#rules.waitToRestoreMs ?? 0) || !this.#usableAboveFloor())) {
      u8[b + RESTORING] = 0;
      this.#restoring--;
      this.rankChanges++;
      return 'restored';
    }
    return 'none';
  }

  /**
   * Probe k was lost at now. `mayTurnBad` is false while the peer has never answered any probe (a
   * peer that does not probe keeps the default choice instead of having every port marked bad).
   */
  lost(k: number, now: number, mayTurnBad: boolean): Transition {
    const u8 = this.#u8, u32 = this.#u32;
    const b = k * U8_STRIDE, w = k * U32_STRIDE;
    u32[w + HISTORY] = (u32[w + HISTORY]! << 1) & this.#mask;
    u32[w + LOSS_BITS] = ((u32[w + LOSS_BITS]! << 1) | 1) & 0xffff;
    if (u8[b + HISTORY_LEN]! < this.#rules.recoverWindow) u8[b + HISTORY_LEN]++;
    if (u8[b + CONSECUTIVE_LOSSES]! < 255) u8[b + CONSECUTIVE_LOSSES]++;
    this.#f64[k * F64_STRIDE + LAST_LOSS_AT] = now;
    this.rankChanges++;
    return mayTurnBad ? this.settle(k) : 'none';
  }

  /** Apply the bad rule to losses counted before it was allowed to (see lost()). */
  settle(k: number): Transition {
    const u8 = this.#u8, u32 = this.#u32, f64 = this.#f64;
    const b = k * U8_STRIDE, w = k * U32_STRIDE, f = k * F64_STRIDE;
    if (u8[b + STATE] !== PORT_BAD && u8[b + CONSECUTIVE_LOSSES]! >= this.#rules.badAfterLosses) {
      u8[b + STATE] = PORT_BAD;
      this.#bad++;
      this.rankChanges++;
      if (u8[b + RESTORING] === 1) { u8[b + RESTORING] = 0; this.#restoring--; }
      // Losses before this run (within lossyWindow probes): scattered loss, not a black hole.
      const run = Math.min(16, u8[b + CONSECUTIVE_LOSSES]!);
      const lossy = ((u32[w + LOSS_BITS]! >>> run) & this.#lossyMask) !== 0;
      // Restart the recovery window: answers from before the failure must not vouch for the port,
      // or a single answer after going bad would bring it back (3 of 5 met by stale history).
      u32[w + HISTORY] = 0;
      const at = f64[f + LAST_LOSS_AT]!;
      f64[f + PENALTY] = this.flapPenalty(k, at) + 1;
      f64[f + PENALTY_AT] = at;
      const lim = this.#rules.flapSuppressPenalty;
      if (this.#rules.flapHalfLifeMs !== undefined && lim !== undefined && (f64[f + PENALTY]! > lim || lossy)) u8[b + HELD] = 1;
      return 'down';
    }
    return 'none';
  }

  /**
   * Set port k's whole state at once (a saved state restored, src/control/health-state.ts), keeping
   * the counts of bad and restoring ports right. Only a good port may be restoring.
   */
  load(k: number, s: SavedPortHealth): void {
    const u8 = this.#u8, u32 = this.#u32, f64 = this.#f64;
    const b = k * U8_STRIDE, w = k * U32_STRIDE, f = k * F64_STRIDE;
    if (u8[b + STATE] === PORT_BAD) this.#bad--;
    if (u8[b + RESTORING] === 1) this.#restoring--;
    this.rankChanges++;
    u8[b + STATE] = s.state;
    u32[w + HISTORY] = (s.history >>> 0) & this.#mask;
    u8[b + HISTORY_LEN] = Math.min(s.historyLen, this.#rules.recoverWindow);
    u8[b + CONSECUTIVE_LOSSES] = Math.min(255, s.consecutiveLosses);
    u32[w + LOSS_BITS] = s.lossBits & 0xffff;
    f64[f + LAST_LOSS_AT] = s.lastLossAt;
    f64[f + FIRST_ANSWER_AT] = s.firstAnswerAt;
    f64[f + PENALTY] = s.penalty;
    f64[f + PENALTY_AT] = s.penaltyAt;
    u8[b + HELD] = s.held && s.state === PORT_BAD ? 1 : 0;
    u8[b + RESTORING] = s.restoring && s.state === PORT_GOOD ? 1 : 0;
    if (s.state === PORT_BAD) this.#bad++;
    if (u8[b + RESTORING] === 1) this.#restoring++;
  }

  /** Failure-free since: the last loss, or the first answer if none; +Infinity if never answered. */
  failureFreeSince(k: number): number {
    const f = k * F64_STRIDE, first = this.#f64[f + FIRST_ANSWER_AT]!;
    if (first === Infinity) return Infinity;
    return Math.max(this.#f64[f + LAST_LOSS_AT]!, first);
  }
}
