// The control plane's recovery aids beyond the talk's bare rules (docs/health.md "Recovery aids"),
// each on the virtual clock against the same setup with the aid turned off: re-probing after a first
// loss, the full probe after a port in use fails, fresh-only takeover targets, and receipts when
// every port's round trip fails but some forward paths work.
import t from 'tap';
import { VirtualClock } from '../src/control/clock.js';
import { VtepControl, type ControlEvent } from '../src/control/vtep.js';
import type { ControlConfig } from '../src/control/config.js';
import { jhash2 } from '../bindings/jhash.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0x70 + i);
const A = 0x0a000001, B = 0x0a000002;
const N = 32;
const CANDS = Array.from({ length: N }, (_, i) => 51000 + 13 * i);

interface Lab {
  clock: VirtualClock; a: VtepControl; b: VtepControl; events: ControlEvent[];
  /** Decides each probe's fate: true drops it. */
  drop: (from: number, sport: number) => boolean;
  sent: { atMs: number; from: number; sport: number }[];
}

/** A probes B (and B answers); A has `flows` flows in use; tenant traffic keeps both active. */
function lab(config: Partial<ControlConfig>, flows = 8, bProbes = true, delayMs: number | (() => number) = 1): Lab {
  const clock = new VirtualClock();
  const nodes = new Map<number, VtepControl>();
  const l: Lab = { clock, a: undefined!, b: undefined!, events: [], drop: () => false, sent: [] };
  const mk = (ip: number): VtepControl => {
    const v = new VtepControl({
      clock, localIp: ip, secret: SECRET, table: 'redirect',
      config: { candidates: N, maxPeers: 4, ...config },
      transport: {
        send: (to, sport, payload) => {
          l.sent.push({ atMs: clock.now(), from: ip, sport });
          if (l.drop(ip, sport)) return;
          const copy = Uint8Array.from(payload);
          clock.setTimer(typeof delayMs === 'number' ? delayMs : delayMs(), () => nodes.get(to)?.onProbe(ip, sport, copy));
        },
      },
    });
    nodes.set(ip, v);
    return v;
  };
  l.a = mk(A); l.b = mk(B);
  l.a.addPeer(B, CANDS);
  if (bProbes) l.b.addPeer(A, CANDS);
  l.a.onEvent = (e) => l.events.push(e);
  const hashes = Array.from({ length: flows }, (_, i) => jhash2([i], 11));
  const traffic = (): void => {
    l.a.noteTenantTraffic(B);
    if (bProbes) l.b.noteTenantTraffic(A);
    for (const h of hashes) l.a.sourcePort(B, h);
    clock.setTimer(50, traffic);
  };
  traffic();
  l.a.start(); l.b.start();
  return l;
}

t.test('re-probe after a first loss: a black-holed port goes down an interval less a timeout sooner', async (t) => {
  const detect = (reprobeOnLoss: boolean): number[] => {
    const out: number[] = [];
    for (let phase = 0; phase < 300; phase += 37) {
      const l = lab({ probeMode: 'full', reprobeOnLoss });
      l.clock.advance(3000 + phase);
      const port = CANDS[5]!, at = l.clock.now();
      l.drop = (from, sport) => from === A && sport === port;
      l.clock.advance(3000);
      const down = l.events.find((e) => e.type === 'port-down' && e.sport === port);
      out.push(down === undefined ? Infinity : down.atMs - at);
    }
    return out;
  };
  const on = detect(true), off = detect(false);
  const mean = (x: number[]): number => x.reduce((s, v) => s + v, 0) / x.length;
  t.ok(on.every((d) => d <= 2 * 200 + 300 + 10), `with re-probe: within a slot wait and two timeouts (${on.join(', ')} ms)`);
  t.ok(off.every((d) => d <= 2 * 300 + 200 + 10), `without: within two intervals and a timeout (${off.join(', ')} ms)`);
  t.ok(mean(on) + 50 < mean(off), `mean ${mean(on).toFixed(0)} ms with re-probe vs ${mean(off).toFixed(0)} ms without`);
});

t.test('re-probe after a first loss: not towards a peer that never answered', async (t) => {
  const l = lab({ probeMode: 'full' }, 8, false);
  l.drop = (from) => from === A; // B never hears A
  l.clock.advance(3000);
  const perPort = l.sent.filter((s) => s.from === A && s.sport === CANDS[0]).length;
  t.ok(perPort <= 11, `one probe per interval, no re-probes (${perPort} in 3 s)`);
});

