// One flow's timeline in one mode (`zooroute simulate --trace`): per 100 ms bin the outer port of each
// segment, what its path delivers then (forward, and the reverse path the probe replies take), what
// the flow sent and lost, whether it was out; the mode's events on the flow's segments (zooroute:
// port-down, switch, port-up; prr: each RTO; a re-roll shows as the port changing); and every out bin put in
// one cause, so that a trace says where a mode's outage came from:
//   detection  the flow is still on the port it had when the failure hit, not yet marked down
//              (prr and opportunistic: waiting for the timer, or unable to move)
//   switch     zooroute marked the port down but the flow is still on it (no validated port to go to,
//              or the move waits for the next bin)
//   moved-bad  the flow was moved (during a failure) onto a port whose path was already bad
//   next-fail  it was moved onto a port that was fine then and went bad later
//   capacity   the failures alone would deliver at least half: link capacity dropped the rest
//   chance     the path delivers at least half even with capacity: an unlucky binomial draw
import { EventQueue } from './event-queue.js';
import { type ControlConfig } from '../control/config.js';
import type { ControlEvent, VtepControl } from '../control/vtep.js';
import { runMode, type PortPolicy, type RunContext } from './engine.js';
import { staticPolicy } from './static-mode.js';
import { opportunisticPolicy } from './opportunistic-mode.js';
import { prrPolicy, type PrrPolicy } from './prr-mode.js';
import { zooroutePolicy } from './zooroute-mode.js';
import { BIN_MS, type World } from './world.js';
import { MASK_LIMIT_MS } from './outage.js';
import type { SimMode } from './modes.js';

/** Why a bin of a traced flow was out (see the file comment). */
export type TraceCause = 'detection' | 'switch' | 'moved-bad' | 'next-fail' | 'capacity' | 'chance';
/** Every cause, in the order reports list them. */
export const TRACE_CAUSES: readonly TraceCause[] = ['detection', 'switch', 'moved-bad', 'next-fail', 'capacity', 'chance'];

/** One bin of the traced flow in which it sent packets. */
export interface TraceBin {
  atMs: number;
  /** Per segment: its outer source port. */
  ports: number[];
  /** Per segment: the share its forward path's failures let through, and its reverse path's. */
  forward: number[];
  reverse: number[];
  /** The whole flow's delivery probability this bin, capacity included. */
  delivery: number;
  sent: number;
  lost: number;
  /** Inside one of the flow's runs of outage (docs/simulator.md). */
  out: boolean;
  cause?: TraceCause;
}

/** Something the mode did to the traced flow's segments. */
export interface TraceEvent {
  atMs: number;
  segment: number;
  /** Control-plane events (zooroute), `rto` (prr: a retransmission timeout, `rehashed` or not). */
  type: ControlEvent['type'] | 'rto';
  /** The port the event is about (zooroute), or the flow's port on the segment at the time. */
  port: number;
  detail?: string;
}

/** One flow's timeline in one mode at one seed (`traceFlow`). */
export interface FlowTrace {
  mode: SimMode;
  seed: number;
  flow: { id: number; proto: number; family: string; ratePps: number; tenant: string; segments: string[] };
  /** The traced window: a failure's [start - 1 s, end + 1 s), or the whole run. */
  fromMs: number;
  toMs: number;
  failure?: string;
  outSeconds: number;
  causes: Record<TraceCause, number>;
  bins: TraceBin[];
  events: TraceEvent[];
}

/** What `traceFlow` follows. */
export interface TraceOptions {
  mode: SimMode;
  /** A flow id, or 'worst': the flow with the most out time in the window in this mode. */
  flow: number | 'worst';
  /** Index into world.failures: trace only around this failure. */
  failure?: number;
  /** The control plane's overrides (zooroute). */
  config: Partial<ControlConfig>;
}

/** A fresh policy of a mode for one run (as simulate() makes them). */
export function modePolicy(mode: SimMode, ctx: RunContext, config: Partial<ControlConfig>): PortPolicy {
  switch (mode) {
    case 'static': return staticPolicy(ctx.world);
    case 'opportunistic': return opportunisticPolicy(ctx.world);
    case 'prr': return prrPolicy(ctx);
    case 'zooroute': return zooroutePolicy(ctx, config);
  }
}

function windowOf(world: World, failure: number | undefined): { fromMs: number; toMs: number } {
  if (failure === undefined) return { fromMs: 0, toMs: world.durationMs };
  const f = world.failures[failure];
  return { fromMs: Math.max(0, f.startMs - 1000), toMs: Math.min(world.durationMs, f.endMs + MASK_LIMIT_MS) };
}

/** The flow with the most out bins inside the window in this mode (a run of its own). */
function worstFlow(world: World, o: TraceOptions, fromMs: number, toMs: number): number {
  const out = runMode(world, new EventQueue(), (ctx) => modePolicy(o.mode, ctx, o.config));
  const b0 = Math.floor(fromMs / BIN_MS), b1 = Math.ceil(toMs / BIN_MS);
  let best = 0, bestN = -1;
  for (const f of world.flows) {
    let n = 0;
    for (const [s, e] of out.ledger.runsOf(f.id)) n += Math.max(0, Math.min(e, b1) - Math.max(s, b0));
    if (n > bestN) { bestN = n; best = f.id; }
  }
  return best;
}

