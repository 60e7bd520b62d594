// The human summary of a replay: simulate's summary, then the capture's counts, time to recover per
// mode, and the flows that lost most (static first: where a fixed port hurts, and what zooroute saved).
import { formatReport } from '../sim/index.js';
import { REPLAY_MODES, type ReplayReport } from './replay.js';
import { flowName, lossyFlows } from './lossy-flows.js';

const MAX_FLOW_ROWS = 20;

/**
 * The text `zooroute replay` prints: the capture's counts, simulate's summary, time to recover per mode,
 * and the (at most 20) flows that lost most, static losses first.
 */
export function formatReplay(r: ReplayReport): string {
  const c = r.frameCounts;
  const lines: string[] = [];
  const dropped = Object.entries(c.dropped).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(`replay ${r.input}: ${r.frames} frames (${c.replayed} replayed, ${c.local} local, ${c.skipped} skipped), ${r.flows} flows, ` +
    `${c.encapsulated} encapsulated in ${c.encapBatches} batches (${c.forcedPort} on a port zooroute moved to)${dropped ? `, refused: ${dropped}` : ''}`);
  if (r.hashedAddresses > 0) lines.push(`${r.hashedAddresses} inner addresses served by no VTEP were mapped by hash (docs/replay.md)`);
  lines.push(formatReport(r).trimEnd());
  lines.push(`time to recover (longest run out, over flows that were out): ${REPLAY_MODES.map((m) => `${m} ${r.recovery[m].flowsOut} flows, mean ${r.recovery[m].meanMs} ms, max ${r.recovery[m].maxMs} ms`).join('; ')}`);
  const hit = lossyFlows(r);
  if (hit.length > 0) {
    lines.push(`flows with losses (${hit.length}${hit.length > MAX_FLOW_ROWS ? `, worst ${MAX_FLOW_ROWS} by static loss` : ''}): lost / outage s / recover ms per mode`);
    lines.push(`${'flow'.padEnd(48)} ${'pkts'.padStart(6)}  ${REPLAY_MODES.map((m) => m.padStart(22)).join(' ')}`);
    for (const f of hit.slice(0, MAX_FLOW_ROWS)) {
      const name = flowName(f);
      const cells = REPLAY_MODES.map((m) => { const x = f.modes[m]; return `${x.lost} / ${x.outageSeconds.toFixed(1)} / ${x.recoverMs}`.padStart(22); });
      lines.push(`${name.padEnd(48)} ${String(f.packets).padStart(6)}  ${cells.join(' ')}`);
    }
  }
  return lines.join('\n') + '\n';
}