t.test('full probe after a port in use fails: every candidate is validated within a second', async (t) => {
  const run = (fullProbeAfterFailureMs: number): { probed: number; validated: number } => {
    const l = lab({ probeMode: 'partial', fullProbeAfterFailureMs }, 2);
    l.clock.advance(3000);
    const inUse = l.a.sourcePort(B, jhash2([0], 11)); // the first flow's port
    l.drop = (from, sport) => from === A && sport === inUse;
    const from = l.sent.length;
    l.clock.advance(1500);
    const probed = new Set(l.sent.slice(from).filter((s) => s.from === A).map((s) => s.sport)).size;
    return { probed, validated: l.a.ports(B).filter((p) => p.state === 'good').length };
  };
  const on = run(10_000), off = run(0);
  t.equal(on.probed, N, 'every candidate probed after the failure');
  t.equal(on.validated, N - 1, 'all but the failed port validated');
  t.ok(off.probed < N / 2, `without: only ports in use and backups (${off.probed})`);
});

t.test('receipts: when only one port\'s round trip works, every working forward path stays good', async (t) => {
  // A -> B works on the even candidates and on candidate 1, B -> A only on the odd ones: only
  // candidate 1's round trip works, and replies come back on the probed port only.
  const even = new Set(CANDS.filter((_, k) => k % 2 === 0));
  const one = CANDS[1]!;
  const run = (receipts: boolean): { good: number; goodBad: number } => {
    // A fixed timeout: the one reply per interval that gets back (candidate 1's) must come within a
    // probe's timeout to answer it; an adaptive timeout near the round trip expires first.
    const l = lab({ probeMode: 'full', replyPort: 'probed', receipts, minProbeTimeoutMs: 200 });
    l.clock.advance(2000);
    l.drop = (from, sport) => (from === A ? !even.has(sport) && sport !== one : even.has(sport));
    l.clock.advance(4000);
    const v = l.a.ports(B);
    return { good: v.filter((p) => p.state === 'good' && even.has(p.sport)).length, goodBad: v.filter((p) => p.state === 'good' && !even.has(p.sport) && p.sport !== one).length };
  };
  const on = run(true), off = run(false);
  t.equal(on.good, N / 2, 'with receipts: every port whose forward path works is good');
  t.equal(on.goodBad, 0, 'with receipts: no port whose forward path fails is good');
  t.equal(off.good, 0, 'without: every even port goes down (each probe judged by its own reply)');
});

t.test('replies spread over the range when the responder does not probe the prober', async (t) => {
  const l = lab({ probeMode: 'full', replyPort: 'alternate' }, 8, false);
  const from = l.sent.length;
  l.clock.advance(2000);
  const replyPorts = new Set(l.sent.slice(from).filter((s) => s.from === B).map((s) => s.sport));
  t.ok([...replyPorts].some((p) => !CANDS.includes(p)), 'some replies leave on ports that are not the probed ones');
  t.ok([...replyPorts].every((p) => p >= 49152 && p <= 65535), 'within the reply range (default 49152-65535)');
});

t.test('most paths black-holed: within 1.5 s every flow is on a working port (fresh targets, full probe, re-targeting)', async (t) => {
  // At 3 s all but 4 candidates black-hole A -> B; the flows' ports fail, and their flows must end up,
  // and be within 1.5 s, on one of the 4 working ports.
  const run = (freshTargets: boolean): { onDead: number; moves: number } => {
    const l = lab({ probeMode: 'partial', freshTargets }, 16);
    l.clock.advance(3000);
    const alive = new Set(CANDS.filter((_, k) => k % 8 === 3));
    l.drop = (from, sport) => from === A && !alive.has(sport);
    l.clock.advance(1500);
    const hashes = Array.from({ length: 16 }, (_, i) => jhash2([i], 11));
    const ports = hashes.map((h) => l.a.sourcePort(B, h));
    return { onDead: ports.filter((p) => !alive.has(p)).length, moves: l.events.filter((e) => e.type === 'switch').length };
  };
  const on = run(true), off = run(false);
  t.equal(on.onDead, 0, `1.5 s after the failure no flow is on a black-holed port (${on.moves} switches)`);
  t.comment(`without fresh targets: ${off.onDead} flows on black-holed ports, ${off.moves} switches`);
});

t.test('retransmission trigger: a report and a lost probe take a port out; a report alone does not', async (t) => {
  const run = (retransmitTrigger: boolean, blackHole: boolean): { downAfter: number; retransmits: number } => {
    const l = lab({ probeMode: 'full', retransmitTrigger });
    l.clock.advance(3000);
    const port = l.a.sourcePort(B, jhash2([0], 11)), at = l.clock.now();
    if (blackHole) l.drop = (from, sport) => from === A && sport === port;
    l.a.noteRetransmission(B, port);
    l.clock.advance(2000);
    const down = l.events.find((e) => e.type === 'port-down' && e.sport === port);
    return { downAfter: down === undefined ? Infinity : down.atMs - at, retransmits: l.a.stats().retransmits };
  };
  const on = run(true, true), off = run(false, true), fine = run(true, false);
  t.ok(on.downAfter <= 200 + 10, `trigger on: down one probe timeout after the report (${on.downAfter} ms)`);
  t.ok(off.downAfter > on.downAfter, `trigger off: the report changes nothing, probes alone (${off.downAfter} ms)`);
  t.equal(off.retransmits, 0);
  t.equal(fine.downAfter, Infinity, 'a report on a port whose path works: the probe sent at once is answered, the port stays');
  t.equal(fine.retransmits, 1);
});

