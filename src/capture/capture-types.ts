// What a capture session is given and what it reports: the CLI's settings in, the summary it prints out.
import type { PortRange } from '../../bindings/index.js';
import type { IoKind } from '../io/index.js';
import type { FlushTimer } from './encap-batcher.js';

export type CaptureOutput = { kind: 'pcap'; path: string } | { kind: 'iface'; iface: string };

export interface CaptureConfig {
  /** Interface to capture on. */
  iface: string;
  /** BPF filter (pcap-filter(7)); empty captures everything. A filter needs cap: it is chosen by default then. */
  filter?: string;
  /** Packet I/O: by default mmap (the AF_PACKET addon) where it is built, else cap. */
  io?: IoKind;
  /** Hears the one line saying the default I/O fell back to cap. */
  onNotice?: (line: string) => void;
  output: CaptureOutput;
  vni: number;
  localIp: string;
  remoteIp: string;
  /** Outer source MAC (default 02:00:00:00:00:01) and destination MAC (default 02:00:00:00:00:02). */
  srcMac?: string;
  dstMac?: string;
  portRange?: PortRange;
  candidates?: number;
  /** VXLAN UDP destination port, default 4789. */
  vxlanPort?: number;
  /** Stop after this many captured frames. */
  count?: number;
  /** Stop after this many seconds. */
  durationS?: number;
  /** Packets per Wasm batch, default 256. */
  batchSize?: number;
  /** Kernel capture ring in bytes (see LiveOptions.ringBytes), default 64 MiB. */
  ringBytes?: number;
  /** Flush timer for a partly filled batch, default 1 ms. */
  flushMs?: number;
  /**
   * Capture threads, default 1 (this one). More: that many worker threads, each with its own
   * AF_PACKET socket in one PACKET_FANOUT group (a flow always to the same one) and its own Datapath;
   * needs mmap I/O (capture-workers.ts).
   */
  workers?: number;
  /** Stops the session when aborted (the CLI wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  /** Called once the interface is open and frames are being captured. */
  onReady?: (info: { iface: string; linkType: string; maxFrame: number; io: IoKind }) => void;
  timer?: FlushTimer;
}

export interface CaptureSummary {
  iface: string;
  output: string;
  /** The packet I/O used. */
  io: IoKind;
  /** Frames captured (handed over, or refused by the I/O as oversize or for a full queue). */
  frames: number;
  /** Frames encapsulated and written or sent. frames = encapsulated + the sum of dropped. */
  encapsulated: number;
  dropped: Record<string, number>;
  /** Frames the kernel dropped before capture because its ring was full (tp_drops); null where the I/O cannot tell (cap). */
  ringDrops: number | null;
  /** Wasm batch calls. */
  batches: number;
  /** Wall-clock seconds from open to stop. */
  seconds: number;
  /** CPU seconds (user + system) this process spent meanwhile. */
  cpuSeconds: number;
  /** Why the session stopped. */
  stoppedBy: 'count' | 'duration' | 'signal';
  /** The last error the output interface reported, when a send failed. */
  lastSendError?: string;
  /** With workers: each worker thread's share (frames captured, encapsulated, lost in its ring). */
  workers?: WorkerShare[];
}

/** One capture worker's share of a session (CaptureSummary.workers). */
export interface WorkerShare {
  frames: number;
  encapsulated: number;
  ringDrops: number;
}

