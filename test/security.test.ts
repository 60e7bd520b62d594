// The security checks of docs/security.md, each tested: probe requests without a valid tag are never
// answered and change nothing; the responder is rate-limited per source as well as in total; replies
// are never larger than requests; /metrics binds loopback; the agent warns about a readable key file.
import t from 'tap';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../src/control/clock.js';
import { VtepControl } from '../src/control/vtep.js';
import { encodeRequest, verifyProbe, PROBE_PAYLOAD_BYTES } from '../src/control/probe-codec.js';
import { SipHasher } from '../bindings/auth.js';
import { Prng } from '../src/reference/index.js';
import { parseAgentConfig } from '../src/agent/config.js';
import { MetricsServer } from '../src/agent/metrics-server.js';
import { keyFileWarning } from '../src/agent/key-file-check.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0x50 + i);
const OTHER = Uint8Array.from({ length: 16 }, (_, i) => 0x51 + i);
const A = 0x0a000001, B = 0x0a000002, C = 0x0a000003, X = 0x0a0000ee;
const N = 8;
const CANDS = Array.from({ length: N }, (_, i) => 52000 + 13 * i);

interface Wire { from: number; to: number; sport: number; payload: Uint8Array }

/** A and C probe B (full mode, all in use); every probe and reply on the wire is logged. */
function lab(config = {}) {
  const clock = new VirtualClock();
  const nodes = new Map<number, VtepControl>();
  const wire: Wire[] = [];
  const make = (ip: number, peers: number[]): VtepControl => {
    const v = new VtepControl({
      clock, localIp: ip, secret: SECRET, table: 'redirect',
      transport: { send: (to, sport, payload) => { const c = Uint8Array.from(payload); wire.push({ from: ip, to, sport, payload: c }); clock.setTimer(1, () => nodes.get(to)?.onProbe(ip, sport, c)); } },
      config: { candidates: N, maxPeers: 16, probeMode: 'full', ...config },
    });
    nodes.set(ip, v);
    for (const p of peers) v.addPeer(p, CANDS);
    return v;
  };
  const b = make(B, [A, C]), a = make(A, [B]), c = make(C, [B]);
  const traffic = (): void => { a.noteTenantTraffic(B); c.noteTenantTraffic(B); b.noteTenantTraffic(A); b.noteTenantTraffic(C); clock.setTimer(100, traffic); };
  traffic();
  a.start(); b.start(); c.start();
  clock.advance(3000);
  return { clock, a, b, c, wire };
}

t.test('probe requests without a valid tag are never answered and change no port', async (t) => {
  const l = lab();
  const r = new Prng(16);
  const before = { a: JSON.stringify(l.a.ports(B)), b: JSON.stringify(l.b.ports(A)) };
  const wrongKey = new SipHasher(OTHER);
  const flood = 20_000;
  for (let i = 0; i < flood; i++) {
    const kind = i % 3;
    // A well-formed request under another key; the right request with its tag damaged; random bytes.
    // Sent from X (which B does not know), so that any answer would be seen going to X.
    let p = encodeRequest(X, B, i, CANDS[i % N]!, l.clock.now() * 1000, wrongKey);
    if (kind === 1) { p = encodeRequest(X, B, i, CANDS[i % N]!, l.clock.now() * 1000, new SipHasher(SECRET)); p[p.length - 1 - (i % 8)] ^= 1 << (i % 8); }
    if (kind === 2) p = r.bytes(PROBE_PAYLOAD_BYTES);
    l.b.onProbe(X, CANDS[i % N]!, p);
    if (i % 1000 === 0) l.clock.advance(10);
  }
  const st = l.b.stats();
  t.equal(st.badTags + st.malformed, flood, `every forgery refused (${st.badTags} bad tags, ${st.malformed} malformed)`);
  t.equal(l.wire.filter((w) => w.to === X).length, 0, 'nothing at all was sent to the forger');
  t.equal(st.throttled, 0, 'forgeries do not drain the token bucket');
  t.equal(JSON.stringify(l.a.ports(B).map((p) => p.state)), JSON.stringify(JSON.parse(before.a).map((p: { state: string }) => p.state)), "A's view of B unchanged");
  t.equal(JSON.stringify(l.b.ports(A).map((p) => p.state)), JSON.stringify(JSON.parse(before.b).map((p: { state: string }) => p.state)), "B's view of A unchanged");
});

