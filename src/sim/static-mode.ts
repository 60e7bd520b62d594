// Static mode: the source port never changes — candidates[hash mod N], the kernel-hash baseline.
import type { PortPolicy } from './engine.js';
import type { Flow, Segment, World } from './world.js';

/**
 * The port a kernel VTEP uses for a flow on a segment: candidates[hash mod N] towards the segment's
 * peer. Static keeps it forever; the other modes start from it.
 */
export function defaultPort(world: World, flow: Flow, seg: Segment): number {
  const c = world.candidates(world.vteps[seg.to].ip);
  return c[flow.hash % c.length];
}

/** The static baseline: every flow keeps its {@link defaultPort} on every segment, whatever it loses. */
export function staticPolicy(world: World): PortPolicy {
  // Worked out once per flow segment (the engine asks every bin; at region scale the candidate lookup
  // by peer address was a Map miss per flow and bin). Asked about another flow or segment: computed.
  const ports = world.flows.map((f) => Int32Array.from(f.segments, (s) => defaultPort(world, f, s)));
  return {
    port: (flow, k, seg) => (world.flows[flow.id] === flow && flow.segments[k] === seg ? ports[flow.id][k] : defaultPort(world, flow, seg)),
  };
}
