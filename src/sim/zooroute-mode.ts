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
import { TcpRtoTimers } from './tcp-rto.js';
import type { EventSink } from './event-queue.js';
import { IpIndex } from './ip-index.js';

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
  const byVtep: (VtepControl | undefined)[] = new Array<undefined>(3 * V).fill(undefined); // [index * 3 + KINDS position]
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

  const vtepAt = new IpIndex(world.vteps.map((v) => v.ip)); // as world.vtepByIp, as an index

  const control = (from: Vtep, kind: TableKind): VtepControl => {
    if (!kindsMade[from.index]) { kindsMade[from.index] = []; vtepsMade.push(from.index); }
    const ki = KINDS.indexOf(kind);
    let c = byVtep[from.index * 3 + ki];
    if (!c) {
      const ctl = new VtepControl({
        clock, localIp: from.ip, secret, table: kind, config, cpu: () => from.cpu, tableRows: tableRows(from, kind), replyPortRange: world.portRange,
        transport: {
          send: (peerIp, sport, payload) => {
            const to = vtepAt.get(peerIp);
            if (to >= 0) net.postIndex(from.index, to, sport, payload, arrival);
          },
        },
      });
      ctl.onEvent = (e) => events.push({ type: e.type, peerIp: e.peerIp, sport: e.sport, atMs: e.atMs });
      byVtep[from.index * 3 + ki] = ctl;
      kindsMade[from.index]!.push(kind);
      peersOf.set(ctl, new Set());
      if (started) ctl.start();
      c = ctl;
    }
    return c;
  };

  // What a probe's arrival reads of the VTEPs, by index in flat arrays: a probe joins two random
  // VTEPs, and their objects are cache misses at region scale.
  const middleboxOf = world.vteps.map((v) => middleboxByIp.get(v.ip));
  const probesOf = Uint8Array.from(world.vteps, (v) => (v.probes ? 1 : 0));
  const gatewayOf = Uint8Array.from(world.vteps, (v) => (v.role === 'gateway' ? 1 : 0));
  const ipOf = Float64Array.from(world.vteps, (v) => v.ip);

  // Probe packets arrive here (ProbeNetwork.post), from and to by VTEP index: to's control plane for
  // from (the table kind to uses towards from, as kindFor says) gets the probe.
  const arrival: EventSink<Uint8Array> = {
    fire: (from, to, sport, payload) => {
      if (probesOf[to] === 0) return; // a plain VTEP neither answers nor sends probes
      const mb = middleboxOf[to];
      if (mb) writeBackendId(payload, mb.macs[mb.instanceFor(ipOf[from], sport)]);
      const ki = gatewayOf[to] === 0 ? 0 : gatewayOf[from] === 0 ? 1 : 2; // KINDS: redirect, hi, pbm
      const c = byVtep[to * 3 + ki] ?? control(world.vteps[to], KINDS[ki]);
      c.onProbe(ipOf[from], sport, payload);
    },
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

  const flowCtl: (VtepControl | undefined)[][] = world.flows.map((f) => f.segments.map(() => undefined));

  const all = (): VtepControl[] => vtepsMade.flatMap((v) => kindsMade[v]!.map((k) => byVtep[v * 3 + KINDS.indexOf(k)]!));

  // The retransmission trigger (ControlConfig.retransmitTrigger, beyond the talk): each TCP flow's own
  // retransmission timer, as the prr mode models it; when it expires, the tenant resends a segment,
  // and every probing VTEP on the flow's way sees the retransmission on the port its segment used.
  const rtx = resolveControlConfig(config).retransmitTrigger ? new TcpRtoTimers(ctx) : undefined;
  const lastPort = rtx ? world.flows.map((f) => new Int32Array(f.segments.length)) : [];

  return {
    events,
    controls: all,
    controlFor: ctlFor,
    tableFor: (seg) => kindFor(world.vteps[seg.from], world.vteps[seg.to]),
    activePairs: () => [...peersOf.values()].reduce((n, s) => n + s.size, 0),
    port(flow, k, seg) {
      if (probesOf[seg.from] === 0) return defaultPort(world, flow, seg);
      // ctlFor's answer kept per flow segment (when seg is the flow's own k-th: the engine's call).
      let c: VtepControl | undefined;
      const mine = flow.id < flowCtl.length && flow.segments[k] === seg;
      if (mine) c = flowCtl[flow.id][k];
      if (c === undefined) {
        c = ctlFor(seg);
        if (mine) flowCtl[flow.id][k] = c;
      }
      // The datapath sees the tenant packet (the peer is active) before it picks the port, so the
      // control plane knows the port is in use by an active peer and probes it.
      const peer = ipOf[seg.to];
      c.noteTenantTraffic(peer);
      const port = c.sourcePort(peer, flow.hash);
      if (rtx) lastPort[flow.id]![k] = port;
      return port;
    },
    afterBin: rtx === undefined ? undefined : (f, sent, lost, endMs) => {
      rtx.afterBin(f, sent, lost, endMs, () => {
        f.segments.forEach((seg, k) => {
          if (world.vteps[seg.from].probes) ctlFor(seg).noteRetransmission(world.vteps[seg.to].ip, lastPort[f.id]![k]!);
        });
      });
    },
    noteTraffic(seg) {
      if (probesOf[seg.from] === 0) return;
      ctlFor(seg).noteTenantTraffic(ipOf[seg.to]);
    },
    start() {
      started = true;
      for (const c of all()) c.start();
    },
    stop() {
      rtx?.stop();
      for (const c of all()) c.stop();
    },
  };
}
