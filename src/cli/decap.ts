// `zooroute decap`: the inner frame of every valid VXLAN frame of a capture, by the Wasm datapath;
// frames that are not (valid) VXLAN are skipped and counted by reason.
import type { Command } from 'commander';
import { Datapath, DEFAULT_BATCH_SIZE, DEFAULT_HEADROOM, MAX_SLOT_SIZE, VXLAN_PORT } from '../../bindings/index.js';
import { checkOutputs } from './output-paths.js';
import { formatOption, nanoOption, noNanoOption, checkStdoutFree, flavourOf, type FlavourCliOptions } from './output-flavour.js';
import { intOption } from './options.js';
import { summaryLine } from './summary.js';
import { transformCapture } from '../pcap/transform.js';
import { dltOption, enetDmacOption, enetSmacOption, enetFramerOf, withDltHint, type EnetCliOptions } from './enet-options.js';

/** The largest outer frame a slot holds (IPv4 total length 65535 behind up to two VLAN tags fits). */
const MAX_DECAP_FRAME = MAX_SLOT_SIZE - DEFAULT_HEADROOM;

interface DecapOptions extends FlavourCliOptions, EnetCliOptions {
  output: string;
  vni?: string;
  dstport?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('decap')
    .description('strip the VXLAN outer headers of every VXLAN frame of a capture')
    .argument('<FILE>', 'input capture (classic pcap or pcapng, Ethernet unless --dlt enet; - for standard input)')
    .requiredOption('-o, --output <FILE>', 'output capture of the inner frames (- for standard output; the input\'s format unless --format)')
    .option('--vni <N>', 'accept only this VNI (others are dropped as vni_filtered)')
    .option('--dstport <PORT>', 'VXLAN UDP destination port (frames to another port are dropped as not_vxlan_port)', String(VXLAN_PORT))
    .option('--json', 'print one JSON summary on stdout')
    .addOption(formatOption()).addOption(nanoOption()).addOption(noNanoOption())
    .addOption(dltOption()).addOption(enetDmacOption()).addOption(enetSmacOption())
    .action(async (input: string, o: DecapOptions) => {
      checkStdoutFree(o.output, o.json);
      const enet = enetFramerOf(o);
      const vni = o.vni === undefined ? undefined : intOption('--vni', o.vni, 0, 0xffffff);
      const dstport = intOption('--dstport', o.dstport ?? String(VXLAN_PORT), 1, 65535);
      checkOutputs([input], [{ flag: '-o', path: o.output }]);
      const vnis = new Map<number, number>();
      const run = await transformCapture({
        input,
        output: o.output,
        flavour: flavourOf(o),
        enet,
        maxFrame: MAX_DECAP_FRAME,
        // The local address plays no part in decapsulation.
        datapath: (slotSize, records) => Datapath.create({ localIp: '0.0.0.0', decapVni: vni, vxlanPort: dstport, batchSize: DEFAULT_BATCH_SIZE, slotSize, headroom: DEFAULT_HEADROOM, records }),
        kernel: (dp, batch) => { dp.decap(batch); },
        onOk: (batch, i) => { const v = batch.vni(i); vnis.set(v, (vnis.get(v) ?? 0) + 1); },
      }).catch(withDltHint);
      process.stderr.write(summaryLine('decap', 'decapsulated', run));
      if (o.json) {
        const doc = {
          command: 'decap', input: run.input, output: run.output, format: run.format,
          frames: run.frames, decapsulated: run.ok, dropped: run.dropped,
          vni: vni ?? null, dstport,
          vnis: Object.fromEntries([...vnis].sort(([a], [b]) => a - b)),
        };
        process.stdout.write(JSON.stringify(doc) + '\n');
      }
    });
}
