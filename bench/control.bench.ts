// Control plane: (1) the probe tag — SipHash-2-4 as the TS twin per tag, as the Wasm kernel per
// tag within a batch of 256, and as the Wasm kernel one call per tag (SipHasher, what VtepControl
// tags its probes with), against HMAC-SHA256 through node:crypto (the baseline), all over the
// 48 bytes a reply's tag covers; (2) the control logic's CPU per 1000 active peers at the default
// settings: a VTEP and 1000 peers exchanging probes on the virtual clock with packet I/O left out
// (the transport only queues payloads), so what is timed is scheduling, health state,
// encode/decode and tags. The peers are stubs outside the timed region (see oneVtep). Timed with
// process.cpuUsage (tinybench's wall-clock loop cannot leave the stubs out); reported as percent of
// one core, with full probing of all 32 ports as the same-run baseline.
import { createHmac } from 'node:crypto';
import type { BenchOptions, BenchResult } from './harness.js';
import { fromSamples, measure } from './harness.js';
import { sipHash24Into } from '../src/reference/siphash.js';
import { SipHashBatch, SipHasher } from '../bindings/auth.js';
import { VirtualClock } from '../src/control/clock.js';
import { VtepControl } from '../src/control/vtep.js';
import type { ProbeMode } from '../src/control/config.js';
import { decodeProbe, encodeProbe, PROBE_PAYLOAD_BYTES } from '../src/control/probe-codec.js';
import { candidatePorts, DEFAULT_PORT_RANGE } from '../bindings/ports.js';

const MSG = 48;
/** Messages per SipHash call (a Wasm SipHashBatch of its own, not a datapath batch). */
const TAG_BATCH = 256;

async function tags(opts: BenchOptions): Promise<BenchResult[]> {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
  const msgs = Array.from({ length: TAG_BATCH }, (_, i) => Uint8Array.from({ length: MSG }, (_, j) => (i * 31 + j) & 0xff));
  const out = new Uint8Array(8 * TAG_BATCH);
  const wasm = new SipHashBatch({ capacity: TAG_BATCH, slotBytes: 64 });
  wasm.setKey(key);
  msgs.forEach((m, i) => { wasm.slot(i).set(m); wasm.setLength(i, MSG); });
  const one = new SipHasher(key);
  let sink = 0;
  const rs = await measure([
    { name: 'tag/hmac-sha256/node:crypto', perCall: TAG_BATCH, fn: () => { for (const m of msgs) sink ^= createHmac('sha256', key).update(m).digest()[0]; } },
    { name: 'tag/siphash24/ts', perCall: TAG_BATCH, baseline: 'tag/hmac-sha256/node:crypto', fn: () => { for (let i = 0; i < TAG_BATCH; i++) sipHash24Into(key, msgs[i], 0, MSG, out, 8 * i); } },
    { name: 'tag/siphash24/wasm-batch256', perCall: TAG_BATCH, baseline: 'tag/hmac-sha256/node:crypto', fn: () => { sink ^= wasm.run(TAG_BATCH)[0]; } },
    { name: 'tag/siphash24/wasm-one-call', perCall: TAG_BATCH, baseline: 'tag/hmac-sha256/node:crypto', fn: () => { for (let i = 0; i < TAG_BATCH; i++) one.tagInto(msgs[i], 0, MSG, out, 8 * i); } },
    { name: 'tag/siphash24/wasm-batch256+copy', perCall: TAG_BATCH, baseline: 'tag/hmac-sha256/node:crypto', fn: () => { wasm.tagAll(msgs, out); } },
  ], opts);
  if (sink === 0x1234567) process.stdout.write(''); // keep the results alive
  for (const r of rs) r.extra = { nsPerTag: Number((1e9 / r.pps).toFixed(1)) };
  return rs;
}

const PEERS = 1000;
const FLOWS_PER_PEER = 2;
const LOCAL = 0x0a000001;

interface Packet { to: number; sport: number; payload: Uint8Array }

/**
 * One VTEP (`local`) with PEERS active peers, each with FLOWS_PER_PEER flows. The peers are stubs
 * outside the timed region: they answer local's requests and send local as many requests as it
 * sends them (symmetric probing), so that local does a VTEP's whole share — prober and responder.
 * Only local's own work is timed: its clock ticks (scheduling, encoding, tags) and its handling of
 * the probes that arrive (decoding, tags, health, answering). Delivery is within the 5 ms tick.
 */
