// The control plane's allocation-free internals against plain models: the Wasm SipHasher against the
// TS twin, the tick scheduler with handlers that queue more events (and against a plain model on a
// clock that fires early and late), the pending-probe ring, and the per-port records (fields apart,
// health shared with the peer's own state unaffected by it).
import t from 'tap';
import fc from 'fast-check';
import { SipHasher, SIPHASHER_MAX_BYTES } from '../bindings/auth.js';
import { sipHash24Into } from '../src/reference/siphash.js';
import { VirtualClock, type Clock, type TimerId } from '../src/control/clock.js';
import { TickScheduler } from '../src/control/scheduler.js';
import { PendingProbes } from '../src/control/pending-probes.js';
import { PeerState } from '../src/control/peer.js';
import {
  PortRecords, PORT_RECORD_BYTES, F64_STRIDE, U32_STRIDE, U8_STRIDE, SENT_AT, LAST_ANSWER, FIRST_ANSWER_AT, LAST_USED, LAST_LOSS_AT,
  LOSS_RUN_SENT_AT, PENALTY, PENALTY_AT, OUTSTANDING_SEQ, PENDING_ID, HISTORY, SEND_GEN, NEXT_SEQ, LOSS_BITS, GROUP, HAS_OUTSTANDING,
  STATE, RESTORING, CONSECUTIVE_LOSSES, HELD, STALE, BACKUP, SCHEDULED, HISTORY_LEN,
} from '../src/control/port-records.js';
import { PortHealth } from '../src/control/health.js';
import { resolveControlConfig } from '../src/control/config.js';
import { VtepControl } from '../src/control/vtep.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

t.test('SipHasher (one Wasm call per tag) agrees with the TS twin on random keys, messages and ranges', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat()), { minLength: 1, maxLength: 12 }),
    (keys, msgs) => {
      // Several hashers interleaved: the shared kernel instance must switch keys between them.
      const hashers = keys.map((k) => new SipHasher(k));
      return msgs.every(([which, msg, a, b]) => {
        const i = which % keys.length;
        const start = msg.length === 0 ? 0 : a % (msg.length + 1);
        const end = Math.min(msg.length, start + (b % (SIPHASHER_MAX_BYTES + 1)));
        const got = new Uint8Array(12), want = new Uint8Array(12);
        hashers[i]!.tagInto(msg, start, end, got, 3);
        sipHash24Into(keys[i]!, msg, start, end, want, 3);
        return hex(got) === hex(want);
      });
    }), { numRuns: 300 });
  // The tag may overwrite the bytes just after the tagged range (the probe codec's layout).
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const msg = Uint8Array.from({ length: 56 }, (_, i) => 3 * i);
  const want = new Uint8Array(8);
  sipHash24Into(key, msg, 0, 48, want, 0);
  new SipHasher(key).tagInto(msg, 0, 48, msg, 48);
  t.equal(hex(msg.subarray(48)), hex(want), 'in place');
  t.throws(() => new SipHasher(new Uint8Array(15)), RangeError);
  const h = new SipHasher(key);
  t.throws(() => h.tagInto(new Uint8Array(4), 2, 5, new Uint8Array(8), 0), RangeError);
  t.throws(() => h.tagInto(new Uint8Array(4), 0, 4, new Uint8Array(7), 0), RangeError);
  t.throws(() => h.tagInto(new Uint8Array(SIPHASHER_MAX_BYTES + 1), 0, SIPHASHER_MAX_BYTES + 1, new Uint8Array(8), 0), RangeError);
});