t.test('the responder is rate-limited per source: a flooding sender is held to its bucket, others keep their answers', async (t) => {
  const l = lab({ responderSourceRatePerSec: 500, responderSourceBurst: 100 });
  const key = new SipHasher(SECRET);
  l.b.addPeer(X, CANDS);
  const cBefore = l.c.stats();
  const bBefore = l.b.stats();
  const t0 = l.clock.now();
  // X (keyed: a sender whose key leaked, or a bug) sends 5000 requests/s for 4 s.
  let sent = 0;
  for (let ms = 0; ms < 4000; ms++) {
    for (let k = 0; k < 5; k++) { l.b.onProbe(X, CANDS[k % N]!, encodeRequest(X, B, ++sent, CANDS[k % N]!, l.clock.now() * 1000, key)); }
    l.clock.advance(1);
  }
  const toX = l.wire.filter((w) => w.from === B && w.to === X && verifyProbe(w.payload, key) === 'reply').length;
  const secs = (l.clock.now() - t0) / 1000;
  t.ok(toX <= 500 * secs + 100 + 1, `X got ${toX} replies for ${sent} requests in ${secs} s (bucket 500/s + 100)`);
  t.ok(toX >= 500 * secs * 0.9, 'and about its rate');
  const cAfter = l.c.stats();
  const asked = cAfter.probesSent - cBefore.probesSent, answered = cAfter.repliesOk - cBefore.repliesOk;
  t.ok(answered >= asked - N, `C's probes still answered meanwhile (${answered} of ${asked})`);
  t.ok(l.c.ports(B).every((p) => p.state === 'good'), "C's ports to B stay good");
  t.ok(l.b.stats().throttled - bBefore.throttled >= sent - toX, 'the rest were throttled');
});

t.test('replies are never larger than requests (no amplification)', async (t) => {
  const l = lab();
  l.clock.advance(5000);
  const key = new SipHasher(SECRET);
  let reqBytes = 0, repBytes = 0, replies = 0;
  const reqLen = new Set<number>(), repLen = new Set<number>();
  for (const w of l.wire) {
    const v = verifyProbe(w.payload, key);
    if (v === 'request') { reqBytes += w.payload.length; reqLen.add(w.payload.length); }
    if (v === 'reply') { repBytes += w.payload.length; repLen.add(w.payload.length); replies++; }
  }
  t.ok(replies > 100, `${replies} replies checked`);
  t.ok(Math.max(...repLen) <= Math.min(...reqLen), `largest reply ${Math.max(...repLen)} B <= smallest request ${Math.min(...reqLen)} B`);
  t.ok(repBytes <= reqBytes, `reply bytes ${repBytes} <= request bytes ${reqBytes}`);
});

t.test('/metrics binds loopback: the default, and a non-loopback host is refused', async (t) => {
  const base = {
    vmIface: 'vm0', underlay: { iface: 'ul0', localIp: '10.0.0.1', gatewayMac: '02:00:00:00:00:09' }, vni: 42,
    secret: '00112233445566778899aabbccddeeff', peers: [{ ip: '10.0.0.2' }],
  };
  t.equal(parseAgentConfig(JSON.stringify(base)).metricsHost, '127.0.0.1', 'default host');
  t.equal(parseAgentConfig(JSON.stringify({ ...base, metrics: { port: 0 } })).metricsHost, '127.0.0.1', 'a port alone keeps loopback');
  for (const host of ['0.0.0.0', '10.0.0.1', '::']) {
    t.throws(() => parseAgentConfig(JSON.stringify({ ...base, metrics: { port: 9464, host } })), /loopback/, `${host} refused`);
  }
  const s = await MetricsServer.listen('127.0.0.1', 0, () => 'x 1\n');
  const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
  t.equal(res.status, 200);
  await res.text();
  await s.close();
});

t.test('a config file readable by others is reported; one private to its owner is not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zr-key-'));
  const f = join(dir, 'agent.json');
  writeFileSync(f, '{}');
  chmodSync(f, 0o600);
  t.equal(keyFileWarning(f), undefined, '0600: no warning');
  chmodSync(f, 0o644);
  t.match(keyFileWarning(f), /readable by group and others \(mode 0644\): run chmod 600/);
  chmodSync(f, 0o640);
  t.match(keyFileWarning(f), /readable by group \(mode 0640\)/);
  chmodSync(f, 0o602);
  t.match(keyFileWarning(f), /writable by others/);
  t.equal(keyFileWarning(join(dir, 'missing.json')), undefined, 'a missing file is left to the loader');
});
