// `zooroute simulate`: run a scenario's traffic and failures over the simulated ECMP underlay in the
// three modes (zooroute, static, opportunistic) and report outage, masking, switching and probe cost.
import { readInputText } from '../read-input.js';
import { type Command, Option } from 'commander';
import { parseScenario, scenarioKind, ScenarioError, type Scenario, type ScenarioKind } from '../sim/scenario.js';
import { simulate } from '../sim/simulate.js';
import { formatReport } from '../sim/report.js';
import { UsageError } from './errors.js';

interface SimulateOptions {
  scenario: string;
  seed?: string;
  json?: boolean;
}

/** The command that runs each kind of scenario, for the one line that refuses the other kind. */
const COMMAND_FOR: Record<ScenarioKind, (file: string) => string> = {
  simulation: (file) => `zooroute simulate --scenario ${file}`,
  replay: (file) => `zooroute replay CAPTURE --scenario ${file}`,
};

/** The JSON files that are not scenarios at all, told by a field only they have. */
function otherFile(json: unknown, file: string): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json) || 'topology' in json) return undefined;
  if ('inner' in json) return `${file}: a VTEP map, not a scenario: give it to zooroute replay as --map ${file}`;
  if ('vmIface' in json || 'underlay' in json) return `${file}: an agent configuration, not a scenario: run it with zooroute agent -c ${file}`;
  return undefined;
}

/**
 * Read and validate a scenario file of kind `want`; every problem becomes a one-line UsageError naming
 * the file. A scenario of the other kind (its `kind` field, or for a file without one its traffic:
 * none is a replay scenario) is refused naming the command that runs it.
 */
export function loadScenario(file: string, want: ScenarioKind): Scenario {
  const text = readInputText(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const other = otherFile(json, file);
  if (other !== undefined) throw new UsageError(other);
  const refuse = (kind: ScenarioKind, why: string): UsageError =>
    new UsageError(`${file}: a ${kind} scenario (${why}), not a ${want} one: run it with ${COMMAND_FOR[kind](file)}`);
  // A declared kind is refused before the rest is checked: the command is wrong, not the file.
  const declared = (json as { kind?: unknown } | null)?.kind;
  if ((declared === 'simulation' || declared === 'replay') && declared !== want) throw refuse(declared, `"kind": "${declared}"`);
  let scenario: Scenario;
  try {
    scenario = parseScenario(json);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
  const kind = scenarioKind(scenario);
  if (kind !== want) throw refuse(kind, kind === 'replay' ? 'no "kind" and no traffic of its own' : 'no "kind", and traffic of its own');
  return scenario;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('run a scenario over the simulated ECMP underlay in zooroute, static and opportunistic modes')
    .requiredOption('--scenario <FILE>', 'simulation scenario JSON, "kind": "simulation" (docs/scenario-format.md)')
    .addOption(new Option('--seed <N>', 'scenario seed; same seed, same report').default(undefined, 'the scenario\'s'))
    .option('--json', 'print the report as JSON')
    .action((o: SimulateOptions) => {
      const scenario = loadScenario(o.scenario, 'simulation');
      let seed: number | undefined;
      if (o.seed !== undefined) {
        if (!/^\d+$/.test(o.seed) || Number(o.seed) > 0xffffffff) throw new UsageError(`--seed must be an integer 0..4294967295, got ${JSON.stringify(o.seed)}`);
        seed = Number(o.seed);
      }
      let report;
      try {
        report = simulate(scenario, { seed });
      } catch (e) {
        if (e instanceof ScenarioError) throw new UsageError(`${o.scenario}: ${e.message}`);
        throw e;
      }
      process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
    });
}
