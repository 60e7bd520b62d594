// Static mode: the source port never changes — candidates[hash mod N], the kernel-hash baseline.
import type { PortPolicy } from './engine.js';
import type { Flow, Segment, World } from './world.js';

export function defaultPort(world: World, flow: Flow, seg: Segment): number {
  const c = world.candidates(world.vteps[seg.to].ip);
  return c[flow.hash % c.length];
}

export function staticPolicy(world: World): PortPolicy {
  return { port: (flow, _k, seg) => defaultPort(world, flow, seg) };
}