t.test('adaptive probe timeout: near peers are judged sooner, a far peer loses nothing', async (t) => {
  const detect = (config: Partial<ControlConfig>, delayMs: number): { downAfter: number; lost: number } => {
    const l = lab({ probeMode: 'full', ...config }, 8, true, delayMs);
    l.clock.advance(5000);
    const lost = l.a.stats().probesLost;
    const port = CANDS[3]!, at = l.clock.now();
    l.drop = (from, sport) => from === A && sport === port;
    l.clock.advance(3000);
    const down = l.events.find((e) => e.type === 'port-down' && e.sport === port);
    return { downAfter: down === undefined ? Infinity : down.atMs - at, lost };
  };
  const near = detect({}, 1), fixed = detect({ minProbeTimeoutMs: 200 }, 1), far = detect({}, 60);
  t.ok(near.downAfter + 100 < fixed.downAfter, `1 ms links: down after ${near.downAfter} ms adaptive, ${fixed.downAfter} ms with a fixed 200 ms timeout`);
  t.equal(far.lost, 0, '60 ms each way (120 ms round trip): no probe lost in 5 s of warm-up');
  t.ok(far.downAfter < Infinity, `60 ms each way: the black hole is still detected (${far.downAfter} ms)`);
});

t.test('a stall of our own process does not turn replies waiting to be read into losses', async (t) => {
  // A's clock: during a stall every callback of A (its timers, and reading what arrived for it) waits
  // for the stall's end; at the end the overdue timers run first, as a live event loop runs them
  // before it reads sockets. B and the network go on.
  const vc = new VirtualClock();
  let stallEnd = -Infinity;
  const stalled = {
    now: () => vc.now(),
    clearTimer: (id: number) => vc.clearTimer(id),
    setTimer: (delay: number, fn: () => void) => vc.setTimer(delay, () => {
      if (vc.now() < stallEnd) vc.setTimer(stallEnd - vc.now(), fn); else fn();
    }),
  };
  const nodes = new Map<number, VtepControl>();
  const mk = (ip: number, clock: typeof stalled): VtepControl => {
    const v = new VtepControl({
      clock, localIp: ip, secret: SECRET, table: 'redirect', config: { candidates: N, maxPeers: 4, probeMode: 'full' },
      transport: {
        send: (to, sport, payload) => {
          const c = Uint8Array.from(payload);
          // 20 ms each way; what arrives for A is read by A (a callback of A's, so it waits out a stall).
          vc.setTimer(20, () => (to === A ? stalled : vc).setTimer(0, () => nodes.get(to)?.onProbe(ip, sport, c)));
        },
      },
    });
    nodes.set(ip, v);
    return v;
  };
  const a = mk(A, stalled), b = mk(B, vc);
  a.addPeer(B, CANDS); b.addPeer(A, CANDS);
  // Each side's tenant traffic is its own callback (A's waits out the stall too).
  const ta = (): void => { a.noteTenantTraffic(B); stalled.setTimer(50, ta); };
  const tb = (): void => { b.noteTenantTraffic(A); vc.setTimer(50, tb); };
  ta(); tb();
  a.start(); b.start();
  vc.advance(3000);
  const lostBefore = a.stats().probesLost;
  stallEnd = vc.now() + 400; // 400 ms with nothing of A's run: longer than any timeout (200 ms at most)
  vc.advance(1000);
  t.equal(a.stats().probesLost - lostBefore, 0, 'no probe counted lost across the stall');
  t.ok(a.ports(B).every((p) => p.state === 'good'), 'every port still good');
});

t.test('adaptive probe timeout: replies that slow down after it came down raise it again', async (t) => {
  // 1 ms links, then 70 ms each way: the late replies are round trips too, so the timeout grows back.
  let delay = 1;
  const l = lab({ probeMode: 'full' }, 8, true, () => delay);
  l.clock.advance(3000);
  delay = 70;
  l.clock.advance(3000);
  const lost = l.a.stats().probesLost;
  l.clock.advance(3000);
  t.equal(l.a.stats().probesLost - lost, 0, 'after a few round trips at 140 ms no probe is lost');
  t.ok(l.a.ports(B).every((p) => p.state === 'good'), 'every port good');
});
