// The agent under test of test/agent-scale.test.ts, alone on a worker thread so that its CPU time
// can be read apart from the stub peers' (/proc/thread-self/stat counts this thread only). Its two
// interfaces are bridged to the parent thread: frames it sends are posted in one message per event
// loop turn, packed into one transferable buffer (test/helpers/frame-pack.ts: one ArrayBuffer per
// frame made postMessage a quarter of this thread's CPU), and frames the parent posts are handed to
// the agent one by one, as a capture would.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { Agent, parseAgentConfig, type AgentPort } from '../../src/agent/index.js';
import { FramePacker, forEachPacked } from './frame-pack.js';

type Side = 'vm' | 'underlay';
/** Frames travel packed (frame-pack.ts), one buffer per message. */
export type ToAgent = { kind: Side; packed: Uint8Array } | { kind: 'cpu' } | { kind: 'stop' };
export type FromAgent =
  | { kind: 'underlay' | 'vm'; packed: Uint8Array }
  | { kind: 'cpu'; threadCpuMs: number; metrics: string; events: Record<string, number> }
  | { kind: 'ready' } | { kind: 'stopped' };

const port = parentPort!;
const post = (m: FromAgent, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

class BridgePort implements AgentPort {
  #listener: ((f: Uint8Array) => void) | undefined;
  readonly #out = new FramePacker();
  #queued = false;
  readonly #flush = (): void => {
    this.#queued = false;
    const packed = this.#out.take();
    post({ kind: this.side, packed }, [packed.buffer as ArrayBuffer]);
  };
  readonly #deliverOne = (f: Uint8Array): void => { this.#listener?.(f); };
  constructor(readonly side: Side) {}
  onFrame(l: (f: Uint8Array) => void): void { this.#listener = l; }
  send(f: Uint8Array): void {
    this.#out.push(f); // copied: the agent reuses its buffer after the call
    if (this.#queued) return;
    this.#queued = true;
    setImmediate(this.#flush);
  }
  deliver(packed: Uint8Array): void { forEachPacked(packed, this.#deliverOne); }
  close(): void { this.#listener = undefined; }
}

/** This thread's CPU time (user + system), ms: fields 14 and 15 of /proc/thread-self/stat, in clock ticks. */
function threadCpuMs(): number {
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
  else if (m.kind === 'cpu') post({ kind: 'cpu', threadCpuMs: threadCpuMs(), metrics: agent.metricsText(), events: { ...events } });
  else { agent.stop(); post({ kind: 'stopped' }); port.close(); }
});
agent.start();
post({ kind: 'ready' });
