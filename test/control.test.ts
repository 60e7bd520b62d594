// The control plane on the virtual clock, over a tiny in-test "network" that delivers or drops
// probes per (direction, source port): detection and switching, hysteresis, forgeries, on-demand
// probing, spreading, and peers that never answer.
import t from 'tap';
import { VirtualClock } from '../src/control/clock.js';
import { VtepControl, type ControlEvent, type VtepControlOptions } from '../src/control/vtep.js';
import { decodeProbe, encodeProbe, probeSeq, probeSport, verifyProbe, PROBE_WIRE_BYTES } from '../src/control/probe-codec.js';
import { DEFAULT_CONTROL_CONFIG, type ControlConfig } from '../src/control/config.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
const A = 0x0a000001, B = 0x0a000002;
const N = 8;
const CANDS = Array.from({ length: N }, (_, i) => 50000 + 7 * i);
const I = 300, TO = 200;

interface Sent { atMs: number; from: number; to: number; sport: number; payload: Uint8Array }

/** Nodes joined by a 1 ms link; `drop(from, to, sport, payload)` decides each probe's fate. */
class TinyNet {
  readonly clock = new VirtualClock();
  readonly nodes = new Map<number, VtepControl>();
  readonly log: Sent[] = [];
  drop: (from: number, to: number, sport: number, payload: Uint8Array) => boolean = () => false;
  /** Applied to requests in flight (a middlebox writing BackendID). */
  tamper: ((from: number, to: number, sport: number, payload: Uint8Array) => void) | undefined;

  add(ip: number, o: Partial<VtepControlOptions> = {}, config: Partial<ControlConfig> = {}): VtepControl {
    const v = new VtepControl({
      clock: this.clock, localIp: ip, secret: SECRET, table: 'hi',
      transport: { send: (to, sport, payload) => this.#send(ip, to, sport, payload) },
      ...o,
      config: { candidates: N, maxPeers: 16, hiGroupSize: 1, ...config },
    });
    this.nodes.set(ip, v);
    return v;
  }

  #send(from: number, to: number, sport: number, payload: Uint8Array): void {
    const copy = Uint8Array.from(payload);
    this.log.push({ atMs: this.clock.now(), from, to, sport, payload: copy });
    if (this.drop(from, to, sport, copy)) return;
    this.tamper?.(from, to, sport, copy);
    this.clock.setTimer(1, () => this.nodes.get(to)?.onProbe(from, sport, copy));
  }
}

/** A and B probing each other in full mode, every port in use, after `warm` ms. */
function pair(config: Partial<ControlConfig> = {}, warm = 3000): { net: TinyNet; a: VtepControl; b: VtepControl; events: ControlEvent[] } {
  const net = new TinyNet();
  const a = net.add(A, {}, { probeMode: 'full', ...config });
  const b = net.add(B, {}, { probeMode: 'full', ...config });
  a.addPeer(B, CANDS); b.addPeer(A, CANDS);
  const events: ControlEvent[] = [];
  a.onEvent = (e) => events.push(e);
  // Tenant traffic every 100 ms, one flow per candidate: both peers stay active, every port in use.
  const traffic = (): void => {
    a.noteTenantTraffic(B); b.noteTenantTraffic(A);
    if (a.peerRow(B) !== undefined) for (let h = 0; h < N; h++) a.sourcePort(B, h);
    net.clock.setTimer(100, traffic);
  };
  traffic();
  a.start(); b.start();
  net.clock.advance(warm);
  return { net, a, b, events };
}

/** Black-holes A<->B on sport (both directions: requests out and replies back). */
const blackHole = (sport: number) => (_f: number, _t: number, sp: number) => sp === sport;

