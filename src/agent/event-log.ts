// The agent's structured log: one JSON object per line per event (port down, port up, port restored, switch,
// flow switched, ready, stopped, warnings, saved and restored
// port health, config reloads). Written synchronously so nothing is lost when the agent stops.
import { closeSync, openSync, writeSync } from 'node:fs';

export type AgentEventName = 'ready' | 'port-down' | 'port-up' | 'port-restored' | 'switch' | 'flow-switched' | 'stopped' | 'error'
  | 'warning' | 'state-restored' | 'state-saved' | 'reloaded';

export interface AgentEvent {
  event: AgentEventName;
  /** Wall-clock time, epoch milliseconds (fractional), so logs line up with other tools' timestamps. */
  epochMs: number;
  [field: string]: unknown;
}

export class EventLog {
  readonly #fd: number;
  readonly #own: boolean;

  /** '-' writes to stdout; anything else is a file opened for appending. */
  constructor(target: string) {
    this.#own = target !== '-';
    this.#fd = this.#own ? openSync(target, 'a') : 1;
  }

  write(e: AgentEvent): void {
    const line = JSON.stringify(e) + '\n';
    try {
      writeSync(this.#fd, line);
    } catch (err) {
      // A non-blocking stdout pipe that is full: let Node queue the line instead of losing it.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && !this.#own) process.stdout.write(line);
      else throw err;
    }
  }

  close(): void { if (this.#own) closeSync(this.#fd); }
}
