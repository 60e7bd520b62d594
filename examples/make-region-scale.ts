// Writes a region-scale scenario (docs/fidelity-region.md): two regions of one leaf-spine fabric each,
// joined by 4 long-haul links through border routers, with `--vteps N` VTEPs in all (host VTEPs
// and 8 gateways per region), the talk's traffic pattern (a minority of VTEPs active, each talking to
// a small, skewed share of its peers, half of them across regions through the gateways), on-demand
// partial probing, and one failure of each of the talk's top types in turn: long-haul jitter (case 1),
// a switch card (case 2), border routers down (case 3), a link down, and random loss.
// Deterministic: the same arguments write the same bytes.
//
//   node --import tsx examples/make-region-scale.ts [--vteps N] [-o FILE]
//   (default 10000 VTEPs to stdout; examples/region-scale.json is --vteps 10000)
import { writeFileAtomic } from '../src/atomic-output.js';
import { DEFAULT_MIX, type FailureSpec, type Scenario, type VtepSpec } from '../src/sim/scenario.js';

export const GATEWAYS_PER_REGION = 8;
const HOSTS_PER_LEAF = 48;
const SPINES = 4;
const BORDER_ROUTERS = 4;

/** The region-scale scenario with `vteps` VTEPs (at least 2 x (8 gateways + 2 hosts)). */
export function regionScaleScenario(vteps: number): Scenario {
  const gw = GATEWAYS_PER_REGION;
  if (!Number.isInteger(vteps) || vteps < 2 * (gw + 2) || vteps > 2 * (gw + 65536)) {
    throw new RangeError(`--vteps must be an integer ${2 * (gw + 2)}..${2 * (gw + 65536)}, got ${vteps}`);
  }
  const hostsA = Math.ceil((vteps - 2 * gw) / 2), hostsB = vteps - 2 * gw - hostsA;
  const leaves = Math.max(gw, Math.ceil((hostsA + gw) / HOSTS_PER_LEAF));
  const hosts = hostsA + hostsB;
  const region = (name: string, gwIp: string, hostIp: string, inner: string, count: number): VtepSpec[] => [
    // Gateways first: they take the first leaves (round-robin), so leaf0's links carry gateway traffic.
    { name: `${name}-gw`, count: gw, ip: gwIp, region: name, role: 'gateway' },
    { name: `${name}-h`, count, ip: hostIp, region: name, inner: [inner] },
  ];
  const failures: FailureSpec[] = [
    // Case 1: one of 4 long-haul links fluctuates for 12 s, peaking at 78.3% loss.
    { name: 'long-haul jitter', type: 'burst', atMs: 1000, durationMs: 12_000, links: [['A-br0', 'B-br0']], peakLoss: 0.783, stepMs: 500, rampMs: 1000 },
    // Case 2: a spine's line card carrying its links to the border routers fails silently.
    { name: 'switch card', type: 'card', atMs: 14_000, durationMs: 6000, switch: 'A-spine0', neighbors: ['A-br0', 'A-br1', 'A-br2', 'A-br3'] },
    // Case 3: 2 of a region's 4 border routers fail.
    { name: 'border routers down', type: 'border-routers', atMs: 21_000, durationMs: 6000, region: 'B', count: 2 },
    { name: 'link down', type: 'link-down', atMs: 28_000, durationMs: 4000, links: [['A-leaf0', 'A-spine1']] },
    // Random (Bernoulli) loss heavy enough to put flows out: 55% on one spine-border link.
    { name: 'random loss', type: 'loss', atMs: 33_000, durationMs: 4000, links: [['B-spine1', 'B-br2']], loss: 0.55 },
  ];
  return {
    kind: 'simulation',
    name: `region-scale-${vteps}`,
    description: `Region scale: ${vteps} VTEPs (${hosts} hosts, ${2 * gw} gateways) in two regions of ${leaves} leaves and ${SPINES} spines each, `
      + `${BORDER_ROUTERS} long-haul links. A quarter of the hosts send, each to 1 + floor(u^3 x 32) peers (u uniform; the talk: 99% of VTEPs talk to < 25% of peers), `
      + 'half across regions through the gateways (HI towards hosts, PBM between gateways). On-demand partial probing. One failure of each of the talk\'s top types in turn. '
      + 'Written by examples/make-region-scale.ts.',
    seed: 1,
    durationMs: 39_000,
    topology: {
      kind: 'two-region',
      regions: [{ name: 'A', leaves, spines: SPINES }, { name: 'B', leaves, spines: SPINES }],
      borderRouters: BORDER_ROUTERS,
      link: { latencyMs: 0.02, capacityMbps: 100_000 },
      longHaul: { latencyMs: 15, capacityMbps: 100_000 },
    },
    // A gateway's HI table holds every host of its region it talks to.
    control: { maxPeers: Math.min(65535, Math.max(1024, hostsA)) },
    vteps: [
      ...region('A', '10.128.0.1', '10.0.0.1', '172.16.0.1', hostsA),
      ...region('B', '10.129.0.1', '10.64.0.1', '172.32.0.1', hostsB),
    ],
    traffic: {
      generator: {
        activeShare: 0.25, maxPeerShare: Math.min(0.25, 32 / hosts), flowsPerPeer: 1, ratePps: 50, packetBytes: 1000, crossRegionShare: 0.5,
        // The default mix (our assumption: docs/simulator.md), written out so the scenario says it.
        mix: { ...DEFAULT_MIX },
      },
    },
    failures,
  };
}

function main(argv: string[]): void {
  let vteps = 10_000;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--vteps') vteps = Number(argv[++i]);
    else if (a === '-o' || a === '--output') out = argv[++i];
    else { process.stderr.write(`make-region-scale: unknown argument ${a} (use --vteps N, -o FILE)\n`); process.exit(2); }
  }
  let s: Scenario;
  try { s = regionScaleScenario(vteps); } catch (e) {
    process.stderr.write(`make-region-scale: --vteps: ${(e as Error).message}\n`); process.exit(2);
  }
  const text = JSON.stringify(s, null, 2) + '\n';
  if (out === undefined) process.stdout.write(text);
  else writeFileAtomic(out, text);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) main(process.argv.slice(2));
