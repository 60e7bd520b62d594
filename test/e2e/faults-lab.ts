// The fault tests' lab (test/e2e/faults-*.test.ts): the netns lab of lab.ts with two zooroute agents
// over Linux ECMP, tenant traffic A -> B around a fault, and the measurements each part prints.
import type { Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withNetns, type NetnsLab, type NsProcess } from '../helpers/netns.js';
import { missing, needCap, needRoot, which } from '../helpers/needs.js';
import { parseIPv4 } from '../../bindings/index.js';
import { IP, buildLab, events, nodeIn, root, scrape, sleep, startAgent, until, writeAgentConfigs, type Lab, type LoggedEvent } from './lab.js';
export { sleep, until };
import { finish, startReceiver, startSender, type FlowReport } from './traffic.js';

export const skip = needRoot() ?? needCap() ?? missing('nft', which('nft') !== undefined, 'apt-get install nftables; .ci/run installs it')
  ?? missing('ethtool', which('ethtool') !== undefined, 'apt-get install ethtool; .ci/run installs it');
export const now = (): number => performance.timeOrigin + performance.now();

export const FLOWS = 8;
export const PPS = 100; // per flow: one packet every 10 ms
export const PERIOD_MS = 1000 / PPS;
export const PORTS = 32;
export const peerB = `{peer="${IP.vtepB}"`;
export const peerA = `{peer="${IP.vtepA}"`;


/** Tenant traffic A -> B for the length of `during`, then every flow's report. */
export async function withTraffic(lab: NetnsLab, during: (startedEpochMs: number) => Promise<void>): Promise<{ flows: FlowReport[]; sentPerFlow: number }> {
  const rx = startReceiver(lab, 'tb', IP.tB, 9000, PPS);
  await rx.waitFor(/listening/, 30_000);
  const tx = startSender(lab, 'ta', IP.tB, 9000, FLOWS, PPS);
  await tx.waitFor(/sending/, 30_000);
  const started = now();
  await during(started);
  const sent = (await finish<{ sentPerFlow: number }>(tx)).sentPerFlow;
  await sleep(300);
  return { flows: await finish<FlowReport[]>(rx), sentPerFlow: sent };
}

export const lostOf = (flows: FlowReport[], sentPerFlow: number): number => sentPerFlow * FLOWS - flows.reduce((s, f) => s + f.received, 0);
export const outageMs = (f: FlowReport): number => f.maxMissing * PERIOD_MS;
export const worstOutage = (flows: FlowReport[]): number => Math.max(0, ...flows.map(outageMs));

/** Both agents see every port towards the other good again (after a fault is cleared). */
export async function allGood(lab: NetnsLab, what: string): Promise<void> {
  // Probing needs an active peer: a little tenant traffic while waiting.
  const tx = startSender(lab, 'ta', IP.tB, 9000, 1, 20);
  await tx.waitFor(/sending/, 30_000);
  try {
    await until(`every port good again ${what}`, 45_000, async () => {
      const ma = await scrape(lab, 'va'), mb = await scrape(lab, 'vb');
      return ma.get(`zooroute_peer_ports${peerB},state="good"}`) === PORTS && mb.get(`zooroute_peer_ports${peerA},state="good"}`) === PORTS;
    });
  } finally {
    await finish<{ sentPerFlow: number }>(tx);
  }
}

export const evAfter = (p: NsProcess, fromMs: number, peer: string): LoggedEvent[] => events(p).filter((e) => e.epochMs >= fromMs && e.peer === peer);
export const count = (ev: LoggedEvent[], type: string): number => ev.filter((e) => e.event === type).length;

/**
 * From the outsider's namespace, `n` probe requests as fast as a UDP socket sends them, tagged with
 * the wrong key, origin = the outsider (any reply would come back to it). A socket on the outsider's
 * port 4789 counts what comes back for 2 s after the last one; prints {sent, answers, ms}.
 */
