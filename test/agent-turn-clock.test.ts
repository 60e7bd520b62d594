// TurnClock (src/agent/turn-clock.ts): the live agent's control plane reads the time once per turn of
// work (the agent refreshes it where one begins); timers still fire at the time they were set for.
import t from 'tap';
import { VirtualClock } from '../src/control/index.js';
import { TurnClock, USES_PER_READING } from '../src/agent/turn-clock.js';

const nextTask = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('one reading serves USES_PER_READING calls, or until refresh()', async (t) => {
  const v = new VirtualClock(100);
  const c = new TurnClock(v);
  t.equal(c.now(), 100);
  v.advance(7);
  t.equal(c.now(), 100, 'the same instant for the next calls');
  await nextTask();
  t.equal(c.now(), 100, 'across event-loop tasks too: the agent says when a turn begins');
  c.refresh();
  t.equal(c.now(), 107, 'refresh(): read afresh');
  v.advance(5);
  const seen: number[] = [];
  for (let i = 1; i < USES_PER_READING; i++) seen.push(c.now());
  t.ok(seen.every((x) => x === 107), `${USES_PER_READING} calls served by one reading`);
  t.equal(c.now(), 112, 'then the clock is read again');
});

t.test('timers fire at the turn\'s time plus their delay, not later by what the turn used', async (t) => {
  const v = new VirtualClock(0);
  const c = new TurnClock(v);
  const fired: number[] = [];
  t.equal(c.now(), 0);
  v.advance(3); // the turn took 3 ms so far
  c.setTimer(10, () => fired.push(v.now()));
  v.runUntil(9.99);
  t.same(fired, [], 'not before 10');
  v.runUntil(10);
  t.same(fired, [10], 'at 10 = the turn\'s time 0 + 10, not 13');
  c.refresh();
  c.now(); // a reading at 10
  const id = c.setTimer(5, () => fired.push(-1));
  c.clearTimer(id);
  c.setTimer(5, () => fired.push(v.now()));
  v.advance(5);
  t.same(fired, [10, 15], 'from a fresh reading, the delay runs from now; a cleared timer never fires');
  c.refresh();
  c.now();
  v.advance(20);
  c.setTimer(4, () => fired.push(v.now()));
  v.advance(0);
  t.same(fired, [10, 15, 35], 'a delay the turn has already used up: due at once');
});