t.test('TickScheduler runs events, and those their handlers queue, in (tick, queue order)', async () => {
  const TICK = 5;
  fc.assert(fc.property(
    fc.array(fc.nat({ max: 8000 }), { minLength: 1, maxLength: 60 }),
    // What each handler queues, as delays from now: 0 (this very tick), short, and beyond a wheel round.
    fc.array(fc.array(fc.constantFrom(0, 1, 4, 5, 300, 5119, 5120, 5125, 12000), { maxLength: 3 }), { minLength: 1, maxLength: 40 }),
    (times, follow) => {
      const clock = new VirtualClock();
      let seq = 0;
      const ran: number[] = [];
      const model: { tick: number; id: number }[] = [];
      const queue = (at: number): void => {
        const id = seq++;
        model.push({ tick: Math.ceil(at / TICK), id });
        sch.at(at, id);
      };
      const sch: TickScheduler<number> = new TickScheduler<number>(clock, TICK, (id) => {
        ran.push(id);
        if (id < 200) for (const d of follow[id % follow.length]!) queue(clock.now() + d);
      });
      for (const x of times) queue(x);
      for (let i = 0; i < 1000 && sch.size > 0; i++) clock.advance(20_000); // chains of follow-ups run out
      model.sort((a, b) => a.tick - b.tick || a.id - b.id);
      return sch.size === 0 && ran.length === model.length && ran.every((id, i) => id === model[i]!.id);
    }), { numRuns: 300 });
});

/**
 * A clock whose timers fire late, or early by less than a millisecond (as Node's may), by an amount
 * that depends only on when they were due; a timer less than a millisecond away fires on time.
 */
class JitterClock implements Clock {
  readonly inner = new VirtualClock();
  constructor(readonly jitter: readonly number[]) {}
  now(): number { return this.inner.now(); }
  setTimer(delayMs: number, fn: () => void): TimerId {
    const d = Math.max(0, delayMs);
    const j = this.jitter[Math.floor(this.inner.now() + d) % this.jitter.length]!;
    return this.inner.setTimer(j >= 0 || d >= 1 ? d + j : d, fn);
  }
  clearTimer(id: TimerId): void { this.inner.clearTimer(id); }
}

/**
 * TickScheduler's rules written plainly (one array of events, scanned): the model the wheel, its
 * occupied-slot bits and the skip to the armed tick must agree with, deferral included.
 */
