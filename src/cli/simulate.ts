// `zooroute simulate`: run a scenario's traffic and failures over the simulated ECMP underlay in the
// three modes (zooroute, static, opportunistic) and report outage, masking, switching and probe cost.
import { readInputText } from '../read-input.js';
import { type Command, Option } from 'commander';
import { parseScenario, ScenarioError, type Scenario } from '../sim/scenario.js';
import { simulate } from '../sim/simulate.js';
import { formatReport } from '../sim/report.js';
import { UsageError } from './errors.js';

interface SimulateOptions {
  scenario: string;
  seed?: string;
  json?: boolean;
}

/** Read and validate a scenario file; every problem becomes a one-line UsageError naming the file. */
export function loadScenario(file: string): Scenario {
  const text = readInputText(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return parseScenario(json);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('run a scenario over the simulated ECMP underlay in zooroute, static and opportunistic modes')
    .requiredOption('--scenario <FILE>', 'simulation scenario JSON, "kind": "simulation" (docs/scenario-format.md)')
    .addOption(new Option('--seed <N>', 'scenario seed; same seed, same report').default(undefined, 'the scenario\'s'))
    .option('--json', 'print the report as JSON')
    .action((o: SimulateOptions) => {
      const scenario = loadScenario(o.scenario);
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
