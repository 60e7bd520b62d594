// Zooroute mode: every probing VTEP runs the control plane (VtepControl) on the simulated clock,
// sending its probes through the same underlay as data. A host has one control plane (redirect table); a
// gateway has two, as in the talk's segmented probing: HI for its host peers, PBM for gateways across
// regions. Data asks the control plane for each segment's port; a middlebox on the way writes its
// instance's MAC into probe requests, as a real one would.
import { VtepControl, type ControlEvent, type VtepControlOptions } from '../control/vtep.js';
import { writeBackendId } from '../control/probe-codec.js';
import { resolveControlConfig, type ControlConfig } from '../control/config.js';
import type { PortPolicy, RunContext } from './engine.js';
import type { Segment, Vtep } from './world.js';
import { defaultPort } from './static-mode.js';
import { Prng } from './prng.js';
import type { EventSink } from './event-queue.js';

/**
 * The zooroute mode's port policy: the control planes of every probing VTEP, created as flows need
 * them, and what they reported.
 */
export interface ZooroutePolicy extends PortPolicy {
  /** Every control-plane event (port down, port up, switch) of every VTEP, in time order. */
  events: ControlEvent[];
  /** Every control plane created so far (a gateway may have two). */
  controls(): VtepControl[];
  /** The control plane that picks the port of a segment (created on first use). */
  controlFor(seg: Segment): VtepControl;
  /** The fast-path table kind a segment's source VTEP uses towards its peer. */
  tableFor(seg: Segment): TableKind;
  /** Probed (VTEP, peer) pairs. */
  activePairs(): number;
}

type TableKind = VtepControlOptions['table'];
const KINDS: readonly TableKind[] = ['redirect', 'hi', 'pbm'];

/**
 * The zooroute mode for a run: each probing VTEP runs the real control plane on the run's clock, its
 * probes crossing the simulated underlay; data takes the port the control plane picks. `config`
 * overrides the control plane's defaults (the scenario's `control` section).
 */
