// Scale: the real Agent (on the real clock) with 1000 active peers, each probed at the default
// settings (partial probing, 300 ms), and how much of a core it takes. The agent runs alone on a
// worker thread (test/helpers/scale-agent-worker.ts) whose CPU time Linux counts apart
// (/proc/thread-self/stat); this thread plays the 1000 peer VTEPs: it answers every probe request
// of the agent's and sends the agent as many requests of its own (symmetric probing, as the bench's
// control/1000-peers model does), and sends each peer's tenant frames so that every peer stays active.
// The issue's target is the bench's model, 2% of a core per 1000 peers for the control logic; the
// agent also carries each probe frame through its datapath and the thread bridge, so the figure is
// reported beside it, and only a generous bound is asserted (shared machine).
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { encodeReplyTo, encodeRequest, probePayloadOfVxlan, verifyProbe } from '../src/control/index.js';
import { outerUdp, type OuterUdp } from '../src/control/underlay-frame.js';
import { SipHasher } from '../bindings/auth.js';
import { tenantFrame } from './helpers/tenant-frame.js';
import { FramePacker, packFrames } from './helpers/frame-pack.js';
import { FrameRingReader, SIDE_TAG, frameRingBuffer } from './helpers/frame-ring.js';
import type { FromAgent, ToAgent } from './helpers/scale-agent-worker.js';

