// `zooroute capture --workers N`: N capture threads (capture-worker.ts), each with its own AF_PACKET
// socket in one PACKET_FANOUT group on the interface, so the kernel spreads the frames over them by
// flow hash (a flow's frames stay in order, on one thread), each with its own Datapath. This thread
// starts them, writes the one pcap file from the records they send (or lets each send on its own
// socket for --out-iface), stops them on the count, the duration or a signal, and adds up their counts.
// In the pcap file, the threads' batches interleave: records are in time order per flow, not overall.
import { randomInt } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { openPacketIo } from '../io/index.js';
import type { DatapathSettings } from './capture-datapath.js';
import type { CaptureWorkerData, CaptureWorkerStats, FromCaptureWorker } from './capture-worker.js';
import type { CaptureConfig, CaptureSummary } from './capture-types.js';
import { FrameBudget } from './frame-budget.js';
import { PcapSink } from './sinks.js';
import { whenStopped } from './stop-conditions.js';

/** The most capture threads a session starts (a fanout group holds at most 256 sockets in older kernels; threads beyond the cores only cost). */
export const MAX_WORKERS = 64;

/**
 * A worker on capture-worker. From source (under tsx, this file ends in .ts) the worker registers
 * tsx's loader before it imports the .ts entry; from dist/ a plain worker on the .js file.
 */
function startWorker(data: CaptureWorkerData): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./capture-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(url, { workerData: data });
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

/** A started worker and what it has said so far. */
interface Running {
  w: Worker;
  ready: Promise<number>;
  done: Promise<CaptureWorkerStats>;
}

/**
 * Run a capture session on `workers` threads (cfg checked by runCapture: mmap I/O, settings good,
 * `linkType` the interface's). Returns the summary the CLI prints, with each thread's share.
 */
export async function runCaptureWorkers(cfg: CaptureConfig, settings: DatapathSettings, workers: number, linkType: string): Promise<CaptureSummary> {
  if (linkType !== 'ETHERNET') throw new UsageError(`${cfg.iface} has link type ${linkType}; capture needs an Ethernet interface`);
  const budget = new FrameBudget(cfg.count ?? Infinity);
  const out = cfg.output.kind === 'pcap' ? await PcapSink.open(cfg.output.path) : undefined;
  if (cfg.output.kind === 'iface') {
    // The output interface is checked here, once, before any thread starts (each opens its own).
    openPacketIo('mmap', cfg.output.iface, { sendOnly: true }).close();
  }
  let recordsLost = 0;
  /** The count was reached (or the file failed), perhaps before every thread was ready. */
  let limitHit = false;
  let onLimit: () => void = () => {};
  /** A thread failed: the session stops (and throws its error). */
  let onFailure: () => void = () => {};
  const data: CaptureWorkerData = {
    iface: cfg.iface, output: cfg.output, settings, ringBytes: cfg.ringBytes, flushMs: cfg.flushMs,
    // One group per session: a random id, so that two sessions on one interface do not share frames.
    fanoutGroup: randomInt(1, 0x10000), limit: budget.limit, budget: budget.shared,
  };
  const running: Running[] = [];
  for (let i = 0; i < workers; i++) {
    const w = startWorker(data);
    let readyFn!: (maxFrame: number) => void, doneFn!: (s: CaptureWorkerStats) => void, fail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => { fail = (e) => { reject(e); onFailure(); }; });
    failed.catch(() => {}); // observed through ready and done
    const ready = Promise.race([new Promise<number>((r) => { readyFn = r; }), failed]);
    const done = Promise.race([new Promise<CaptureWorkerStats>((r) => { doneFn = r; }), failed]);
    ready.catch(() => {}); done.catch(() => {});
    w.on('message', (m: FromCaptureWorker) => {
      if (m.kind === 'ready') readyFn(m.maxFrame);
      else if (m.kind === 'records') { if (!out!.putEncoded(m.records, m.count)) { recordsLost += m.count; limitHit = true; onLimit(); } }
      else if (m.kind === 'limit') { limitHit = true; onLimit(); }
      else if (m.kind === 'done') doneFn(m.stats);
      else fail(new UsageError(m.message));
    });
    w.on('error', (e) => fail(e));
    w.on('exit', (code) => fail(new Error(`capture worker exited with code ${code}`)));
    running.push({ w, ready, done });
  }
  let maxFrame: number;
  try {
    maxFrame = Math.min(...(await Promise.all(running.map((r) => r.ready))));
  } catch (e) {
    await Promise.all(running.map((r) => r.w.terminate()));
    out?.discard(); // no capture ran: no output file, an existing one untouched
    throw e;
  }
  // From here, as a one-thread session counts from its open socket: the threads' start-up (a module
  // graph loaded per thread) is not capture work.
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();

  const stoppedBy = await whenStopped(cfg, (stop) => {
    // A thread reached the count, or the file cannot be completed (a full disk): stop now; out.close() throws the error.
    onLimit = () => stop('count');
    onFailure = () => stop('signal');
    if (limitHit) stop('count'); // a fast thread took every frame while another was still starting
  }, () => cfg.onReady?.({ iface: cfg.iface, linkType, maxFrame, io: 'mmap' }));
  onLimit = () => {};
  onFailure = () => {};

  for (const r of running) r.w.postMessage({ kind: 'stop' });
  let stats: CaptureWorkerStats[];
  try {
    stats = await Promise.all(running.map((r) => r.done));
  } catch (e) {
    out?.discard();
    throw e;
  } finally {
    await Promise.all(running.map((r) => r.w.terminate()));
  }
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  await out?.close();

  const dropped: Record<string, number> = {};
  const add = (k: string, n: number): void => { if (n > 0) dropped[k] = (dropped[k] ?? 0) + n; };
  let frames = 0, encapsulated = 0, batches = 0, ringDrops = 0;
  let lastSendError: string | undefined;
  for (const s of stats) {
    for (const [k, n] of Object.entries(s.dropped)) add(k, n);
    add('oversize', s.oversize);
    add('backlog', s.backlog);
    frames += s.frames + s.oversize + s.backlog;
    encapsulated += s.encapsulated;
    batches += s.batches;
    ringDrops += s.ringDrops;
    lastSendError ??= s.lastSendError;
  }
  // Records a thread encoded but the file could not take (after a write error) are dropped here.
  encapsulated -= recordsLost;
  add(out?.failReason ?? 'write_failed', recordsLost);
  return {
    iface: cfg.iface,
    output: cfg.output.kind === 'pcap' ? cfg.output.path : cfg.output.iface,
    io: 'mmap',
    frames, encapsulated, dropped, ringDrops, batches, seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    stoppedBy,
    ...(lastSendError !== undefined ? { lastSendError } : {}),
    workers: stats.map((s) => ({ frames: s.frames + s.oversize + s.backlog, encapsulated: s.encapsulated, ringDrops: s.ringDrops })),
  };
}