t.test('a black-holed port is detected after two lost probes and its flows switch at detection', async (t) => {
  // Failure times at many offsets within the probe interval, including on a probe's send time.
  for (const offset of [0, 1, 37, 99, 150, 211, 299]) {
    const { net, a, events } = pair();
    const victim = 2, port = CANDS[victim];
    t.ok(a.ports(B).every((p) => p.state === 'good'), 'every port validated during warm-up');
    const t0 = net.clock.now() + offset;
    net.clock.runUntil(t0);
    net.drop = blackHole(port);
    const lostBefore = a.stats().probesLost;
    // Flows hashed onto the victim (hash mod N == victim) keep it until detection...
    let detectedAt = -1;
    a.onEvent = (e) => {
      events.push(e);
      if (e.type === 'port-down' && detectedAt < 0) {
        detectedAt = e.atMs;
        t.equal(a.stats().probesLost - lostBefore, 2, `offset ${offset}: exactly two lost probes before detection`);
      }
    };
    while (detectedAt < 0 && net.clock.now() < t0 + 5000) {
      t.equal(a.sourcePort(B, victim), port, 'no switch before detection');
      net.clock.advance(1);
    }
    t.ok(detectedAt >= 0, `offset ${offset}: detected`);
    t.ok(detectedAt - t0 <= 2 * I + TO, `offset ${offset}: detected ${detectedAt - t0} ms after the failure (<= ${2 * I + TO})`);
    t.ok(detectedAt - t0 >= DEFAULT_CONTROL_CONFIG.minProbeTimeoutMs, 'not before a probe could time out (the adaptive timeout\'s floor)');
    const sw = events.find((e) => e.type === 'switch');
    t.equal(sw?.atMs, detectedAt, 'the switch is the detection');
    t.equal(sw?.sport, port);
    // ... and from then on every flow of the victim uses one healthy, pre-validated port.
    const moved = [victim, victim + N, victim + 5 * N].map((h) => a.sourcePort(B, h));
    t.ok(moved.every((p) => p !== port), 'flows left the failed port');
    t.ok(moved.every((p) => a.ports(B).find((x) => x.sport === p)?.state === 'good'), 'onto a validated port');
    t.equal(new Set(moved).size, 1, 'deterministic: the same healthy port, no random retry');
    for (let h = 0; h < N; h++) if (h !== victim) t.equal(a.sourcePort(B, h), CANDS[h], 'other flows untouched');
    t.equal(a.stats().badTags + a.stats().malformed, 0);
  }
});

t.test('the same run twice makes the same decisions', async (t) => {
  const run = (): string => {
    const { net, a } = pair();
    net.drop = blackHole(CANDS[5]);
    net.clock.advance(2000);
    return JSON.stringify([a.ports(B), Array.from({ length: 64 }, (_, h) => a.sourcePort(B, h)), a.stats()]);
  };
  t.equal(run(), run());
});

t.test('3-of-5 hysteresis: a flapping port stays out, a recovered port comes back on its 3rd answer', async (t) => {
  const { net, a } = pair();
  const port = CANDS[4];
  net.drop = blackHole(port);
  net.clock.advance(1500);
  t.equal(a.ports(B)[4].state, 'bad');
  // Flap: of every three requests on the port only one gets through (answered, lost, lost, ...): the
  // last five never hold three answers, so the port must stay out however long this goes on.
  let n = 0;
  net.drop = (from, _to, sp, payload) => {
    if (sp !== port || from !== A) return false;
    const r = decodeProbe(payload, SECRET);
    return r.ok && r.probe.type === 'request' && n++ % 3 !== 0;
  };
  const upsBefore = a.stats().portsUp;
  for (let s = 0; s < 60; s++) {
    net.clock.advance(1000);
    t.equal(a.ports(B)[4].state, 'bad', `still out after ${s + 1} s of flapping`);
    t.not(a.sourcePort(B, 4), port);
  }
  t.equal(a.stats().portsUp, upsBefore);
  // Now every probe gets through: back after exactly three answered probes in a row (with the
  // flapping history the window holds at most one earlier answer, and it must not count twice).
  net.drop = () => false;
  const okBefore = a.stats().repliesOk;
  let upAtReplies = -1;
  a.onEvent = (e) => { if (e.type === 'port-up' && e.sport === port) upAtReplies = a.stats().repliesOk; };
  net.clock.advance(3000);
  t.equal(a.ports(B)[4].state, 'good');
  t.ok(upAtReplies > okBefore, 'came back');
  // The 3 of 5 included an answer from the flapping, with losses between: an intermittent recovery,
  // so the port waits to restore (docs/health.md) and its flows return once it is failure-free for
  // waitToRestoreMs, not at once.
  t.equal(a.ports(B)[4].restoring, true, 'good, but waiting to restore');
  t.not(a.sourcePort(B, 4), port, 'its flows have not returned yet');
  let restoredAfter = -1;
  a.onEvent = (e) => { if (e.type === 'port-restored' && e.sport === port) restoredAfter = e.failureFreeMs!; };
  net.clock.advance(3000);
  t.equal(a.ports(B)[4].restoring, false);
  t.ok(restoredAfter >= 5000 && restoredAfter < 5000 + I, `restored once failure-free for 5 s (${restoredAfter} ms)`);
  t.equal(a.sourcePort(B, 4), port, 'its flows return to their default port');
});

