// Per-port health of one peer's candidates (docs/health.md): bad after `badAfterLosses` consecutive
// losses; a bad port is good again when >= recoverAnswered of its last recoverWindow probes were
// answered, the latest included; ports are ranked by failure-free duration (time since last loss).
import { carvePortArrays } from './port-arrays.js';

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
 * Health of one peer's n candidate ports, kept in parallel typed arrays indexed by candidate (one
 * buffer). Fed probe outcomes with answered() and lost(), which return the transition they caused;
 * applies the bad rule, 3-of-5 style recovery, flap and loss damping and wait-to-restore of
 * HealthRules. Times are Clock milliseconds.
 */
export class PortHealth {
  /** Candidate ports tracked. */
  readonly n: number;
  /** Each port's PortState. */
  readonly state: Uint8Array;
  /** Outcomes of the latest probes, newest in bit 0 (1 = answered). */
  readonly history: Uint32Array;
  /** How many bits of each history count (at most recoverWindow). */
  readonly historyLen: Uint8Array;
  /** Probes lost in a row, per port. */
  readonly consecutiveLosses: Uint8Array;
  /** Time of the last loss, -Infinity if none. */
  readonly lastLossAt: Float64Array;
  /** Time of the first answer, +Infinity until one. */
  readonly firstAnswerAt: Float64Array;
  /** Flap penalty as of penaltyAt (see HealthRules). */
  readonly penalty: Float64Array;
  /** Clock time each penalty was computed at, ms. */
  readonly penaltyAt: Float64Array;
  /** 1 while a bad port is held out by flap damping (it failed again while its penalty was high). */
  readonly held: Uint8Array;
  /** 1 while a good port waits to restore (HealthRules.waitToRestoreMs): not usable yet. */
  readonly restoring: Uint8Array;
  /** Outcomes of the latest 16 probes, newest in bit 0 (1 = lost); never reset, unlike history. */
  readonly lossBits: Uint16Array;
  readonly #rules: HealthRules;
  readonly #mask: number;
  readonly #lossyMask: number;
  #bad = 0;
  #restoring = 0;

  /** n ports, all PORT_UNKNOWN with no history, under `rules`. */
  constructor(n: number, rules: HealthRules) {
    this.n = n;
    this.#rules = rules;
    this.#mask = rules.recoverWindow >= 32 ? 0xffffffff : (1 << rules.recoverWindow) - 1;
    this.#lossyMask = (1 << Math.min(16, rules.lossyWindow ?? 0)) - 1;
    // One buffer (see port-arrays.ts); what a probe outcome touches is adjacent, firstAnswerAt to history.
    const a = carvePortArrays(n, { f64: 4, u32: 1, u16: 1, u8: 5 });
    this.penalty = a.f64[0]!; this.penaltyAt = a.f64[1]!; this.lastLossAt = a.f64[2]!; this.firstAnswerAt = a.f64[3]!;
    this.history = a.u32[0]!;
    this.lossBits = a.u16[0]!;
    this.state = a.u8[0]!; this.historyLen = a.u8[1]!; this.consecutiveLosses = a.u8[2]!; this.held = a.u8[3]!; this.restoring = a.u8[4]!;
    this.lastLossAt.fill(-Infinity);
    this.firstAnswerAt.fill(Infinity);
  }

