// The zooroute command line: one file per command, each exporting register(program). The grammar
// every command keeps (docs/cli.md) is enforced here once: upper-case placeholders, defaults shown
// bare, required options marked, commander's own errors in the same one-line form as ours.
import { Command, CommanderError, Help, type Option } from 'commander';
import { InputError, UsageError } from './errors.js';
import { userErrorLine, STDOUT_NAME } from './user-error.js';
import { FileError, asFileError } from '../errors.js';

/** `(default: X)` shown the same way for every option: bare, never JSON-quoted. */
function showDefaultsBare(c: Command): void {
  for (const o of c.options as readonly Option[]) {
    if (o.defaultValue !== undefined && o.defaultValueDescription === undefined) o.defaultValueDescription = String(o.defaultValue);
  }
  for (const sub of c.commands) showDefaultsBare(sub);
}

/**
 * The subcommands, in help order, each loaded when needed: a run of one command loads only its own
 * modules (`zooroute encap` does not load the simulator), which takes a large share off its start-up.
 */
const COMMANDS: Record<string, () => Promise<{ register(p: Command): void }>> = {
  'tofino-updates': () => import('./tofino-updates.js'),
  capture: () => import('./capture.js'),
  encap: () => import('./encap.js'),
  decap: () => import('./decap.js'),
  tables: () => import('./tables.js'),
  simulate: () => import('./simulate.js'),
  agent: () => import('./agent.js'),
  replay: () => import('./replay.js'),
};

/**
 * Build the program with every command, or only `only` (a command name) when given and known.
 * Commands register themselves, one entry each in COMMANDS.
 */
export async function program(only?: string): Promise<Command> {
  const p = baseProgram();
  const names = only !== undefined && Object.hasOwn(COMMANDS, only) ? [only] : Object.keys(COMMANDS);
  const modules = await Promise.all(names.map((n) => COMMANDS[n]()));
  for (const m of modules) m.register(p);
  showDefaultsBare(p);
  return p;
}

/** The root command, before any subcommand is added: the settings every subcommand inherits. */
function baseProgram(): Command {
  const p = new Command('zooroute')
    .description('cloud-network failure recovery by VXLAN source-port path switching')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError(false)
    // Inherited by every subcommand (set before they are added).
    .configureHelp({
      optionDescription(o: Option): string {
        let d = Help.prototype.optionDescription.call(this, o);
        // A default worked out at run time (Option.default(undefined, 'what it is')), shown like the rest.
        if (o.defaultValue === undefined && o.defaultValueDescription !== undefined) d = `${d} (default: ${o.defaultValueDescription})`;
        return o.mandatory ? `${d} (required)` : d;
      },
    })
    .configureOutput({
      // commander's "error: unknown option '--x'" becomes "zooroute: unknown option '--x'".
      outputError: (s, write) => write(s.replace(/^error: /, 'zooroute: ')),
    });
  return p;
}

let stdoutGuarded = false;

/**
 * A write to standard output that fails (`> /dev/full`: ENOSPC, a closed pipe: EPIPE) is emitted as an
 * 'error' event, which unhandled would crash with a stack trace: one line and exit 2 instead.
 */
function guardStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    const f = asFileError(e, STDOUT_NAME);
    process.stderr.write(`zooroute: ${f instanceof FileError ? f.message : `${STDOUT_NAME}: ${e.message}`}\n`);
    process.exit(2);
  });
}

/** Run the CLI; returns the exit code (0 ok, 2 bad input or usage, 1 internal error). */
export async function main(argv: string[]): Promise<number> {
  guardStdout();
  // `zooroute CMD ...` builds the program with CMD alone; anything else (help, no or an unknown command) with all.
  const p = await program(argv[2]);
  try {
    await p.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // `zooroute help` exits 0; bare `zooroute` (help on stderr, no command given) is a usage error.
      if (e.code === 'commander.help') return e.exitCode === 0 ? 0 : 2;
      return 2; // commander already printed its one-line message
    }
    const line = userErrorLine(e);
    if (line !== undefined) {
      process.stderr.write(`zooroute: ${line}\n`);
      return 2;
    }
    const err = e as Error | undefined;
    process.stderr.write(`zooroute: internal error: ${err?.stack ?? String(e)}\n`);
    return 1;
  }
}
