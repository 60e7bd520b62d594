// Saved port health (graceful restart) on the virtual clock: a restarted control plane that restores
// a fresh snapshot keeps its flows off the ports it knew bad, re-validates by probing, and refuses a
// stale, foreign or future snapshot; the state file is written atomically and read back leniently.
import t from 'tap';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../src/control/clock.js';
import { VtepControl } from '../src/control/vtep.js';
import { decodeHealthState, encodeHealthState } from '../src/control/health-state.js';
import { readHealthFile, writeHealthFile } from '../src/control/state-file.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
const A = 0x0a000001, B = 0x0a000002;
const N = 8;
const CANDS = Array.from({ length: N }, (_, i) => 51000 + 11 * i);
/** Wall clock = EPOCH + virtual clock: ages on both agree exactly. */
const EPOCH = 1_764_000_000_000;
const BAD = [2, 5];

/** A and B on one virtual clock; `down(sport)` black-holes a port in both directions. */
function lab() {
  const clock = new VirtualClock();
  const nodes = new Map<number, VtepControl>();
  let down = (_sport: number): boolean => false;
  const make = (ip: number): VtepControl => {
    const v = new VtepControl({
      clock, localIp: ip, secret: SECRET, table: 'redirect',
      transport: { send: (to, sport, payload) => { if (!down(sport)) { const c = Uint8Array.from(payload); clock.setTimer(1, () => nodes.get(to)?.onProbe(ip, sport, c)); } } },
      config: { candidates: N, maxPeers: 16, probeMode: 'full' },
    });
    nodes.set(ip, v);
    v.addPeer(ip === A ? B : A, CANDS);
    return v;
  };
  const b = make(B);
  let a = make(A);
  // Tenant traffic both ways every 50 ms, one flow per candidate (hash h -> default candidate h).
  const traffic = (): void => {
    const x = nodes.get(A)!;
    x.noteTenantTraffic(B); b.noteTenantTraffic(A);
    for (let h = 0; h < N; h++) x.sourcePort(B, h);
    clock.setTimer(50, traffic);
  };
  traffic();
  a.start(); b.start();
  return {
    clock, b,
    get a() { return a; },
    setDown(f: (sport: number) => boolean) { down = f; },
    /** A's process ends and a new one starts at once (same address, same peers). */
    restart(): VtepControl { a.stop(); a = make(A); return a; },
  };
}

const badPorts = BAD.map((k) => CANDS[k]!);
const isBad = (sport: number): boolean => badPorts.includes(sport);

/** Tenant outage (ms, virtual) of A's flows towards B over the window: time during which some flow's port is bad, sampled every 10 ms. */
function outageAfter(l: ReturnType<typeof lab>, windowMs: number): number {
  let out = 0;
  for (let t0 = 0; t0 < windowMs; t0 += 10) {
    let anyOut = false;
    for (let h = 0; h < N; h++) if (isBad(l.a.sourcePort(B, h))) anyOut = true;
    if (anyOut) out += 10;
    l.clock.advance(10);
  }
  return out;
}

t.test('a restart with a fresh snapshot keeps flows off known-bad ports; without it they wait for detection', async (t) => {
  const l = lab();
  l.clock.advance(2000);
  l.setDown(isBad);
  l.clock.advance(3000);
  for (const k of BAD) t.equal(l.a.ports(B)[k]!.state, 'bad', `port ${k} detected bad before the restart`);
  const before = l.a.ports(B);
  const snap = l.a.saveHealth(EPOCH + l.clock.now());
  t.same(decodeHealthState(encodeHealthState(snap)), snap, 'the JSON text round-trips');

  // With the snapshot, restored before start: the tables are right from the first packet.
  const a2 = l.restart();
  a2.stop();
  const r = a2.restoreHealth(snap, EPOCH + l.clock.now(), 30_000);
  t.match(r, { restored: true, peers: 1, ports: N, skippedPeers: 0 });
  t.same(a2.ports(B).map((p) => [p.state, p.failureFreeSince]), before.map((p) => [p.state, p.failureFreeSince]), 'states and ranks restored exactly');
  for (let h = 0; h < N; h++) t.notOk(isBad(a2.sourcePort(B, h)), `flow ${h} avoids the bad ports before any probe`);
  a2.start();
  const withState = outageAfter(l, 3000);
  t.equal(withState, 0, 'tenant outage with saved state: 0 ms (virtual clock)');
  for (const k of BAD) t.equal(l.a.ports(B)[k]!.state, 'bad', `port ${k} still bad: re-validation by probing agrees`);

  // Without it: unknown ports are usable, flows hashed onto the bad ports stay there until two probes are lost.
  const a3 = l.restart();
  t.ok(a3.ports(B).every((p) => p.state === 'unknown'), 'a cold start knows nothing');
  a3.start();
  const cold = outageAfter(l, 3000);
  t.ok(cold > 0 && cold < 2000, `tenant outage without saved state: ${cold} ms (virtual clock)`);
  t.comment(`restart on the virtual clock: tenant outage ${withState} ms with saved state, ${cold} ms without`);
});

