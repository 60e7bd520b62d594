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

function run(table: TableKind, config: Partial<ControlConfig>): Outcome {
  const clock = new VirtualClock();
  const nodes = new Map<number, VtepControl>();
  let down = new Set<number>();
  const mk = (ip: number): VtepControl => {
    const v = new VtepControl({
      clock, localIp: ip, secret: SECRET, table,
      config: { candidates: N, maxPeers: 4, probeMode: 'full', ...config },
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
  down = new Set(FAILED);
  clock.advance(2000);
  const states = a.ports(B);
  let onFailed = 0, kept = 0, sameGroupExisted = 0;
  sessions.forEach((h, i) => {
    if (!FAILED.includes(before[i])) return;
    onFailed++;
    const now = a.sourcePort(B, h);
    if (states.some((p) => p.state === 'good' && instance(p.sport) === instance(before[i]))) sameGroupExisted++;
    if (instance(now) === instance(before[i]) && !FAILED.includes(now)) kept++;
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
  for (const m of [1, 8]) {
    const r = run('hi', { hiGroupSize: m });
    t.ok(r.onFailed > 100, `HI M=${m}: ${r.onFailed} sessions were on the failed ports`);
    t.equal(r.sameGroupExisted, r.onFailed);
    t.equal(r.kept, r.onFailed, `HI M=${m}: every one kept its middlebox instance`);
  }
  const shares: string[] = [];
  for (const kind of ['hi', 'pbm', 'flat'] as const) {
    const without = run(kind, { middleboxSensing: false });
    const withS = run(kind, { middleboxSensing: true });
    t.equal(without.groupsSeen, 1, 'without sensing every port is in group 0');
    if (kind === 'pbm') {
      // PBM's shifts are set at the peer's first failure and point only at healthy ports of the failed
      // port's group (tables.test.ts checks that on random peers). Stated bound here: at least 95% kept;
      // measured 100%: the second failed port reuses those shifts, which here are even offsets and so
      // also keep the alternating instance.
      t.ok(withS.kept >= 0.95 * withS.onFailed, `PBM with sensing keeps ${withS.kept} of ${withS.onFailed} (>= 95%)`);
      t.ok(without.kept < withS.kept, `PBM without sensing keeps fewer (${without.kept})`);
    }
    shares.push(`${kind}: ${(100 * withS.kept / withS.onFailed).toFixed(1)}% with sensing, ${(100 * without.kept / without.onFailed).toFixed(1)}% without`);
  }
  t.comment(`share of sessions on failed ports that kept their backend — ${shares.join('; ')}`);
});
