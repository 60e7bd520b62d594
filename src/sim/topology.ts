// Underlay graphs: leaf-spine, multi-tier Clos, and two regions joined by long-haul links through
// border routers. Nodes are switches and VTEP hosts; every physical link is two directed links, each
// with its own latency, capacity and base loss (so load and loss are per direction).

/** A physical link's properties, applied to each of its two directions (defaults 0.01 ms, 100 Gbit/s, no loss). */
export interface LinkSpec {
  /** One-way latency in milliseconds. */
  latencyMs?: number;
  /** Capacity per direction in Mbit/s; traffic beyond it in a 100 ms bin is dropped. */
  capacityMbps?: number;
  /** Background random loss probability, 0..1. */
  loss?: number;
}

/**
 * A two-tier fabric: every leaf linked to every spine. Switches are named `leaf0..` and `spine0..`;
 * VTEPs attach to leaves.
 */
export interface LeafSpineSpec {
  kind: 'leaf-spine';
  leaves: number;
  spines: number;
  /** Parallel links between each leaf and each spine (different line cards of a chassis). */
  parallelLinks?: number;
  /** Leaf-spine links. */
  link?: LinkSpec;
  /** Each VTEP's access link to its leaf. */
  hostLink?: LinkSpec;
}

/**
 * A three-tier Clos: per pod, ToRs linked to aggregation switches, and every aggregation switch linked
 * to every core. Switches are `tor{pod}-{i}`, `agg{pod}-{i}`, `core{i}`; pods are regions `pod0`, `pod1`...
 */
export interface ClosSpec {
  kind: 'clos';
  /** Pods (availability zones), each with its own ToRs and aggregation switches. */
  pods: number;
  torsPerPod: number;
  aggsPerPod: number;
  cores: number;
  /** Parallel links between each aggregation switch and each core. */
  parallelLinks?: number;
  /** ToR-aggregation links (and aggregation-core links unless `coreLink` is given). */
  link?: LinkSpec;
  /** Aggregation-core links. */
  coreLink?: LinkSpec;
  /** Each VTEP's access link to its ToR. */
  hostLink?: LinkSpec;
}

/** One region of a two-region topology: a leaf-spine fabric under a name used in switch names (`{name}-leaf0`). */
export interface RegionSpec {
  /** Letters, digits, - and _; the two regions' names differ. */
  name: string;
  leaves: number;
  spines: number;
}

/**
 * Two leaf-spine regions joined by long-haul links through border routers (`{R}-br{i}`): every spine
 * links to every border router of its region. The cross-region case of the talk, where gateways relay.
 */
export interface TwoRegionSpec {
  kind: 'two-region';
  regions: [RegionSpec, RegionSpec];
  /** Border routers per region; border router i of one region has a long-haul link to router i of the other. */
  borderRouters: number;
  /** Links inside a region (leaf-spine, spine-border router). */
  link?: LinkSpec;
  /** Border router to border router across regions; default 20 ms latency. */
  longHaul?: LinkSpec;
  /** Each VTEP's access link to its leaf. */
  hostLink?: LinkSpec;
}

/** The underlay of a scenario, told apart by `kind`. */
export type TopologySpec = LeafSpineSpec | ClosSpec | TwoRegionSpec;

const DEFAULT_LINK: Required<LinkSpec> = { latencyMs: 0.01, capacityMbps: 100_000, loss: 0 };

/** A directed-link graph. Link ids are dense; the two directions of a physical link are 2k and 2k+1. */
export class Graph {
  /** Node names by node id (switches and VTEP hosts). */
  readonly names: string[] = [];
  /** Node ids by name. */
  readonly index = new Map<string, number>();
  /** Region (or pod) of each node, '' in a one-region topology. */
  readonly region: string[] = [];
  /** Whether each node is a VTEP host (hosts never transit traffic). */
  readonly isHost: boolean[] = [];
  /** Outgoing directed link ids of each node. */
  readonly out: number[][] = [];
  /** Tail and head node of each directed link. */
  readonly from: number[] = [];
  readonly to: number[] = [];
  /** Per directed link: one-way latency (ms), capacity (Mbit/s) and background loss probability. */
  readonly latencyMs: number[] = [];
  readonly capacityMbps: number[] = [];
  readonly baseLoss: number[] = [];
  /** Nodes hosts may attach to, by region ('' when the topology has one region). */
  readonly attachPoints = new Map<string, number[]>();
  /** Border routers by region (two-region topologies). */
  readonly borderRouters = new Map<string, number[]>();