export function zooroutePolicy(ctx: RunContext, config: Partial<ControlConfig>): ZooroutePolicy {
  const { world, clock, net, middleboxByIp } = ctx;
  const rng = new Prng(world.seed, 4);
  const secret = Uint8Array.from({ length: 16 }, () => rng.int(256));
  const events: ControlEvent[] = [];
  // Control planes by VTEP index and table kind (KINDS order), and the VTEPs that have any, in the order
  // of their first: all() lists them VTEP by VTEP, each VTEP's in order of creation.
  const V = world.vteps.length;
  // Filled up front (dense arrays: an array with holes is a slow dictionary).
  const byVtep: ((VtepControl | undefined)[] | undefined)[] = new Array<undefined>(V).fill(undefined);
  const kindsMade: (TableKind[] | undefined)[] = new Array<undefined>(V).fill(undefined);
  const vtepsMade: number[] = [];
  const peersOf = new Map<VtepControl, Set<number>>();
  // ctlFor's answer per segment (source VTEP, then peer VTEP index), once the peer has been added.
  const segCtl: (Map<number, VtepControl> | undefined)[] = new Array<undefined>(V).fill(undefined);
  let started = false;

  /**
   * The table kind a VTEP uses towards a peer: gateway->gateway PBM, gateway->host HI (the talk's
   * Tofino tables), and a host's vSwitch the redirect table (per-port preference, docs/tables.md).
   */
  const kindFor = (from: Vtep, to: Vtep): TableKind =>
    from.role === 'gateway' ? (to.role === 'gateway' ? 'pbm' : 'hi') : 'redirect';

  // A host's redirect table holds only the peers its flows reach (known from the world up front),
  // sized to them: no behaviour changes, and 10k hosts do not each zero a maxPeers-row table.
  // Gateways' PBM and HI tables keep config.maxPeers rows (PBM's preference slots hash by their count).
  const maxPeers = resolveControlConfig(config).maxPeers;
  const hostPeers = new Map<number, Set<number>>();
  for (const f of world.flows) {
    for (const s of f.segments) {
      if (world.vteps[s.from].role === 'gateway') continue;
      let set = hostPeers.get(s.from);
      if (!set) hostPeers.set(s.from, (set = new Set()));
      set.add(s.to);
    }
  }
  const tableRows = (from: Vtep, kind: TableKind): number | undefined =>
    kind === 'redirect' ? Math.min(maxPeers, Math.max(1, hostPeers.get(from.index)?.size ?? 0)) : undefined;

  const control = (from: Vtep, kind: TableKind): VtepControl => {
    let m = byVtep[from.index];
    if (!m) { byVtep[from.index] = m = [undefined, undefined, undefined]; kindsMade[from.index] = []; vtepsMade.push(from.index); }
    const ki = KINDS.indexOf(kind);
    let c = m[ki];
    if (!c) {
      const ctl = new VtepControl({
        clock, localIp: from.ip, secret, table: kind, config, cpu: () => from.cpu, tableRows: tableRows(from, kind),
        transport: {
          send: (peerIp, sport, payload) => {
            const to = world.vtepByIp.get(peerIp);
            if (to) net.post(from, to, sport, payload, arrival);
          },
        },
      });
      ctl.onEvent = (e) => events.push({ type: e.type, peerIp: e.peerIp, sport: e.sport, atMs: e.atMs });
      m[ki] = ctl;
      kindsMade[from.index]!.push(kind);
      peersOf.set(ctl, new Set());
      if (started) ctl.start();
      c = ctl;
    }
    return c;
  };

  const middleboxOf = world.vteps.map((v) => middleboxByIp.get(v.ip)); // by VTEP index: no Map lookup per probe
  // Probe packets arrive here (ProbeNetwork.post): from and to by VTEP index.
  const arrival: EventSink<Uint8Array> = {
    fire: (from, to, sport, payload) => deliver(world.vteps[from], world.vteps[to], sport, payload),
  };

  const deliver = (from: Vtep, to: Vtep, sport: number, payload: Uint8Array): void => {
    if (!to.probes) return; // a plain VTEP neither answers nor sends probes
    const mb = middleboxOf[to.index];
    if (mb) writeBackendId(payload, mb.macs[mb.instanceFor(from.ip, sport)]);
    control(to, kindFor(to, from)).onProbe(from.ip, sport, payload);
  };

  const ctlFor = (seg: Segment): VtepControl => {
    const known = segCtl[seg.from]?.get(seg.to);
    if (known !== undefined) return known;
    const from = world.vteps[seg.from], to = world.vteps[seg.to];
    const c = control(from, kindFor(from, to));
    const peers = peersOf.get(c)!;
    if (!peers.has(to.ip)) {
      c.addPeer(to.ip, world.candidates(to.ip), { probes: to.probes });
      peers.add(to.ip);
    }
    let m = segCtl[seg.from];
    if (m === undefined) segCtl[seg.from] = m = new Map();
    m.set(seg.to, c);
    return c;
  };

  const all = (): VtepControl[] => vtepsMade.flatMap((v) => kindsMade[v]!.map((k) => byVtep[v]![KINDS.indexOf(k)]!));

  return {
    events,
    controls: all,
    controlFor: ctlFor,
    tableFor: (seg) => kindFor(world.vteps[seg.from], world.vteps[seg.to]),
    activePairs: () => [...peersOf.values()].reduce((n, s) => n + s.size, 0),
    port(flow, _k, seg) {
      if (!world.vteps[seg.from].probes) return defaultPort(world, flow, seg);
      // The datapath sees the tenant packet (the peer is active) before it picks the port, so the
      // control plane knows the port is in use by an active peer and probes it.
      const c = ctlFor(seg), peer = world.vteps[seg.to].ip;
      c.noteTenantTraffic(peer);
      return c.sourcePort(peer, flow.hash);
    },
    noteTraffic(seg) {
      if (!world.vteps[seg.from].probes) return;
      ctlFor(seg).noteTenantTraffic(world.vteps[seg.to].ip);
    },
    start() {
      started = true;
      for (const c of all()) c.start();
    },
    stop() {
      for (const c of all()) c.stop();
    },
  };
}
