// `zooroute agent`: the live VTEP (src/agent/), configured by a JSON file (docs/lab.md).
import type { Command } from 'commander';
import { runAgent } from '../agent/run.js';

export function register(program: Command): void {
  program
    .command('agent')
    .description('run a live VTEP: capture tenant frames, encapsulate with path switching, probe peers, serve /metrics (needs root or CAP_NET_RAW)')
    .requiredOption('-c, --config <FILE>', 'agent configuration (JSON; see docs/lab.md)')
    .action(async (o: { config: string }) => { await runAgent(o.config); });
}