  /** Add a switch (or, with `host`, a VTEP host) and return its id; names are unique. */
  addNode(name: string, region: string, host = false): number {
    if (this.index.has(name)) throw new Error(`duplicate node name ${name}`);
    const i = this.names.length;
    this.names.push(name); this.index.set(name, i); this.region.push(region); this.isHost.push(host); this.out.push([]);
    return i;
  }

  /** Add `count` parallel physical links between a and b (both directions). */
  addLink(a: number, b: number, spec: LinkSpec | undefined, count = 1): void {
    const s = { ...DEFAULT_LINK, ...spec };
    for (let k = 0; k < count; k++) {
      for (const [u, v] of [[a, b], [b, a]] as const) {
        const id = this.from.length;
        this.from.push(u); this.to.push(v);
        this.latencyMs.push(s.latencyMs); this.capacityMbps.push(s.capacityMbps); this.baseLoss.push(s.loss);
        this.out[u].push(id);
      }
    }
  }

  /** Directed links (twice the physical links). */
  get linkCount(): number { return this.from.length; }

  /** The id of a named node; throws when there is none (for names the code itself built). */
  node(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`no node named ${name}`);
    return i;
  }

  /** Directed links from a to b (all parallel ones). */
  linksBetween(a: number, b: number): number[] {
    return this.out[a].filter((l) => this.to[l] === b);
  }

  /** Every directed link touching node n, both directions. */
  linksOf(n: number): number[] {
    const ids: number[] = [];
    for (const l of this.out[n]) ids.push(l, l ^ 1);
    return ids;
  }

  /** A directed link for people: `tail->head`. */
  linkName(l: number): string { return `${this.names[this.from[l]]}->${this.names[this.to[l]]}`; }

}

/** Build the switch fabric of a topology; hosts are attached afterwards with `attachHost`. */
export function buildFabric(t: TopologySpec): Graph {
  const g = new Graph();
  if (t.kind === 'leaf-spine') {
    const leaves = range(t.leaves).map((i) => g.addNode(`leaf${i}`, ''));
    const spines = range(t.spines).map((i) => g.addNode(`spine${i}`, ''));
    for (const l of leaves) for (const s of spines) g.addLink(l, s, t.link, t.parallelLinks ?? 1);
    g.attachPoints.set('', leaves);
  } else if (t.kind === 'clos') {
    const cores = range(t.cores).map((i) => g.addNode(`core${i}`, ''));
    const all: number[] = [];
    for (let p = 0; p < t.pods; p++) {
      const tors = range(t.torsPerPod).map((i) => g.addNode(`tor${p}-${i}`, `pod${p}`));
      const aggs = range(t.aggsPerPod).map((i) => g.addNode(`agg${p}-${i}`, `pod${p}`));
      for (const a of tors) for (const b of aggs) g.addLink(a, b, t.link);
      for (const a of aggs) for (const c of cores) g.addLink(a, c, t.coreLink ?? t.link, t.parallelLinks ?? 1);
      g.attachPoints.set(`pod${p}`, tors);
      all.push(...tors);
    }
    g.attachPoints.set('', all);
  } else {
    const brs: number[][] = [];
    for (const r of t.regions) {
      const leaves = range(r.leaves).map((i) => g.addNode(`${r.name}-leaf${i}`, r.name));
      const spines = range(r.spines).map((i) => g.addNode(`${r.name}-spine${i}`, r.name));
      const border = range(t.borderRouters).map((i) => g.addNode(`${r.name}-br${i}`, r.name));
      for (const l of leaves) for (const s of spines) g.addLink(l, s, t.link);
      for (const s of spines) for (const b of border) g.addLink(s, b, t.link);
      g.attachPoints.set(r.name, leaves);
      g.borderRouters.set(r.name, border);
      brs.push(border);
    }
    for (let i = 0; i < t.borderRouters; i++) g.addLink(brs[0][i], brs[1][i], t.longHaul ?? { latencyMs: 20 });
  }
  return g;
}

/** Attach a VTEP host to a switch by one access link (the endpoint-adjacent link). */
export function attachHost(g: Graph, name: string, sw: number, link: LinkSpec | undefined): number {
  const h = g.addNode(name, g.region[sw], true);
  g.addLink(h, sw, link);
  return h;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