function oneVtep(mode: ProbeMode): { measureMs: (simMs: number) => { cpuMs: number; probes: number } } {
  const clock = new VirtualClock();
  const secret = Uint8Array.from({ length: 16 }, (_, i) => 0x11 * i);
  const outbox: Packet[] = [];
  // The transport copies each payload (VtepControl reuses its buffer) into buffers reused every tick.
  const pool: Uint8Array[] = [];
  const local = new VtepControl({
    clock, localIp: LOCAL, secret, table: 'hi', config: { maxPeers: PEERS, probeMode: mode },
    transport: { send: (to, sport, payload) => { const b = (pool[outbox.length] ??= new Uint8Array(payload.length)); b.set(payload); outbox.push({ to, sport, payload: b }); } },
  });
  for (let i = 0; i < PEERS; i++) local.addPeer(0x0b000000 + i, candidatePorts(DEFAULT_PORT_RANGE, 32, 0x0b000000 + i));
  const traffic = (): void => {
    for (let i = 0; i < PEERS; i++) {
      local.noteTenantTraffic(0x0b000000 + i);
      for (let f = 0; f < FLOWS_PER_PEER; f++) local.sourcePort(0x0b000000 + i, (i * 7919 + f * 104729) >>> 0);
    }
  };
  const inReplies: Packet[] = [];
  const inRequests: Packet[] = [];
  // The stubs' payloads in buffers reused every tick: a new buffer per probe is an ArrayBuffer backing
  // store that V8 frees on its background threads, which process.cpuUsage would count in local's time.
  const replyPool: Uint8Array<ArrayBuffer>[] = [];
  const requestPool: Uint8Array<ArrayBuffer>[] = [];
  /** The stubs' side (untimed): a reply to each request of local's, and a mirror request to local. */
  const stubs = (): void => {
    for (const p of outbox) {
      const r = decodeProbe(p.payload, secret);
      if (!r.ok || r.probe.type !== 'request') continue; // local's own replies: delivered, done
      const f = r.probe;
      const reply = (replyPool[inReplies.length] ??= new Uint8Array(PROBE_PAYLOAD_BYTES));
      const request = (requestPool[inRequests.length] ??= new Uint8Array(PROBE_PAYLOAD_BYTES));
      inReplies.push({ to: p.to, sport: p.sport, payload: encodeProbe({ ...f, type: 'reply', ctl: 0, replyTsUs: clock.now() * 1000 }, secret, reply) });
      inRequests.push({ to: p.to, sport: p.sport, payload: encodeProbe({ ...f, origin: p.to, target: LOCAL }, secret, request) });
    }
    outbox.length = 0;
  };
  let probes = 0;
  // CPU time, not wall time: the machine is shared, and a preempted tick must not count.
  const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;
  const tick = (): number => {
    let c0 = process.cpuUsage();
    clock.advance(5);
    let ms = cpuMs(process.cpuUsage(c0));
    probes += outbox.length;
    stubs();
    c0 = process.cpuUsage();
    for (const p of inReplies) local.onProbe(p.to, p.sport, p.payload);
    for (const p of inRequests) local.onProbe(p.to, p.sport, p.payload);
    ms += cpuMs(process.cpuUsage(c0));
    inReplies.length = 0; inRequests.length = 0;
    outbox.length = 0; // local's replies to the mirror requests
    return ms;
  };
  traffic();
  local.start();
  for (let t = 0; t < 2000; t += 5) { if (t % 1000 === 0) traffic(); tick(); } // warm-up
  return {
    measureMs: (simMs) => {
      let cpuMs = 0;
      probes = 0;
      for (let t = 0; t < simMs; t += 5) {
        if (t % 1000 === 0) traffic();
        cpuMs += tick();
      }
      return { cpuMs, probes };
    },
  };
}

async function controlCpu(opts: BenchOptions): Promise<BenchResult[]> {
  const simMs = opts.quick ? 3000 : 10_000;
  const out: BenchResult[] = [];
  let fullPps = 0;
  for (const mode of ['full', 'partial'] as const) {
    const v = oneVtep(mode);
    // Best of three windows: the least disturbed by other processes on the machine.
    const runs = [v.measureMs(simMs), v.measureMs(simMs), v.measureMs(simMs)];
    const best = runs.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
    const corePercent = (100 * best.cpuMs) / simMs;
    const sentPerSec = best.probes / (simMs / 1000);
    // pps: probe exchanges (one request sent + one reply taken + one request answered) per core-second.
    const pps = best.probes / (best.cpuMs / 1000);
    const r: BenchResult = {
      ...fromSamples(mode === 'full' ? 'control/1000-peers/full-32-ports' : 'control/1000-peers/default-partial',
        runs.map((x) => x.probes / (x.cpuMs / 1000)), runs.length),
      pps,
      extra: {
        corePercent: Number(corePercent.toFixed(2)),
        probesSentPerSec: Math.round(sentPerSec),
        usPerProbeExchange: Number(((best.cpuMs * 1000) / best.probes).toFixed(2)),
      },
    };
    if (mode === 'full') fullPps = pps;
    else { r.baseline = 'control/1000-peers/full-32-ports'; r.ratio = pps / fullPps; }
    out.push(r);
  }
  return out;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  return [...(await tags(opts)), ...(await controlCpu(opts))];
}
