// Saved port health (docs/health-state.md): what a restarting VTEP writes of each peer's candidate
// ports and reads back, so that its flows start on ports known good instead of on the default choice
// with nothing validated. Times are kept as ages relative to the save, so that they mean the same on
// the next process's clock; the save's wall-clock time says how old the whole snapshot is.
import { PORT_BAD, PORT_GOOD, PORT_UNKNOWN, type PortState } from './health.js';
import type { PeerState } from './peer.js';
import { F64_STRIDE, U32_STRIDE, LAST_USED, GROUP } from './port-records.js';

/** The `format` field of every health state file. */
export const HEALTH_STATE_FORMAT = 'zooroute-health';
/** The health state file version this build writes and reads. */
export const HEALTH_STATE_VERSION = 1;

/** One candidate port as saved. Ages are milliseconds before the save; null = never. */
export interface SavedPort {
  /** The candidate's outer UDP source port. */
  sport: number;
  /** Its health state when saved. */
  state: 'unknown' | 'good' | 'bad';
  /** Outcomes of the latest probes, newest in bit 0 (1 = answered), and how many count. */
  history: number;
  /** How many bits of `history` count. */
  historyLen: number;
  /** Probes lost in a row up to the save. */
  consecutiveLosses: number;
  /** The latest 16 outcomes, newest in bit 0 (1 = lost). */
  lossBits: number;
  /** Age of the port's last loss, ms; null = never lost. */
  lastLossAgoMs: number | null;
  /** Age of the port's first answered probe, ms; null = never answered. */
  firstAnswerAgoMs: number | null;
  /** Flap penalty as of penaltyAgoMs. */
  penalty: number;
  /** Age of the moment `penalty` was computed, ms (it halves every flapHalfLifeMs after). */
  penaltyAgoMs: number;
  /** Held back by flap or loss damping. */
  held: boolean;
  /** Recovered but waiting to restore (not yet taking flows). */
  restoring: boolean;
  /** A flow was given the port within the in-use window. */
  inUse: boolean;
  /** BackendID (48 bits) the port's latest reply carried; 0 = none. */
  backend: number;
}

/** One peer as saved: its address, candidates and each port's health. */
export interface SavedPeer {
  /** Underlay IPv4, host order. */
  ip: number;
  /** The candidates in order: a peer whose candidates changed is not restored. */
  candidates: number[];
  /** Any of its probes was ever answered. */
  everAnswered: boolean;
  /** Tenant traffic within the active window when saved: probed again at once on restore. */
  active: boolean;
  /** One per candidate, in candidate order. */
  ports: SavedPort[];
}

/** A whole health state file (docs/health-state.md): what a restarting VTEP saved of its peers' ports. */
export interface HealthSnapshot {
  /** Always HEALTH_STATE_FORMAT. */
  format: typeof HEALTH_STATE_FORMAT;
  /** Always HEALTH_STATE_VERSION. */
  version: typeof HEALTH_STATE_VERSION;
  /** Wall-clock time of the save (ms since the epoch). */
  savedAtEpochMs: number;
  /** The saving VTEP's underlay IPv4, host order: another VTEP's snapshot is not restored. */
  localIp: number;
  /** Every peer saved. */
  peers: SavedPeer[];
}

/** What restoring a snapshot did. */
export interface RestoreResult {
  /** Whether anything was restored; when not, why. */
  restored: boolean;
  /** Why not: older than the allowed age, saved more than 5 s in the future, or by another VTEP. */
  reason?: 'stale' | 'future' | 'other-vtep';
  /** Age of the snapshot at restore, ms. */
  ageMs: number;
  /** Peers restored. */
  peers: number;
  /** Ports restored. */
  ports: number;
  /** Saved peers not restored: not configured now, or their candidates changed. */
  skippedPeers: number;
}

/** Clock skew tolerated between the save and the restore (a snapshot from slightly in the future). */
const FUTURE_SLACK_MS = 5_000;
const STATE_NAMES = ['unknown', 'good', 'bad'] as const;

const ago = (now: number, t: number): number | null => (Number.isFinite(t) ? Math.max(0, now - t) : null);