/** Run one mode and record one flow's timeline. */
export function traceFlow(world: World, o: TraceOptions): FlowTrace {
  if (o.failure !== undefined && (o.failure < 0 || o.failure >= world.failures.length)) {
    throw new RangeError(`failure ${o.failure}: the scenario has ${world.failures.length} failures`);
  }
  const { fromMs, toMs } = windowOf(world, o.failure);
  const id = o.flow === 'worst' ? worstFlow(world, o, fromMs, toMs) : o.flow;
  if (!Number.isInteger(id) || id < 0 || id >= world.flows.length) throw new RangeError(`flow ${id}: the world has ${world.flows.length} flows (0..${world.flows.length - 1})`);
  const flow = world.flows[id];
  const segs = flow.segments;
  const events: TraceEvent[] = [];
  const raw: { b: number; ports: number[]; sent: number; lost: number }[] = [];
  const state = new Map<number, { forward: number[]; reverse: number[]; delivery: number }>();
  const curPorts: number[] = segs.map(() => -1);
  let pending: { b: number; ports: number[] } | undefined;
  let prr: PrrPolicy | undefined;
  const wrapped = new Set<VtepControl>();

  const out = runMode(world, new EventQueue(), (ctx) => {
    const p = modePolicy(o.mode, ctx, o.config);
    if (o.mode === 'prr') prr = p as PrrPolicy;
    const z = o.mode === 'zooroute' ? (p as ReturnType<typeof zooroutePolicy>) : undefined;
    return {
      ...p,
      port(f, k, seg) {
        const port = p.port(f, k, seg);
        if (f.id !== id) return port;
        const b = Math.floor(ctx.clock.now() / BIN_MS);
        if (!pending || pending.b !== b) pending = { b, ports: [...curPorts] };
        pending.ports[k] = port;
        curPorts[k] = port;
        // The control plane deciding this segment's port: hear its events about this peer.
        if (z && world.vteps[seg.from].probes) {
          const c = z.controlFor(seg);
          if (!wrapped.has(c)) {
            wrapped.add(c);
            const inner = c.onEvent;
            const peerIps = new Map<number, number[]>();
            // The segments this control plane serves: same source VTEP, same table (no lookups that
            // would create a control plane early and change the run).
            segs.forEach((s, j) => {
              if (s.from !== seg.from || z.tableFor(s) !== z.tableFor(seg)) return;
              const ip = world.vteps[s.to].ip;
              peerIps.set(ip, [...(peerIps.get(ip) ?? []), j]);
            });
            c.onEvent = (e: ControlEvent) => {
              inner?.(e);
              for (const j of peerIps.get(e.peerIp) ?? []) events.push({ atMs: e.atMs, segment: j, type: e.type, port: e.sport });
            };
          }
        }
        return port;
      },
      afterBin(f, sent, lost, endMs) {
        if (f.id === id && sent > 0) {
          const b = Math.round(endMs / BIN_MS) - 1;
          raw.push({ b, ports: pending && pending.b === b ? pending.ports : [...curPorts], sent, lost });
        }
        p.afterBin?.(f, sent, lost, endMs);
      },
    };
  }, {
    observeBin(b, survive, keep) {
      if (raw.length === 0 || raw[raw.length - 1].b !== b) return;
      const ports = raw[raw.length - 1].ports;
      const q = (path: Int32Array, withKeep: boolean): number => {
        let x = path.length > 0 ? 1 : 0;
        for (const l of path) x *= survive[l] * (withKeep ? keep[l] : 1);
        return x;
      };
      let delivery = 1;
      const forward: number[] = [], reverse: number[] = [];
      segs.forEach((s, k) => {
        const a = world.vteps[s.from].node, z = world.vteps[s.to].node;
        const fwd = world.underlay.path(a, z, ports[k]);
        forward.push(q(fwd, false));
        reverse.push(q(world.underlay.path(z, a, ports[k]), false));
        delivery *= q(fwd, true);
      });
      state.set(b, { forward, reverse, delivery });
    },
  });
  if (prr) {
    for (const e of prr.timeouts) {
      if (e.flow === id) events.push({ atMs: e.atMs, segment: 0, type: 'rto', port: -1, detail: `after ${e.rtoMs} ms${e.rehashed ? ', new flow label' : ', same hash (cannot re-path)'}` });
    }
  }
  events.sort((a, b) => a.atMs - b.atMs);

  // Causes, bin by bin, from the ports' history (a port taken while a failure was active is a move).
  const failureActive = (t: number): boolean => world.failures.some((x) => t >= x.startMs && t < x.endMs);
  const causes = Object.fromEntries(TRACE_CAUSES.map((c) => [c, 0])) as Record<TraceCause, number>;
  const taken = segs.map(() => ({ port: -1, moved: false, bad: false }));
  const downAt = new Map<string, number>(); // `${segment}/${port}` -> port-down time, cleared by port-up
  let ev = 0;
  const bins: TraceBin[] = [];
  let outBins = 0;
  for (const r of raw) {
    const t = r.b * BIN_MS;
    for (; ev < events.length && events[ev].atMs < t; ev++) {
      const e = events[ev], key = `${e.segment}/${e.port}`;
      if (e.type === 'port-down') downAt.set(key, e.atMs);
      else if (e.type === 'port-up' || e.type === 'port-restored') downAt.delete(key);
    }
    const st = state.get(r.b) ?? { forward: r.ports.map(() => 1), reverse: r.ports.map(() => 1), delivery: 1 };
    let worst = 0;
    r.ports.forEach((port, k) => {
      if (st.forward[k] < st.forward[worst]) worst = k;
      if (port !== taken[k].port) {
        taken[k] = { port, moved: taken[k].port >= 0 && failureActive(t), bad: st.forward[k] < 0.5 };
      }
    });
    const isOut = out.ledger.isOut(id, r.b);
    const bin: TraceBin = { atMs: t, ports: r.ports, forward: st.forward, reverse: st.reverse, delivery: st.delivery, sent: r.sent, lost: r.lost, out: isOut };
    if (isOut && r.lost * 2 > r.sent) {
      const qFail = st.forward.reduce((a, b) => a * b, 1);
      let c: TraceCause;
      if (st.delivery >= 0.5) c = 'chance';
      else if (qFail >= 0.5) c = 'capacity';
      else if (!taken[worst].moved) c = downAt.has(`${worst}/${r.ports[worst]}`) ? 'switch' : 'detection';
      else c = taken[worst].bad ? 'moved-bad' : 'next-fail';
      bin.cause = c;
    }
    if (t >= fromMs && t < toMs) {
      bins.push(bin);
      if (bin.cause) causes[bin.cause] += BIN_MS / 1000;
    }
  }
  // Out time in the window: every out bin of its runs, empty ones included (as the ledger counts).
  const b0 = Math.floor(fromMs / BIN_MS), b1 = Math.ceil(toMs / BIN_MS);
  for (const [s, e] of out.ledger.runsOf(id)) outBins += Math.max(0, Math.min(e, b1) - Math.max(s, b0));
  for (const c of TRACE_CAUSES) causes[c] = Math.round(causes[c] * 10) / 10;
  return {
    mode: o.mode, seed: world.seed,
    flow: {
      id, proto: flow.proto, family: flow.family, ratePps: flow.ratePps, tenant: flow.tenant,
      segments: segs.map((s) => `${world.vteps[s.from].name}->${world.vteps[s.to].name}`),
    },
    fromMs, toMs, failure: o.failure === undefined ? undefined : world.failures[o.failure].name,
    outSeconds: (outBins * BIN_MS) / 1000,
    causes,
    bins,
    events: events.filter((e) => e.atMs >= fromMs && e.atMs < toMs),
  };
}

