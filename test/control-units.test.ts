// The control plane's parts on their own: virtual clock, tick scheduler, token bucket and CTL,
// port health against a list-based model of the rule, CPU backoff, configuration.
import t from 'tap';
import fc from 'fast-check';
import { VirtualClock, RealClock } from '../src/control/clock.js';
import { TickScheduler } from '../src/control/scheduler.js';
import { TokenBucket } from '../src/control/token-bucket.js';
import { PortHealth, PORT_BAD, PORT_GOOD, PORT_UNKNOWN } from '../src/control/health.js';
import { CpuBackoff } from '../src/control/cpu-backoff.js';
import { hostCpuSource, processCpuSource } from '../src/control/cpu-source.js';
import { resolveControlConfig, DEFAULT_CONTROL_CONFIG } from '../src/control/config.js';

t.test('VirtualClock fires in time order, ties in order set, cleared timers never', async (t) => {
  const c = new VirtualClock(100);
  const seen: string[] = [];
  c.setTimer(50, () => seen.push('b50'));
  c.setTimer(10, () => { seen.push('a10'); c.setTimer(0, () => seen.push('a10+0')); });
  const x = c.setTimer(20, () => seen.push('cleared'));
  c.setTimer(50, () => seen.push('c50'));
  c.setTimer(-5, () => seen.push('now'));
  c.clearTimer(x);
  t.equal(c.pending(), 4);
  c.advance(49);
  t.same(seen, ['now', 'a10', 'a10+0']);
  t.equal(c.now(), 149);
  c.runUntil(150);
  t.same(seen, ['now', 'a10', 'a10+0', 'b50', 'c50']);
  t.equal(c.pending(), 0);
  c.advance(-3);
  t.equal(c.now(), 150, 'time never goes back');
});

t.test('RealClock runs and clears timers', async (t) => {
  const c = new RealClock();
  const t0 = c.now();
  let cleared = false;
  const id = c.setTimer(1, () => { cleared = true; });
  c.clearTimer(id);
  await new Promise<void>((resolve) => c.setTimer(5, resolve));
  t.ok(c.now() >= t0);
  t.notOk(cleared);
});

t.test('TickScheduler coalesces events into ticks and runs them in time order', async (t) => {
  const c = new VirtualClock();
  const ran: [number, number][] = [];
  const s = new TickScheduler<number>(c, 5, (e) => ran.push([e, c.now()]));
  s.at(7, 1); s.at(3, 2); s.at(9, 3); s.at(10, 4); s.at(10, 5);
  c.advance(100);
  t.same(ran, [[2, 5], [1, 10], [3, 10], [4, 10], [5, 10]]);
  t.ok(c.pending() === 0);
  s.at(200, 6); s.clear();
  c.advance(200);
  t.equal(ran.length, 5, 'cleared');
  fc.assert(fc.property(fc.array(fc.nat({ max: 10_000 }), { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), (times, tick) => {
    const clock = new VirtualClock();
    const out: number[] = [];
    const sch = new TickScheduler<number>(clock, tick, (e) => { out.push(e); if (clock.now() < e) throw new Error('early'); });
    times.forEach((x) => sch.at(x, x));
    clock.advance(20_000);
    // Order between ticks is by time; events sharing a tick run in the order they were queued.
    return out.length === times.length && out.every((x, i) => i === 0 || Math.ceil(out[i - 1] / tick) <= Math.ceil(x / tick));
  }));
});

t.test('TokenBucket: rate, burst, and CTL = floor(-log2(fill)) once at most half full', async (t) => {
  const c = new VirtualClock();
  const b = new TokenBucket(c, 100, 16); // 100/s, 16 deep
  t.equal(b.ctlLevel(), 0);
  let got = 0;
  while (b.take()) got++;
  t.equal(got, 16, 'the burst');
  t.equal(b.ctlLevel(), 15, 'empty: CTL_MAX');
  c.advance(40); // 4 tokens: fill 1/4
  t.equal(b.ctlLevel(), 2);
  t.equal(b.ctlLevel(1), 1, 'capped by the caller');
  c.advance(40); // 8: fill 1/2
  t.equal(b.ctlLevel(), 1);
  c.advance(10); // 9
  t.equal(b.ctlLevel(), 0);
  c.advance(10_000);
  t.equal(b.fill(), 1, 'never above the burst');
});

/** The rule written as plainly as possible over the whole outcome list (true = answered). */
function modelState(outcomes: boolean[], peerAnswered: boolean[]): number {
  let state = PORT_UNKNOWN;
  let badAt = -1; // the window restarts when the port turns bad: older answers do not count
  for (let i = 0; i < outcomes.length; i++) {
    const hist = outcomes.slice(Math.max(0, badAt + 1), i + 1);
    if (outcomes[i]) {
      if (state === PORT_UNKNOWN) state = PORT_GOOD;
      else if (state === PORT_BAD && hist.slice(-5).filter(Boolean).length >= 3) state = PORT_GOOD;
    } else {
      let run = 0;
      for (let j = i; j >= 0 && !outcomes[j]; j--) run++;
      if (state !== PORT_BAD && run >= 2 && peerAnswered[i]) { state = PORT_BAD; badAt = i; }
    }
  }
  return state;
}

t.test('PortHealth follows the rule: bad after 2 losses, good again on 3 of the last 5 since the failure, the latest included', async (t) => {
  fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 60 }), (outcomes) => {
    const h = new PortHealth(1, { badAfterLosses: 2, recoverAnswered: 3, recoverWindow: 5 });
    outcomes.forEach((ok, i) => (ok ? h.answered(0, i) : h.lost(0, i, true)));
    return h.state(0) === modelState(outcomes, outcomes.map(() => true));
  }), { numRuns: 2000 });
  const h = new PortHealth(2, { badAfterLosses: 2, recoverAnswered: 3, recoverWindow: 5 });
  t.equal(h.failureFreeSince(0), Infinity, 'never answered: unranked');
  h.answered(0, 10);
  t.equal(h.failureFreeSince(0), 10);
  h.lost(0, 20, true);
  t.equal(h.failureFreeSince(0), 20, 'a loss restarts the failure-free duration');
  h.lost(1, 1, false); h.lost(1, 2, false);
  t.equal(h.state(1), PORT_UNKNOWN, 'not bad while the peer never answered');
  t.equal(h.settle(1), 'down', 'then bad once it has');
  t.equal(h.answered(1, 3), 'none');
  t.equal(h.answered(1, 4), 'none');
  t.equal(h.answered(1, 5), 'up', 'three answers in the last five');
});