/** The snapshot of every peer's ports at clock time `now` (wall clock `epochMs`). */
export function snapshotPeers(
  peers: Iterable<PeerState>, o: { localIp: number; now: number; epochMs: number; activeWindowMs: number; inUseWindowMs: number },
): HealthSnapshot {
  const out: SavedPeer[] = [];
  const backendOf = (p: PeerState): Map<number, number> => new Map([...p.groupOfBackend].map(([key, g]) => [g, key]));
  for (const p of peers) {
    const h = p.health;
    const keys = backendOf(p);
    const ports: SavedPort[] = [];
    for (let k = 0; k < p.n; k++) {
      ports.push({
        sport: p.candidates[k]!,
        state: STATE_NAMES[h.state(k)],
        history: h.history(k), historyLen: h.historyLen(k), consecutiveLosses: h.consecutiveLosses(k), lossBits: h.lossBits(k),
        lastLossAgoMs: ago(o.now, h.lastLossAt(k)), firstAnswerAgoMs: ago(o.now, h.firstAnswerAt(k)),
        penalty: h.penalty(k), penaltyAgoMs: Math.max(0, o.now - h.penaltyAt(k)),
        held: h.held(k), restoring: h.restoring(k),
        inUse: o.now - p.f64[k * F64_STRIDE + LAST_USED]! <= o.inUseWindowMs,
        backend: p.u32[k * U32_STRIDE + GROUP] === 0 ? 0 : keys.get(p.u32[k * U32_STRIDE + GROUP]!) ?? 0,
      });
    }
    out.push({ ip: p.ip, candidates: [...p.candidates], everAnswered: p.everAnswered, active: o.now - p.lastTraffic <= o.activeWindowMs, ports });
  }
  return { format: HEALTH_STATE_FORMAT, version: HEALTH_STATE_VERSION, savedAtEpochMs: o.epochMs, localIp: o.localIp >>> 0, peers: out };
}

/**
 * Restore the saved ports of every configured peer whose candidates are unchanged, when the snapshot
 * is at most maxAgeMs old (at wall clock epochMs) and was saved by this VTEP. `publish` writes a
 * restored port into the path tables. Active peers come back active and their in-use ports in use,
 * so that probing re-validates them at once.
 */
export function restorePeers(
  s: HealthSnapshot, peers: { get(ip: number): PeerState | undefined },
  o: { localIp: number; now: number; epochMs: number; maxAgeMs: number; publish: (p: PeerState, k: number) => void },
): RestoreResult {
  const ageMs = o.epochMs - s.savedAtEpochMs;
  const none = (reason: RestoreResult['reason']): RestoreResult => ({ restored: false, reason, ageMs, peers: 0, ports: 0, skippedPeers: s.peers.length });
  if (s.localIp >>> 0 !== o.localIp >>> 0) return none('other-vtep');
  if (ageMs < -FUTURE_SLACK_MS) return none('future');
  if (ageMs > o.maxAgeMs) return none('stale');
  const age = Math.max(0, ageMs);
  const at = (agoMs: number | null, never: number): number => (agoMs === null ? never : o.now - (agoMs + age));
  let nPeers = 0, nPorts = 0, skipped = 0;
  for (const sp of s.peers) {
    const p = peers.get(sp.ip >>> 0);
    if (p === undefined || sp.candidates.length !== p.n || sp.candidates.some((c, k) => c !== p.candidates[k]) || sp.ports.length !== p.n) { skipped++; continue; }
    p.everAnswered = sp.everAnswered;
    if (sp.active) p.lastTraffic = o.now;
    sp.ports.forEach((q, k) => {
      p.health.load(k, {
        state: q.state === 'good' ? PORT_GOOD : q.state === 'bad' ? PORT_BAD : PORT_UNKNOWN,
        history: q.history, historyLen: q.historyLen, consecutiveLosses: q.consecutiveLosses, lossBits: q.lossBits,
        lastLossAt: at(q.lastLossAgoMs, -Infinity), firstAnswerAt: at(q.firstAnswerAgoMs, Infinity),
        penalty: q.penalty, penaltyAt: o.now - (q.penaltyAgoMs + age), held: q.held, restoring: q.restoring,
      });
      p.u32[k * U32_STRIDE + GROUP] = q.backend === 0 ? 0 : p.groupFor(q.backend);
      if (q.inUse) p.f64[k * F64_STRIDE + LAST_USED] = o.now;
      o.publish(p, k);
      nPorts++;
    });
    nPeers++;
  }
  return { restored: nPeers > 0, ageMs, peers: nPeers, ports: nPorts, skippedPeers: skipped };
}

// ---- JSON ------------------------------------------------------------------------------------

