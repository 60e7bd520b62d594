// Partial probing on the virtual clock: only the ports in use and a few backups are probed, so most
// candidates stay unvalidated. When in-use ports fail, their flows must move to ports the probes
// have validated, never to a port nobody probed (SPEC: "switch ... to a pre-validated healthy port").
import t from 'tap';
import { VirtualClock } from '../src/control/clock.js';
import { VtepControl } from '../src/control/vtep.js';
import type { TableKind } from '../src/tables/index.js';
import { jhash2 } from '../bindings/jhash.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0x50 + i);
const A = 0x0a000001, B = 0x0a000002;
const N = 32;
const CANDS = Array.from({ length: N }, (_, i) => 51000 + 11 * i);

interface Outcome { moves: number; toUnvalidated: number; toBlackHoled: number; settledBad: number; validatedAtEnd: number }

/**
 * A probes B in partial mode with `flows` flows; at 3 s the ports of `failed` black-hole (both ways).
 * Every 50 ms each flow's port is read; a move is counted with the state of the port it moved to.
 */
function run(table: TableKind, flows: number, failed: (k: number) => boolean, seed: number): Outcome {
  const clock = new VirtualClock();
  const nodes = new Map<number, VtepControl>();
  let dead = new Set<number>();
  const mk = (ip: number): VtepControl => {
    const v = new VtepControl({
      clock, localIp: ip, secret: SECRET, table,
      config: { candidates: N, maxPeers: 4, probeMode: 'partial' },
      transport: {
        send: (to, sport, payload) => {
          if (dead.has(sport)) return;
          const copy = Uint8Array.from(payload);
          clock.setTimer(1, () => nodes.get(to)?.onProbe(ip, sport, copy));
        },
      },
    });
    nodes.set(ip, v);
    return v;
  };
  const a = mk(A), b = mk(B);
  a.addPeer(B, CANDS); b.addPeer(A, CANDS);
  const hashes = Array.from({ length: flows }, (_, i) => jhash2([i, seed], 7));
  const out: Outcome = { moves: 0, toUnvalidated: 0, toBlackHoled: 0, settledBad: 0, validatedAtEnd: 0 };
  let cur = hashes.map((h) => a.sourcePort(B, h));
  const sample = (): void => {
    a.noteTenantTraffic(B); b.noteTenantTraffic(A);
    const view = a.ports(B);
    const state = new Map(view.map((p) => [p.sport, p.state]));
    const anyGood = view.some((p) => p.state === 'good');
    hashes.forEach((h, i) => {
      const p = a.sourcePort(B, h);
      if (p === cur[i]) return;
      out.moves++;
      if (anyGood && state.get(p) !== 'good') out.toUnvalidated++;
      if (dead.has(p)) out.toBlackHoled++;
      cur[i] = p;
    });
    clock.setTimer(50, sample);
  };
  sample();
  a.start(); b.start();
  clock.advance(3000);
  dead = new Set(CANDS.filter((_, k) => failed(k)));
  clock.advance(5000);
  const view = a.ports(B);
  out.settledBad = cur.filter((p) => dead.has(p)).length;
  out.validatedAtEnd = view.filter((p) => p.state !== 'unknown').length;
  return out;
}

t.test('partial probing: flows of failed ports move only to validated ports', async (t) => {
  for (const table of ['pbm', 'hi'] as const) {
    let moves = 0, toUnvalidated = 0, toDead = 0, settledBad = 0, validated = 0;
    for (let seed = 1; seed <= 10; seed++) {
      // A third of the candidates black-holed, in a pattern that varies with the seed.
      const r = run(table, 6, (k) => (k * 7 + seed) % 3 === 0, seed);
      moves += r.moves; toUnvalidated += r.toUnvalidated; toDead += r.toBlackHoled; settledBad += r.settledBad;
      validated += r.validatedAtEnd;
    }
    t.ok(moves > 0, `${table}: flows moved off failed ports (${moves} moves over 10 runs)`);
    t.equal(toUnvalidated, 0, `${table}: no move went to a port that probes had not validated`);
    t.equal(settledBad, 0, `${table}: 5 s after the failure no flow is on a black-holed port`);
    t.comment(`${table}: ${moves} moves, ${toDead} onto ports black-holed but not yet detected; on average ${(validated / 10).toFixed(1)} of ${N} ports validated (partial probing)`);
  }
});

t.test('partial probing, redirect table: when few validated ports survive, flows spread only over them', async (t) => {
  // Two thirds of the candidates black-holed: fewer validated healthy ports than the spread S = 4,
  // which the spread must not fill with ports no probe has validated (those are mostly dead too).
  let moves = 0, toUnvalidated = 0, settledBad = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const r = run('redirect', 6, (k) => (k * 7 + seed) % 3 !== 0, seed);
    moves += r.moves; toUnvalidated += r.toUnvalidated; settledBad += r.settledBad;
  }
  t.ok(moves > 0, `flows moved off failed ports (${moves} moves over 10 runs)`);
  t.equal(toUnvalidated, 0, 'no move went to a port that probes had not validated');
  t.equal(settledBad, 0, '5 s after the failure no flow is on a black-holed port');
});
