// RealClock.runDue: due timers run in the caller's wakeup (the agent's moderated one), once, earliest first.
import t from 'tap';
import { RealClock } from '../src/control/clock.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('runDue runs the due timers, earliest first, once', async (t) => {
  const c = new RealClock();
  const ran: string[] = [];
  // Dues far apart: set in the order x, y, z, they fall due z, y, x unless this process is held up
  // for over 100 ms between two lines (a loaded machine does hold it up for a few).
  c.setTimer(200, () => ran.push('x'));
  c.setTimer(100, () => ran.push('y'));
  c.setTimer(-5, () => ran.push('z')); // negative: due at once
  const late = c.setTimer(60_000, () => ran.push('late'));
  const cleared = c.setTimer(0, () => ran.push('cleared'));
  c.clearTimer(cleared);
  const until = performance.now() + 210;
  while (performance.now() < until) { /* due, without the event loop turning */ }
  c.runDue();
  t.same(ran, ['z', 'y', 'x']);
  await sleep(250);
  c.runDue();
  t.same(ran, ['z', 'y', 'x'], 'neither runDue nor the Node timers run them again; the late one waits');
  c.clearTimer(late);
});

t.test('a timer run by runDue does not fire again from Node, one set meanwhile does', async (t) => {
  const c = new RealClock();
  let n = 0, inner = 0;
  c.setTimer(1, () => { n++; c.setTimer(1, () => inner++); });
  const until = performance.now() + 2;
  while (performance.now() < until) { /* let it fall due without the event loop turning */ }
  c.runDue();
  t.equal(n, 1);
  await sleep(20);
  t.equal(n, 1, 'not again');
  t.equal(inner, 1, 'the timer set from inside fired from its Node timer');
  t.equal(c.now() > 0, true);
});
