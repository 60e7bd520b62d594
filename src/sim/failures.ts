// Failure events compiled to the directed links they hit and a loss rate over time. Combined per link
// as independent losses: survival = (1 - base loss) x product of (1 - each active failure's loss).
import type { Graph } from './topology.js';
import type { FailureSpec, FailureType } from './scenario.js';
import { ScenarioError } from './scenario.js';
import { mix32 } from './prng.js';

/**
 * A failure event resolved against the graph: the directed links it hits and its loss rate over time.
 * Losses of overlapping failures on a link combine as independent drops.
 */
export interface CompiledFailure {
  /** The scenario's name for it, or `type#index`. */
  name: string;
  type: FailureType;
  /** Active over [startMs, endMs), ms from the start of the run. */
  startMs: number;
  endMs: number;
  /** Directed link ids it hits (both directions of each physical link). */
  links: Int32Array;

  /** Loss probability on each of `links` at time t (t inside [startMs, endMs)). */
  lossAt(t: number): number;
}

/**
 * A burst's loss: peak x envelope x jitter. The envelope ramps linearly from 0 to 1 over rampMs, holds,
 * and ramps back down over the last rampMs; the jitter factor is redrawn every stepMs in [0.6, 1]
 * (seeded), and is 1 in the step holding the midpoint, so the peak is reached.
 */
export function burstLoss(peak: number, startMs: number, durationMs: number, stepMs: number, rampMs: number, seed: number, t: number): number {
  const x = t - startMs;
  if (x < 0 || x >= durationMs) return 0;
  const env = rampMs > 0 ? Math.min(1, x / rampMs, (durationMs - x) / rampMs) : 1;
  const step = Math.floor(x / stepMs);
  const mid = Math.floor(durationMs / 2 / stepMs);
  const jitter = step === mid ? 1 : 0.6 + 0.4 * (mix32((seed ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0) / 4294967296);
  return peak * env * jitter;
}

function between(g: Graph, a: string, b: string, f: string): number[] {
  const ia = g.index.get(a), ib = g.index.get(b);
  if (ia === undefined) throw new ScenarioError(f, `no node named ${a}`);
  if (ib === undefined) throw new ScenarioError(f, `no node named ${b}`);
  const ls = g.linksBetween(ia, ib);
  if (ls.length === 0) throw new ScenarioError(f, `no link between ${a} and ${b}`);
  return ls.flatMap((l) => [l, l ^ 1]);
}

function nodeOf(g: Graph, name: string, f: string): number {
  const i = g.index.get(name);
  if (i === undefined) throw new ScenarioError(f, `no node named ${name}`);
  return i;
}

/** Resolve a failure event against the graph; `f` names the field for errors. */
export function compileFailure(g: Graph, spec: FailureSpec, f: string, seed: number, index: number): CompiledFailure {
  const links: number[] = [];
  const loss = spec.loss ?? 1;
  if (spec.type === 'link-down' || spec.type === 'loss' || spec.type === 'burst') {
    spec.links!.forEach(([a, b], i) => links.push(...between(g, a, b, `${f}.links[${i}]`)));
  } else if (spec.type === 'card') {
    const sw = nodeOf(g, spec.switch!, `${f}.switch`);
    if (g.isHost[sw]) throw new ScenarioError(`${f}.switch`, `${spec.switch} is a VTEP, not a switch`);
    const neighbors = spec.neighbors
      ? spec.neighbors.map((n, i) => nodeOf(g, n, `${f}.neighbors[${i}]`))
      : [...new Set(g.out[sw].map((l) => g.to[l]))];
    for (const n of neighbors) {
      const bundle = g.linksBetween(sw, n);
      if (bundle.length === 0) throw new ScenarioError(`${f}.neighbors`, `${g.names[n]} is not a neighbour of ${spec.switch}`);
      const k = Math.max(1, Math.round((spec.share ?? 1) * bundle.length));
      for (const l of bundle.slice(0, k)) links.push(l, l ^ 1);
    }
  } else if (spec.type === 'switch-down') {
    links.push(...g.linksOf(nodeOf(g, spec.switch!, `${f}.switch`)));
  } else if (spec.type === 'border-routers') {
    const brs = g.borderRouters.get(spec.region!);
    if (!brs) throw new ScenarioError(`${f}.region`, `no region named ${spec.region} with border routers`);
    const down = spec.routers ? spec.routers.map((n, i) => nodeOf(g, n, `${f}.routers[${i}]`)) : brs.slice(0, spec.count);
    if (!spec.routers && spec.count! > brs.length) throw new ScenarioError(`${f}.count`, `region ${spec.region} has only ${brs.length} border routers`);
    for (const r of down) links.push(...g.linksOf(r));
  } else {
    const h = nodeOf(g, spec.vtep!, `${f}.vtep`);
    if (!g.isHost[h]) throw new ScenarioError(`${f}.vtep`, `${spec.vtep} is a switch, not a VTEP`);
    links.push(...g.linksOf(h));
  }
  const startMs = spec.atMs, endMs = spec.atMs + spec.durationMs;
  const burstSeed = mix32((seed ^ mix32(index + 0xb0)) >>> 0);
  const step = spec.stepMs ?? 500;
  const ramp = Math.min(spec.rampMs ?? 1000, spec.durationMs / 2);
  const lossAt = spec.type === 'burst'
    ? (t: number): number => burstLoss(spec.peakLoss!, startMs, spec.durationMs, step, ramp, burstSeed, t)
    : (): number => loss;
  return { name: spec.name ?? `${spec.type}#${index}`, type: spec.type, startMs, endMs, links: Int32Array.from(new Set(links)), lossAt };
}

/** Per-link survival probability at time t: base loss and every active failure. */
export function fillSurvival(g: Graph, failures: readonly CompiledFailure[], t: number, out: Float64Array): void {
  for (let l = 0; l < out.length; l++) out[l] = 1 - g.baseLoss[l];
  for (const f of failures) {
    if (t < f.startMs || t >= f.endMs) continue;
    const keep = 1 - f.lossAt(t);
    for (const l of f.links) out[l] *= keep;
  }
}