t.test('a port answering 2 of every 3 probes recovers (3 of the last 5 answered, the latest included)', async (t) => {
  const { net, a } = pair();
  const port = CANDS[1];
  net.drop = blackHole(port);
  net.clock.advance(1500);
  t.equal(a.ports(B)[1].state, 'bad');
  let n = 0;
  net.drop = (from, _to, sp) => sp === port && from === A && n++ % 3 === 2;
  net.clock.advance(5 * I + 50);
  t.equal(a.ports(B)[1].state, 'good');
});

t.test('forged or malformed replies change nothing', async (t) => {
  const { net, a } = pair();
  const before = JSON.stringify(a.ports(B));
  const statsBefore = a.stats();
  const wrongKey = Uint8Array.from({ length: 16 }, (_, i) => i);
  const forge = (k: Uint8Array, sport: number, seq: number): Uint8Array => encodeProbe({
    type: 'reply', ctl: 0, origin: A, target: B, seq, sport, sendTsUs: 0, replyTsUs: 0, backendId: new Uint8Array(6),
  }, k);
  // A genuine reply seen on the wire earlier: replayed, and with its BackendID rewritten.
  const genuine = net.log.find((s) => s.from === B && s.to === A && decodeProbe(s.payload, SECRET).ok
    && (decodeProbe(s.payload, SECRET) as { ok: true; probe: { type: string } }).probe.type === 'reply')!.payload;
  const rewritten = Uint8Array.from(genuine); rewritten[40] = 0xee;
  const junk = [
    forge(wrongKey, CANDS[0], 1), forge(wrongKey, CANDS[3], 999), genuine, rewritten,
    genuine.subarray(0, 30), new Uint8Array(56), new Uint8Array(0), Uint8Array.from(genuine).fill(7, 4, 8),
  ];
  const events: ControlEvent[] = [];
  a.onEvent = (e) => events.push(e);
  net.drop = () => true; // no genuine traffic while we look
  for (const j of junk) a.onProbe(B, CANDS[0], j);
  t.equal(JSON.stringify(a.ports(B)), before, 'port states, groups and ranks unchanged');
  t.same(events, []);
  const s = a.stats();
  t.equal(s.badTags - statsBefore.badTags, 3, 'wrong key (2) and a rewritten BackendID (1)');
  t.equal(s.malformed - statsBefore.malformed, 4);
  t.equal(s.stale - statsBefore.stale, 1, 'the replay matches no outstanding probe');
  t.equal(s.repliesOk, statsBefore.repliesOk);
  // Forged requests get no answer.
  const sentBefore = a.stats().repliesSent;
  a.onProbe(B, CANDS[0], encodeProbe({ type: 'request', ctl: 0, origin: B, target: A, seq: 1, sport: CANDS[0], sendTsUs: 0, replyTsUs: 0, backendId: new Uint8Array(6) }, wrongKey));
  t.equal(a.stats().repliesSent, sentBefore);
});