class ModelScheduler {
  readonly #ev: { tick: number; id: number }[] = [];
  #cur: number;
  #timer: TimerId | undefined;
  #armed = Infinity;
  #deferred = false;
  #firing = false;
  constructor(readonly clock: Clock, readonly tickMs: number, readonly run: (id: number) => void) { this.#cur = Math.floor(clock.now() / tickMs); }
  get size(): number { return this.#ev.length; }
  at(atMs: number, id: number): void {
    const tick = Math.max(this.#cur, Math.ceil(atMs / this.tickMs));
    this.#ev.push({ tick, id });
    if (!this.#firing && tick < this.#armed) this.#arm(tick);
  }
  #arm(tick: number): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#armed = tick;
    this.#timer = this.clock.setTimer(tick * this.tickMs - this.clock.now(), () => this.#fire());
  }
  #fire(): void {
    this.#timer = undefined;
    const armed = this.#armed;
    this.#armed = Infinity;
    if (!this.#deferred && this.clock.now() - armed * this.tickMs > 2 * this.tickMs) {
      this.#deferred = true;
      this.#arm(Math.floor(this.clock.now() / this.tickMs) + 1);
      return;
    }
    this.#deferred = false;
    this.#firing = true;
    const nowTick = Math.floor(this.clock.now() / this.tickMs);
    while (this.#cur <= nowTick && this.#ev.length > 0) {
      for (let i; (i = this.#ev.findIndex((e) => e.tick === this.#cur)) >= 0;) this.run(this.#ev.splice(i, 1)[0]!.id);
      this.#cur++;
    }
    if (this.#cur <= nowTick) this.#cur = nowTick + 1;
    this.#firing = false;
    if (this.#ev.length > 0) this.#arm(Math.min(...this.#ev.map((e) => e.tick)));
  }
}

t.test('TickScheduler agrees with a plain model on a clock whose timers fire early and late (deferral, skipped idle ticks)', async () => {
  const TICK = 5;
  fc.assert(fc.property(
    fc.array(fc.nat({ max: 12000 }), { minLength: 1, maxLength: 60 }),
    fc.array(fc.array(fc.constantFrom(0, 1, 4, 5, 300, 5119, 5120, 5125, 12000), { maxLength: 3 }), { minLength: 1, maxLength: 40 }),
    // Early by up to 0.9 ms, or late by up to 40 ms (more than two ticks late defers the events).
    fc.array(fc.oneof(fc.double({ min: -0.9, max: 0, noNaN: true }), fc.double({ min: 0, max: 40, noNaN: true }), fc.constant(0)), { minLength: 1, maxLength: 50 }),
    (times, follow, jitter) => {
      const trace = (make: (clock: Clock, run: (id: number) => void) => { at(ms: number, id: number): void; readonly size: number }): string[] => {
        const clock = new JitterClock(jitter);
        const ran: string[] = [];
        let seq = 0;
        const s = make(clock, (id) => {
          ran.push(`${id}@${clock.now()}`);
          if (id < 200) for (const d of follow[id % follow.length]!) s.at(clock.now() + d, seq++);
        });
        for (const x of times) s.at(x, seq++);
        for (let i = 0; i < 1000 && s.size > 0; i++) clock.inner.advance(20_000);
        return ran;
      };
      // With a warm pass (reads only): the same runs, and every event warmed ran, none before its tick.
      const warmed: number[] = [];
      const ran = new Set<number>();
      const got = trace((c, run) => new TickScheduler<number>(c, TICK, (id) => { ran.add(id); run(id); }, (id) => { warmed.push(id); return id; }));
      const want = trace((c, run) => new ModelScheduler(c, TICK, run));
      return got.length === want.length && got.every((x, i) => x === want[i]) && warmed.every((id) => ran.has(id))
        && (got.length === 0 || warmed.length > 0);
    }), { numRuns: 300 });
});

t.test('PendingProbes: a FIFO through growth and wrap-around, with done marks by id', async (t) => {
  const cfg = resolveControlConfig({ candidates: 4 });
  const peers = [0, 1, 2].map((i) => new PeerState(i + 1, i, [1000, 1001, 1002, 1003], true, 'full', 0, cfg));
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: 3 }), fc.boolean()), { maxLength: 400 }), (ops) => {
    const q = new PendingProbes();
    const model: { id: number; peer: PeerState; k: number; seq: number; at: number; done: boolean }[] = [];
    let n = 0;
    for (const [op, flag] of ops) {
      if (op <= 1) { // push (twice as often as the rest, so the ring grows and wraps)
        const peer = peers[n % 3]!, k = n % 4, seq = (n * 2654435761) >>> 0;
        const id = q.push(peer, k, seq, n);
        if (model.length > 0 && id !== ((model[model.length - 1]!.id + 1) >>> 0)) return false;
        model.push({ id, peer, k, seq, at: n, done: false });
        n++;
      } else if (op === 2) { // mark some entry (or an id that has left the FIFO) done
        const e = model[n % (model.length + 1)];
        const id = e?.id ?? (((model[0]?.id ?? 0) - (flag ? 1 : 1000)) >>> 0);
        q.markDone(id);
        if (e !== undefined) e.done = true;
      } else if (flag) {
        q.shift(); model.shift();
      }
      if (q.size !== model.length) return false;
      const h = model[0];
      if (h !== undefined && (q.oldestPeer !== h.peer || q.oldestK !== h.k || q.oldestSeq !== h.seq || q.oldestDeadline !== h.at || q.oldestDone !== h.done)) return false;
    }
    q.clear();
    return q.size === 0;
  }), { numRuns: 300 });
  t.pass('model agreed');
});