const PEERS = 1000;
const SECRET_HEX = '00112233445566778899aabbccddeeff';
// The stub peers tag with the Wasm kernel too: on a loaded machine a slow stub thread answers late
// and the agent's probes time out, which is not what is measured.
const SECRET = new SipHasher(Uint8Array.from(SECRET_HEX.match(/../g)!, (h) => parseInt(h, 16)));
const LOCAL_IP = '192.168.1.2';
const LOCAL = 0xc0a80102;
const peerIp = (i: number): number => (0xac140000 + i + 1) >>> 0; // 172.20.0.1 ...
const dotted = (ip: number): string => [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
const peerMac = (i: number): number[] => [2, 1, 0, 0, i >> 8, i & 255];
const macStr = (m: number[]): string => m.map((b) => b.toString(16).padStart(2, '0')).join(':');
const LOCAL_MAC = [2, 0, 0, 0, 0, 0xaa];
const WARMUP_MS = 12_000, MEASURE_MS = 20_000;

const config = JSON.stringify({
  vmIface: 'vm0', underlay: { iface: 'up0', localIp: LOCAL_IP, gatewayMac: '02:00:00:00:ff:01', localMac: macStr(LOCAL_MAC) },
  vni: 42, secret: SECRET_HEX, maxPeers: PEERS,
  peers: Array.from({ length: PEERS }, (_, i) => ({ ip: dotted(peerIp(i)), macs: [macStr(peerMac(i))] })),
});

function clkTck(): number {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
}

const linux = process.platform === 'linux';
t.test('one agent with 1000 active peers: all probed, all answered, CPU per 1000 peers', { skip: linux ? false : 'needs Linux (/proc/thread-self/stat)', timeout: 120_000 }, async (t) => {
  // Node 20 does not pass `--import tsx` to a worker's loader: the worker registers tsx itself.
  const entry = new URL('./helpers/scale-agent-worker.ts', import.meta.url).href;
  const ringBuf = frameRingBuffer();
  const ring = new FrameRingReader(ringBuf);
  const worker = new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, {
    eval: true, workerData: { config, clkTck: clkTck(), ring: ringBuf },
  });
  const send = (m: ToAgent, transfer: ArrayBuffer[] = []): void => worker.postMessage(m, transfer);
  let requestsFromAgent = 0, repliesFromAgent = 0, tenantToPeers = 0, other = 0, seq = 0;
  const peersProbed = new Set<number>();
  let cpuWaiter: ((m: Extract<FromAgent, { kind: 'cpu' }>) => void) | undefined;
  const o: OuterUdp = { srcIp: 0, sport: 0, payloadOff: 0 };
  /** The agent's underlay frames, as they come out of the ring: each request answered, and mirrored. */
  const fromAgent = (): void => {
    const back = new FramePacker();
    const nowUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
    ring.drain((side, f) => {
      if (side !== SIDE_TAG.underlay) return; // delivered tenant frames: nobody behind the agent's VM side
      const u = outerUdp(f, 4789, o);
      const p = u && probePayloadOfVxlan(f.subarray(u.payloadOff));
      if (!u || !p) { tenantToPeers++; return; }
      const kind = verifyProbe(p, SECRET);
      if (kind === 'reply') { repliesFromAgent++; return; }
      if (kind !== 'request') { other++; return; }
      requestsFromAgent++;
      const dst = ((f[30]! << 24) | (f[31]! << 16) | (f[32]! << 8) | f[33]!) >>> 0;
      peersProbed.add(dst);
      // The peer's answer, and a request of its own on the same path: the frame turned round
      // (MACs and addresses swapped, outer and inner; the IPv4 checksums are unchanged by a swap).
      const reply = Uint8Array.from(f);
      for (let i = 0; i < 6; i++) { const x = reply[i]!; reply[i] = reply[6 + i]!; reply[6 + i] = x; }
      for (const ipOff of [26, u.payloadOff + 8 + 14 + 12]) {
        for (let i = 0; i < 4; i++) { const x = reply[ipOff + i]!; reply[ipOff + i] = reply[ipOff + 4 + i]!; reply[ipOff + 4 + i] = x; }
      }
      reply[u.payloadOff - 2] = 0; reply[u.payloadOff - 1] = 0; // outer UDP checksum: none (IPv4)
      const payloadOff = p.byteOffset - f.byteOffset;
      const request = Uint8Array.from(reply);
      reply.set(encodeReplyTo(p, 0, nowUs, SECRET), payloadOff);
      request.set(encodeRequest(dst, LOCAL, ++seq >>> 0, (f[34]! << 8) | f[35]!, nowUs, SECRET), payloadOff);
      back.push(reply); back.push(request);
    });
    if (back.count > 0) { const packed = back.take(); send({ kind: 'underlay', packed }, [packed.buffer as ArrayBuffer]); }
  };
  let stopped = false;
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromAgent) => {
      if (m.kind === 'ready') resolve();
      else if (m.kind === 'cpu') cpuWaiter?.(m);
    });
  });
  t.teardown(() => { stopped = true; return worker.terminate(); });
  await ready;
  // The stubs poll the ring every millisecond (their CPU is not measured; the agent's publish stays a store).
  const poll = setInterval(() => { if (!stopped) fromAgent(); }, 1);
  t.teardown(() => clearInterval(poll));

  // Tenant traffic: one frame to every peer each second (its MAC), well inside the 10 s activity window.
  const tenant = Array.from({ length: PEERS }, (_, i) => tenantFrame(peerMac(i), LOCAL_MAC, 1000 + i));
  let tenantSent = 0;
  const pump = (): void => {
    const packed = packFrames(tenant);
    tenantSent += tenant.length;
    send({ kind: 'vm', packed }, [packed.buffer as ArrayBuffer]);
  };
  pump();
  const pumpTimer = setInterval(pump, 1000);
  t.teardown(() => clearInterval(pumpTimer));
  const cpu = (): Promise<Extract<FromAgent, { kind: 'cpu' }>> => new Promise((r) => { cpuWaiter = r; send({ kind: 'cpu' }); });
  const metric = (text: string, name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(name + ' '));
    return line === undefined ? NaN : Number(line.slice(name.length + 1));
  };

  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const c0 = await cpu();
  const req0 = requestsFromAgent, rep0 = repliesFromAgent, w0 = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const c1 = await cpu();
  const wallMs = performance.now() - w0;
  const share = (c1.threadCpuMs - c0.threadCpuMs) / wallMs;
  const reqPerSec = ((requestsFromAgent - req0) * 1000) / wallMs;
  const repPerSec = ((repliesFromAgent - rep0) * 1000) / wallMs;
  const active = metric(c1.metrics, 'zooroute_active_peers');
  const lost = metric(c1.metrics, 'zooroute_probes_lost_total') - metric(c0.metrics, 'zooroute_probes_lost_total');
  const downs = (c1.events['port-down'] ?? 0) - (c0.events['port-down'] ?? 0);
  t.equal(c1.ringDrops, 0, 'the bridge ring never filled');

  t.equal(active, PEERS, `all ${PEERS} peers are active`);
  t.equal(peersProbed.size, PEERS, 'the agent probed every peer');
  t.ok(reqPerSec > 0 && repPerSec >= 0.95 * reqPerSec, `the agent answered the peers' requests (${repPerSec.toFixed(0)}/s for ${reqPerSec.toFixed(0)}/s)`);
  t.ok(lost <= 0.05 * (requestsFromAgent - req0), `its own probes were answered (${lost} timed out of ${requestsFromAgent - req0})`);
  t.equal(downs, 0, 'no port went down with every probe answered');
  // Generous: a shared 2-core machine. The figure is what the note reports.
  t.ok(share < 0.5, `the agent took under half a core (${(share * 100).toFixed(1)}%)`);
  t.comment(`1000 active peers, default partial probing: agent thread ${(share * 100).toFixed(1)}% of a core over ${(wallMs / 1000).toFixed(1)} s ` +
    `(target for the control logic: 2% per 1000 peers); ${reqPerSec.toFixed(0)} requests/s sent, ${repPerSec.toFixed(0)} replies/s to the peers' requests, ` +
    `${lost} of its probes timed out; ${tenantSent} tenant frames in, ${tenantToPeers} encapsulated out, ${other} other frames`);
  const rejected = ['throttled', 'stale', 'malformed', 'bad_tag']
    .map((r) => `${r} ${metric(c1.metrics, `zooroute_probe_rejected_total{reason="${r}"}`) - metric(c0.metrics, `zooroute_probe_rejected_total{reason="${r}"}`)}`);
  t.comment(`probes the agent rejected over the window: ${rejected.join(', ')}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
  send({ kind: 'stop' });
});
