// One capture thread of `zooroute capture --workers N` (capture-workers.ts starts it): its own
// AF_PACKET socket in the session's PACKET_FANOUT group, its own Datapath and batcher, the session's
// shared frame budget. Encapsulated frames go out of its own send socket (--out-iface), or, for a
// pcap file, as encoded records to the session's thread, which writes the one file.
import { parentPort, workerData } from 'node:worker_threads';
import { openPacketIo } from '../io/index.js';
import { captureDatapath, type DatapathSettings } from './capture-datapath.js';
import type { CaptureOutput } from './capture-types.js';
import { EncapBatcher } from './encap-batcher.js';
import { FrameBudget } from './frame-budget.js';
import { EncodedRecordsSink, InjectSink } from './sinks.js';

/** What a capture worker is started with (plain data: it crosses the thread boundary). */
export interface CaptureWorkerData {
  iface: string;
  output: CaptureOutput;
  settings: DatapathSettings;
  ringBytes?: number;
  flushMs?: number;
  fanoutGroup: number;
  limit: number;
  budget: SharedArrayBuffer;
}

/** The session thread's messages to a worker. */
export type ToCaptureWorker = { kind: 'stop' };

/** A worker's final counts. */
export interface CaptureWorkerStats {
  frames: number;
  encapsulated: number;
  dropped: Record<string, number>;
  batches: number;
  oversize: number;
  backlog: number;
  ringDrops: number;
  lastSendError?: string;
}

/** A worker's messages to the session thread, in the order it sends them. */
export type FromCaptureWorker =
  | { kind: 'ready'; maxFrame: number }
  | { kind: 'records'; records: Uint8Array; count: number }
  | { kind: 'limit' }
  | { kind: 'done'; stats: CaptureWorkerStats }
  | { kind: 'error'; message: string };

const port = parentPort!;
const post = (m: FromCaptureWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

function run(d: CaptureWorkerData): void {
  const dp = captureDatapath(d.settings);
  const inject = d.output.kind === 'iface' ? new InjectSink(openPacketIo('mmap', d.output.iface, { sendOnly: true })) : undefined;
  const sink = inject ?? new EncodedRecordsSink((records, count) => post({ kind: 'records', records, count }, [records.buffer as ArrayBuffer]));
  const input = (() => {
    try {
      return openPacketIo('mmap', d.iface, { ringBytes: d.ringBytes, fanoutGroup: d.fanoutGroup });
    } catch (e) {
      inject?.discard();
      throw e;
    }
  })();
  const batcher = new EncapBatcher(dp, sink, { peer: 0, flushMs: d.flushMs });
  const budget = new FrameBudget(d.limit, d.budget);
  let stopped = false;
  input.onReadable(() => {
    if (stopped) return;
    if (batcher.drain(input, budget)) post({ kind: 'limit' });
  });
  port.on('message', (m: ToCaptureWorker) => {
    if (m.kind !== 'stop' || stopped) return;
    stopped = true;
    input.onReadable(undefined);
    batcher.flush();
    const io = input.stats();
    input.close();
    void inject?.close();
    const s = batcher.stats;
    post({
      kind: 'done',
      stats: {
        frames: s.frames, encapsulated: s.encapsulated, dropped: { ...s.dropped }, batches: s.batches,
        oversize: io.drops.oversize, backlog: io.drops.backlog, ringDrops: io.drops.ring ?? 0,
        ...(inject?.lastError !== undefined ? { lastSendError: inject.lastError } : {}),
      },
    });
    port.close();
  });
  post({ kind: 'ready', maxFrame: batcher.maxFrame });
}

try {
  run(workerData as CaptureWorkerData);
} catch (e) {
  post({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  port.close();
}