t.test('forged replies cannot keep a black-holed port alive', async (t) => {
  const { net, a } = pair();
  const port = CANDS[6];
  const wrongKey = Uint8Array.from({ length: 16 }, () => 9);
  // The forger sees every request on the port and answers it at once, with the wrong key.
  net.drop = (from, _to, sp, payload) => {
    if (sp === port && from === A) {
      const view = new DataView(payload.buffer);
      const seq = view.getUint32(16);
      net.clock.setTimer(1, () => a.onProbe(B, port, encodeProbe({ type: 'reply', ctl: 0, origin: A, target: B, seq, sport: port, sendTsUs: 0, replyTsUs: 0, backendId: new Uint8Array(6) }, wrongKey)));
    }
    return sp === port;
  };
  net.clock.advance(1000);
  t.equal(a.ports(B)[6].state, 'bad');
  t.ok(a.stats().badTags >= 2);
});

t.test('on-demand probing: only active peers, partial probing of ports in use plus backups', async (t) => {
  const net = new TinyNet();
  const a = net.add(A, {}, { activeWindowMs: 2000, inUseWindowMs: 2000, backupPorts: 2 });
  net.add(B).addPeer(A, CANDS);
  a.addPeer(B, CANDS);
  a.start();
  net.clock.advance(5000);
  t.equal(a.stats().probesSent, 0, 'no tenant traffic: no probes');
  a.noteTenantTraffic(B);
  a.sourcePort(B, 3); // one flow, on candidate 3
  net.clock.advance(1500);
  const probed = new Set(net.log.filter((s) => s.from === A).map((s) => s.sport));
  t.ok(probed.has(CANDS[3]), 'the port in use is probed');
  t.equal(probed.size, 3, 'the port in use plus two backups, not all eight');
  const sent = a.stats().probesSent;
  net.clock.advance(5000); // traffic stops: probing stops once the peer is idle
  const after = a.stats().probesSent;
  net.clock.advance(5000);
  t.equal(a.stats().probesSent, after, 'an idle peer is not probed');
  t.ok(after > sent);
});

t.test('probes are spread over the interval, each port once per interval', async (t) => {
  const net = new TinyNet();
  const a = net.add(A, {}, { probeMode: 'full', candidates: 32 });
  const cands = Array.from({ length: 32 }, (_, i) => 49152 + 11 * i);
  a.addPeer(B, cands);
  a.noteTenantTraffic(B);
  a.start();
  net.clock.advance(10 * I);
  const sends = net.log.filter((s) => s.from === A);
  const perMs = new Map<number, number>();
  for (const s of sends) perMs.set(s.atMs, (perMs.get(s.atMs) ?? 0) + 1);
  t.ok(Math.max(...perMs.values()) <= 1, 'never two probes of one peer in the same instant');
  for (const port of cands) {
    const at = sends.filter((s) => s.sport === port).map((s) => s.atMs);
    t.ok(at.length >= 9, 'probed every interval');
    t.ok(at.slice(1).every((x, i) => x - at[i] === I), `port ${port} every ${I} ms`);
  }
});

t.test('a peer that never answers keeps the default choice and is never marked bad', async (t) => {
  const net = new TinyNet();
  const a = net.add(A, {}, { probeMode: 'full' });
  a.addPeer(B, CANDS); // B is a plain kernel VTEP: nobody answers
  a.addPeer(0x0a000003, CANDS, { probes: false });
  a.noteTenantTraffic(B); a.noteTenantTraffic(0x0a000003);
  a.start();
  net.clock.advance(10_000);
  t.ok(a.ports(B).every((p) => p.state === 'unknown'));
  for (let h = 0; h < 3 * N; h++) t.equal(a.sourcePort(B, h), CANDS[h % N], 'default choice');
  t.equal(net.log.filter((s) => s.to === 0x0a000003).length, 0, 'a peer with probes: false is not probed');
  t.equal(a.stats().portsDown, 0);
});