function fmtIp(ip: number): string { return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.'); }
function parseIp(s: unknown, where: string): number {
  const m = typeof s === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s) : null;
  const b = m?.slice(1).map(Number);
  if (b === undefined || b.some((x) => x > 255)) throw new RangeError(`${where} is not an IPv4 address`);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** The snapshot as the state file's JSON text (addresses dotted, one peer per line). */
export function encodeHealthState(s: HealthSnapshot): string {
  const peers = s.peers.map((p) => '    ' + JSON.stringify({ ...p, ip: fmtIp(p.ip) }));
  const head = JSON.stringify({ format: s.format, version: s.version, savedAtEpochMs: s.savedAtEpochMs, savedAt: new Date(s.savedAtEpochMs).toISOString(), localIp: fmtIp(s.localIp) });
  return `${head.slice(0, -1)},\n  "peers": [\n${peers.join(',\n')}\n  ]\n}\n`;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function int(o: Json, k: string, lo: number, hi: number, where: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${where}${k} must be an integer in ${lo}..${hi}`);
  return v;
}
function nonNeg(o: Json, k: string, where: string, nullable: boolean): number | null {
  const v = o[k];
  if (v === null && nullable) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${where}${k} must be a non-negative number${nullable ? ' or null' : ''}`);
  return v;
}
function bool(o: Json, k: string, where: string): boolean {
  if (typeof o[k] !== 'boolean') throw new RangeError(`${where}${k} must be true or false`);
  return o[k] as boolean;
}

/** Parse and check a state file's text; throws a RangeError naming the first bad field. */
export function decodeHealthState(text: string): HealthSnapshot {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new RangeError(`not valid JSON (${(e as Error).message})`); }
  if (!isObj(raw) || raw.format !== HEALTH_STATE_FORMAT) throw new RangeError(`not a ${HEALTH_STATE_FORMAT} file`);
  if (raw.version !== HEALTH_STATE_VERSION) throw new RangeError(`version ${JSON.stringify(raw.version)} is not ${HEALTH_STATE_VERSION}`);
  const savedAtEpochMs = nonNeg(raw, 'savedAtEpochMs', '', false)!;
  const localIp = parseIp(raw.localIp, 'localIp');
  if (!Array.isArray(raw.peers)) throw new RangeError('peers must be an array');
  const peers = raw.peers.map((p: unknown, i: number): SavedPeer => {
    const w = `peers[${i}].`;
    if (!isObj(p)) throw new RangeError(`peers[${i}] must be an object`);
    if (!Array.isArray(p.candidates) || !Array.isArray(p.ports) || p.ports.length !== p.candidates.length || p.ports.length < 1 || p.ports.length > 64) {
      throw new RangeError(`${w}candidates and ${w}ports must be arrays of the same length, 1..64`);
    }
    const candidates = p.candidates.map((c: unknown, k: number) => int({ c }, 'c', 1, 65535, `${w}candidates[${k}].`));
    const ports = p.ports.map((q: unknown, k: number): SavedPort => {
      const v = `${w}ports[${k}].`;
      if (!isObj(q)) throw new RangeError(`${w}ports[${k}] must be an object`);
      if (q.sport !== candidates[k]) throw new RangeError(`${v}sport must be candidate ${k}, ${candidates[k]}`);
      if (q.state !== 'unknown' && q.state !== 'good' && q.state !== 'bad') throw new RangeError(`${v}state must be unknown, good or bad`);
      return {
        sport: int(q, 'sport', 1, 65535, v), state: q.state,
        history: int(q, 'history', 0, 0xffffffff, v), historyLen: int(q, 'historyLen', 0, 32, v),
        consecutiveLosses: int(q, 'consecutiveLosses', 0, 255, v), lossBits: int(q, 'lossBits', 0, 0xffff, v),
        lastLossAgoMs: nonNeg(q, 'lastLossAgoMs', v, true), firstAnswerAgoMs: nonNeg(q, 'firstAnswerAgoMs', v, true),
        penalty: nonNeg(q, 'penalty', v, false)!, penaltyAgoMs: nonNeg(q, 'penaltyAgoMs', v, false)!,
        held: bool(q, 'held', v), restoring: bool(q, 'restoring', v), inUse: bool(q, 'inUse', v),
        backend: int(q, 'backend', 0, 2 ** 48 - 1, v),
      };
    });
    return { ip: parseIp(p.ip, `${w}ip`), candidates, everAnswered: bool(p, 'everAnswered', w), active: bool(p, 'active', w), ports };
  });
  return { format: HEALTH_STATE_FORMAT, version: HEALTH_STATE_VERSION, savedAtEpochMs, localIp, peers };
}