export async function floodRequests(lab: NetnsLab, n: number): Promise<{ sent: number; answers: number; ms: number; requestBytes: number }> {
  const codec = JSON.stringify(join(root, 'src/control/index.ts'));
  const p = nodeIn(lab, 'x', `
import dgram from 'node:dgram';
import { encodeProbe, buildProbeInnerFrame, wrapVxlan } from ${codec};
const [vtep, origin, target, n] = [process.argv[1], +process.argv[2], +process.argv[3], +process.argv[4]];
const wrongKey = new Uint8Array(16).fill(0x55);
let answers = 0;
const rx = dgram.createSocket('udp4');
rx.on('message', () => { answers++; });
await new Promise((r) => rx.bind(4789, '0.0.0.0', r));
const s = dgram.createSocket('udp4');
const t0 = performance.now();
let bytes = 0;
for (let i = 0; i < n; i++) {
  const payload = encodeProbe({ type: 'request', ctl: 0, origin, target, seq: i + 1, sport: 49152 + (i % 32), sendTsUs: 1, replyTsUs: 0, backendId: new Uint8Array(6) }, wrongKey);
  const udp = wrapVxlan(buildProbeInnerFrame(payload, { srcIp: origin, dstIp: target }));
  bytes = udp.length;
  if (i % 64 === 63) await new Promise((r) => s.send(udp, 4789, vtep, r)); else s.send(udp, 4789, vtep);
}
const ms = performance.now() - t0;
await new Promise((r) => setTimeout(r, 2000));
console.log(JSON.stringify({ sent: n, answers, ms, requestBytes: bytes }));
process.exit(0);
`, [IP.vtepA, String(parseIPv4(IP.outsider)), String(parseIPv4(IP.vtepA)), String(n)]);
  const r = await p.exited;
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { sent: number; answers: number; ms: number; requestBytes: number };
}

export interface FaultLab {
  lab: NetnsLab;
  l: Lab;
  /** The agents now running (a part that restarts one replaces it here). */
  a: NsProcess;
  b: NsProcess;
  /** Agent configs: A with a state file (stateFile), A without, B. */
  cfg: { aState: string; a: string; b: string };
  stateFile: string;
}

/**
 * Build the lab, start both agents and wait until every port is good both ways; run the parts;
 * stop the agents (each must exit 0) and check that no namespace is left behind.
 */
export async function runFaultLab(t: Test, parts: (f: FaultLab) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zr-faults-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let prefix = '';
  await withNetns(async (lab) => {
    prefix = lab.prefix;
    const l = await buildLab(lab);
    const cfg = writeAgentConfigs(l, dir);
    const stateFile = join(dir, 'a.state.json');
    const cfgA = JSON.parse(readFileSync(cfg.a, 'utf8')) as Record<string, unknown>;
    const aState = join(dir, 'agent-a-state.json');
    writeFileSync(aState, JSON.stringify({ ...cfgA, stateFile, stateMaxAgeMs: 60_000 }, null, 2));
    const f: FaultLab = {
      lab, l, stateFile, cfg: { aState, a: cfg.a, b: cfg.b },
      a: startAgent(lab, 'va', aState, { measured: true }),
      b: startAgent(lab, 'vb', cfg.b, { measured: true }),
    };
    await f.a.waitFor(/"event":"ready"/, 90_000);
    await f.b.waitFor(/"event":"ready"/, 90_000);
    await allGood(lab, 'at start');
    await parts(f);
    for (const p of [f.a, f.b]) p.signal('SIGTERM');
    const [ea, eb] = await Promise.all([f.a.exited, f.b.exited]);
    t.equal(ea.code, 0, 'agent A stopped cleanly');
    t.equal(eb.code, 0, 'agent B stopped cleanly');
  });
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  t.notOk(left.split('\n').some((n) => prefix !== '' && n.startsWith(prefix)), 'no namespace left behind');
}
