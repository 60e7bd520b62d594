// Middlebox sensing on the virtual clock: a stateful middlebox with two instances sits on the path
// and writes its MAC as BackendID into probe requests; the source groups ports by it, and when a
// port fails, its sessions move to a healthy port of the same group (same instance: no reset).
import t from 'tap';
import { VirtualClock } from '../src/control/clock.js';
import { VtepControl } from '../src/control/vtep.js';
import { writeBackendId } from '../src/control/probe-codec.js';
import type { ControlConfig } from '../src/control/config.js';
import type { TableKind } from '../src/tables/index.js';
import { jhash2 } from '../bindings/jhash.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0x70 + i);
const A = 0x0a000001, B = 0x0a000002;
const N = 16;
const CANDS = Array.from({ length: N }, (_, i) => 55000 + 13 * i);
const FAILED = [CANDS[2], CANDS[11]]; // one port in each HI entry of M = 8
const MACS = [Uint8Array.from([2, 0xaa, 0, 0, 0, 1]), Uint8Array.from([2, 0xaa, 0, 0, 0, 2])];
/**
 * The middlebox instance an outer 5-tuple lands on (only the source port varies here): alternate
 * candidates on alternate instances, so that the ring neighbour of a failed port is always on the
 * other instance and a choice blind to BackendID visibly changes instances.
 */
const instance = (sport: number): number => CANDS.indexOf(sport) & 1;

interface Outcome { onFailed: number; kept: number; sameGroupExisted: number; groupsSeen: number }

/** `failed` go down in order, `staggerMs` apart (0: at once); sessions are counted on all of them. */
function run(table: TableKind, config: Partial<ControlConfig>, failed: readonly number[] = FAILED, staggerMs = 0): Outcome {
  const clock = new VirtualClock();
  const nodes = new Map<number, VtepControl>();
  let down = new Set<number>();
  const mk = (ip: number): VtepControl => {
    const v = new VtepControl({
      clock, localIp: ip, secret: SECRET, table,
      // freshTargets off unless said: the instance layout above makes a blind choice visible through
      // the ring neighbour, which is what ties fall back to; fresh targets rank by recency instead,
      // which this layout does not control. Sensing with fresh targets on is checked on its own below.
      config: { candidates: N, maxPeers: 4, probeMode: 'full', freshTargets: false, ...config },
      transport: {
        send: (to, sport, payload) => {
          if (down.has(sport)) return;
          const copy = Uint8Array.from(payload);
          if (ip === A) writeBackendId(copy, MACS[instance(sport)]); // the middlebox on A -> B
          clock.setTimer(1, () => nodes.get(to)?.onProbe(ip, sport, copy));
        },
      },
    });
    nodes.set(ip, v);
    return v;
  };
  const a = mk(A), b = mk(B);
  a.addPeer(B, CANDS); b.addPeer(A, CANDS);
  const sessions = Array.from({ length: 2000 }, (_, i) => jhash2([i], 99));
  const traffic = (): void => {
    a.noteTenantTraffic(B); b.noteTenantTraffic(A);
    for (const h of sessions) a.sourcePort(B, h);
    clock.setTimer(200, traffic);
  };
  traffic();
  a.start(); b.start();
  clock.advance(3000);
  const groupsSeen = new Set(a.ports(B).map((p) => p.group)).size;
  const before = sessions.map((h) => a.sourcePort(B, h));
  for (const sport of failed) {
    down = new Set([...down, sport]);
    if (staggerMs > 0) clock.advance(staggerMs);
  }
  clock.advance(2000);
  const states = a.ports(B);
  let onFailed = 0, kept = 0, sameGroupExisted = 0;
  sessions.forEach((h, i) => {
    if (!failed.includes(before[i])) return;
    onFailed++;
    const now = a.sourcePort(B, h);
    if (states.some((p) => p.state === 'good' && instance(p.sport) === instance(before[i]))) sameGroupExisted++;
    if (instance(now) === instance(before[i]) && !failed.includes(now)) kept++;
  });
  return { onFailed, kept, sameGroupExisted, groupsSeen };
}

