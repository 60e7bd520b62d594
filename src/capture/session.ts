// A live capture session: frames from one interface (PacketIo: the AF_PACKET ring by default, or
// libpcap), encapsulated in Wasm batches towards one peer, written to a pcap file or injected on a
// second interface, until a frame count, a duration or a stop signal. Returns the summary the CLI prints.
import { readFileSync } from 'node:fs';
import { DEFAULT_BATCH_SIZE, DEFAULT_HEADROOM, DEFAULT_SLOT_SIZE, slotSizeForFrame } from '../../bindings/index.js';
import { UsageError } from '../errors.js';
import { PERMISSION_HINT } from '../io/permission-hint.js';
import { CapIo, chooseIo, openPacketIo, type PacketIo } from '../io/index.js';
import { canCapture } from './cap.js';
import { EncapBatcher, type Timestamp } from './encap-batcher.js';
import { InjectSink, PcapSink } from './sinks.js';
import { captureDatapath, type DatapathSettings } from './capture-datapath.js';
import type { CaptureConfig, CaptureSummary } from './capture-types.js';

export type { CaptureConfig, CaptureOutput, CaptureSummary, WorkerShare } from './capture-types.js';
import { FrameBudget } from './frame-budget.js';
import { whenStopped } from './stop-conditions.js';
import { MAX_WORKERS, runCaptureWorkers } from './capture-workers.js';

/**
 * The wall clock with sub-microsecond resolution (performance.now() against the time origin),
 * written into `into` so that the per-frame path allocates nothing. (cap hands over no kernel
 * timestamp: its adapter stamps a frame with the time it reached JavaScript; the AF_PACKET ring
 * carries the kernel's receive time.)
 */
export function wallClock(into: Timestamp): void {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  into.sec = sec;
  into.nsec = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
}