t.test('restored ports are re-validated: a port that failed while the agent was down turns bad by probing; a repaired one returns', async (t) => {
  const l = lab();
  l.clock.advance(2000);
  l.setDown((s) => s === CANDS[2]);
  l.clock.advance(3000);
  const snap = l.a.saveHealth(EPOCH + l.clock.now());
  l.a.stop();
  // While A is down, port 2 is repaired and port 6 fails.
  l.clock.advance(1000);
  l.setDown((s) => s === CANDS[6]);
  const a2 = l.restart();
  a2.stop();
  t.ok(a2.restoreHealth(snap, EPOCH + l.clock.now(), 30_000).restored);
  t.equal(a2.ports(B)[2]!.state, 'bad');
  t.equal(a2.ports(B)[6]!.state, 'good');
  const t0 = l.clock.now();
  a2.start();
  let downAt = -1, upAt = -1;
  while (l.clock.now() - t0 < 5000 && (downAt < 0 || upAt < 0)) {
    l.clock.advance(10);
    if (downAt < 0 && a2.ports(B)[6]!.state === 'bad') downAt = l.clock.now() - t0;
    if (upAt < 0 && a2.ports(B)[2]!.state === 'good') upAt = l.clock.now() - t0;
  }
  t.ok(downAt > 0 && downAt <= 1000, `the restored-good port that failed meanwhile is bad ${downAt} ms after start`);
  t.ok(upAt > 0 && upAt <= 2000, `the restored-bad port that was repaired is good ${upAt} ms after start (3 of 5)`);
});

t.test('a snapshot too old, from the future, from another VTEP, or for changed candidates is not restored', async (t) => {
  const l = lab();
  l.clock.advance(2000);
  l.setDown(isBad);
  l.clock.advance(2000);
  const at = EPOCH + l.clock.now();
  const snap = l.a.saveHealth(at);
  const fresh = (): VtepControl => { const v = l.restart(); v.stop(); return v; };
  t.match(fresh().restoreHealth(snap, at + 30_001, 30_000), { restored: false, reason: 'stale', ageMs: 30_001 });
  t.match(fresh().restoreHealth(snap, at + 30_000, 30_000), { restored: true }, 'exactly max age is fresh enough');
  t.match(fresh().restoreHealth(snap, at - 60_000, 30_000), { restored: false, reason: 'future' });
  t.match(fresh().restoreHealth({ ...snap, localIp: 0x0a0000ff }, at, 30_000), { restored: false, reason: 'other-vtep' });
  const moved = { ...snap, peers: snap.peers.map((p) => ({ ...p, candidates: p.candidates.map((c) => c + 1) })) };
  const v = fresh();
  t.match(v.restoreHealth(moved, at, 30_000), { restored: false, skippedPeers: 1 });
  t.ok(v.ports(B).every((p) => p.state === 'unknown'), 'nothing restored into a peer whose candidates changed');
});

t.test('the state file: atomic, owner-only, read back; missing and damaged files are reported, not thrown', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zr-health-'));
  const path = join(dir, 'health.json');
  t.match(readHealthFile(path), { missing: true });
  const l = lab();
  l.clock.advance(2000);
  const s1 = l.a.saveHealth(EPOCH + l.clock.now());
  writeHealthFile(path, s1);
  t.equal(statSync(path).mode & 0o777, 0o600, 'mode 0600');
  l.clock.advance(1000);
  const s2 = l.a.saveHealth(EPOCH + l.clock.now());
  writeHealthFile(path, s2);
  t.same(readHealthFile(path), { snapshot: s2 }, 'the second write replaced the first');
  t.same(readdirSync(dir), ['health.json'], 'no temporary file left behind');
  writeFileSync(path, '{"format":"zooroute-health","version":1,"savedAtEpochMs":1,"localIp":"10.0.0.1","peers":[');
  t.match(readHealthFile(path), { error: /not valid JSON/ });
  writeFileSync(path, JSON.stringify({ format: 'zooroute-health', version: 2 }));
  t.match(readHealthFile(path), { error: /version 2/ });
  const text = encodeHealthState(s2).replace('"state":"good"', '"state":"great"');
  writeFileSync(path, text);
  t.match(readHealthFile(path), { error: /peers\[0\]\.ports\[0\]\.state/ });
  t.throws(() => writeHealthFile(join(dir, 'no', 'such', 'dir', 'h.json'), s2), /ENOENT/);
});
