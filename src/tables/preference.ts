// The control plane's preference among a peer's healthy ports, written into the fast-path tables:
// same BackendID group as the failed port first (the flow stays on its middlebox instance), then the
// longest failure-free, then the nearest after the failed port on the candidate ring (spreads ties).
import { UNVALIDATED_SINCE, type PortState } from './slow-path.js';

/** True when candidate a (at ring distance da from the failed port) is preferred to b (at db). */
function better(a: Readonly<PortState>, da: number, b: Readonly<PortState>, db: number, group: number): boolean {
  const sa = group !== 0 && a.group === group, sb = group !== 0 && b.group === group;
  if (sa !== sb) return sa;
  if (a.failureFreeSince !== b.failureFreeSince) return a.failureFreeSince < b.failureFreeSince;
  return da < db;
}

/**
 * Up to `limit` healthy candidates, best first, to take over from candidate `failed`. A selection by
 * repeated scans: `limit` is small (G or 1), and an update allocates nothing but the result.
 */
export function rankHealthy(states: readonly Readonly<PortState>[], failed: number, limit = states.length): number[] {
  const n = states.length;
  const group = states[failed]?.group ?? 0;
  const out: number[] = [];
  let lo = 0, hi = 0; // bit c set: candidate c already ranked (n <= 64)
  while (out.length < limit) {
    let best = -1, bestD = 0;
    for (let d = 1; d <= n; d++) {
      const c = (failed + d) % n;
      const s = states[c]!;
      if (!s.healthy || (((c < 32 ? lo : hi) >>> (c & 31)) & 1) === 1) continue;
      if (best < 0 || better(s, d, states[best]!, bestD, group)) { best = c; bestD = d; }
    }
    if (best < 0) break;
    out.push(best);
    if (best < 32) lo |= 1 << best; else hi |= 1 << (best & 31);
  }
  return out;
}

/** The preferred healthy candidate to take over from candidate `failed`, or -1 when none is healthy. */
export function preferredHealthy(states: readonly Readonly<PortState>[], failed: number): number {
  return rankHealthy(states, failed, 1)[0] ?? -1;
}

/**
 * Where a failed port's flows should go, best first, at most `limit`: rankHealthy's order; when the
 * failed port's BackendID group is known and has healthy ports, only those (a prefix of the ranking),
 * so that its flows keep their middlebox instance. PBM's starts and the redirect table's targets.
 * Only pre-validated ports while there is one (SPEC: "switch to a pre-validated healthy port"):
 * filling the spread with ports no probe has seen would send flows where, in a failure that takes
 * most paths, they are most likely black-holed. Unvalidated ports only when nothing validated is healthy.
 */
export function takeoverTargets(states: readonly Readonly<PortState>[], failed: number, limit: number): number[] {
  let all = rankHealthy(states, failed, limit).filter((c) => c !== failed);
  // Validated ports rank first, so when the best is validated the unvalidated ones are a suffix.
  if (all.length > 0 && states[all[0]!]!.failureFreeSince !== UNVALIDATED_SINCE) {
    all = all.filter((c) => states[c]!.failureFreeSince !== UNVALIDATED_SINCE);
  }
  const group = states[failed]?.group ?? 0;
  const same = group === 0 ? [] : all.filter((c) => states[c]!.group === group);
  return same.length > 0 ? same : all;
}