/** The human timeline: a line per bin where something changed, and the events between. */
export function formatTrace(tr: FlowTrace): string {
  const f = tr.flow;
  const lines: string[] = [];
  const proto = f.proto === 6 ? 'TCP' : f.proto === 17 ? 'UDP' : `proto ${f.proto}`;
  lines.push(`trace ${tr.mode}, seed ${tr.seed}, flow ${f.id} (${proto} ${f.family}, ${f.ratePps} pps, tenant ${f.tenant}): ${f.segments.join(', ')}`);
  lines.push(`window ${tr.fromMs}-${tr.toMs} ms${tr.failure ? ` (failure ${tr.failure})` : ''}: out ${tr.outSeconds.toFixed(1)} s; lossy bins by cause: ${TRACE_CAUSES.map((c) => `${c} ${tr.causes[c]} s`).join(', ')}`);
  lines.push('  time ms  per segment: port fwd/rev (share the failures let through)  sent/lost  state');
  let ev = 0, last = '';
  // The port a segment had in the last bin before t (to mark events about the flow's own port).
  const portAt = (k: number, t: number): number => {
    let p = -1;
    for (const b of tr.bins) { if (b.atMs > t) break; p = b.ports[k]; }
    return p;
  };
  const flush = (until: number): void => {
    for (; ev < tr.events.length && tr.events[ev].atMs < until; ev++) {
      const e = tr.events[ev];
      lines.push(`  ${String(Math.round(e.atMs * 10) / 10).padStart(7)}  seg ${e.segment}: ${e.type}${e.port >= 0 ? ` ${e.port}` : ''}${e.detail ? ` ${e.detail}` : ''}`);
    }
  };
  for (const b of tr.bins) {
    flush(b.atMs);
    const segs = b.ports.map((p, k) => `${p} ${b.forward[k].toFixed(2)}/${b.reverse[k].toFixed(2)}`).join(' | ');
    const st = b.out ? `OUT${b.cause ? ` (${b.cause})` : ''}` : 'ok';
    const key = `${segs} ${st}`;
    if (key !== last) lines.push(`  ${String(b.atMs).padStart(7)}  ${segs}  ${b.sent}/${b.lost}  ${st}`);
    last = key;
  }
  flush(Infinity);
  return lines.join('\n') + '\n';
}
