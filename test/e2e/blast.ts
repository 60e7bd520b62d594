// The forwarding-rate test's traffic: a UDP generator that sends as fast as it can and a sink that
// counts and checks what arrives. Built from udp-blast.c with gcc when gcc exists (a C sender offers
// far more than a Node one); otherwise the same protocol in plain Node, and the report says which.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetnsLab, NsProcess } from '../helpers/netns.js';
import { which } from '../helpers/needs.js';
import { root } from './lab.js';
import { measuredEnv } from './measured-env.js';

export interface SendReport { sent: number; seconds: number; errors: number }
export interface SinkReport { intact: number; bad: number; flows: number }

export interface Blaster {
  /** 'c' (gcc-built udp-blast) or 'node' (the fallback). */
  kind: 'c' | 'node';
  /** Send `flows` UDP flows of `payload`-byte datagrams to dst:port as fast as possible for `seconds`. */
  send(lab: NetnsLab, ns: string, dst: string, port: number, flows: number, payload: number, seconds: number): NsProcess;
  /** Count and check datagrams on ip:port until SIGTERM. */
  sink(lab: NetnsLab, ns: string, ip: string, port: number): NsProcess;
  /** Remove the compiled program. */
  dispose(): void;
}

/** The C generator when gcc is there and compiles it (and `prefer` is not 'node'), else the Node one. */
export function makeBlaster(prefer: 'c' | 'node' = 'c'): Blaster {
  if (prefer === 'c' && which('gcc') !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'zr-blast-'));
    const bin = join(dir, 'udp-blast');
    try {
      execFileSync('gcc', ['-O2', '-Wall', '-o', bin, join(import.meta.dirname, 'udp-blast.c')], { stdio: 'pipe' });
      return {
        kind: 'c',
        send: (lab, ns, dst, port, flows, payload, seconds) =>
          lab.spawn(ns, bin, ['send', dst, String(port), String(flows), String(payload), String(seconds)]),
        sink: (lab, ns, ip, port) => lab.spawn(ns, bin, ['recv', ip, String(port)]),
        dispose: () => rmSync(dir, { recursive: true, force: true }),
      };
    } catch {
      rmSync(dir, { recursive: true, force: true }); // fall through to Node
    }
  }
  return { kind: 'node', send: nodeSend, sink: nodeSink, dispose: () => undefined };
}

/** Plain Node in a namespace, without the test runner's coverage (it would slow the generator). */
function nodeIn(lab: NetnsLab, ns: string, code: string, args: string[]): NsProcess {
  return lab.spawn(ns, process.execPath, ['--input-type=module', '-e', code, ...args], { cwd: root, env: measuredEnv() });
}

/** The payload both implementations write and check (see udp-blast.c). */
const PAYLOAD_JS = `
const fnv1a = (b, n) => { let h = 2166136261; for (let i = 0; i < n; i++) { h ^= b[i]; h = Math.imul(h, 16777619) >>> 0; } return h; };
const fill = (b, flow, seq) => {
  b.write('ZRFW', 0, 'latin1'); b.writeUInt16BE(flow, 4); b.writeUInt32BE(seq, 6);
  for (let i = 10; i < b.length - 4; i++) b[i] = (Math.imul(seq, 31) + i) & 0xff;
  b.writeUInt32BE(fnv1a(b, b.length - 4), b.length - 4);
};
const intact = (b) => {
  if (b.length < 14 || b.toString('latin1', 0, 4) !== 'ZRFW') return false;
  const seq = b.readUInt32BE(6);
  for (let i = 10; i < b.length - 4; i++) if (b[i] !== ((Math.imul(seq, 31) + i) & 0xff)) return false;
  return b.readUInt32BE(b.length - 4) === fnv1a(b, b.length - 4);
};
`;

function nodeSend(lab: NetnsLab, ns: string, dst: string, port: number, flows: number, payload: number, seconds: number): NsProcess {
  return nodeIn(lab, ns, `
import dgram from 'node:dgram';
${PAYLOAD_JS}
const [dst, port, flows, len, seconds] = [process.argv[1], +process.argv[2], +process.argv[3], +process.argv[4], +process.argv[5]];
const socks = await Promise.all(Array.from({ length: flows }, () => new Promise((r) => { const s = dgram.createSocket('udp4'); s.connect(port, dst, () => r(s)); })));
const seq = new Array(flows).fill(0);
let sent = 0, errors = 0, outstanding = 0;
const done = (e) => { outstanding--; if (e) errors++; else sent++; };
console.log('sending');
const t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) {
  for (let f = 0; f < flows; f++) for (let i = 0; i < 32; i++) {
    const b = Buffer.allocUnsafe(len); fill(b, f, seq[f]++); outstanding++; socks[f].send(b, done);
  }
  // Keep a bounded number of sends in flight: the loop yields so their callbacks can run.
  if (outstanding > 4096) await new Promise((r) => setImmediate(r));
}
while (outstanding > 0) await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({ sent, seconds: (performance.now() - t0) / 1000, errors }));
process.exit(0);
`, [dst, String(port), String(flows), String(payload), String(seconds)]);
}

function nodeSink(lab: NetnsLab, ns: string, ip: string, port: number): NsProcess {
  return nodeIn(lab, ns, `
import dgram from 'node:dgram';
${PAYLOAD_JS}
let good = 0, bad = 0;
const flows = new Set();
const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 32 << 20 });
s.on('message', (m) => { if (intact(m)) { good++; flows.add(m.readUInt16BE(4)); } else bad++; });
s.bind(+process.argv[2], process.argv[1], () => console.log('listening'));
process.on('SIGTERM', () => { console.log(JSON.stringify({ intact: good, bad, flows: flows.size })); process.exit(0); });
`, [ip, String(port)]);
}
