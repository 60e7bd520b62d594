// `zooroute agent`: the live VTEP (src/agent/), configured by a JSON file (docs/lab.md).
import { Option, type Command } from 'commander';
import { runAgent } from '../agent/run.js';
import { IO_KINDS, parseIoKind } from '../io/index.js';

export function register(program: Command): void {
  program
    .command('agent')
    .description('run a live VTEP: capture tenant frames, encapsulate with path switching, probe peers, serve /metrics (needs root or CAP_NET_RAW)')
    .requiredOption('-c, --config <FILE>', 'agent configuration (JSON; see docs/lab.md)')
    .addOption(new Option('--io <KIND>', 'packet I/O: mmap (AF_PACKET ring, sendmmsg) or cap (libpcap)').choices(IO_KINDS).default(undefined, 'mmap where its addon is built, else cap'))
    .action(async (o: { config: string; io?: string }) => { await runAgent(o.config, undefined, o.io === undefined ? undefined : parseIoKind(o.io)); });
}
