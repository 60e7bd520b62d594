// `zooroute encap`: every frame of a capture, VXLAN-encapsulated towards one remote VTEP by the Wasm
// datapath, written to a new capture with the same timestamps.
import type { Command } from 'commander';
import {
  Datapath, parseIPv4, parseMac, parsePortRange, candidatePorts, DEFAULT_BATCH_SIZE, DEFAULT_CANDIDATES, DEFAULT_HEADROOM,
  DEFAULT_LOCAL_MAC, DEFAULT_PEER_MAC, DEFAULT_PORT_RANGE, VXLAN_PORT, type PortRange,
} from '../../bindings/index.js';
import { UsageError } from './errors.js';
import { checkOutputs } from './output-paths.js';
import { formatOption, nanoOption, noNanoOption, checkStdoutFree, flavourOf, type FlavourCliOptions } from './output-flavour.js';
import { intOption, usage } from './options.js';
import { summaryLine } from './summary.js';
import { transformCapture } from '../pcap/transform.js';
import { dltOption, enetDmacOption, enetSmacOption, enetFramerOf, withDltHint, type EnetCliOptions } from './enet-options.js';

/** Outer IPv4 total length = frame + 36 must fit 16 bits. */
export const MAX_ENCAP_FRAME = 65535 - 36;

interface EncapOptions extends FlavourCliOptions, EnetCliOptions {
  output: string;
  vni: string;
  local: string;
  remote: string;
  srcMac?: string;
  dstMac?: string;
  sportRange?: string;
  candidates?: string;
  dstport?: string;
  mtu?: string;
  hashSeed?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('encap')
    .description('VXLAN-encapsulate every frame of a capture towards one remote VTEP')
    .argument('<FILE>', 'input capture (classic pcap or pcapng, Ethernet unless --dlt enet; - for standard input)')
    .requiredOption('-o, --output <FILE>', 'output capture (- for standard output; the input\'s format unless --format)')
    .requiredOption('--vni <N>', 'VXLAN network identifier, 0..16777215')
    .requiredOption('--local <IP>', 'local VTEP IPv4 address (outer source)')
    .requiredOption('--remote <IP>', 'remote VTEP IPv4 address (outer destination)')
    .option('--src-mac <MAC>', 'outer source MAC', DEFAULT_LOCAL_MAC)
    .option('--dst-mac <MAC>', 'outer destination MAC (underlay next hop)', DEFAULT_PEER_MAC)
    .option('--sport-range <A-B>', 'outer UDP source-port range', `${DEFAULT_PORT_RANGE.lo}-${DEFAULT_PORT_RANGE.hi}`)
    .option('--candidates <N>', 'candidate source ports for the peer, 1..64', String(DEFAULT_CANDIDATES))
    .option('--dstport <PORT>', 'VXLAN UDP destination port', String(VXLAN_PORT))
    .option('--mtu <N>', 'underlay MTU (outer IPv4 total length limit), 0 = none', '0')
    .option('--hash-seed <N>', 'flow-hash seed (picks among the candidates)', '0')
    .option('--json', 'print one JSON summary on stdout')
    .addOption(formatOption()).addOption(nanoOption()).addOption(noNanoOption())
    .addOption(dltOption()).addOption(enetDmacOption()).addOption(enetSmacOption())
    .action(async (input: string, o: EncapOptions) => {
      checkStdoutFree(o.output, o.json);
      const enet = enetFramerOf(o);
      const vni = intOption('--vni', o.vni, 0, 0xffffff);
      usage('--local', () => parseIPv4(o.local));
      usage('--remote', () => parseIPv4(o.remote));
      const srcMac = o.srcMac ?? DEFAULT_LOCAL_MAC;
      const dstMac = o.dstMac ?? DEFAULT_PEER_MAC;
      usage('--src-mac', () => parseMac(srcMac));
      usage('--dst-mac', () => parseMac(dstMac));
      const range: PortRange = o.sportRange ? usage('--sport-range', () => parsePortRange(o.sportRange!)) : DEFAULT_PORT_RANGE;
      const n = intOption('--candidates', o.candidates ?? String(DEFAULT_CANDIDATES), 1, 64);
      if (n > range.hi - range.lo + 1) throw new UsageError(`--candidates: ${n} ports do not fit in the range ${range.lo}-${range.hi}`);
      const mtu = intOption('--mtu', o.mtu ?? '0', 0, 65535);
      if (mtu !== 0 && mtu < 68) throw new UsageError(`--mtu: expected 0 or 68..65535, got ${mtu}`);
      const seed = intOption('--hash-seed', o.hashSeed ?? '0', 0, 0xffffffff);
      const dstport = intOption('--dstport', o.dstport ?? String(VXLAN_PORT), 1, 65535);
      const candidates = candidatePorts(range, n, parseIPv4(o.remote), seed);
      checkOutputs([input], [{ flag: '-o', path: o.output }]);

      // Frames per outer source port, indexed by port: a typed-array bump per frame, not a Map update.
      const ports = new Float64Array(65536);
      const run = await transformCapture({
        input,
        output: o.output,
        flavour: flavourOf(o),
        enet,
        maxFrame: MAX_ENCAP_FRAME,
        datapath: (slotSize, records) => {
          const dp = Datapath.create({
            localIp: o.local, localMac: srcMac, mtu, hashSeed: seed, vxlanPort: dstport, portRange: range, candidates: n,
            batchSize: DEFAULT_BATCH_SIZE, slotSize, headroom: DEFAULT_HEADROOM, records,
          });
          dp.setPeer(0, { remoteIp: o.remote, mac: dstMac, vni, candidates });
          return dp;
        },
        kernel: (dp, batch) => { dp.encap(batch); },
        ports,
      }).catch(withDltHint);
      process.stderr.write(summaryLine('encap', 'encapsulated', run));
      if (o.json) {
        const doc = {
          command: 'encap', input: run.input, output: run.output, format: run.format,
          frames: run.frames, encapsulated: run.ok, dropped: run.dropped,
          vni, local: o.local, remote: o.remote, dstport, candidates,
          sourcePorts: Object.fromEntries([...ports.entries()].filter(([, k]) => k > 0)),
        };
        process.stdout.write(JSON.stringify(doc) + '\n');
      }
    });
}
