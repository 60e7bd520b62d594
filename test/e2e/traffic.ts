// Tenant traffic for the e2e lab, as plain-Node snippets run inside namespaces: a constant-rate
// multi-flow UDP sender with sequence numbers, a receiver that measures each flow's gaps, a UDP
// echo server and client (the inner "ping" of the interop step; the image has no ping), and the
// forger of probe replies.
import { join } from 'node:path';
import type { NetnsLab, NsProcess } from '../helpers/netns.js';
import { nodeIn, plainNodeIn, root } from './lab.js';

/**
 * Send `flows` UDP flows (one socket each, so one 5-tuple each) at `pps` packets per second per
 * flow to dst:port. Sending catches up with the schedule after a late timer, so the rate stays
 * constant on a loaded machine. Payload: flow (u16), seq (u32). Runs until SIGTERM.
 */
export function startSender(lab: NetnsLab, ns: string, dst: string, port: number, flows: number, pps: number): NsProcess {
  return plainNodeIn(lab, ns, `
import dgram from 'node:dgram';
const [dst, port, flows, pps] = [process.argv[1], +process.argv[2], +process.argv[3], +process.argv[4]];
const socks = [];
for (let f = 0; f < flows; f++) { const s = dgram.createSocket('udp4'); s.bind(); socks.push(s); }
let sent = 0;
const t0 = performance.now();
const buf = Buffer.alloc(64);
const tick = () => {
  const due = Math.floor((performance.now() - t0) * pps / 1000);
  for (; sent < due; sent++) for (let f = 0; f < flows; f++) {
    const b = Buffer.from(buf); b.writeUInt16BE(f, 0); b.writeUInt32BE(sent, 2);
    socks[f].send(b, port, dst);
  }
};
const timer = setInterval(tick, 2);
console.log('sending');
process.on('SIGTERM', () => { clearInterval(timer); console.log(JSON.stringify({ sentPerFlow: sent })); process.exit(0); });
`, [dst, String(port), String(flows), String(pps)]);
}

export interface FlowReport {
  flow: number;
  received: number;
  maxSeq: number;
  /** Longest run of missing sequence numbers, and the arrival times (epoch ms) around it. */
  maxMissing: number;
  gapFromEpochMs: number;
  gapToEpochMs: number;
  lastArrivalEpochMs: number;
  /** Packets received per second of sending (by sequence number: second i holds seq [i*pps, (i+1)*pps)). */
  perSecond: number[];
}

/**
 * Receive the sender's flows on port; on SIGTERM print one JSON report per flow. `pps` is the
 * sender's per-flow rate, so that sequence numbers map to seconds of sending (perSecond).
 */
export function startReceiver(lab: NetnsLab, ns: string, bindIp: string, port: number, pps = 100): NsProcess {
  return plainNodeIn(lab, ns, `
import dgram from 'node:dgram';
const pps = +process.argv[3];
const flows = new Map();
const s = dgram.createSocket('udp4');
s.on('message', (m) => {
  if (m.length < 6) return;
  const f = m.readUInt16BE(0), seq = m.readUInt32BE(2), now = performance.timeOrigin + performance.now();
  let r = flows.get(f);
  if (!r) { r = { flow: f, received: 0, maxSeq: -1, maxMissing: 0, gapFromEpochMs: 0, gapToEpochMs: 0, lastArrivalEpochMs: 0, perSecond: [] }; flows.set(f, r); }
  r.received++;
  const sec = Math.floor(seq / pps);
  if (sec < 3600) { while (r.perSecond.length <= sec) r.perSecond.push(0); r.perSecond[sec]++; }
  if (seq > r.maxSeq) {
    const missing = r.maxSeq < 0 ? 0 : seq - r.maxSeq - 1;
    if (missing > r.maxMissing) { r.maxMissing = missing; r.gapFromEpochMs = r.lastArrivalEpochMs; r.gapToEpochMs = now; }
    r.maxSeq = seq;
  }
  r.lastArrivalEpochMs = now;
});
s.bind(+process.argv[2], process.argv[1], () => console.log('listening'));
process.on('SIGTERM', () => { console.log(JSON.stringify([...flows.values()])); process.exit(0); });
`, [bindIp, String(port), String(pps)]);
}

/** Stop a sender or receiver with SIGTERM and return the JSON it printed last. */
export async function finish<T>(p: NsProcess): Promise<T> {
  p.signal('SIGTERM');
  const r = await p.exited;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

/** UDP echo server on ip:port. */
export function startEcho(lab: NetnsLab, ns: string, ip: string, port: number): NsProcess {
  return plainNodeIn(lab, ns, `
import dgram from 'node:dgram';
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(+process.argv[2], process.argv[1], () => console.log('listening'));
`, [ip, String(port)]);
}

/** Send `n` datagrams to ip:port one at a time, each waiting up to timeoutMs for its echo; prints the number echoed. */
export async function echoClient(lab: NetnsLab, ns: string, ip: string, port: number, n: number, timeoutMs: number): Promise<number> {
  const p = plainNodeIn(lab, ns, `
import dgram from 'node:dgram';
const [ip, port, n, timeoutMs] = [process.argv[1], +process.argv[2], +process.argv[3], +process.argv[4]];
const s = dgram.createSocket('udp4');
let ok = 0;
for (let i = 0; i < n; i++) {
  const got = await new Promise((resolve) => {
    const t = setTimeout(() => { s.removeAllListeners('message'); resolve(false); }, timeoutMs);
    s.once('message', (m) => { clearTimeout(t); resolve(m.toString() === 'echo ' + i); });
    s.send('echo ' + i, port, ip);
  });
  if (got) ok++;
}
console.log(JSON.stringify({ ok }));
process.exit(0);
`, [ip, String(port), String(n), String(timeoutMs)]);
  const r = await p.exited;
  return (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ok: number }).ok;
}

/**
 * From an outsider's namespace, send `n` probe replies to a VTEP that look right (origin = that
 * VTEP, target = its peer, a real candidate port, fresh sequence numbers) but are tagged with the
 * wrong key.
 */
export async function forgeReplies(lab: NetnsLab, ns: string, vtep: string, origin: number, target: number, sports: number[], n: number): Promise<void> {
  const codec = JSON.stringify(join(root, 'src/control/index.ts'));
  const p = nodeIn(lab, ns, `
import dgram from 'node:dgram';
import { encodeProbe, buildProbeInnerFrame, wrapVxlan } from ${codec};
const [vtep, origin, target, n] = [process.argv[1], +process.argv[2], +process.argv[3], +process.argv[4]];
const sports = JSON.parse(process.argv[5]);
const wrongKey = new Uint8Array(16).fill(0x77);
const s = dgram.createSocket('udp4');
for (let i = 0; i < n; i++) {
  const sport = sports[i % sports.length];
  const payload = encodeProbe({ type: 'reply', ctl: 0, origin, target, seq: i + 1, sport, sendTsUs: 1, replyTsUs: 2, backendId: new Uint8Array(6) }, wrongKey);
  const udp = wrapVxlan(buildProbeInnerFrame(payload, { srcIp: target, dstIp: origin }));
  await new Promise((r) => s.send(udp, 4789, vtep, r));
}
console.log('forged', n);
process.exit(0);
`, [vtep, String(origin), String(target), String(n), JSON.stringify(sports)]);
  const r = await p.exited;
  if (r.code !== 0) throw new Error(`forger failed: ${r.stderr}`);
}
