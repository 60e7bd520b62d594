// Frequency control on the virtual clock: the responder's token bucket and CTL, and the sender's
// exponential backoff while its CPU is above 80%.
import t from 'tap';
import { VirtualClock } from '../src/control/clock.js';
import { VtepControl } from '../src/control/vtep.js';
import { decodeProbe } from '../src/control/probe-codec.js';
import type { ControlConfig } from '../src/control/config.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0x50 + i);
const A = 0x0a000001, B = 0x0a000002;
const N = 8;
const CANDS = Array.from({ length: N }, (_, i) => 52000 + 3 * i);

interface Net { clock: VirtualClock; a: VtepControl; b: VtepControl; requests: number[]; ctls: number[] }

function net(aConfig: Partial<ControlConfig>, bConfig: Partial<ControlConfig>, cpu?: () => number): Net {
  const clock = new VirtualClock();
  const requests: number[] = [];
  const ctls: number[] = [];
  const nodes = new Map<number, VtepControl>();
  const mk = (ip: number, config: Partial<ControlConfig>, c?: () => number): VtepControl => {
    const v = new VtepControl({
      clock, localIp: ip, secret: SECRET, table: 'pbm', cpu: c,
      config: { candidates: N, maxPeers: 4, probeMode: 'full', ...config },
      transport: {
        send: (to, sport, payload) => {
          const r = decodeProbe(payload, SECRET);
          if (r.ok && r.probe.type === 'request' && ip === A) requests.push(clock.now());
          if (r.ok && r.probe.type === 'reply' && ip === B) ctls.push(r.probe.ctl);
          const copy = Uint8Array.from(payload);
          clock.setTimer(1, () => nodes.get(to)?.onProbe(ip, sport, copy));
        },
      },
    });
    nodes.set(ip, v);
    return v;
  };
  const a = mk(A, aConfig, cpu), b = mk(B, bConfig);
  a.addPeer(B, CANDS); b.addPeer(A, CANDS, { probes: false });
  const traffic = (): void => { a.noteTenantTraffic(B); clock.setTimer(500, traffic); };
  traffic();
  a.start(); b.start();
  return { clock, a, b, requests, ctls };
}

const rate = (times: number[], from: number, to: number): number => times.filter((x) => x >= from && x < to).length / ((to - from) / 1000);

t.test('CTL: a responder short of tokens slows its senders down, as 300 ms x 2^CTL', async (t) => {
  // Unthrottled: 8 ports every 300 ms = 26.7 requests/s.
  const free = net({}, {});
  free.clock.advance(30_000);
  const freeRate = rate(free.requests, 10_000, 30_000);
  t.ok(Math.abs(freeRate - N / 0.3) < 0.5, `unthrottled rate ${freeRate.toFixed(1)}/s`);
  t.equal(free.b.stats().throttled, 0);

  // The responder answers 10 requests/s (bucket of 10): CTL rises as it drains, the sender honours it.
  const slow = net({}, { responderRatePerSec: 10, responderBurst: 10 });
  const intervals = new Set<number>();
  for (let s = 0; s < 300; s++) { slow.clock.advance(100); intervals.add(slow.a.effectiveIntervalMs(B)); }
  const slowRate = rate(slow.requests, 10_000, 30_000);
  t.comment(`requests/s: ${freeRate.toFixed(1)} unthrottled, ${slowRate.toFixed(1)} with a 10/s responder; intervals seen ${[...intervals].sort((x, y) => x - y).join(', ')} ms`);
  t.ok(slow.ctls.some((c) => c > 0), 'replies carried CTL > 0');
  t.ok([...intervals].every((i) => Number.isInteger(Math.log2(i / 300))), 'every interval is 300 ms x 2^k');
  t.ok(intervals.size > 1 && Math.max(...intervals) > 300, 'the interval stretched');
  t.ok(slowRate < freeRate * 0.75, 'the sender slowed down');
  t.ok(slowRate <= 10 * 1.5, 'to about what the responder grants');
  const st = slow.b.stats();
  t.ok(st.throttled < st.repliesSent * 0.2, `few requests hit an empty bucket (${st.throttled} of ${st.repliesSent + st.throttled})`);
});

t.test('CPU above 80%: exponential backoff per sample, recovery below', async (t) => {
  let busy = true;
  const n = net({ cpuSampleMs: 1000, maxCpuBackoff: 5 }, {}, () => (busy ? 0.93 : 0.35));
  const levels: number[] = [];
  const ivals: number[] = [];
  for (let s = 1; s <= 10; s++) {
    n.clock.runUntil(s * 1000 + 1);
    levels.push(n.a.stats().cpuBackoff);
    ivals.push(n.a.effectiveIntervalMs(B));
  }
  t.same(levels, [1, 2, 3, 4, 5, 5, 5, 5, 5, 5], 'one doubling per busy sample, capped at 2^5');
  t.same(ivals, levels.map((l) => 300 * 2 ** l));
  const busyRate = rate(n.requests, 6000, 10_000);
  busy = false;
  const back: number[] = [];
  for (let s = 11; s <= 16; s++) { n.clock.runUntil(s * 1000 + 1); back.push(n.a.stats().cpuBackoff); }
  t.same(back, [4, 3, 2, 1, 0, 0], 'one halving per idle sample');
  n.clock.runUntil(30_000);
  const idleRate = rate(n.requests, 17_000, 30_000);
  t.comment(`requests/s: ${busyRate.toFixed(2)} at 2^5 backoff, ${idleRate.toFixed(1)} recovered`);
  t.ok(busyRate <= (N / 9.6) * 1.5 + 0.5, 'about N / 9.6 s while backed off');
  t.ok(Math.abs(idleRate - N / 0.3) < 0.5, 'back to N / 300 ms');
});