t.test('all candidates bad: the default choice is kept, sending goes on', async (t) => {
  const { net, a } = pair();
  net.drop = () => true;
  net.clock.advance(2000);
  t.ok(a.ports(B).every((p) => p.state === 'bad'));
  for (let h = 0; h < N; h++) t.equal(a.sourcePort(B, h), CANDS[h]);
  t.ok(a.stats().probesSent > 0);
});

t.test('configuration is validated', async (t) => {
  const net = new TinyNet();
  t.throws(() => net.add(A, {}, { probeIntervalMs: 0 }), /probeIntervalMs/);
  t.throws(() => net.add(A, {}, { recoverAnswered: 6 }), /recoverAnswered/);
  t.throws(() => net.add(A, { secret: new Uint8Array(3) }), /16 bytes/);
  const a = net.add(A);
  t.throws(() => a.addPeer(B, CANDS.slice(1)), /candidates/);
  t.throws(() => a.addPeer(B, CANDS.map(() => 50000)), /distinct/);
  t.throws(() => a.sourcePort(0x0b000000, 1), /unknown peer/);
});

t.test('stop() silences the prober, start() resumes it; a removed peer is no longer probed', async (t) => {
  const { net, a } = pair();
  a.stop();
  const sent = a.stats().probesSent;
  net.clock.advance(2000);
  t.equal(a.stats().probesSent, sent, 'stopped: nothing sent');
  a.start();
  net.clock.advance(1000);
  t.ok(a.stats().probesSent > sent, 'started again');
  t.ok(a.ports(B).every((p) => p.state === 'good'), 'no loss was counted for the pause');
  a.removePeer(B);
  const requestsFromA = (): number => net.log.filter((s) => s.from === A && verifyProbe(s.payload, SECRET) === 'request').length;
  const logged = requestsFromA();
  net.clock.advance(2000);
  t.equal(requestsFromA(), logged, 'removed peer: no more probes');
  t.equal(a.peerRow(B), undefined);
  t.throws(() => a.ports(B), /unknown peer/);
});

t.test('a full-mode peer idle for a moment is probed on all ports again when traffic resumes', async (t) => {
  const net = new TinyNet();
  const a = net.add(A, {}, { probeMode: 'full', activeWindowMs: 1000 });
  net.add(B).addPeer(A, CANDS);
  a.addPeer(B, CANDS);
  a.noteTenantTraffic(B);
  a.start();
  net.clock.advance(1150); // idle since 0: the window lapsed at 1000, part of the ports dropped out
  a.noteTenantTraffic(B);
  const from = net.clock.now();
  net.clock.advance(600);
  const probed = new Set(net.log.filter((s) => s.from === A && s.atMs >= from).map((s) => s.sport));
  t.equal(probed.size, N, 'every port back in the schedule');
});

