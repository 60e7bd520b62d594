// The agent under test of test/agent-scale.test.ts, alone on a worker thread so that its CPU time
// can be read apart from the stub peers' (/proc/thread-self/stat counts this thread only). Its two
// interfaces are bridged to the parent thread: frames it sends are copied into a shared-memory ring
// (test/helpers/frame-ring.ts) and published once per event-loop turn, as a packet socket's send
// copies into the kernel (one transferable buffer posted per turn, test/helpers/frame-pack.ts, still
// cost a quarter of this thread's CPU in postMessage); frames the parent posts, packed, are handed
// to the agent one by one, as a capture would.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { Agent, parseAgentConfig, type AgentPort } from '../../src/agent/index.js';
import { forEachPacked } from './frame-pack.js';
import { FrameRingWriter, SIDE_TAG } from './frame-ring.js';

type Side = 'vm' | 'underlay';
/** Frames to the agent travel packed (frame-pack.ts), one buffer per message; from it, in the ring (tag SIDE_TAG[side]). */
export type ToAgent = { kind: Side; packed: Uint8Array } | { kind: 'cpu' } | { kind: 'stop' };
export type FromAgent =
  | { kind: 'cpu'; threadCpuMs: number; metrics: string; events: Record<string, number>; ringDrops: number }
  | { kind: 'ready' } | { kind: 'stopped' };

const port = parentPort!;
const post = (m: FromAgent, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const ring = new FrameRingWriter((workerData as { ring: SharedArrayBuffer }).ring);
let published = true;
const publish = (): void => { published = true; ring.publish(); };

class BridgePort implements AgentPort {
  #listener: ((f: Uint8Array) => void) | undefined;
  readonly #tag: number;
  readonly #deliverOne = (f: Uint8Array): void => { this.#listener?.(f); };
  constructor(readonly side: Side) { this.#tag = SIDE_TAG[side]; }
  onFrame(l: (f: Uint8Array) => void): void { this.#listener = l; }
  send(f: Uint8Array): void {
    ring.write(this.#tag, f); // copied: the agent reuses its buffer after the call (a full ring is counted)
    if (!published) return;
    published = false;
    setImmediate(publish);
  }
  deliver(packed: Uint8Array): void { forEachPacked(packed, this.#deliverOne); }
  close(): void { this.#listener = undefined; }
}

/**
 * This thread's CPU time (user + system), ms: the scheduler's exact on-CPU time (first field of
 * /proc/thread-self/schedstat, ns) where the kernel keeps it, else fields 14 and 15 of
 * /proc/thread-self/stat, sampled at the clock tick (10 ms: a few percent of error over the window).
 */
function threadCpuMs(): number {
  try { return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6; } catch { /* no schedstat */ }
  const s = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / (workerData as { clkTck: number }).clkTck;
}

const vm = new BridgePort('vm'), underlay = new BridgePort('underlay');
const events: Record<string, number> = {};
const agent = new Agent({
  config: parseAgentConfig((workerData as { config: string }).config, 'scale'),
  vm, underlay, log: (e) => { events[e.event] = (events[e.event] ?? 0) + 1; },
});
port.on('message', (m: ToAgent) => {
  if (m.kind === 'vm') vm.deliver(m.packed);
  else if (m.kind === 'underlay') underlay.deliver(m.packed);
  else if (m.kind === 'cpu') post({ kind: 'cpu', threadCpuMs: threadCpuMs(), metrics: agent.metricsText(), events: { ...events }, ringDrops: ring.drops });
  else { agent.stop(); post({ kind: 'stopped' }); port.close(); }
});
agent.start();
post({ kind: 'ready' });
