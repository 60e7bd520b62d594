// The zooroute command line: one file per command, each exporting register(program).
import { Command, CommanderError } from 'commander';
import { InputError, UsageError } from './errors.js';
import { register as registerTofinoUpdates } from './tofino-updates.js';
import { register as registerCapture } from './capture.js';
import { register as registerEncap } from './encap.js';
import { register as registerDecap } from './decap.js';
import { register as registerTables } from './tables.js';
import { register as registerSimulate } from './simulate.js';
import { register as registerAgent } from './agent.js';
import { register as registerReplay } from './replay.js';

/** Build the program. Commands register themselves here, one line each. */
export function program(): Command {
  const p = new Command('zooroute')
    .description('cloud-network failure recovery by VXLAN source-port path switching')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError(false);
  registerTofinoUpdates(p);
  registerCapture(p);
  registerEncap(p);
  registerDecap(p);
  registerTables(p);
  registerSimulate(p);
  registerAgent(p);
  registerReplay(p);
  return p;
}

/** Run the CLI; returns the exit code (0 ok, 2 bad input or usage, 1 internal error). */
export async function main(argv: string[]): Promise<number> {
  const p = program();
  try {
    await p.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander already printed its one-line message
    }
    if (e instanceof InputError || e instanceof UsageError || e instanceof RangeError) {
      process.stderr.write(`zooroute: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.path === 'string') {
      process.stderr.write(`zooroute: ${err.path}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`zooroute: internal error: ${err?.stack ?? String(e)}\n`);
    return 1;
  }
}