t.test('30% random loss: flows return to a lossy port only after 5 s without loss or at a clean recovery; a port failing again soon is held', async (t) => {
  // Half the ports drop 30% of requests at random (a lossy path), 10 seeds x 60 s. By the rules (docs/health.md) flows
  // return to a port that was bad only when it is failure-free for 5 s (a held port coming back, or
  // the end of its wait to restore), or at a clean recovery (three unbroken answers after its last
  // loss: a random-loss port can look like a repaired black hole); a port that fails again within
  // 10 s of its last failure is held (flap damping).
  for (let seed = 1; seed <= 10; seed++) {
    const { net, a, events } = pair();
    const { Prng } = await import('../src/reference/prng.js');
    const r = new Prng(seed);
    const lossy = new Set(CANDS.filter((_, i) => i % 2 === 1));
    net.drop = (from, _to, sp) => from === A && lossy.has(sp) && r.u32() % 100 < 30;
    const t0 = net.clock.now();
    net.clock.advance(60_000);
    const ev = events.filter((e) => e.atMs > t0);
    const lastDown = new Map<number, number>();
    const clean: number[] = [], late: number[] = [];
    let waits = 0, refails = 0, refailsHeld = 0;
    for (const e of ev) {
      if (e.type === 'port-down') {
        const prev = lastDown.get(e.sport);
        if (prev !== undefined && e.atMs - prev < 9000) { refails++; if (e.held === true) refailsHeld++; }
        lastDown.set(e.sport, e.atMs);
      } else if (e.type === 'port-up' && e.waitToRestore === true) waits++;
      else if ((e.type === 'port-up' && e.held === true) || e.type === 'port-restored') late.push(e.failureFreeMs!);
      else if (e.type === 'port-up') clean.push(e.failureFreeMs!);
    }
    t.equal(refailsHeld, refails, `seed ${seed}: a port failing again within 9 s of its last failure is held (${refails})`);
    t.ok(clean.every((ms) => ms >= 2 * I), `seed ${seed}: flows went back at once only after three answers since the last loss (${clean.join(', ')})`);
    t.ok(late.every((ms) => ms >= 5000), `seed ${seed}: every other return came after 5 s without loss (${late.join(', ')})`);
    t.ok(ev.some((e) => e.type === 'port-down' && lossy.has(e.sport)), `seed ${seed}: lossy ports go down`);
    t.ok(!ev.some((e) => !lossy.has(e.sport)), `seed ${seed}: clean ports have no event`);
    t.comment(`seed ${seed}: ${ev.filter((e) => e.type === 'port-down').length} downs (${refails} within 9 s of the last); returns: ${clean.length} clean, ` +
      `${late.length} after 5 s failure-free; ${waits} intermittent recoveries waited to restore; over 60 s`);
  }
});

t.test('notePortUsed: a datapath that picks ports itself marks them in use, as sourcePort does', async (t) => {
  const run = (use: (a: VtepControl, k: number) => void): string => {
    const net = new TinyNet();
    const a = net.add(A, {}, { probeMode: 'partial', backupPorts: 1 });
    const b = net.add(B, {}, { probeMode: 'partial', backupPorts: 1 });
    a.addPeer(B, CANDS); b.addPeer(A, CANDS);
    a.start(); b.start();
    a.noteTenantTraffic(B);
    use(a, 5);
    net.clock.advance(1000);
    return JSON.stringify(a.ports(B).map((p) => p.probed));
  };
  // A flow hash that the table maps to candidate 5 (all ports healthy: candidates[hash mod N]).
  const viaLookup = run((a) => { t.equal(a.sourcePort(B, 5), CANDS[5]); });
  const viaNote = run((a, k) => { a.notePortUsed(a.peerRow(B)!, k); });
  t.equal(viaNote, viaLookup, 'the same ports are probed');
  t.equal(JSON.parse(viaNote)[5], true, 'the used port is probed');
  const untouched = run((a) => { a.notePortUsed(a.peerRow(B)!, -1); a.notePortUsed(a.peerRow(B)!, N); a.notePortUsed(99, 0); });
  t.equal(JSON.parse(untouched)[5], false, 'out-of-range candidates and rows are ignored');
});

t.test('partial probing: a port waiting to restore stays probed until its flows return', async (t) => {
  // In use only within 500 ms and no backups: while its flows are elsewhere, only waiting to
  // restore keeps the port probed.
  const { net, a } = pair({ probeMode: 'partial', backupPorts: 0, inUseWindowMs: 500 });
  const port = CANDS[2];
  // Fail it (two losses), then answer, lose, answer x3: good on 3 of 5, but intermittent.
  let n = 0;
  const pattern = 'llllalaaa';
  net.drop = (from, _to, sp, payload) => {
    if (sp !== port || from !== A) return false;
    const r = decodeProbe(payload, SECRET);
    return r.ok && r.probe.type === 'request' && (pattern[n++] ?? 'a') === 'l';
  };
  let restoredAt = -1;
  a.onEvent = (e) => { if (e.type === 'port-restored' && e.sport === port) restoredAt = net.clock.now(); };
  net.clock.advance(pattern.length * I + 50);
  const v = a.ports(B)[2];
  t.equal(v.state, 'good', 'good on 3 of 5');
  t.equal(v.restoring, true, 'waiting to restore');
  t.not(a.sourcePort(B, 2), port, 'its flows are still elsewhere');
  t.equal(v.probed, true, 'still probed in partial mode');
  net.clock.advance(6000);
  t.ok(restoredAt > 0, 'restored');
  t.equal(a.sourcePort(B, 2), port, 'its flows came back');
});

