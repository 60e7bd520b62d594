// Where zooroute's outage comes from: runs a scenario's zooroute mode over seeds, records every flow's
// per-segment ports and per-bin losses (SimulateOptions-style observer on the policy), recomputes the
// engine's link state per bin, and puts each out bin (a flow losing > 50% in a 100 ms bin) in one cause:
//   detection   the flow is still on the port it had when that port's path went bad (not yet moved)
//   moved-bad   the flow was moved onto a port whose path was already bad when it moved
//   next-fail   the flow was moved onto a port that was fine then and went bad later (still on it)
//   capacity    failure loss alone would deliver >= 50%: the link capacity model dropped the rest
//   chance      the path's delivery probability is >= 50% with capacity too: a binomial draw
// It also counts port-down events whose forward path was fine (the reply's reverse path lost the
// probes) and the detection delay from a port's path going bad to its port-down event.
//
//   node --import tsx scripts/outage-breakdown.ts --scenario examples/X.json --seeds 1-8 \
//     [--control '{"reprobeOnLoss":true}'] [--json]
// Prints per seed: outage, masked, and the causes; then the medians over seeds.
import { readFileSync } from 'node:fs';
import { VirtualClock } from '../src/control/clock.js';
import type { ControlEvent } from '../src/control/vtep.js';
import type { ControlConfig } from '../src/control/config.js';
import { parseScenario } from '../src/sim/scenario.js';
import { buildWorld, BIN_MS, type World } from '../src/sim/world.js';
import { runMode, type PortPolicy } from '../src/sim/engine.js';
import { zooroutePolicy, type ZooroutePolicy } from '../src/sim/zooroute-mode.js';
import { fillSurvival } from '../src/sim/failures.js';

const CAUSES = ['detection', 'moved-bad', 'next-fail', 'capacity', 'chance'] as const;
type Cause = typeof CAUSES[number];

export interface Breakdown {
  seed: number;
  outageSeconds: number;
  failures: number;
  masked: number;
  /** Out seconds per cause. */
  causes: Record<Cause, number>;
  portDowns: number;
  /** port-down events whose forward (data-direction) path delivered >= 50% at the time. */
  reverseOnlyDowns: number;
  /** ms from a used port's path going bad to its port-down, median and p90 over such ports. */
  detectMedianMs: number;
  detectP90Ms: number;
  /** Moves during failures, and how many landed on a port whose path was bad at the time. */
  moves: number;
  movesToBad: number;
}

function parseSeeds(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (m) for (let i = Number(m[1]); i <= Number(m[2]); i++) out.push(i);
    else out.push(Number(part));
  }
  return out;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
  return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
}

