// `zooroute capture`: live frames from an interface through the Wasm datapath, encapsulated in
// VXLAN towards one peer, into a pcap file or out of another interface.
import { Command, Option } from 'commander';
import { parsePortRange, DEFAULT_CANDIDATES, DEFAULT_LOCAL_MAC, DEFAULT_PEER_MAC, VXLAN_PORT } from '../../bindings/index.js';
import { runCapture, type CaptureSummary } from '../capture/session.js';
import { MAX_WORKERS } from '../capture/capture-workers.js';
import { IO_KINDS, parseIoKind } from '../io/index.js';
import { UsageError } from './errors.js';
import { intOption } from './options.js';
import { checkOutputs } from './output-paths.js';

interface CaptureCliOptions {
  iface: string;
  filter?: string;
  output?: string;
  outIface?: string;
  vni: string;
  local: string;
  remote: string;
  srcMac?: string;
  dstMac?: string;
  sportRange?: string;
  candidates?: string;
  dstport?: string;
  count?: string;
  duration?: string;
  batch?: string;
  flushMs?: string;
  ringMb?: string;
  io?: string;
  workers?: string;
  json?: boolean;
}

/** An optional integer option: the one parser the file commands use (summary.ts), absent stays absent. */
function int(name: string, v: string | undefined, lo: number, hi: number): number | undefined {
  return v === undefined ? undefined : intOption(name, v, lo, hi);
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}

function describe(s: CaptureSummary): string {
  const drops = Object.entries(s.dropped).map(([k, v]) => `${k}=${v}`).join(' ');
  const rate = s.seconds > 0 ? Math.round(s.frames / s.seconds) : 0;
  return `zooroute: ${s.frames} frames captured on ${s.iface}, ${s.encapsulated} encapsulated to ${s.output}` +
    `, ${s.frames - s.encapsulated} dropped${drops ? ` (${drops})` : ''}` +
    (s.ringDrops === null ? ', kernel ring drops not known (cap)' : `, ${s.ringDrops} lost in the kernel ring`) +
    ` in ${s.seconds.toFixed(3)} s (${rate} frames/s, ${s.batches} batches; stopped by ${s.stoppedBy})` +
    (s.lastSendError ? `; last send error: ${s.lastSendError}` : '') +
    (s.workers ? `; per worker: ${s.workers.map((w, i) => `#${i} ${w.frames} frames, ${w.ringDrops} ring drops`).join(', ')}` : '') + '\n';
}

export function register(program: Command): void {
  program
    .command('capture')
    .description('capture live frames (AF_PACKET ring or libpcap), encapsulate them in VXLAN through the Wasm datapath, write a pcap or inject them on another interface')
    .requiredOption('-i, --iface <IFACE>', 'interface to capture on (needs root or CAP_NET_RAW)')
    .option('--filter <BPF>', 'capture filter, pcap-filter(7) syntax')
    .addOption(new Option('-o, --output <FILE>', 'write the encapsulated frames to this pcap file').conflicts('outIface'))
    .option('--out-iface <IFACE>', 'inject the encapsulated frames on this interface instead')
    .requiredOption('--vni <N>', 'VXLAN network identifier, 0..16777215')
    .requiredOption('--local <IP>', 'local VTEP IPv4 address (outer source)')
    .requiredOption('--remote <IP>', 'remote VTEP IPv4 address (outer destination)')
    .option('--src-mac <MAC>', 'outer source MAC', DEFAULT_LOCAL_MAC)
    .option('--dst-mac <MAC>', 'outer destination MAC (the underlay next hop)', DEFAULT_PEER_MAC)
    .option('--sport-range <A-B>', 'outer UDP source-port range', '49152-65535')
    .option('--candidates <N>', 'candidate source ports per peer', String(DEFAULT_CANDIDATES))
    .option('--dstport <PORT>', 'VXLAN UDP destination port', String(VXLAN_PORT))
    .option('-c, --count <N>', 'stop after N captured frames')
    .option('--duration <SECONDS>', 'stop after this many seconds')
    .option('--batch <N>', 'frames per Wasm batch', '256')
    .option('--ring-mb <MB>', 'kernel capture ring (mmap: frames take their own size plus about 80 bytes; cap: 64 KiB slots, about 16 frames per MiB)', '64')
    .addOption(new Option('--io <KIND>', 'packet I/O: mmap (AF_PACKET ring) or cap (libpcap; the default with --filter)').choices(IO_KINDS).default(undefined, 'mmap where its addon is built, else cap'))
    .option('--flush-ms <MS>', 'encapsulate a partly filled batch this long after its first frame', '1')
    .option('--workers <N>', `capture threads, each with its own AF_PACKET socket in one PACKET_FANOUT group (flows spread by hash) and its own Datapath; needs --io mmap (1..${MAX_WORKERS})`, '1')
    .option('--json', 'print the summary as one JSON document on stdout')
    .action(async (o: CaptureCliOptions) => {
      if ((o.output === undefined) === (o.outIface === undefined)) throw new UsageError('capture needs exactly one of -o, --output FILE or --out-iface IFACE');
      const flushMs = Number(o.flushMs ?? '1');
      if (!(Number.isFinite(flushMs) && flushMs >= 0 && flushMs <= 1000)) throw new UsageError(`--flush-ms must be a number in 0..1000, got ${JSON.stringify(o.flushMs)}`);
      let portRange;
      try { portRange = o.sportRange === undefined ? undefined : parsePortRange(o.sportRange); } catch (e) { throw new UsageError((e as Error).message); }
      checkOutputs([], [{ flag: '-o', path: o.output }]);
      const io = o.io === undefined ? undefined : parseIoKind(o.io);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await runCapture({
          iface: o.iface,
          filter: o.filter,
          io,
          onNotice: (line) => process.stderr.write(`zooroute: ${line}\n`),
          output: o.output !== undefined ? { kind: 'pcap', path: o.output } : { kind: 'iface', iface: o.outIface as string },
          vni: int('--vni', o.vni, 0, 0xffffff) as number,
          localIp: o.local,
          remoteIp: o.remote,
          srcMac: o.srcMac,
          dstMac: o.dstMac,
          portRange,
          candidates: int('--candidates', o.candidates, 1, 64),
          vxlanPort: int('--dstport', o.dstport, 1, 65535),
          count: int('--count', o.count, 1, Number.MAX_SAFE_INTEGER),
          durationS: positive('--duration', o.duration),
          batchSize: int('--batch', o.batch, 1, 65536),
          flushMs,
          workers: int('--workers', o.workers, 1, MAX_WORKERS),
          ringBytes: (int('--ring-mb', o.ringMb, 1, 1024) ?? 64) * (1 << 20),
          signal: stop.signal,
          onReady: (r) => process.stderr.write(`zooroute: capturing on ${r.iface} (link-type ${r.linkType}, frames up to ${r.maxFrame} bytes, io ${r.io})\n`),
        });
        if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else process.stderr.write(describe(summary));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
