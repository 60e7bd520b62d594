// ProbeNetwork.post (flat path table, cached survival, closure-free events) delivers exactly what
// ProbeNetwork.send does: the same packets lost (same draws), the same arrival times, the same payloads,
// on an EventQueue or a VirtualClock, across link-state changes.
import t from 'tap';
import { parseScenario } from '../src/sim/scenario.js';
import { buildWorld } from '../src/sim/world.js';
import { ProbeNetwork, PROBE_OVERHEAD_BYTES } from '../src/sim/engine.js';
import type { Vtep } from '../src/sim/world.js';
import { EventQueue, type EventSink } from '../src/sim/event-queue.js';
import { Prng } from '../src/sim/prng.js';
import { VirtualClock } from '../src/control/clock.js';

const world = buildWorld(parseScenario({
  name: 'pn', durationMs: 10000,
  topology: { kind: 'two-region', regions: [{ name: 'A', leaves: 3, spines: 2 }, { name: 'B', leaves: 3, spines: 2 }], borderRouters: 2 },
  vteps: [
    { name: 'a', count: 12, ip: '10.0.0.1', region: 'A', inner: ['192.168.0.0/24'] },
    { name: 'b', count: 12, ip: '10.1.0.1', region: 'B', inner: ['192.169.0.0/24'] },
  ],
  traffic: { generator: { maxPeerShare: 0.5 } },
}), 7);

type Arrival = string;

/**
 * What ProbeNetwork does, written plainly from the cached Underlay.path and latency() and the link
 * arrays as they are now: the reference its flat tables and combined loop must match.
 */
class ModelNetwork {
  packets = 0;
  bytes = 0;
  lost = 0;
  constructor(private readonly clock: VirtualClock | EventQueue, private readonly rng: Prng) {}
  send(from: Vtep, to: Vtep, sport: number, payload: Uint8Array, survive: Float64Array, keep: Float64Array, sink: EventSink<Uint8Array>): void {
    this.packets++;
    this.bytes += payload.length + PROBE_OVERHEAD_BYTES;
    const path = world.underlay.path(from.node, to.node, sport);
    let q = path.length > 0 ? 1 : 0;
    for (const l of path) q *= survive[l] * keep[l];
    if (this.rng.next() >= q) { this.lost++; return; }
    const copy = payload.slice();
    this.clock.setTimer(world.underlay.latency(path), () => sink.fire(from.index, to.index, sport, copy));
  }
}

function play(kind: 'send' | 'post' | 'postIndex' | 'model', clock: VirtualClock | EventQueue): { log: Arrival[]; packets: number; bytes: number; lost: number } {
  const L = world.graph.linkCount;
  const survive = new Float64Array(L).fill(1), keep = new Float64Array(L).fill(1);
  const net = new ProbeNetwork(world, clock, survive, keep, new Prng(world.seed, 2));
  const log: Arrival[] = [];
  const model = new ModelNetwork(clock, new Prng(world.seed, 2));
  const sink: EventSink<Uint8Array> = { fire: (a, b, sport, p) => log.push(`${a}>${b}:${sport}@${clock.now()}:${p.join(',')}`) };
  const rng = new Prng(99, 1);
  const payload = new Uint8Array(8);
  for (let step = 0; step < 3000; step++) {
    if (step % 100 === 0) {
      // New link state, as the engine writes it each bin: random losses and capacity shares.
      for (let l = 0; l < L; l++) { survive[l] = rng.next() < 0.2 ? rng.next() : 1; keep[l] = rng.next() < 0.1 ? 0.5 + rng.next() / 2 : 1; }
      net.linkStateChanged();
      clock.runUntil(clock.now() + 100);
    }
    const from = world.vteps[rng.int(world.vteps.length)], to = world.vteps[rng.int(world.vteps.length)];
    if (from === to) continue;
    // A candidate of the peer (requests) or any port of the range (replies on the responder's port).
    const c = world.candidates(to.ip);
    const sport = rng.next() < 0.8 ? c[rng.int(c.length)] : 49152 + rng.int(16384);
    payload[0] = step & 0xff; payload[1] = step >> 8;
    if (kind === 'send') net.send(from, to, sport, payload, (p) => sink.fire(from.index, to.index, sport, p));
    else if (kind === 'post') net.post(from, to, sport, payload, sink);
    else if (kind === 'postIndex') net.postIndex(from.index, to.index, sport, payload, sink);
    else model.send(from, to, sport, payload, survive, keep, sink);
    payload.fill(0xee); // the sender reuses its buffer: what arrives is what was sent
  }
  clock.runUntil(clock.now() + 1000);
  if (kind === 'model') return { log, packets: model.packets, bytes: model.bytes, lost: model.lost };
  return { log, packets: net.packets, bytes: net.bytes, lost: net.lost };
}

t.test('post delivers what send delivers, on either clock', async (t) => {
  const ref = play('send', new VirtualClock());
  t.ok(ref.log.length > 1000 && ref.lost > 100, `some arrive (${ref.log.length}), some are lost (${ref.lost})`);
  for (const [name, got] of [
    ['post on EventQueue', play('post', new EventQueue())],
    ['post on VirtualClock', play('post', new VirtualClock())],
    ['send on EventQueue', play('send', new EventQueue())],
    ['postIndex on EventQueue', play('postIndex', new EventQueue())],
    ['the plain model (Underlay.path) on EventQueue', play('model', new EventQueue())],
  ] as const) {
    t.same(got, ref, name);
  }
});
