// The summary `encap` and `decap` report: one stderr line (with --json, the CaptureRun as one JSON
// document on stdout). The pipeline itself is src/pcap/transform.ts.
import type { CaptureRun } from '../pcap/transform.js';

/** The one-line stderr summary, e.g. `zooroute encap: 12 frames, 10 encapsulated, 2 dropped (runt 2) -> out.pcap`. */
export function summaryLine(command: string, verb: string, run: CaptureRun): string {
  const d = Object.entries(run.dropped).sort(([a], [b]) => a.localeCompare(b));
  const n = d.reduce((s, [, v]) => s + v, 0);
  const why = d.length ? ` (${d.map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  return `zooroute ${command}: ${run.frames} frames, ${run.ok} ${verb}, ${n} dropped${why} -> ${run.output}\n`;
}