t.test('reply port: a failure of only the reverse path on a port no longer takes it out (replyPort both)', async (t) => {
  const port = CANDS[2];
  // B -> A on `port` is broken (B's requests and replies on it); A -> B on it is fine.
  const reverseOnly = (f: number, to: number, sp: number): boolean => f === B && to === A && sp === port;
  // Each probe judged by its own reply (receipts off): what the reply port alone does.
  const state = (mode: ControlConfig['replyPort'], receipts = false): { a: string; b: string; downs: number } => {
    const { net, a, b, events } = pair({ replyPort: mode, receipts });
    net.drop = reverseOnly;
    net.clock.advance(3000);
    return {
      a: a.ports(B).find((p) => p.sport === port)!.state,
      b: b.ports(A).find((p) => p.sport === port)!.state,
      downs: events.filter((e) => e.type === 'port-down').length,
    };
  };
  const both = state('both'), probed = state('probed'), alternate = state('alternate');
  t.equal(alternate.a, 'good', 'alternate: every other reply comes back on B\'s healthy port: never two losses in a row');
  t.equal(alternate.downs, 0, 'alternate: A marks nothing down');
  t.equal(both.a, 'good', "both: A's forward path on the port is good and A keeps it");
  t.equal(both.downs, 0, 'both: A marks nothing down');
  t.equal(both.b, 'bad', "both: B's own probes on the port cross the failure: B takes it out");
  t.equal(probed.a, 'bad', "probed: the replies on the probed port cross the failure: A takes it out needlessly");
  t.equal(probed.b, 'bad');
  // With receipts (the default) the replies to A's other ports report this port's requests as arrived.
  const probedRc = state('probed', true);
  t.equal(probedRc.a, 'good', "probed with receipts: A's forward path on the port is good and A keeps it");
  t.equal(probedRc.downs, 0, 'probed with receipts: A marks nothing down');
  t.equal(probedRc.b, 'bad', "probed with receipts: B's own requests on the port are lost: B takes it out");
});

t.test('reply port both: answered on the probed port and on the responder\'s healthy port, both counted', async (t) => {
  const { net, a, b } = pair({ replyPort: 'both' });
  const from = net.log.length;
  const bytesBefore = b.stats().probeBytes;
  net.clock.advance(1000);
  const replies = net.log.slice(from).filter((s) => s.from === B && verifyProbe(s.payload, SECRET) === 'reply');
  const onProbed = replies.filter((s) => s.sport === probeSport(s.payload));
  const other = replies.filter((s) => s.sport !== probeSport(s.payload));
  t.ok(onProbed.length > 0 && other.length > 0, `replies on the probed port (${onProbed.length}) and on another (${other.length})`);
  const healthy = new Set(other.map((s) => s.sport));
  t.equal(healthy.size, 1, 'the other is the responder\'s one best port');
  t.equal(b.ports(A).find((p) => p.sport === [...healthy][0])!.state, 'good', 'a port the responder holds good');
  const sentByB = net.log.slice(from).filter((s) => s.from === B).length;
  t.equal(b.stats().probeBytes - bytesBefore, sentByB * PROBE_WIRE_BYTES, 'probeBytes counts every request and reply sent');
  t.ok(a.ports(B).every((p) => p.state === 'good'));
  t.ok(a.stats().stale > 0, 'the second copy of a reply is stale at the prober (counted, ignored)');
});

