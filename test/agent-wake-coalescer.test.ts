import t from 'tap';
import { WakeCoalescer } from '../src/agent/wake-coalescer.js';

/** A coalescer on a clock the test moves (its sleeps are real, but at most one short window). */
function make(windowMs: number, maxBurst = 64): { c: WakeCoalescer; at: (ms: number) => void } {
  let now = 0;
  const c = new WakeCoalescer({ windowMs, maxBurst, now: () => now });
  return { c, at: (ms) => { now = ms; } };
}

t.test('an isolated wakeup is never delayed', async (t) => {
  const { c, at } = make(2);
  at(100); t.equal(c.note(1), true, 'first note starts a burst'); t.equal(c.note(1), false, 'later notes join it');
  c.settle();
  at(200); c.note(1); c.settle(); // 100 ms after the previous burst
  t.equal(c.sleeps, 0);
});

t.test('a wakeup soon after the previous one sleeps to the next window boundary', async (t) => {
  const { c, at } = make(2);
  at(100); c.note(1); c.settle();
  at(101.5); c.note(1); at(101.7); c.settle();
  t.equal(c.sleeps, 1);
  t.ok(Math.abs(c.sleptMs - 0.3) < 1e-9, `slept to 102 (${c.sleptMs} ms)`);
  // Back-to-back windows (a little over one window apart) still count as busy.
  at(103.6); c.note(1); c.settle(); // 2.1 ms after the previous burst began
  t.equal(c.sleeps, 2);
  t.ok(Math.abs(c.sleptMs - 0.3 - 0.4) < 1e-9, 'slept to 104');
});

t.test('no sleep after a burst that filled the ring share, nor when off, nor without work', async (t) => {
  const big = make(2, 8);
  big.at(10); big.c.note(1); big.c.settle();
  big.at(11); big.c.note(8); big.c.settle();
  t.equal(big.c.sleeps, 0, 'burst of maxBurst frames');
  big.at(11.1); big.c.note(6); big.c.settle(); // 6 frames 0.1 ms after the last burst: 8 more come in 0.133 ms
  t.equal(big.c.sleeps, 1);
  t.ok(Math.abs(big.c.sleptMs - 0.8 / 6) < 1e-9, `the sleep ends before a ring share would fill, not at the boundary (${big.c.sleptMs} ms)`);
  const off = make(0);
  off.at(10); off.c.note(1); off.c.settle();
  off.at(10.1); off.c.note(1); off.c.settle();
  t.equal(off.c.sleeps, 0, 'window 0');
  const idle = make(2);
  idle.at(10); idle.c.note(); idle.c.settle();
  idle.at(10.5); idle.c.settle(); // nothing noted since
  t.equal(idle.c.sleeps, 0, 'settle without a burst');
  t.throws(() => new WakeCoalescer({ windowMs: -1, maxBurst: 1 }), RangeError);
});

t.test('a quiet burst (no tenant frame) sleeps to the quiet window: the control tick', async (t) => {
  let now = 0;
  const c = new WakeCoalescer({ windowMs: 2, quietWindowMs: 4, maxBurst: 64, now: () => now });
  now = 100; c.note(1); c.settle(true);
  now = 101.5; c.note(1); now = 101.7; c.settle(true);
  t.equal(c.sleeps, 1);
  t.ok(Math.abs(c.sleptMs - 2.3) < 1e-9, `slept to 104, the quiet window's boundary (${c.sleptMs} ms)`);
  now = 102.9; c.note(1); now = 103.2; c.settle(false);
  t.ok(Math.abs(c.sleptMs - 2.3 - 0.8) < 1e-9, 'a burst with tenant frames sleeps to the plain window (104, not 108)');
  now = 104.9; c.note(1); now = 105.2; c.settle(false);
  t.ok(Math.abs(c.sleptMs - 3.1 - 0.8) < 1e-9, 'and again (106)');
  t.equal(new WakeCoalescer({ windowMs: 0, quietWindowMs: 5, maxBurst: 1 }).quietWindowMs, 0, 'moderation off: no quiet window either');
  t.equal(new WakeCoalescer({ windowMs: 2, quietWindowMs: 1, maxBurst: 1 }).quietWindowMs, 2, 'never shorter than the window');
});