/** The MTU of a local interface (Linux sysfs), or undefined when it cannot be read. */
export function interfaceMtu(iface: string): number | undefined {
  if (!/^[\w.:@-]{1,15}$/.test(iface)) return undefined;
  try {
    const v = Number(readFileSync(`/sys/class/net/${iface}/mtu`, 'utf8').trim());
    return Number.isInteger(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Ethernet header plus two VLAN tags on top of the IP MTU. */
const L2_OVERHEAD = 14 + 8;

/** Slot size for frames of an interface: its MTU plus L2 headers and headroom, at least the datapath's default slot. */
export function slotSizeFor(mtu: number | undefined): number {
  return Math.max(DEFAULT_SLOT_SIZE, slotSizeForFrame((mtu ?? 1500) + L2_OVERHEAD, DEFAULT_HEADROOM));
}


/**
 * libpcap's name of an interface's link type, from its ARPHRD type in sysfs: Ethernet (1), and
 * loopback (772), whose frames carry an all-zero Ethernet header (libpcap calls it Ethernet too).
 */
export function linkTypeOf(iface: string): string {
  try {
    const t = readFileSync(`/sys/class/net/${iface}/type`, 'utf8').trim();
    return t === '1' || t === '772' ? 'ETHERNET' : `ARPHRD_${t}`;
  } catch {
    return 'unknown';
  }
}

/** Run one capture session to its end and return the summary. */
export async function runCapture(cfg: CaptureConfig): Promise<CaptureSummary> {
  if (cfg.count !== undefined && !(Number.isInteger(cfg.count) && cfg.count > 0)) throw new UsageError(`--count must be a positive integer, got ${cfg.count}`);
  // setTimeout holds at most 2^31-1 ms (about 24.8 days); a longer delay would fire at once.
  if (cfg.durationS !== undefined && !(cfg.durationS > 0 && cfg.durationS * 1000 <= 0x7fffffff)) {
    throw new UsageError(`--duration must be a number of seconds in (0, 2147483], got ${cfg.durationS}`);
  }
  if (cfg.output.kind === 'iface' && cfg.output.iface === cfg.iface) {
    throw new UsageError(`--out-iface must differ from -i ${cfg.iface}: injected frames would be captured again`);
  }
  const hasFilter = cfg.filter !== undefined && cfg.filter !== '';
  if (hasFilter && cfg.io === 'mmap') throw new UsageError('--filter needs --io cap: the AF_PACKET ring takes no pcap-filter expression');
  const choice = chooseIo(hasFilter ? 'cap' : cfg.io);
  if (choice.notice !== undefined) cfg.onNotice?.(choice.notice);
  const outMtu = cfg.output.kind === 'iface' ? interfaceMtu(cfg.output.iface) : undefined;
  const settings: DatapathSettings = {
    localIp: cfg.localIp, remoteIp: cfg.remoteIp, vni: cfg.vni, srcMac: cfg.srcMac, dstMac: cfg.dstMac,
    portRange: cfg.portRange, candidates: cfg.candidates, vxlanPort: cfg.vxlanPort,
    batchSize: cfg.batchSize ?? DEFAULT_BATCH_SIZE,
    slotSize: slotSizeFor(interfaceMtu(cfg.iface)),
    // Injected frames must fit the output link: larger ones are dropped as `mtu`, not failed sends.
    mtu: Math.min(outMtu ?? 0, 65535), // an IPv4 packet is at most 65535 bytes whatever the link (lo: 65536)
  };
  const dp = captureDatapath(settings);
  const workers = cfg.workers ?? 1;
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS)) throw new UsageError(`--workers must be an integer 1..${MAX_WORKERS}, got ${workers}`);
  if (workers > 1 && choice.kind !== 'mmap') {
    throw new UsageError(`--workers ${workers} needs the AF_PACKET ring (--io mmap: PACKET_FANOUT)${hasFilter ? '; --filter needs --io cap' : choice.notice !== undefined ? `; ${choice.notice}` : ''}`);
  }
  // Both I/O kinds open packet sockets: say so once the settings are known good, before anything is
  // opened (a bad address or MAC is the first thing to fix, whoever runs it).
  if (!canCapture()) throw new UsageError(`capturing on ${cfg.iface} ${PERMISSION_HINT}`);
  if (workers > 1) return runCaptureWorkers(cfg, settings, workers, linkTypeOf(cfg.iface));

  // Open the output first: a bad output must not leave a capture running.
  const out = cfg.output.kind === 'pcap'
    ? await PcapSink.open(cfg.output.path)
    // A filter that matches nothing: this handle only sends, it must not spend CPU receiving.
    : new InjectSink(openPacketIo(choice.kind, cfg.output.iface, { sendOnly: true }));
  let input: PacketIo;
  try {
    input = openPacketIo(choice.kind, cfg.iface, { pcapFilter: cfg.filter, ringBytes: cfg.ringBytes });
  } catch (e) {
    out.discard(); // no capture ran: no output file, an existing one untouched
    throw e;
  }
  const linkType = input instanceof CapIo ? input.live.linkType : linkTypeOf(cfg.iface);
  if (linkType !== 'ETHERNET') {
    // VXLAN carries Ethernet frames: a cooked (any), raw-IP or loopback capture has no inner L2 header.
    input.close();
    out.discard();
    throw new UsageError(`${cfg.iface} has link type ${linkType}; capture needs an Ethernet interface`);
  }

  const batcher = new EncapBatcher(dp, out, { peer: 0, flushMs: cfg.flushMs, timer: cfg.timer });
  const budget = new FrameBudget(cfg.count ?? Infinity);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();

  let stopped = false;
  const stoppedBy = await whenStopped(cfg, (stop) => {
    // One wakeup per ready block (mmap) or per event-loop turn (cap): everything waiting goes into the batch at once.
    input.onReadable(() => {
      if (stopped) return;
      if (batcher.drain(input, budget)) stop('count');
      // The output file cannot be completed (a full disk): stop now; out.close() below throws the error.
      else if (out instanceof PcapSink && out.failed) stop('count');
    });
  }, () => cfg.onReady?.({ iface: cfg.iface, linkType, maxFrame: batcher.maxFrame, io: choice.kind }), () => {
    stopped = true;
    input.onReadable(undefined);
  });

  batcher.flush();
  const io = input.stats();
  input.close();
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  await out.close();
  const s = batcher.stats;
  // Frames the I/O refused on the way in count as captured and dropped, by reason.
  const dropped = { ...s.dropped };
  if (io.drops.oversize > 0) dropped.oversize = (dropped.oversize ?? 0) + io.drops.oversize;
  if (io.drops.backlog > 0) dropped.backlog = (dropped.backlog ?? 0) + io.drops.backlog;
  const summary: CaptureSummary = {
    iface: cfg.iface,
    output: cfg.output.kind === 'pcap' ? cfg.output.path : cfg.output.iface,
    io: choice.kind,
    frames: s.frames + io.drops.oversize + io.drops.backlog,
    encapsulated: s.encapsulated,
    dropped,
    ringDrops: io.drops.ring ?? null,
    batches: s.batches,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    stoppedBy,
  };
  if (out instanceof InjectSink && out.lastError !== undefined) summary.lastSendError = out.lastError;
  return summary;
}
