// Per-port health of one peer's candidates (docs/health.md): bad after `badAfterLosses` consecutive
// losses; a bad port is good again when >= recoverAnswered of its last recoverWindow probes were
// answered, the latest included; ports are ranked by failure-free duration (time since last loss).

export const PORT_UNKNOWN = 0; // never answered: usable by default, not pre-validated
export const PORT_GOOD = 1;
export const PORT_BAD = 2;
export type PortState = typeof PORT_UNKNOWN | typeof PORT_GOOD | typeof PORT_BAD;
export type Transition = 'none' | 'down' | 'up';

export interface HealthRules { badAfterLosses: number; recoverAnswered: number; recoverWindow: number }

function popcount(x: number): number {
  let c = 0;
  for (; x !== 0; x &= x - 1) c++;
  return c;
}

export class PortHealth {
  readonly n: number;
  readonly state: Uint8Array;
  /** Outcomes of the latest probes, newest in bit 0 (1 = answered). */
  readonly history: Uint32Array;
  readonly historyLen: Uint8Array;
  readonly consecutiveLosses: Uint8Array;
  /** Time of the last loss, -Infinity if none. */
  readonly lastLossAt: Float64Array;
  /** Time of the first answer, +Infinity until one. */
  readonly firstAnswerAt: Float64Array;
  readonly #rules: HealthRules;
  readonly #mask: number;

  constructor(n: number, rules: HealthRules) {
    this.n = n;
    this.#rules = rules;
    this.#mask = rules.recoverWindow >= 32 ? 0xffffffff : (1 << rules.recoverWindow) - 1;
    this.state = new Uint8Array(n);
    this.history = new Uint32Array(n);
    this.historyLen = new Uint8Array(n);
    this.consecutiveLosses = new Uint8Array(n);
    this.lastLossAt = new Float64Array(n).fill(-Infinity);
    this.firstAnswerAt = new Float64Array(n).fill(Infinity);
  }

  /** Probe k was answered at now. */
  answered(k: number, now: number): Transition {
    this.history[k] = ((this.history[k] << 1) | 1) & this.#mask;
    if (this.historyLen[k] < this.#rules.recoverWindow) this.historyLen[k]++;
    this.consecutiveLosses[k] = 0;
    if (this.firstAnswerAt[k] === Infinity) this.firstAnswerAt[k] = now;
    const s = this.state[k];
    if (s === PORT_UNKNOWN) { this.state[k] = PORT_GOOD; return 'none'; }
    if (s === PORT_BAD && popcount(this.history[k]) >= this.#rules.recoverAnswered) {
      this.state[k] = PORT_GOOD;
      return 'up';
    }
    return 'none';
  }

  /**
   * Probe k was lost at now. `mayTurnBad` is false while the peer has never answered any probe (a
   * peer that does not probe keeps the default choice instead of having every port marked bad).
   */
  lost(k: number, now: number, mayTurnBad: boolean): Transition {
    this.history[k] = (this.history[k] << 1) & this.#mask;
    if (this.historyLen[k] < this.#rules.recoverWindow) this.historyLen[k]++;
    if (this.consecutiveLosses[k] < 255) this.consecutiveLosses[k]++;
    this.lastLossAt[k] = now;
    return mayTurnBad ? this.settle(k) : 'none';
  }

  /** Apply the bad rule to losses counted before it was allowed to (see lost()). */
  settle(k: number): Transition {
    if (this.state[k] !== PORT_BAD && this.consecutiveLosses[k] >= this.#rules.badAfterLosses) {
      this.state[k] = PORT_BAD;
      return 'down';
    }
    return 'none';
  }

  /** Failure-free since: the last loss, or the first answer if none; +Infinity if never answered. */
  failureFreeSince(k: number): number {
    if (this.firstAnswerAt[k] === Infinity) return Infinity;
    return Math.max(this.lastLossAt[k], this.firstAnswerAt[k]);
  }
}