t.test('reply port: the probed port when the responder knows no healthy port towards the prober', async (t) => {
  for (const mode of ['both', 'healthy'] as const) {
    const net = new TinyNet();
    const a = net.add(A, {}, { probeMode: 'full', replyPort: mode });
    net.add(B, {}, { probeMode: 'full', replyPort: mode }); // B has no peer state for A
    a.addPeer(B, CANDS);
    const traffic = (): void => { a.noteTenantTraffic(B); for (let h = 0; h < N; h++) a.sourcePort(B, h); net.clock.setTimer(100, traffic); };
    traffic();
    a.start();
    net.clock.advance(2000);
    const replies = net.log.filter((s) => s.from === B);
    t.ok(replies.length > 0);
    t.ok(replies.every((s) => s.sport === probeSport(s.payload)), `${mode}: every reply on the probed port`);
    t.ok(a.ports(B).every((p) => p.state === 'good'), `${mode}: every port validated`);
  }
});

t.test("reply port: when the responder's reply port breaks, the prober's other ports stay good", async (t) => {
  // Each probe judged by its own reply (receipts off), unless said.
  const run = (mode: ControlConfig['replyPort'], receipts = false): { otherDowns: number; lost: number; q: number } => {
    const { net, a, events } = pair({ replyPort: mode, receipts });
    const from = net.log.length;
    net.clock.advance(600);
    const q = net.log.slice(from).find((s) => s.from === B && verifyProbe(s.payload, SECRET) === 'reply'
      && s.sport !== probeSport(s.payload))?.sport ?? -1;
    // B -> A on B's reply port breaks.
    net.drop = (f, to, sp) => f === B && to === A && sp === q;
    const before = events.length, lostBefore = a.stats().probesLost;
    net.clock.advance(3000);
    return { otherDowns: events.slice(before).filter((e) => e.type === 'port-down' && e.sport !== q).length, lost: a.stats().probesLost - lostBefore, q };
  };
  const both = run('both'), healthy = run('healthy'), alternate = run('alternate');
  t.equal(alternate.otherDowns, 0, 'alternate: the replies on the probed port carry every other port');
  t.ok(both.q >= 0 && healthy.q >= 0, 'the responder answered on a port of its own');
  t.equal(both.otherDowns, 0, 'both: the copy on the probed port carries every other port');
  t.ok(healthy.lost > both.lost, `healthy: A lost replies on ports whose paths are fine (${healthy.lost} lost vs ${both.lost} with both)`);
  // B stops answering on a port after its own first lost probe there, so here A loses one reply per port.
  t.equal(healthy.otherDowns, 0, 'healthy: B leaves the broken reply port before A sees two losses in a row');
  const healthyRc = run('healthy', true);
  t.equal(healthyRc.otherDowns, 0, 'healthy with receipts: nothing else goes down');
  t.ok(healthyRc.lost < healthy.lost, `healthy with receipts: replies on B's other ports resolve the probes whose own reply was lost (${healthyRc.lost} lost vs ${healthy.lost})`);
});

t.test('reply port alternate: one reply per request, on the probed port and the healthy port in turn', async (t) => {
  const { net, a, b } = pair({ replyPort: 'alternate' });
  const from = net.log.length;
  const before = b.stats();
  net.clock.advance(1000);
  const replies = net.log.slice(from).filter((s) => s.from === B && verifyProbe(s.payload, SECRET) === 'reply');
  t.equal(replies.length, b.stats().repliesSent - before.repliesSent, 'one reply per request answered');
  const onProbed = replies.filter((s) => s.sport === probeSport(s.payload)).length;
  t.ok(onProbed > 0 && onProbed < replies.length, `some on the probed port (${onProbed} of ${replies.length}), the rest on B's port`);
  for (const r of replies) {
    const odd = (probeSeq(r.payload) & 1) === 1;
    if (!odd) t.equal(r.sport, probeSport(r.payload), 'even sequence: the probed port');
  }
  t.ok(a.ports(B).every((p) => p.state === 'good'));
});
