// `zooroute simulate`: run a scenario's traffic and failures over the simulated ECMP underlay in every
// mode (zooroute, static, opportunistic, prr) and report outage, masking, switching and probe cost; at
// one seed, at many (--seeds, on worker threads: --jobs), or as one flow's timeline (--trace).
import { availableParallelism } from 'node:os';
import { type Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { readInputText } from '../read-input.js';
import { parseScenario, scenarioKind, ScenarioError, type Scenario, type ScenarioKind } from '../sim/scenario.js';
import { simulate, scenarioControlConfig } from '../sim/simulate.js';
import { formatReport } from '../sim/report.js';
import { SIM_MODES, type SimMode } from '../sim/modes.js';
import { formatSeedSummary, summarizeSeeds } from '../sim/seed-study.js';
import { formatTrace, traceFlow } from '../sim/trace.js';
import { buildWorld } from '../sim/world.js';
import { runSeeds, WorkerScenarioError } from './simulate-pool.js';
import { UsageError } from './errors.js';

interface SimulateOptions {
  scenario: string;
  seed?: string;
  seeds?: string;
  jobs?: string;
  trace?: string;
  mode: string;
  failure?: string;
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

const MAX_SEED = 0xffffffff;
/** More seeds than anyone waits for: a typo guard (1-1000000 would run for days). */
const MAX_SEEDS = 10_000;

function seedValue(s: string, flag: string): number {
  if (!/^\d+$/.test(s) || Number(s) > MAX_SEED) throw new UsageError(`${flag} must be integers 0..${MAX_SEED}, got ${JSON.stringify(s)}`);
  return Number(s);
}

/** `1-20`, `1..20`, `3,5,9-12`: the seeds in order, each once. */
export function parseSeedList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-|\.\.)(\d+)$/.exec(part.trim());
    if (m) {
      const a = seedValue(m[1], '--seeds'), b = seedValue(m[2], '--seeds');
      if (b < a) throw new UsageError(`--seeds: range ${part} runs backwards`);
      if (b - a >= MAX_SEEDS) throw new UsageError(`--seeds: at most ${MAX_SEEDS} seeds, got ${part}`);
      for (let i = a; i <= b; i++) out.push(i);
    } else out.push(seedValue(part.trim(), '--seeds'));
  }
  const seeds = [...new Set(out)];
  if (seeds.length > MAX_SEEDS) throw new UsageError(`--seeds: at most ${MAX_SEEDS} seeds, got ${seeds.length}`);
  return seeds;
}

const asUsage = (file: string) => (e: unknown): never => {
  if (e instanceof ScenarioError || e instanceof WorkerScenarioError) throw new UsageError(`${file}: ${e.message}`);
  throw e;
};

