// `zooroute decap`: the inner frame of every valid VXLAN frame of a capture, by the Wasm datapath;
// frames that are not (valid) VXLAN are skipped and counted by reason.
import type { Command } from 'commander';
import { Datapath } from '../../bindings/index.js';
import { formatOption, nanoOption, noNanoOption, checkStdoutFree, flavourOf, type FlavourCliOptions } from './output-flavour.js';
import { checkPaths, intOption, summaryLine, transformCapture, SLOT_HEADROOM, VXLAN_DSTPORT } from './summary.js';

/** The largest outer frame a slot holds (IPv4 total length 65535 behind up to two VLAN tags fits). */
const MAX_DECAP_FRAME = 65536 + 128 - SLOT_HEADROOM;

interface DecapOptions extends FlavourCliOptions {
  output: string;
  vni?: string;
  dstport?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('decap')
    .description('strip the VXLAN outer headers of every VXLAN frame of a capture')
    .argument('<FILE>', 'input capture (classic pcap or pcapng, Ethernet; - for standard input)')
    .requiredOption('-o, --output <FILE>', 'output capture of the inner frames (- for standard output; the input\'s format unless --format)')
    .option('--vni <N>', 'accept only this VNI (others are dropped as vni_filtered)')
    .option('--dstport <PORT>', 'VXLAN UDP destination port (frames to another port are dropped as not_vxlan_port)', String(VXLAN_DSTPORT))
    .option('--json', 'print one JSON summary on stdout')
    .addOption(formatOption()).addOption(nanoOption()).addOption(noNanoOption())
    .action(async (input: string, o: DecapOptions) => {
      checkPaths(input, o.output);
      checkStdoutFree(o.output, o.json);
      const vni = o.vni === undefined ? undefined : intOption('--vni', o.vni, 0, 0xffffff);
      const dstport = intOption('--dstport', o.dstport ?? String(VXLAN_DSTPORT), 1, 65535);
      const vnis = new Map<number, number>();
      const run = await transformCapture({
        input,
        output: o.output,
        flavour: flavourOf(o),
        maxFrame: MAX_DECAP_FRAME,
        // The local address plays no part in decapsulation.
        datapath: (slotSize) => Datapath.create({ localIp: '0.0.0.0', decapVni: vni, vxlanPort: dstport, batchSize: 256, slotSize, headroom: SLOT_HEADROOM }),
        kernel: (dp, batch) => { dp.decap(batch); },
        onOk: (batch, i) => { const v = batch.vni(i); vnis.set(v, (vnis.get(v) ?? 0) + 1); },
      });
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