t.test('CpuBackoff doubles per busy sample up to the cap and halves per idle one', async (t) => {
  const b = new CpuBackoff(0.8, 3);
  t.same([0.9, 0.81, 0.95, 0.99, 0.8, 0.2, 0.5, 0.1, Number.NaN].map((u) => b.sample(u)), [1, 2, 3, 3, 2, 1, 0, 0, 0]);
});

t.test('configuration defaults and validation', async (t) => {
  const c = resolveControlConfig();
  t.equal(c.probeIntervalMs, 300);
  t.equal(c.badAfterLosses, 2);
  t.equal(c.recoverAnswered, 3);
  t.equal(c.recoverWindow, 5);
  t.equal(c.probeVni, 0xffffff);
  t.equal(c.cpuHighWatermark, 0.8);
  t.equal(c.candidates, 32);
  t.same(resolveControlConfig({ probeIntervalMs: 100 }).probeIntervalMs, 100);
  t.throws(() => resolveControlConfig({ probeMode: 'some' as 'full' }), /probeMode/);
  t.throws(() => resolveControlConfig({ probeVni: 1 << 24 }), /probeVni/);
  t.throws(() => resolveControlConfig({ middleboxSensing: 1 as unknown as boolean }), /middleboxSensing/);
  t.ok(Object.isFrozen(DEFAULT_CONTROL_CONFIG));
});

t.test('real CPU sources report utilisation in 0..1, and see a busy loop', async (t) => {
  const host = hostCpuSource(), proc = processCpuSource();
  const end = Date.now() + 30;
  let x = 0;
  while (Date.now() < end) x++;
  const h = host(), p = proc();
  t.ok(h >= 0 && h <= 1, `host ${h}`);
  t.ok(p > 0 && p <= 1, `process ${p} after a ${x}-iteration busy loop`);
});

t.test('flap damping: a port that fails once recovers on 3-of-5, one that keeps failing stays out', async (t) => {
  const rules = { badAfterLosses: 2, recoverAnswered: 3, recoverWindow: 5, flapHalfLifeMs: 10_000, flapSuppressPenalty: 1.5, suppressHoldMs: 5_000 };
  const h = new PortHealth(2, rules);
  let now = 0;
  const step = (k: number, ok: boolean): string => { now += 300; return ok ? h.answered(k, now) : h.lost(k, now, true); };
  // Port 0: one black hole, then healthy: back after 3 answers, as without damping.
  step(0, true); step(0, false); t.equal(step(0, false), 'down');
  t.equal(step(0, true), 'none'); t.equal(step(0, true), 'none'); t.equal(step(0, true), 'up', 'one failure: 3 answers bring it back');
  // Port 1: fails, recovers, fails again within the half-life: now it needs 5 s failure-free.
  now = 0;
  step(1, true); step(1, false); t.equal(step(1, false), 'down');
  step(1, true); step(1, true); t.equal(step(1, true), 'up');
  step(1, false); t.equal(step(1, false), 'down', 'second failure');
  t.ok(h.flapPenalty(1, now) > 1.5, 'penalty above the suppress level');
  const lastLoss = now;
  let upAt = -1;
  for (let i = 0; i < 40 && upAt < 0; i++) if (step(1, true) === 'up') upAt = now;
  t.ok(upAt - lastLoss >= 5_000, `held out ${upAt - lastLoss} ms after its last loss (>= 5 s)`);
  t.ok(upAt - lastLoss < 5_000 + 300 + 1, 'and back at the first answer after the hold');
  // 30% random loss: with damping the port stays out far more of the time than without.
  const share = (r: typeof rules | { badAfterLosses: number; recoverAnswered: number; recoverWindow: number }): number => {
    const p = new PortHealth(1, r);
    let x = 12345, bad = 0;
    for (let i = 0; i < 3000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const ok = (x >>> 16) % 100 >= 30;
      if (ok) p.answered(0, i * 300); else p.lost(0, i * 300, true);
      if (p.state(0) === PORT_BAD) bad++;
    }
    return bad / 3000;
  };
  const damped = share(rules), plain = share({ badAfterLosses: 2, recoverAnswered: 3, recoverWindow: 5 });
  t.comment(`30% loss: port out ${(damped * 100).toFixed(1)}% of the time with damping, ${(plain * 100).toFixed(1)}% without`);
  t.ok(damped > 0.8, 'a lossy port stays out with damping');
  t.ok(damped > plain, 'damping keeps it out longer than the bare 3-of-5 rule');
});