t.test('port records: every field in its record, aligned, no two overlapping', async (t) => {
  const f64 = { SENT_AT, LAST_ANSWER, FIRST_ANSWER_AT, LAST_USED, LAST_LOSS_AT, LOSS_RUN_SENT_AT, PENALTY, PENALTY_AT };
  const u32 = { OUTSTANDING_SEQ, PENDING_ID, HISTORY, SEND_GEN, NEXT_SEQ, LOSS_BITS, GROUP };
  const u8 = { HAS_OUTSTANDING, STATE, RESTORING, CONSECUTIVE_LOSSES, HELD, STALE, BACKUP, SCHEDULED, HISTORY_LEN };
  const ranges = [
    ...Object.entries(f64).map(([name, i]) => ({ name, at: 8 * i, len: 8 })),
    ...Object.entries(u32).map(([name, i]) => ({ name, at: 4 * i, len: 4 })),
    ...Object.entries(u8).map(([name, i]) => ({ name, at: i, len: 1 })),
  ];
  t.ok(ranges.every((r) => Number.isInteger(r.at) && r.at >= 0 && r.at + r.len <= PORT_RECORD_BYTES), 'within a record');
  const clash = ranges.flatMap((a, i) => ranges.slice(i + 1).filter((b) => a.at < b.at + b.len && b.at < a.at + a.len).map((b) => `${a.name}/${b.name}`));
  t.same(clash, [], 'no two fields share a byte');
  t.equal(PORT_RECORD_BYTES % 8, 0, 'records keep the f64 fields aligned');
  const r = new PortRecords(3);
  t.ok(r.f64.buffer === r.u32.buffer && r.u8.buffer === r.f64.buffer && r.u8.length === 3 * PORT_RECORD_BYTES && r.u8.every((x) => x === 0), 'one zeroed buffer');
});

t.test('PortHealth in records shared with PeerState agrees with one in records of its own, whatever the peer writes beside it', async () => {
  const rules = { ...resolveControlConfig({}), flapHalfLifeMs: 10_000, flapSuppressPenalty: 1.5, suppressHoldMs: 3000, lossyWindow: 8, holdFloor: 0.25, waitToRestoreMs: 2000 };
  const n = 4;
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.integer({ min: 0, max: 3 }), fc.nat({ max: 0xffffffff })), { maxLength: 300 }), (ops) => {
    const p = new PeerState(1, 0, [1000, 1001, 1002, 1003], true, 'partial', 0, rules);
    const own = new PortHealth(n, rules);
    let now = 0;
    for (const [k, op, x] of ops) {
      now += 100;
      // The peer's own fields of every port, scribbled on: they must not reach the health state.
      for (let j = 0; j < n; j++) {
        p.f64[j * F64_STRIDE + SENT_AT] = x; p.f64[j * F64_STRIDE + LAST_ANSWER] = -x; p.f64[j * F64_STRIDE + LAST_USED] = x / 3;
        p.f64[j * F64_STRIDE + LOSS_RUN_SENT_AT] = x + 1;
        p.u32[j * U32_STRIDE + OUTSTANDING_SEQ] = x; p.u32[j * U32_STRIDE + PENDING_ID] = ~x; p.u32[j * U32_STRIDE + SEND_GEN] = x >>> 3;
        p.u32[j * U32_STRIDE + NEXT_SEQ] = x + j; p.u32[j * U32_STRIDE + GROUP] = x & 0xffff;
        for (const f of [HAS_OUTSTANDING, STALE, BACKUP, SCHEDULED]) p.u8[j * U8_STRIDE + f] = x >>> f;
      }
      const a = op === 0 ? p.health.lost(k, now, true) : op === 1 ? p.health.answered(k, now) : op === 2 ? p.health.lost(k, now, false) : p.health.settle(k);
      const b = op === 0 ? own.lost(k, now, true) : op === 1 ? own.answered(k, now) : op === 2 ? own.lost(k, now, false) : own.settle(k);
      if (a !== b || p.health.badCount !== own.badCount) return false;
      for (let j = 0; j < n; j++) {
        const h = p.health;
        if (h.state(j) !== own.state(j) || h.history(j) !== own.history(j) || h.historyLen(j) !== own.historyLen(j)
          || h.consecutiveLosses(j) !== own.consecutiveLosses(j) || h.lastLossAt(j) !== own.lastLossAt(j) || h.firstAnswerAt(j) !== own.firstAnswerAt(j)
          || h.penalty(j) !== own.penalty(j) || h.penaltyAt(j) !== own.penaltyAt(j) || h.held(j) !== own.held(j) || h.restoring(j) !== own.restoring(j)
          || h.lossBits(j) !== own.lossBits(j) || h.usable(j) !== own.usable(j) || h.failureFreeSince(j) !== own.failureFreeSince(j)) return false;
      }
    }
    return true;
  }), { numRuns: 200 });
});

