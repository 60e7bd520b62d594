// Progress of a replay on a terminal: one cli-progress bar per pass over the file (bytes read). Only
// made when the caller decides output is interactive (a TTY, no --json) and the input is long.
import { statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { STDIO_PATH } from '../pcap/stdio.js';
import type { ProgressFn } from './capture-scan.js';

/** Inputs smaller than this finish too fast for a bar to help. */
export const PROGRESS_MIN_BYTES = 8 << 20;

export interface ReplayProgress {
  update: ProgressFn;
  stop(): void;
}

export function progressBar(input: string, stream: NodeJS.WriteStream): ReplayProgress | undefined {
  // Standard input has no size to measure progress against.
  if (input === STDIO_PATH) return undefined;
  const total = statSync(input).size;
  if (total < PROGRESS_MIN_BYTES) return undefined;
  const bar = new cliProgress.SingleBar({
    stream, format: 'replay {phase} [{bar}] {percentage}% | {value}/{total} MB', hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  const mb = (b: number): number => Math.round(b / 1e6);
  let phase = '';
  return {
    update(p, done) {
      if (p !== phase) {
        if (phase !== '') bar.stop();
        phase = p;
        bar.start(mb(total), 0, { phase: p === 'scan' ? 'scan ' : 'encap' });
      }
      bar.update(mb(done));
    },
    stop() { if (phase !== '') bar.stop(); },
  };
}