async function seedStudy(o: SimulateOptions, scenario: Scenario): Promise<string> {
  const seeds = parseSeedList(o.seeds!);
  let jobs = Math.min(availableParallelism(), seeds.length);
  if (o.jobs !== undefined) {
    if (!/^\d+$/.test(o.jobs) || Number(o.jobs) < 1 || Number(o.jobs) > 256) throw new UsageError(`--jobs must be an integer 1..256, got ${JSON.stringify(o.jobs)}`);
    jobs = Number(o.jobs);
  }
  scenarioControlConfig(scenario); // a bad control block fails here, once, not in every worker
  const tty = process.stderr.isTTY === true && seeds.length > 1;
  const bar = tty ? new cliProgress.SingleBar({ stream: process.stderr, format: 'simulate [{bar}] {value}/{total} seeds', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(seeds.length, 0);
  let reports;
  try {
    reports = await runSeeds(scenario, seeds, jobs, (n) => bar?.update(n));
  } finally {
    bar?.stop();
  }
  const summary = summarizeSeeds(reports);
  return o.json ? JSON.stringify({ summary, runs: reports }, null, 2) + '\n' : formatSeedSummary(summary, reports[0]);
}

function trace(o: SimulateOptions, scenario: Scenario, seed: number | undefined): string {
  if (!(SIM_MODES as readonly string[]).includes(o.mode)) throw new UsageError(`--mode must be one of ${SIM_MODES.join(', ')}, got ${JSON.stringify(o.mode)}`);
  const world = buildWorld(scenario, seed);
  let flow: number | 'worst';
  if (o.trace === 'worst') flow = 'worst';
  else if (/^\d+$/.test(o.trace!) && Number(o.trace) < world.flows.length) flow = Number(o.trace);
  else throw new UsageError(`--trace must be a flow index 0..${world.flows.length - 1} or "worst", got ${JSON.stringify(o.trace)}`);
  let failure: number | undefined;
  if (o.failure !== undefined) {
    const byName = world.failures.findIndex((f) => f.name === o.failure);
    failure = byName >= 0 ? byName : /^\d+$/.test(o.failure) && Number(o.failure) < world.failures.length ? Number(o.failure) : -1;
    if (failure < 0) throw new UsageError(`--failure must be a failure index 0..${world.failures.length - 1} or name of ${o.scenario}, got ${JSON.stringify(o.failure)}`);
  }
  const tr = traceFlow(world, { mode: o.mode as SimMode, flow, failure, config: scenarioControlConfig(scenario) });
  return o.json ? JSON.stringify(tr, null, 2) + '\n' : formatTrace(tr);
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('run a scenario over the simulated ECMP underlay in zooroute, static, opportunistic and prr modes')
    .requiredOption('--scenario <FILE>', 'simulation scenario JSON, "kind": "simulation" (docs/scenario-format.md)')
    .addOption(new Option('--seed <N>', 'scenario seed; same seed, same report').default(undefined, 'the scenario\'s'))
    .option('--seeds <LIST>', 'a seed study: seeds as ranges and lists (1-20, 1..20, 3,5,9-12); per mode median, p10, p90 over them')
    .addOption(new Option('--jobs <N>', 'worker threads for --seeds; any number gives the same figures').default(undefined, 'one per core'))
    .option('--trace <FLOW>', 'one flow\'s timeline at one seed: a flow index or "worst" (most out time in the mode)')
    .addOption(new Option('--mode <MODE>', `the mode --trace follows: ${SIM_MODES.join(', ')}`).default('zooroute', 'zooroute'))
    .option('--failure <F>', '--trace only around this failure (index or name, 1 s either side); with "worst", the worst flow in it')
    .option('--json', 'print the report as JSON (--seeds: every seed\'s report and the summary)')
    .action(async (o: SimulateOptions) => {
      const scenario = loadScenario(o.scenario, 'simulation');
      if (o.seeds !== undefined && o.seed !== undefined) throw new UsageError('--seed and --seeds: give one');
      if (o.seeds !== undefined && o.trace !== undefined) throw new UsageError('--trace follows one seed: give --seed, not --seeds');
      if (o.jobs !== undefined && o.seeds === undefined) throw new UsageError('--jobs needs --seeds');
      if ((o.failure !== undefined || o.mode !== 'zooroute') && o.trace === undefined) throw new UsageError(`${o.failure !== undefined ? '--failure' : '--mode'} needs --trace`);
      let seed: number | undefined;
      if (o.seed !== undefined) {
        if (!/^\d+$/.test(o.seed) || Number(o.seed) > MAX_SEED) throw new UsageError(`--seed must be an integer 0..${MAX_SEED}, got ${JSON.stringify(o.seed)}`);
        seed = Number(o.seed);
      }
      let text: string;
      try {
        if (o.seeds !== undefined) text = await seedStudy(o, scenario);
        else if (o.trace !== undefined) text = trace(o, scenario, seed);
        else {
          const report = simulate(scenario, { seed });
          text = o.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report);
        }
      } catch (e) {
        return asUsage(o.scenario)(e);
      }
      process.stdout.write(text);
    });
}