/** One seed of the zooroute mode with `control` overrides, broken down. */
export function breakdown(world: World, control: Partial<ControlConfig>, traceFlow?: number): Breakdown {
  const g = world.graph, L = g.linkCount, flows = world.flows;
  const bins = Math.ceil(world.durationMs / BIN_MS);
  const nSeg = flows.map((f) => f.segments.length);
  // ports[f][b * segs + k]: the port segment k used in bin b (-1: no packet sent)
  const ports = flows.map((f) => new Int32Array(bins * f.segments.length).fill(-1));
  const sent = flows.map(() => new Float64Array(bins));
  const lost = flows.map(() => new Float64Array(bins));
  const downs: { from: number; to: number; sport: number; atMs: number }[] = [];
  const events: { from: number; to: number; sport: number; atMs: number; type: string }[] = [];
  const outBins = new Float64Array(flows.length);
  let zp: ZooroutePolicy | undefined;
  const wrapped = new Set<object>();
  const clock = new VirtualClock();
  const out = runMode(world, clock, (ctx) => {
    const p = (zp = zooroutePolicy(ctx, control));
    const obs: PortPolicy = {
      ...p,
      port(flow, k, seg) {
        const port = p.port(flow, k, seg);
        const b = Math.floor(ctx.clock.now() / BIN_MS);
        ports[flow.id]![b * nSeg[flow.id]! + k] = port;
        if (world.vteps[seg.from]!.probes) {
          const c = p.controlFor(seg);
          if (!wrapped.has(c)) {
            wrapped.add(c);
            const inner = c.onEvent;
            c.onEvent = (e: ControlEvent) => {
              inner?.(e);
              const to = world.vtepByIp.get(e.peerIp);
              if (to && e.type === 'port-down') downs.push({ from: seg.from, to: to.index, sport: e.sport, atMs: e.atMs });
              if (to) events.push({ from: seg.from, to: to.index, sport: e.sport, atMs: e.atMs, type: e.type });
            };
          }
        }
        return port;
      },
      afterBin(flow, s, l, endMs) {
        const b = Math.round(endMs / BIN_MS) - 1;
        sent[flow.id]![b] = s; lost[flow.id]![b] = l;
        p.afterBin?.(flow, s, l, endMs);
      },
    };
    return obs;
  });
  void zp;

  // Recompute per bin the link survival (failures only) and the capacity keep, as engine.ts does.
  const survive = new Float64Array(L), keep = new Float64Array(L), load = new Float64Array(L);
  const capBits = Float64Array.from(g.capacityMbps, (c) => c * 1e6 * (BIN_MS / 1000));
  const pathOf = (f: number, k: number, port: number): Int32Array => {
    const s = flows[f]!.segments[k]!;
    return world.underlay.path(world.vteps[s.from]!.node, world.vteps[s.to]!.node, port);
  };
  const segQ = (p: Int32Array, useKeep: boolean): number => {
    let q = p.length > 0 ? 1 : 0;
    for (const l of p) q *= survive[l]! * (useKeep ? keep[l]! : 1);
    return q;
  };
  const causes: Record<Cause, number> = { detection: 0, 'moved-bad': 0, 'next-fail': 0, capacity: 0, chance: 0 };
  // Per (flow, seg): when the current port was taken, and whether its path was bad then.
  const takenAt = flows.map((f) => new Int32Array(f.segments.length).fill(-1));
  const takenBad = flows.map((f) => new Uint8Array(f.segments.length));
  const takenDuringFailure = flows.map((f) => new Uint8Array(f.segments.length));
  const prevPort = flows.map((f) => new Int32Array(f.segments.length).fill(-1));
  let moves = 0, movesToBad = 0;
  // (from, to, sport) -> bin its forward or reverse path went bad (for detection delay)
  const badSince = new Map<string, number>();
  const detectMs: number[] = [];
  const failureActive = (t: number): boolean => world.failures.some((x) => t >= x.startMs && t < x.endMs);
  const downsByBin = new Map<number, typeof downs>();
  for (const d of downs) {
    const b = Math.floor(d.atMs / BIN_MS);
    downsByBin.set(b, [...(downsByBin.get(b) ?? []), d]);
  }
  let reverseOnlyDowns = 0;
  for (let b = 0; b < bins; b++) {
    const t = b * BIN_MS;
    fillSurvival(g, world.failures, t, survive);
    keep.fill(1);
    for (let round = 0; round < 3; round++) {
      load.fill(0);
      for (let f = 0; f < flows.length; f++) {
        let bits = sent[f]![b]! * flows[f]!.packetBytes * 8;
        if (bits === 0) continue;
        for (let k = 0; k < nSeg[f]!; k++) {
          const port = ports[f]![b * nSeg[f]! + k]!;
          if (port < 0) continue;
          for (const l of pathOf(f, k, port)) { load[l] += bits; bits *= survive[l]! * keep[l]!; }
        }
      }
      for (let l = 0; l < L; l++) keep[l] = load[l]! > capBits[l]! ? capBits[l]! / load[l]! : 1;
    }
    for (const d of downsByBin.get(b) ?? []) {
      const a = world.vteps[d.from]!, z = world.vteps[d.to]!;
      const fwd = segQ(world.underlay.path(a.node, z.node, d.sport), true);
      if (fwd >= 0.5) reverseOnlyDowns++;
      const key = `${d.from}/${d.to}/${d.sport}`;
      const since = badSince.get(key);
      if (since !== undefined) { detectMs.push(d.atMs - since * BIN_MS); badSince.delete(key); }
    }
    for (let f = 0; f < flows.length; f++) {
      const n = sent[f]![b]!;
      if (n === 0) continue;
      let qFail = 1, qAll = 1, worstK = -1, worstQ = 2;
      for (let k = 0; k < nSeg[f]!; k++) {
        const port = ports[f]![b * nSeg[f]! + k]!;
        const s = flows[f]!.segments[k]!;
        const p = pathOf(f, k, port);
        const qf = segQ(p, false);
        const a = world.vteps[s.from]!, z = world.vteps[s.to]!;
        const qr = segQ(world.underlay.path(z.node, a.node, port), false);
        const key = `${s.from}/${s.to}/${port}`;
        if ((qf < 0.5 || qr < 0.5) && !badSince.has(key)) badSince.set(key, b);
        if (qf >= 0.5 && qr >= 0.5) badSince.delete(key);
        qFail *= qf; qAll *= segQ(p, true);
        if (qf < worstQ) { worstQ = qf; worstK = k; }
        if (port !== prevPort[f]![k]) {
          if (prevPort[f]![k] >= 0 && failureActive(t)) {
            moves++;
            if (qf < 0.5) movesToBad++;
            takenDuringFailure[f]![k] = 1;
          } else takenDuringFailure[f]![k] = 0;
          prevPort[f]![k] = port;
          takenAt[f]![k] = b;
          takenBad[f]![k] = qf < 0.5 ? 1 : 0;
        }
      }
      if (lost[f]![b]! * 2 <= n) continue;
      let cause: Cause;
      if (qAll >= 0.5) cause = 'chance';
      else if (qFail >= 0.5) cause = 'capacity';
      else if (takenDuringFailure[f]![worstK] === 0) cause = 'detection';
      else cause = takenBad[f]![worstK] === 1 ? 'moved-bad' : 'next-fail';
      causes[cause] += BIN_MS / 1000;
      outBins[f]++;
    }
  }
  if (traceFlow !== undefined) {
    const f = traceFlow >= 0 ? traceFlow : outBins.indexOf(Math.max(...outBins));
    const fl = flows[f]!;
    console.log(`flow ${f} segments ${fl.segments.map((s) => `${world.vteps[s.from]!.name}->${world.vteps[s.to]!.name}`).join(' ')} out ${outBins[f]! / 10} s`);
    let last = '';
    for (let b = 0; b < bins; b++) {
      const t = b * BIN_MS;
      fillSurvival(g, world.failures, t, survive);
      const segs = fl.segments.map((s, k) => {
        const port = ports[f]![b * fl.segments.length + k]!;
        if (port < 0) return '-';
        const a = world.vteps[s.from]!, z = world.vteps[s.to]!;
        return `${port} f${segQ(world.underlay.path(a.node, z.node, port), false).toFixed(2)} r${segQ(world.underlay.path(z.node, a.node, port), false).toFixed(2)}`;
      }).join(' | ');
      const line = `${segs} ${lost[f]![b]! * 2 > sent[f]![b]! ? 'OUT' : 'ok'}`;
      const evs = events.filter((e) => e.atMs >= t && e.atMs < t + BIN_MS && fl.segments.some((s) => s.from === e.from && s.to === e.to));
      if (line !== last || evs.length > 0) console.log(`  ${t} ms: ${line} ${lost[f]![b]}/${sent[f]![b]} ${evs.map((e) => `[${world.vteps[e.from]!.name} ${e.type} ${e.sport}@${e.atMs}]`).join(' ')}`);
      last = line;
    }
  }
  const per = out.ledger.failureOutcomes(world.failures);
  for (const c of CAUSES) causes[c] = Math.round(causes[c] * 10) / 10;
  return {
    seed: world.seed, outageSeconds: out.ledger.outageSeconds(), failures: per.length, masked: per.filter((x) => x.masked).length,
    causes, portDowns: downs.length, reverseOnlyDowns,
    detectMedianMs: quantile(detectMs, 0.5), detectP90Ms: quantile(detectMs, 0.9), moves, movesToBad,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const file = opt('--scenario');
  if (!file) { console.error('usage: outage-breakdown --scenario FILE [--seeds 1-8] [--control JSON] [--json]'); process.exit(2); }
  const s = parseScenario(JSON.parse(readFileSync(file, 'utf8')));
  const control = { ...(s.control ?? {}), ...(JSON.parse(opt('--control') ?? '{}') as Partial<ControlConfig>) } as Partial<ControlConfig>;
  const seeds = parseSeeds(opt('--seeds') ?? '1-8');
  const tr = opt('--trace');
  const rows = seeds.map((seed) => breakdown(buildWorld(s, seed), control, tr === undefined ? undefined : Number(tr)));
  if (args.includes('--json')) { console.log(JSON.stringify(rows)); return; }
  const med = (f: (r: Breakdown) => number): string => quantile(rows.map(f), 0.5).toFixed(1);
  const p = (f: (r: Breakdown) => number): string => `${quantile(rows.map(f), 0.1).toFixed(1)}-${quantile(rows.map(f), 0.9).toFixed(1)}`;
  for (const r of rows) {
    console.log(`seed ${r.seed}: outage ${r.outageSeconds.toFixed(1)} s masked ${r.masked}/${r.failures} ${CAUSES.map((c) => `${c} ${r.causes[c]}`).join(' ')}`
      + ` downs ${r.portDowns} (reverse-only ${r.reverseOnlyDowns}) detect ${r.detectMedianMs}/${r.detectP90Ms} ms moves ${r.moves} (to bad ${r.movesToBad})`);
  }
  const masked = rows.reduce((n, r) => n + r.masked, 0), fails = rows.reduce((n, r) => n + r.failures, 0);
  console.log(`${s.name}: ${seeds.length} seeds, outage median ${med((r) => r.outageSeconds)} p10-p90 ${p((r) => r.outageSeconds)}, masked ${masked}/${fails}; `
    + CAUSES.map((c) => `${c} ${med((r) => r.causes[c])}`).join(', ')
    + `; detect median ${med((r) => r.detectMedianMs)} ms p90 ${med((r) => r.detectP90Ms)} ms; reverse-only downs ${med((r) => r.reverseOnlyDowns)} of ${med((r) => r.portDowns)}`
    + `; moves to bad ${med((r) => r.movesToBad)} of ${med((r) => r.moves)}`);
}

if (process.argv[1]?.endsWith('outage-breakdown.ts')) main();