  /** Candidates currently bad. */
  get badCount(): number { return this.#bad; }

  /** Port k's flap penalty decayed to `now`. */
  flapPenalty(k: number, now: number): number {
    const half = this.#rules.flapHalfLifeMs;
    if (half === undefined || this.penalty[k] === 0) return this.penalty[k]!;
    return this.penalty[k]! * Math.pow(2, -Math.max(0, now - this.penaltyAt[k]!) / half);
  }

  /** Whether port k may carry flows: not bad and not waiting to restore. */
  usable(k: number): boolean { return this.state[k] !== PORT_BAD && this.restoring[k] === 0; }

  /** Whether the peer has enough ports not bad for damping to hold one out. */
  #aboveFloor(): boolean { return this.n - this.#bad >= (this.#rules.holdFloor ?? 0) * this.n; }

  /** Whether the peer has enough usable ports (not bad, not restoring) for a port to wait to restore. */
  #usableAboveFloor(): boolean { return this.n - this.#bad - this.#restoring >= (this.#rules.holdFloor ?? 0) * this.n; }

  /**
   * Whether flap damping still holds bad port k out at `now`: held, not failure-free long enough, and
   * the peer has enough other ports (holdFloor).
   */
  suppressed(k: number, now: number): boolean {
    if (this.held[k] !== 1 || now - this.lastLossAt[k]! >= (this.#rules.suppressHoldMs ?? 0)) return false;
    return this.#aboveFloor();
  }

  /** Probe k was answered at now. */
  answered(k: number, now: number): Transition {
    this.history[k] = ((this.history[k] << 1) | 1) & this.#mask;
    this.lossBits[k] = (this.lossBits[k]! << 1) & 0xffff;
    if (this.historyLen[k] < this.#rules.recoverWindow) this.historyLen[k]++;
    this.consecutiveLosses[k] = 0;
    if (this.firstAnswerAt[k] === Infinity) this.firstAnswerAt[k] = now;
    const s = this.state[k];
    if (s === PORT_UNKNOWN) { this.state[k] = PORT_GOOD; return 'none'; }
    if (s === PORT_BAD && popcount(this.history[k]) >= this.#rules.recoverAnswered && !this.suppressed(k, now)) {
      // Intermittent: a lost probe between answers in the window (clean = zeros, then only ones).
      // Decided while k still counts as bad: the other usable ports must meet the floor without it.
      const h = this.history[k]!;
      const wtr = this.#rules.waitToRestoreMs ?? 0;
      if (wtr > 0 && (h & (h + 1)) !== 0 && now - this.lastLossAt[k]! < wtr && this.#usableAboveFloor()) {
        this.restoring[k] = 1;
        this.#restoring++;
      }
      this.state[k] = PORT_GOOD;
      this.#bad--;
      this.held[k] = 0;
      return 'up';
    }
    // Released when failure-free long enough, or when the other usable ports (k, restoring, is not
    // one) no longer meet the floor.
    if (this.restoring[k] === 1 && (now - this.lastLossAt[k]! >= (this.#rules.waitToRestoreMs ?? 0) || !this.#usableAboveFloor())) {
      this.restoring[k] = 0;
      this.#restoring--;
      return 'restored';
    }
    return 'none';
  }

  /**
   * Probe k was lost at now. `mayTurnBad` is false while the peer has never answered any probe (a
   * peer that does not probe keeps the default choice instead of having every port marked bad).
   */
  lost(k: number, now: number, mayTurnBad: boolean): Transition {
    this.history[k] = (this.history[k] << 1) & this.#mask;
    this.lossBits[k] = ((this.lossBits[k]! << 1) | 1) & 0xffff;
    if (this.historyLen[k] < this.#rules.recoverWindow) this.historyLen[k]++;
    if (this.consecutiveLosses[k] < 255) this.consecutiveLosses[k]++;
    this.lastLossAt[k] = now;
    return mayTurnBad ? this.settle(k) : 'none';
  }

  /** Apply the bad rule to losses counted before it was allowed to (see lost()). */
  settle(k: number): Transition {
    if (this.state[k] !== PORT_BAD && this.consecutiveLosses[k] >= this.#rules.badAfterLosses) {
      this.state[k] = PORT_BAD;
      this.#bad++;
      if (this.restoring[k] === 1) { this.restoring[k] = 0; this.#restoring--; }
      // Losses before this run (within lossyWindow probes): scattered loss, not a black hole.
      const run = Math.min(16, this.consecutiveLosses[k]!);
      const lossy = ((this.lossBits[k]! >>> run) & this.#lossyMask) !== 0;
      // Restart the recovery window: answers from before the failure must not vouch for the port,
      // or a single answer after going bad would bring it back (3 of 5 met by stale history).
      this.history[k] = 0;
      const at = this.lastLossAt[k]!;
      this.penalty[k] = this.flapPenalty(k, at) + 1;
      this.penaltyAt[k] = at;
      const lim = this.#rules.flapSuppressPenalty;
      if (this.#rules.flapHalfLifeMs !== undefined && lim !== undefined && (this.penalty[k]! > lim || lossy)) this.held[k] = 1;
      return 'down';
    }
    return 'none';
  }

  /**
   * Set port k's whole state at once (a saved state restored, src/control/health-state.ts), keeping
   * the counts of bad and restoring ports right. Only a good port may be restoring.
   */
  load(k: number, s: SavedPortHealth): void {
    if (this.state[k] === PORT_BAD) this.#bad--;
    if (this.restoring[k] === 1) this.#restoring--;
    this.state[k] = s.state;
    this.history[k] = (s.history >>> 0) & this.#mask;
    this.historyLen[k] = Math.min(s.historyLen, this.#rules.recoverWindow);
    this.consecutiveLosses[k] = Math.min(255, s.consecutiveLosses);
    this.lossBits[k] = s.lossBits & 0xffff;
    this.lastLossAt[k] = s.lastLossAt;
    this.firstAnswerAt[k] = s.firstAnswerAt;
    this.penalty[k] = s.penalty;
    this.penaltyAt[k] = s.penaltyAt;
    this.held[k] = s.held && s.state === PORT_BAD ? 1 : 0;
    this.restoring[k] = s.restoring && s.state === PORT_GOOD ? 1 : 0;
    if (s.state === PORT_BAD) this.#bad++;
    if (this.restoring[k] === 1) this.#restoring++;
  }

  /** Failure-free since: the last loss, or the first answer if none; +Infinity if never answered. */
  failureFreeSince(k: number): number {
    if (this.firstAnswerAt[k] === Infinity) return Infinity;
    return Math.max(this.lastLossAt[k], this.firstAnswerAt[k]);
  }
}
