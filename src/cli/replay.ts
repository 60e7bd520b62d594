// `zooroute replay`: a capture's tenant traffic through the Wasm datapath and the simulated underlay
// with a scenario's failures, in zooroute, static and opportunistic modes side by side (docs/replay.md).
import { writeFileAtomic } from '../atomic-output.js';
import { type Command, Option } from 'commander';
import { ScenarioError, buildWorld, type World } from '../sim/index.js';
import { loadMapFile, MapFileError } from '../replay/vtep-map.js';
import { replay } from '../replay/replay.js';
import { formatReplay } from '../replay/replay-text.js';
import { progressBar } from '../replay/progress.js';
import { replayReportInput } from '../replay/replay-report.js';
import { renderReport } from '../replay/report.js';
import { loadScenario } from './simulate.js';
import { intOption } from './options.js';
import { checkOutputs } from './output-paths.js';
import { UsageError } from './errors.js';
import { formatOption, nanoOption, noNanoOption, flavourOf, type FlavourCliOptions } from './output-flavour.js';

interface ReplayCliOptions extends FlavourCliOptions {
  scenario: string;
  output?: string;
  report?: string;
  json?: boolean;
  map?: string;
  seed?: string;
  vni: string;
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('replay a capture through the datapath and the simulated underlay under a scenario\'s failures')
    .argument('<FILE>', 'tenant-traffic capture (classic pcap or pcapng, Ethernet)')
    .requiredOption('--scenario <FILE>', 'replay scenario JSON, "kind": "replay" (docs/scenario-format.md); the capture is the traffic')
    .option('-o, --output <FILE>', 'write the encapsulated frames, as zooroute sent them, to this capture')
    .option('--report <FILE>', 'write the HTML report (per-100 ms delivered/lost for each mode)')
    .addOption(new Option('--map <FILE>', 'inner address -> VTEP map (docs/replay.md)').default(undefined, 'the VTEP serving the address, else by hash'))
    .addOption(new Option('--seed <N>', 'scenario seed').default(undefined, 'the scenario\'s'))
    .option('--vni <N>', 'VNI of the encapsulated frames', '1')
    .option('--json', 'print the report as JSON (no progress bar)')
    .addOption(formatOption()).addOption(nanoOption()).addOption(noNanoOption())
    .action(async (input: string, o: ReplayCliOptions) => {
      const seed = o.seed === undefined ? undefined : intOption('--seed', o.seed, 0, 0xffffffff);
      const vni = intOption('--vni', o.vni, 0, 0xffffff);
      // Standard output carries the report: the capture and the HTML report go to files.
      if (o.output === '-') throw new UsageError('-o: standard output carries the report; name a file for the capture');
      if (o.report === '-') throw new UsageError('--report: standard output carries the text report; name a file for the HTML report');
      // Before the run, not after it: a bad output path must not cost a whole replay.
      checkOutputs([input, o.scenario, o.map], [{ flag: '-o', path: o.output }, { flag: '--report', path: o.report }]);
      const scenario = loadScenario(o.scenario, 'replay');
      let world: World;
      try {
        world = buildWorld(scenario, seed, { withoutTraffic: true });
      } catch (e) {
        if (e instanceof ScenarioError) throw new UsageError(`${o.scenario}: ${e.message}`);
        throw e;
      }
      let map;
      try {
        map = o.map === undefined ? undefined : loadMapFile(o.map, world);
      } catch (e) {
        if (e instanceof MapFileError) throw new UsageError(e.message);
        throw e;
      }
      const bar = !o.json && process.stdout.isTTY ? progressBar(input, process.stderr) : undefined;
      let run;
      try {
        run = await replay({ input, scenario, world, map, out: o.output, holdOutput: true, flavour: flavourOf(o), seed, vni, progress: bar?.update });
      } catch (e) {
        if (e instanceof ScenarioError) throw new UsageError(`${o.scenario}: ${e.message}`);
        throw e;
      } finally {
        bar?.stop();
      }
      // -o goes into place only once the report is written too: a failed run leaves neither.
      try {
        if (o.report !== undefined) writeFileAtomic(o.report, renderReport(replayReportInput(run)));
      } catch (e) {
        run.output?.abort();
        throw e;
      }
      await run.output?.close();
      process.stdout.write(o.json ? JSON.stringify(run.report, null, 2) + '\n' : formatReplay(run.report));
    });
}
