// The simulator's EventQueue fires exactly as the control plane's VirtualClock does (time order, ties
// in the order set, cleared timers skipped, callbacks' own timers in the same run), so that a run is the
// same run on either; posted sink events take their place in that order.
import t from 'tap';
import fc from 'fast-check';
import { EventQueue } from '../src/sim/event-queue.js';
import { VirtualClock } from '../src/control/clock.js';

type Op = { kind: 'set'; delay: number; nested: number[] } | { kind: 'clear'; which: number } | { kind: 'run'; by: number };

/** Apply the ops to a clock and log (label, time) of every callback fired. */
function play(clock: { now(): number; setTimer(d: number, fn: () => void): number; clearTimer(id: number): void; runUntil(t: number): void }, ops: Op[]): string[] {
  const log: string[] = [];
  const ids: number[] = [];
  let label = 0;
  for (const op of ops) {
    if (op.kind === 'set') {
      const me = label++;
      ids.push(clock.setTimer(op.delay, () => {
        log.push(`${me}@${clock.now()}`);
        op.nested.forEach((d, j) => clock.setTimer(d, () => log.push(`${me}.${j}@${clock.now()}`)));
      }));
    } else if (op.kind === 'clear') {
      if (ids.length > 0) clock.clearTimer(ids[op.which % ids.length]);
    } else clock.runUntil(clock.now() + op.by);
  }
  clock.runUntil(clock.now() + 1e6);
  log.push(`end@${clock.now()}`);
  return log;
}

const delay = fc.oneof(fc.integer({ min: -5, max: 50 }), fc.constantFrom(0, 0.5, 15.08, Number.NaN, Infinity));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), delay, nested: fc.array(delay, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('clear' as const), which: fc.nat() }),
  fc.record({ kind: fc.constant('run' as const), by: fc.integer({ min: 0, max: 40 }) }),
);

t.test('fires in the same order and at the same times as VirtualClock', async (t) => {
  fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
    t.same(play(new EventQueue(), ops), play(new VirtualClock(), ops));
  }), { numRuns: 300 });
});

t.test('posted events interleave with timers by time, then by the order set', async (t) => {
  const q = new EventQueue();
  const log: string[] = [];
  const sink = { fire: (a: number, b: number, c: number, data: string) => log.push(`${data}:${a},${b},${c}@${q.now()}`) };
  q.setTimer(5, () => log.push(`t1@${q.now()}`));
  q.post(5, sink, 1, 2, 3, 'p1');
  q.post(2, sink, 4, 5, 6, 'p2');
  q.setTimer(5, () => { log.push(`t2@${q.now()}`); q.post(0, sink, 7, 8, 9, 'p3'); });
  t.equal(q.pending(), 4);
  q.runUntil(10);
  t.same(log, ['p2:4,5,6@2', 't1@5', 'p1:1,2,3@5', 't2@5', 'p3:7,8,9@5']);
  t.equal(q.now(), 10);
  t.equal(q.pending(), 0);
});

t.test('clearTimer ignores fired, cleared and unknown ids; a reused slot keeps old ids dead', async (t) => {
  const q = new EventQueue();
  let fired = 0;
  const a = q.setTimer(1, () => fired++);
  q.runUntil(1);
  t.equal(fired, 1);
  const b = q.setTimer(1, () => fired++); // reuses a's slot
  t.not(a, b);
  q.clearTimer(a); // a fired: must not clear b
  q.clearTimer(12345);
  q.clearTimer(-1);
  q.runUntil(2);
  t.equal(fired, 2);
  const c = q.setTimer(1, () => fired++);
  q.clearTimer(c);
  q.clearTimer(c);
  t.equal(q.pending(), 0);
  q.runUntil(10);
  t.equal(fired, 2);
});

t.test('grows past its first arrays while firing, in order', async (t) => {
  const q = new EventQueue();
  const seen: Array<[number, number]> = [];
  // Each callback sets many more: the arrays grow while runUntil is walking them.
  for (let i = 0; i < 10; i++) q.setTimer(i, () => { for (let j = 0; j < 500; j++) q.setTimer(1000 - j, () => seen.push([q.now(), j])); });
  q.runUntil(5000);
  t.equal(seen.length, 5000);
  let ordered = true;
  for (let k = 1; k < seen.length; k++) if (seen[k][0] < seen[k - 1][0]) ordered = false;
  t.ok(ordered, 'times never go back');
  // 1000 - j descends with j: j = 499 (due first, from the first callback) fires first, j = 0 last.
  t.same(seen[0], [501, 499]);
  t.equal(seen[seen.length - 1][1], 0);
});