t.test('a re-add that fails validation leaves the peer as it was, still probed', async (t) => {
  const clock = new VirtualClock();
  const sent: number[] = [];
  const v = new VtepControl({
    clock, localIp: 1, secret: new Uint8Array(16), table: 'hi', config: { candidates: 4, maxPeers: 4, probeMode: 'full' },
    transport: { send: (_to, sport) => { sent.push(sport); } },
  });
  v.addPeer(2, [1000, 1001, 1002, 1003]);
  v.noteTenantTraffic(2);
  v.start();
  clock.advance(1000);
  const before = sent.length;
  t.ok(before > 0, 'probed');
  t.throws(() => v.addPeer(2, [1000, 1001, 1002, 70000]), RangeError);
  clock.advance(1000);
  t.ok(sent.length - before >= before - 4, `still probed after the refused re-add (${sent.length - before} more)`);
  v.removePeer(2);
  const atRemove = sent.length;
  clock.advance(1000);
  t.equal(sent.length, atRemove, 'nothing once removed');
});

t.test('PeerState.replyPort (kept until a probed port or its rank changes) agrees with bestReplyPort worked out afresh', async () => {
  const rules = { ...resolveControlConfig({}), flapHalfLifeMs: 10_000, flapSuppressPenalty: 1.5, suppressHoldMs: 3000, lossyWindow: 8, holdFloor: 0.25, waitToRestoreMs: 2000 };
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 6 }), fc.nat({ max: 400 })), { maxLength: 300 }), (n, ops) => {
    const p = new PeerState(1, 0, Array.from({ length: n }, (_, k) => 2000 + 7 * k), true, 'partial', 0, rules);
    let now = 0;
    for (const [x, op, dt] of ops) {
      const k = x % n;
      now += dt;
      if (op === 0) p.health.answered(k, now);
      else if (op === 1) p.health.lost(k, now, true);
      else if (op === 2) p.health.lost(k, now, false);
      else if (op === 3) p.health.settle(k);
      else if (op === 4) p.setScheduled(k, true);
      else if (op === 5) p.setScheduled(k, false);
      else if (x % 7 === 0) p.clearScheduled();
      else p.health.load(k, { state: x % 3 as 0 | 1 | 2, history: x, historyLen: x % 6, consecutiveLosses: x % 4, lossBits: x, lastLossAt: now - (x % 900), firstAnswerAt: now - (x % 1000), penalty: 0, penaltyAt: now, held: false, restoring: x % 5 === 0 });
      if (p.replyPort() !== p.bestReplyPort()) return false;
    }
    return true;
  }), { numRuns: 300 });
});

t.test('PeerState keeps its scheduled ports as a bit set that matches the scheduled array', async () => {
  const rules = resolveControlConfig({});
  fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 })), { maxLength: 200 }), (n, ops) => {
    const p = new PeerState(1, 0, Array.from({ length: n }, (_, k) => 1000 + k), true, 'partial', 0, rules);
    for (const [x, op] of ops) {
      if (op === 2) p.clearScheduled(); else p.setScheduled(x % n, op === 1);
      for (let k = 0; k < n; k++) {
        const bit = k < 32 ? (p.schedLo >>> k) & 1 : (p.schedHi >>> (k - 32)) & 1;
        if (bit !== p.u8[k * U8_STRIDE + SCHEDULED]) return false;
      }
      if (p.schedLo < 0 || p.schedHi < 0 || (n <= 32 && p.schedHi !== 0)) return false;
    }
    return true;
  }), { numRuns: 300 });
});
