// Which flows a replay lists, and how it names them: the CLI summary (replay-text.ts) and the HTML
// report (replay-report.ts) print the same rows, so they choose them here.
import { REPLAY_MODES, type ReplayFlow, type ReplayReport } from './replay.js';

/** `src:sport > dst:dport pPROTO`, as the CLI prints a flow. */
export function flowName(f: ReplayFlow): string {
  return `${f.src}:${f.sport} > ${f.dst}:${f.dport} p${f.proto}`;
}

/** The flows that lost a packet in some mode, most static losses first (where a fixed port hurts). */
export function lossyFlows(r: ReplayReport): ReplayFlow[] {
  return r.perFlow.filter((f) => REPLAY_MODES.some((m) => f.modes[m].lost > 0)).sort((a, b) => b.modes.static.lost - a.modes.static.lost);
}