// Posts of many delays (more than the queue has lanes: the rest go through the heap), posted from
// outside and from within callbacks, mixed with timers and clears: the same order and times as
// VirtualClock firing the same events as closures.
type PostOp =
  | { kind: 'set'; delay: number; nested: number[] }
  | { kind: 'post'; delay: number; nested: number[] }
  | { kind: 'clear'; which: number }
  | { kind: 'run'; by: number };

function playPosts(q: EventQueue | VirtualClock, ops: PostOp[]): string[] {
  const log: string[] = [];
  const ids: number[] = [];
  let label = 0;
  const sink = { fire: (a: number, b: number, c: number, data: number[]): void => {
    log.push(`p${a}@${q.now()}:${b},${c}`);
    data.forEach((d, j) => post(d, a * 10 + j, []));
  } };
  const post = (d: number, me: number, nested: number[]): void => {
    if (q instanceof EventQueue) q.post(d, sink, me, me + 1, me + 2, nested);
    else q.setTimer(d, () => sink.fire(me, me + 1, me + 2, nested));
  };
  for (const op of ops) {
    const me = label++;
    if (op.kind === 'set') {
      ids.push(q.setTimer(op.delay, () => {
        log.push(`t${me}@${q.now()}`);
        op.nested.forEach((d, j) => post(d, me * 10 + j, []));
      }));
    } else if (op.kind === 'post') post(op.delay, me, op.nested);
    else if (op.kind === 'clear') { if (ids.length > 0) q.clearTimer(ids[op.which % ids.length]); }
    else q.runUntil(q.now() + op.by);
  }
  q.runUntil(q.now() + 1e6);
  log.push(`end@${q.now()} pending ${q instanceof EventQueue ? q.pending() : 0}`);
  return log;
}

t.test('posts in lanes and in the heap fire as VirtualClock fires the same events', async (t) => {
  // A dozen delays (more than the lanes), fractional sums of latencies among them.
  const pdelay = fc.oneof(fc.constantFrom(0, 0.02, 0.06, 0.08, 15.1, 15.14, 0.1 + 0.2, 0.3, 1, 2.5, 7, 30, -1, Number.NaN), fc.integer({ min: 0, max: 20 }));
  const pop: fc.Arbitrary<PostOp> = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), delay: pdelay, nested: fc.array(pdelay, { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('post' as const), delay: pdelay, nested: fc.array(pdelay, { maxLength: 3 }) }),
    fc.record({ kind: fc.constant('post' as const), delay: pdelay, nested: fc.constant<number[]>([]) }),
    fc.record({ kind: fc.constant('clear' as const), which: fc.nat() }),
    fc.record({ kind: fc.constant('run' as const), by: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0.04, 0.08, 15.1)) }),
  );
  fc.assert(fc.property(fc.array(pop, { maxLength: 300 }), (ops) => {
    const got = playPosts(new EventQueue(), ops);
    const want = playPosts(new VirtualClock(), ops);
    want[want.length - 1] = want[want.length - 1].replace(/pending \d+/, 'pending 0');
    t.same(got, want);
  }), { numRuns: 400 });
});

t.test('a lane grows past its ring while its head moves', async (t) => {
  const ops: PostOp[] = [];
  for (let i = 0; i < 700; i++) {
    ops.push({ kind: 'post', delay: 0.08, nested: i % 7 === 0 ? [0.08, 3] : [] });
    if (i % 50 === 0) ops.push({ kind: 'set', delay: 0.04, nested: [0.08] });
    if (i % 90 === 0) ops.push({ kind: 'run', by: 0.04 });
  }
  const got = playPosts(new EventQueue(), ops);
  const want = playPosts(new VirtualClock(), ops);
  want[want.length - 1] = want[want.length - 1].replace(/pending \d+/, 'pending 0');
  t.same(got, want);
  t.ok(got.length > 800, `${got.length} events`);
});