t.test('ports are grouped by the BackendID their probes came back with', async (t) => {
  const r = run('hi', {});
  t.equal(r.groupsSeen, 2, 'two middlebox instances, two groups');
});

t.test('sessions on a failed port keep their backend when a same-group healthy port exists', async (t) => {
  const without = run('hi', { middleboxSensing: false });
  t.ok(without.kept < without.onFailed, `without sensing some sessions change instance (${without.kept} of ${without.onFailed} kept)`);
  const fresh = run('hi', { freshTargets: true });
  t.equal(fresh.kept, fresh.onFailed, `HI with the default fresh targets: every one kept its instance (${fresh.kept} of ${fresh.onFailed})`);
  for (const m of [1, 8]) {
    const r = run('hi', { hiGroupSize: m });
    t.ok(r.onFailed > 100, `HI M=${m}: ${r.onFailed} sessions were on the failed ports`);
    t.equal(r.sameGroupExisted, r.onFailed);
    t.equal(r.kept, r.onFailed, `HI M=${m}: every one kept its middlebox instance`);
  }
  const shares: string[] = [];
  for (const kind of ['hi', 'pbm', 'flat', 'redirect'] as const) {
    const without = run(kind, { middleboxSensing: false });
    const withS = run(kind, { middleboxSensing: true });
    t.equal(without.groupsSeen, 1, 'without sensing every port is in group 0');
    if (kind === 'pbm') {
      // PBM has G starts per peer, written at its first failure towards healthy ports of the failed
      // port's BackendID group, and shared by its later failures: those keep their instance when they
      // are in the same group. FAILED spans both instances, so only the first failed port's sessions
      // are sure to keep theirs; the test below fails two ports of one instance.
      const first = run(kind, { middleboxSensing: true }, [FAILED[0]!]);
      t.equal(first.kept, first.onFailed, `PBM with sensing: every session of the first failed port keeps its instance (${first.kept} of ${first.onFailed})`);
      const firstWithout = run(kind, { middleboxSensing: false }, [FAILED[0]!]);
      t.ok(firstWithout.kept < first.kept, `PBM without sensing keeps fewer of them (${firstWithout.kept})`);
      const sameInstance = [CANDS[2]!, CANDS[6]!]; // both on instance 0, failing 1 s apart
      const same = run(kind, { middleboxSensing: true }, sameInstance, 1000);
      t.equal(same.kept, same.onFailed, `PBM: two failed ports of one instance, every session keeps it (${same.kept} of ${same.onFailed})`);
      t.comment(`PBM, two failed ports on different instances: ${(100 * withS.kept / withS.onFailed).toFixed(1)}% kept with sensing (the second port's sessions follow the first's group)`);
    }
    if (kind === 'redirect') {
      // Redirect gives every failed port its own targets in its own BackendID group: the sessions of
      // both failed ports (one per instance) keep their instance, at once or staggered.
      t.ok(withS.onFailed > 100, `redirect: ${withS.onFailed} sessions were on the failed ports`);
      t.equal(withS.sameGroupExisted, withS.onFailed);
      t.equal(withS.kept, withS.onFailed, `redirect with sensing: every session keeps its instance (${withS.kept} of ${withS.onFailed})`);
      const staggered = run(kind, { middleboxSensing: true }, FAILED, 1000);
      t.equal(staggered.kept, staggered.onFailed, `redirect, failures 1 s apart: every session keeps its instance (${staggered.kept} of ${staggered.onFailed})`);
      t.ok(without.kept < without.onFailed, `redirect without sensing: ${without.kept} of ${without.onFailed} kept`);
    }
    shares.push(`${kind}: ${(100 * withS.kept / withS.onFailed).toFixed(1)}% with sensing, ${(100 * without.kept / without.onFailed).toFixed(1)}% without`);
  }
  t.comment(`share of sessions on failed ports that kept their backend — ${shares.join('; ')}`);
});
