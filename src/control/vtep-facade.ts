// Vtep: one VXLAN tunnel endpoint with ZooRoute's path switching, for an embedder that owns the I/O
// (a userspace vSwitch, the zooroute agent). It ties together a Datapath (the Wasm kernels), the path
// tables and the control plane (VtepControl): the embedder hands it tenant frames and underlay frames
// and gives it a way to send a batch; the Vtep encapsulates with the control plane's port choice,
// answers and consumes probes, decapsulates tenant VXLAN, and reports events and metrics.
//
// Frames are copied once, into Wasm memory; every kernel call covers a batch. Nothing here touches
// a socket, a timer API or the wall clock: time is the embedder's Clock, so a Vtep runs as well on a
// VirtualClock in a test as on the real one in a process.
import { Datapath, DEFAULT_HEADROOM, DEFAULT_SLOT_SIZE, candidatePorts, formatIPv4, formatMac, parseIPv4, parseMac, statusName, type PacketBatch, type PortRange, type ResultDropped, type ResultOk } from '../../bindings/index.js';
import { randomInt } from 'node:crypto';
import type { Clock, TimerId } from './clock.js';
import { resolveControlConfig, type ControlConfig, type ProbeMode } from './config.js';
import { buildProbeInnerFrame, probePayloadOffset, PROBE_PAYLOAD_BYTES } from './probe-codec.js';
import { VtepControl, type ControlEvent, type ControlStats, type PortView } from './vtep.js';
import { SelectedFrames, type FrameBatch, type SentCount } from './frame-batch.js';
import { VtepCounters } from './vtep-counters.js';
import { PeerProbeStats } from './peer-probe-stats.js';
import { RateGauge } from './rate-gauge.js';
import { MacTable, macKey } from './mac-table.js';
import { FlowPorts } from './flow-ports.js';
import { IpMap } from './ip-map.js';
import { outerUdp, probeSendTsUs, type OuterUdp } from './underlay-frame.js';

/** An IPv4 address: dotted quad, or the address as a 32-bit unsigned number. */
export type Ipv4Address = string | number;
/** A MAC address: colon-separated hex, 6 bytes, or the address as a 48-bit number (macKey). */
export type MacAddress = string | Uint8Array | number;

/** What a Vtep needs from its embedder. */
export interface VtepOptions {
  /** The only source of time: RealClock in a process, VirtualClock in tests. */
  clock: Clock;
  /** This VTEP's underlay address (outer source IPv4). */
  localIp: Ipv4Address;
  /** This VTEP's underlay MAC (outer source MAC). */
  localMac: MacAddress;
  /** The underlay next hop's MAC (outer destination MAC), unless a peer names its own. */
  gatewayMac: MacAddress;
  /** The tenant VNI: frames are encapsulated with it and only it is decapsulated. */
  vni: number;
  /** The 16-byte probe secret shared by every VTEP (the SipHash key of the probe tags). */
  secret: Uint8Array;
  /**
   * Send these underlay frames (complete Ethernet frames: VXLAN tenant traffic or probes). Called
   * during flush(), tick(), a push or receive, or a control-plane timer; the frames are views valid
   * until it returns. Return how many were sent, from the first (see SentCount); report I/O failures
   * that way: an exception propagates to whoever caused the send. Must not feed the Vtep (push,
   * receive, flush): that throws.
   */
  sendUnderlay(frames: FrameBatch): SentCount;
  /** Deliver these decapsulated tenant frames to the VM side; same rules as sendUnderlay. */
  deliverTenant(frames: FrameBatch): SentCount;
  /** Hear of port and flow events (called synchronously; keep it short). */
  onEvent?: (e: VtepEvent) => void;
  /** Peers this VTEP can hold, default 64 (the Datapath reserves a tenant row and a probe row for each). */
  maxPeers?: number;
  /** Flow-hash and candidate-placement seed, default 0 (every VTEP of a deployment must agree on it). */
  hashSeed?: number;
  /** Outer source ports the candidates are drawn from, default 49152-65535. */
  portRange?: PortRange;
  /** Frames per Wasm batch, default 64: a batch is flushed when full, or by flush(). */
  batchSize?: number;
  /** VXLAN UDP destination port, default 4789. */
  vxlanPort?: number;
  /** Underlay MTU (outer IPv4 total length limit); 0 or absent: no limit. */
  mtu?: number;
  /** Control-plane settings (probe interval, timeouts, candidates, ...); defaults in DEFAULT_CONTROL_CONFIG. */
  control?: Partial<ControlConfig>;
  /** CPU utilisation of the embedding process, 0..1 a core: the control plane backs probing off above its watermark. Without it, no CPU backoff. */
  cpu?: () => number;
  /**
   * Whether the probes a control-plane timer queues are sent as soon as it has run (default true).
   * false: they wait in the probe batch, with the replies to probes received meanwhile, for the
   * embedder's next flush() or tick() (or until the batch is full), so that an embedder that wakes
   * once per tick sends its probes and replies in one batch, one send call. The embedder must then
   * flush after its clock's timers run (the agent does, once per wakeup).
   */
  flushProbesOnTimer?: boolean;
}

/** How a peer VTEP is reached and probed. */
export interface VtepPeerOptions {
  /** Tenant MACs known to sit behind the peer; more are learned from the frames it sends. */
  macs?: readonly MacAddress[];
  /** false for a peer known not to answer probes: it keeps the default port choice. Default true. */
  probes?: boolean;
  /** Probe mode for this peer (every port, or the ones in use and backups); default the control config's. */
  mode?: ProbeMode;
  /** Outer destination MAC towards this peer; default the Vtep's gatewayMac. */
  nextHopMac?: MacAddress;
}

/** A flow's outer source port changed: its packets now take another underlay path. */
export interface FlowSwitchEvent {
  /** Always 'flow-switched'. */
  type: 'flow-switched';
  /** The peer the flow goes to (32-bit IPv4). */
  peerIp: number;
  /** The flow's inner hash (the datapath's flow hash). */
  flowHash: number;
  /** The port the flow used before, and the one it uses now. */
  from: number;
  /** The port the flow uses now. */
  to: number;
  /** Clock time of the first packet seen on the new port. */
  atMs: number;
}

/** Everything a Vtep reports: the control plane's port events, and flows seen switching. */
export type VtepEvent = ControlEvent | FlowSwitchEvent;

/** One peer's state in a metrics snapshot. */
export interface VtepPeerMetrics {
  /** The peer's underlay address (32-bit IPv4). */
  ip: number;
  /** Whether the peer is probed. */
  probes: boolean;
  /** Every candidate port as the control plane sees it. */
  ports: PortView[];
  /** Probe counters towards the peer. */
  probe: PeerProbeStats;
  /** Current probe interval towards the peer, after CPU and CTL backoff. */
  intervalMs: number;
}

/** A Vtep's metrics at one moment. */
export interface VtepMetrics {
  /** Control-plane totals (probes, losses, port transitions, switches). */
  control: ControlStats;
  /** Per-peer state. */
  peers: VtepPeerMetrics[];
  /** Frame and byte counters (live object: it keeps counting). */
  counters: VtepCounters;
  /** Per-second rates as of the last tick() that closed a second. */
  rates: RateGauge;
  /** Peers with recent tenant traffic. */
  activePeers: number;
}

/** A configured peer, by datapath row. */
interface PeerEntry {
  readonly ip: number;
  readonly row: number;
  readonly probes: boolean;
  readonly probe: PeerProbeStats;
}

const BROADCAST_BIT = 0x01;
/** Ethernet + IPv4 + UDP headers in front of a probe payload in its inner frame. */
const PROBE_HEADERS = 14 + 20 + 8;
/** Bytes per peer in the probe header templates: PROBE_HEADERS rounded up to whole 32-bit words. */
const PROBE_HEAD_STRIDE = 44;
/** Type byte of a probe payload (offset 5, docs/probe-format.md): 1 request, 2 reply. */
const PROBE_TYPE_REQUEST = 1;
/** Probe statistics windows and rates close once per this much clock time (at a tick). */
const WINDOW_MS = 1000;

/** Tenant TCP flows the retransmission trigger tracks (a direct-mapped table: 16 B each, 256 KiB). */
const RETRANSMIT_FLOWS = 16384;

const ip4 = (a: Ipv4Address): number => (typeof a === 'number' ? a >>> 0 : parseIPv4(a));
function macBytes(m: MacAddress): Uint8Array {
  if (typeof m === 'string') return parseMac(m);
  if (m instanceof Uint8Array) {
    if (m.length !== 6) throw new RangeError(`a MAC has 6 bytes, got ${m.length}`);
    return m;
  }
  if (!Number.isInteger(m) || m < 0 || m > 0xffffffffffff) throw new RangeError(`not a 48-bit MAC: ${m}`);
  const b = new Uint8Array(6);
  for (let i = 5, v = m; i >= 0; i--, v = Math.floor(v / 256)) b[i] = v % 256;
  return b;
}

/**
 * One VTEP with path switching, driven by its embedder. Single-threaded: call it from one thread
 * only (one Vtep, and its Datapath, per worker). Lifecycle: construct, addPeer, start, then feed it
 * frames (pushTenant/pushUnderlay and flush, or encapTenant/receiveUnderlay), call tick() now and
 * then, and stop() at the end.
 */
export class Vtep {
  /** The control plane: health, probing, switching. Read it (ports, stats); its peers are the Vtep's to manage. */
  readonly control: VtepControl;
  /** Frame and byte counters. */
  readonly counters = new VtepCounters();
  /** The VXLAN UDP destination port in use (for the embedder's receive filter). */
  readonly vxlanPort: number;
  /** This VTEP's underlay address (32-bit IPv4). */
  readonly localIp: number;

  readonly #clock: Clock;
  readonly #dp: Datapath;
  readonly #encap: PacketBatch;
  readonly #decap: PacketBatch;
  readonly #probes: PacketBatch;
  /** Datapath row of each frame in the encap batch. */
  readonly #encapRow: Uint16Array;
  /** Rows seen in the batch being flushed (one noteTenantTraffic each). */
  readonly #encapSeen: Uint8Array;
  /** The frames to send of each batch (one list per batch: a send callback may cause another batch's flush). */
  readonly #outEncap: SelectedFrames;
  readonly #outDecap: SelectedFrames;
  readonly #outProbes: SelectedFrames;
  // How batches are drained (PacketBatch.forEachResult), made once: list what came out, count the rest.
  readonly #listEncap: ResultOk = (i) => { this.#outEncap.add(i); };
  readonly #listProbes: ResultOk = (i) => { this.#outProbes.add(i); };
  readonly #acceptDecap: ResultOk = (i, b) => {
    const peer = this.#byIp.get(b.outerSrc(i));
    if (peer === undefined) { this.counters.drop('unknown_peer'); return; }
    const inner = b.output(i);
    this.control.noteTenantTraffic(peer.ip);
    if (inner.length >= 12 && (inner[6] & BROADCAST_BIT) === 0) this.#macs.set(macKey(inner, 6), peer.row);
    this.#outDecap.add(i);
  };
  readonly #dropByStatus: ResultDropped = (_i, st) => { this.counters.drop(statusName(st)); };
  readonly #send: (frames: FrameBatch) => SentCount;
  readonly #deliver: (frames: FrameBatch) => SentCount;
  readonly #onEvent: ((e: VtepEvent) => void) | undefined;
  readonly #maxPeers: number;
  readonly #vni: number;
  readonly #gatewayMac: Uint8Array;
  readonly #probeVni: number;
  /** Peers by datapath row, and by address. */
  readonly #rows: (PeerEntry | undefined)[] = [];
  readonly #byIp = new IpMap<PeerEntry>();
  readonly #macs = new MacTable();
  readonly #flows = new FlowPorts();
  readonly #rates: RateGauge;
  readonly #outer: OuterUdp = { srcIp: 0, sport: 0, payloadOff: 0 };
  /**
   * The inner headers of each peer's probe frames (Ethernet/IPv4/UDP, checksum included: every probe
   * payload has the same length, so they never change), PROBE_HEAD_STRIDE bytes per datapath row,
   * built at addPeer: a probe is written straight into its batch slot, headers then payload.
   */
  readonly #probeHeads: DataView;
  /** Per probe-batch slot, a DataView of its frame area (made once, not per probe). */
  readonly #probeSlotView: (DataView | undefined)[] = [];
  /** A received probe's payload, copied out of its frame (not a view per probe): valid during control.onProbe. */
  readonly #probeIn = new Uint8Array(PROBE_PAYLOAD_BYTES);
  readonly #probeInView = new DataView(this.#probeIn.buffer);
  /** The buffer the latest received probe lay in, and a DataView of it once a second probe came in it. */
  #rxBuffer: ArrayBufferLike | undefined;
  #rxView: DataView | undefined;
  #windowAt: number;
  #started = false;
  #stopped = false;
  /** Inside a flush: a nested one (from a control-plane timer during a send callback) waits for the outer. */
  #flushing = false;
  /** Inside an embedder's send callback, where feeding the Vtep would rewrite the batch being sent. */
  #inCallback = false;
  /** control.retransmitTrigger: mark tenant TCP retransmissions after encap and report them (docs/health.md). */
  readonly #retransmits: boolean;
  /** control.retransmitStallMs: only a retransmission after its flow stalled this long is reported. */
  readonly #retransmitStallMs: number;

  /** Reserve the Datapath and its batches and set up the control plane; throws a RangeError on a bad option. */
  constructor(o: VtepOptions) {
    this.#clock = o.clock;
    this.#send = o.sendUnderlay;
    this.#deliver = o.deliverTenant;
    this.#onEvent = o.onEvent;
    const maxPeers = (this.#maxPeers = o.maxPeers ?? 64);
    if (!Number.isInteger(maxPeers) || maxPeers < 1 || maxPeers > 32767) throw new RangeError(`maxPeers must be an integer in 1..32767, got ${maxPeers}`);
    const control = resolveControlConfig({ ...o.control, maxPeers: 2 * maxPeers });
    this.#probeVni = control.probeVni;
    this.#vni = o.vni;
    if (o.vni === control.probeVni) throw new RangeError(`vni ${o.vni} is the probe VNI (control.probeVni)`);
    this.#gatewayMac = macBytes(o.gatewayMac);
    this.localIp = ip4(o.localIp);
    this.#dp = Datapath.create({
      localIp: formatIPv4(this.localIp),
      localMac: formatMac(macBytes(o.localMac)),
      decapVni: o.vni,
      hashSeed: o.hashSeed,
      portRange: o.portRange,
      candidates: control.candidates,
      batchSize: o.batchSize ?? 64,
      vxlanPort: o.vxlanPort,
      mtu: o.mtu,
      slotSize: DEFAULT_SLOT_SIZE,
      headroom: DEFAULT_HEADROOM,
      // Row r carries peer r's tenant traffic on the tenant VNI, row maxPeers + r its probes on the probe VNI.
      maxPeers: 2 * maxPeers,
      batches: 3,
      // Tenant rows choose their ports in Wasm from a mirror of the control plane's redirect table
      // (docs/tables.md): the control plane writes its decisions there, the datapath reads them.
      table: 'redirect',
      redirectSpread: control.redirectSpread,
      // Tenant TCP flows whose retransmissions the trigger reports; reserved only with the trigger on.
      retransmitFlows: control.retransmitTrigger ? RETRANSMIT_FLOWS : 0,
    });
    this.#retransmits = control.retransmitTrigger;
    this.#retransmitStallMs = control.retransmitStallMs;
    this.vxlanPort = this.#dp.config.vxlanPort;
    [this.#encap, this.#decap, this.#probes] = [this.#dp.batch(0), this.#dp.batch(1), this.#dp.batch(2)];
    this.#encapRow = new Uint16Array(this.#encap.capacity);
    this.#encapSeen = new Uint8Array(maxPeers);
    this.#probeHeads = new DataView(new ArrayBuffer(maxPeers * PROBE_HEAD_STRIDE));
    [this.#outEncap, this.#outDecap, this.#outProbes] = [0, 1, 2].map(() => new SelectedFrames(this.#encap.capacity));
    this.#rates = new RateGauge(o.clock.now());
    this.#windowAt = o.clock.now();
    this.control = new VtepControl({
      // Every control-plane timer is followed by a flush of the probes it queued: they leave in
      // the same turn, with no wakeup of their own.
      clock: o.flushProbesOnTimer === false ? o.clock : this.#flushingClock(o.clock),
      localIp: this.localIp,
      secret: o.secret,
      table: 'redirect', // a host's vSwitch: per-port preference for every failure (docs/tables.md)
      // Table rows = datapath rows, so the table mirrors into the datapath row for row.
      config: control,
      transport: { send: (ip, sport, payload) => this.#queueProbe(ip, sport, payload) },
      cpu: o.cpu,
      replyPortRange: this.#dp.config.portRange,
      // A random start: a restarted VTEP's probe numbers do not resume inside its peers' receipt windows.
      firstProbeNumber: randomInt(0, 2 ** 32 - 1),
    });
    this.control.onEvent = this.#onEvent === undefined ? undefined : (e) => this.#onEvent!(e);
    this.control.fast.attach(this.#dp);
  }

  #flushingClock(c: Clock): Clock {
    return {
      now: () => c.now(),
      setTimer: (delayMs: number, fn: () => void): TimerId => c.setTimer(delayMs, () => { fn(); this.#flushProbes(); }),
      clearTimer: (id: TimerId) => c.clearTimer(id),
    };
  }

  // ---- peers ------------------------------------------------------------------------------------

  /**
   * Add (or reconfigure) a peer VTEP; its candidate ports follow from the port range, the
   * candidate count and the hash seed. Throws a RangeError when the Vtep holds maxPeers already.
   */
  addPeer(ip: Ipv4Address, o: VtepPeerOptions = {}): void {
    const addr = ip4(ip);
    if (addr === this.localIp) throw new RangeError(`peer ${formatIPv4(addr)} is this VTEP`);
    const c = this.control.config;
    const cands = candidatePorts(this.#dp.config.portRange, c.candidates, addr, this.#dp.config.hashSeed);
    const old = this.#byIp.get(addr);
    if (old === undefined && this.#byIp.size >= this.#maxPeers) throw new RangeError(`the Vtep holds ${this.#maxPeers} peers already (maxPeers)`);
    this.control.addPeer(addr, cands, { probes: o.probes, mode: o.mode });
    const row = this.control.peerRow(addr)!;
    if (row >= this.#maxPeers) { this.control.removePeer(addr); throw new Error(`internal error: peer row ${row} beyond ${this.#maxPeers}`); }
    const mac = formatMac(o.nextHopMac === undefined ? this.#gatewayMac : macBytes(o.nextHopMac));
    const remoteIp = formatIPv4(addr);
    this.#dp.setPeer(row, { remoteIp, mac, vni: this.#vni, candidates: cands });
    this.#dp.setPeer(this.#maxPeers + row, { remoteIp, mac, vni: this.#probeVni, candidates: cands });
    this.#dp.usePeerTable(this.#maxPeers + row, false); // probes always leave on the port they test (forced)
    const head = buildProbeInnerFrame(new Uint8Array(PROBE_PAYLOAD_BYTES), { srcIp: this.localIp, dstIp: addr });
    new Uint8Array(this.#probeHeads.buffer, row * PROBE_HEAD_STRIDE, PROBE_HEADERS).set(head.subarray(0, PROBE_HEADERS));
    const e: PeerEntry = { ip: addr, row, probes: o.probes ?? true, probe: old?.probe ?? new PeerProbeStats() };
    this.#rows[row] = e;
    this.#byIp.set(addr, e);
    for (const m of o.macs ?? []) this.#macs.set(macKey(macBytes(m)), row);
  }

  /** Remove a peer: its frames still batched are sent first; its MACs are forgotten. */
  removePeer(ip: Ipv4Address): void {
    const addr = ip4(ip);
    const e = this.#byIp.get(addr);
    if (e === undefined) return;
    this.flush();
    this.control.removePeer(addr);
    this.#dp.removePeer(e.row);
    this.#dp.removePeer(this.#maxPeers + e.row);
    // Its tenant flows' sequence ends: a peer that takes the row later starts with none of them.
    if (this.#retransmits) this.#dp.clearRetransmitFlows(e.row);
    this.#macs.forgetRow(e.row);
    this.#rows[e.row] = undefined;
    this.#byIp.delete(addr);
  }

  /** The peers' underlay addresses (32-bit IPv4), in datapath row order. */
  peers(): number[] { return this.#rows.filter((e) => e !== undefined).map((e) => e.ip); }

  // ---- lifecycle --------------------------------------------------------------------------------

  /** Start probing (forwarding works before start too, with the default port choice). */
  start(): void {
    if (this.#stopped) throw new Error('a stopped Vtep does not restart');
    this.#started = true;
    this.control.start();
  }

  /** Stop probing; frames still batched are dropped (counted as 'stopped'). Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.control.stop();
    for (const b of [this.#encap, this.#decap, this.#probes]) { if (b.length > 0) this.counters.drop('stopped', b.length); b.clear(); }
  }

  /** Whether start() was called and stop() was not. */
  get running(): boolean { return this.#started && !this.#stopped; }

  /**
   * Housekeeping, to call at least once a second (more often is harmless): sends whatever is
   * batched, and once a second of clock time has passed, closes the probe-loss windows and the rates.
   */
  tick(): void {
    this.flush();
    const now = this.#clock.now();
    if (now - this.#windowAt >= WINDOW_MS) {
      this.#windowAt = now;
      this.#rates.update(this.counters, now);
      for (const e of this.#byIp.values()) e.probe.roll();
    }
  }

  // ---- tenant side -> underlay ------------------------------------------------------------------

  /**
   * Queue one tenant frame (copied into Wasm memory): to the peer its destination MAC sits behind;
   * broadcast, multicast and unknown destinations to every peer (head-end replication). A full batch
   * is encapsulated and sent at once; the rest waits for flush().
   */
  pushTenant(frame: Uint8Array): void {
    this.#notInCallback();
    if (this.#stopped) return;
    this.counters.tenantFrames++;
    if (frame.length < 14) { this.counters.drop('runt'); return; }
    if (frame.length > this.#encap.maxFrame) { this.counters.drop('oversize'); return; }
    const dst = (frame[0] & BROADCAST_BIT) === 0 ? this.#macs.get(macKey(frame, 0)) : undefined;
    if (dst !== undefined) { this.#pushEncap(frame, dst); return; }
    for (const e of this.#rows) if (e !== undefined) this.#pushEncap(frame, e.row);
  }

  /** Encapsulate and send a batch of tenant frames: pushTenant each, then flush. */
  encapTenant(frames: ArrayLike<Uint8Array>): void {
    for (let i = 0; i < frames.length; i++) this.pushTenant(frames[i]!);
    this.flush();
  }

  #pushEncap(f: Uint8Array, row: number): void {
    let i = this.#encap.push(f, row);
    if (i < 0) { this.#flushEncap(); i = this.#encap.push(f, row); }
    this.#encapRow[i] = row;
    if (this.#encap.full) this.#flushEncap();
  }

  /**
   * Encapsulate the batch in Wasm, each flow's port chosen there from the mirrored redirect table;
   * tell the control plane which peers had traffic and which ports were used; send.
   */
  #flushEncap(): void {
    const b = this.#encap, n = b.length;
    if (n === 0 || this.#stopped) return;
    const seen = this.#encapSeen.fill(0);
    for (let i = 0; i < n; i++) {
      const r = this.#encapRow[i];
      if (seen[r] === 0) { seen[r] = 1; this.control.noteTenantTraffic(this.#rows[r]!.ip); }
    }
    this.#dp.encap(b);
    // One more Wasm call per batch with the trigger on; none, and no per-packet test, without it.
    const marked = this.#retransmits && this.#dp.markRetransmits(b, this.#clock.now(), this.#retransmitStallMs) > 0;
    const out = this.#select(b, this.#outEncap, this.#listEncap);
    for (let j = 0; j < out.length; j++) {
      const i = out.packet(j), row = this.#encapRow[i];
      this.control.notePortUsed(row, b.candidate(i));
      const sport = b.sport(i), h = b.hash(i);
      // A timeout's repeat only: a fast retransmit (the flow still moving) is congestion's, not a dead path's.
      if (marked && b.retransmittedAfterStall(i)) this.control.noteRetransmission(this.#rows[row]!.ip, sport);
      const before = this.#flows.note(row, h, sport);
      if (before >= 0) {
        this.counters.flowSwitches++;
        this.#onEvent?.({ type: 'flow-switched', peerIp: this.#rows[row]!.ip, flowHash: h, from: before, to: sport, atMs: this.#clock.now() });
      }
    }
    const sent = this.#emit(this.#send, out, b);
    for (let j = 0; j < sent; j++) { this.counters.encapPackets++; this.counters.encapBytes += b.output(out.packet(j)).length; }
    b.clear();
  }

  /** List a batch's packets that came out OK in `out` (`list` adds to it); count the others as drops by status. */
  #select(b: PacketBatch, out: SelectedFrames, list: ResultOk): SelectedFrames {
    out.reset(b);
    b.forEachResult(list, this.#dropByStatus);
    return out;
  }

  /**
   * Hand frames to a send callback; returns how many it sent and counts the rest as send_failed.
   * A callback that throws sent none of them: the batch is cleared and the error propagates (a
   * failed send is reported by the count; a throw is a bug).
   */
  #emit(fn: (f: FrameBatch) => SentCount, out: SelectedFrames, b: PacketBatch): number {
    if (out.length === 0) return 0;
    let r: SentCount;
    this.#inCallback = true;
    try {
      r = fn(out);
    } catch (e) {
      this.counters.drop('send_failed', out.length);
      b.clear();
      throw e;
    } finally {
      this.#inCallback = false;
    }
    const sent = r === undefined ? out.length : Math.max(0, Math.min(out.length, Math.floor(r)));
    if (sent < out.length) this.counters.drop('send_failed', out.length - sent);
    return sent;
  }

  // ---- probes out -------------------------------------------------------------------------------

  #queueProbe(ip: number, sport: number, payload: Uint8Array): void {
    const p = this.#byIp.get(ip);
    if (p === undefined || this.#stopped) return;
    if (payload[5] === PROBE_TYPE_REQUEST) p.probe.sent++; // the transport carries our replies too
    else p.probe.repliesSent++;
    const row = this.#maxPeers + p.row, b = this.#probes;
    if (payload.length !== PROBE_PAYLOAD_BYTES) { // not a payload of this format's length: its own headers (never, today)
      const inner = buildProbeInnerFrame(payload, { srcIp: this.localIp, dstIp: p.ip });
      if (b.push(inner, row, sport) < 0) { this.#flushProbes(); b.push(inner, row, sport); }
      return;
    }
    if (b.full) this.#flushProbes();
    // The inner frame written in place: the peer's headers a word at a time, then the payload.
    const i = b.length, slot = this.#probeSlot(i), heads = this.#probeHeads, h = p.row * PROBE_HEAD_STRIDE;
    for (let k = 0; k < PROBE_HEADERS - 2; k += 4) slot.setUint32(k, heads.getUint32(h + k));
    slot.setUint16(PROBE_HEADERS - 2, heads.getUint16(h + PROBE_HEADERS - 2));
    b.slotView(i).set(payload, PROBE_HEADERS);
    b.commit(PROBE_HEADERS + PROBE_PAYLOAD_BYTES, row, sport);
  }

  /** A DataView of probe-batch slot i's frame area, made again only when its slot view is (PacketBatch.slotView). */
  #probeSlot(i: number): DataView {
    const bytes = this.#probes.slotView(i), v = this.#probeSlotView[i];
    if (v !== undefined && v.buffer === bytes.buffer) return v;
    return (this.#probeSlotView[i] = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  #flushProbes(): void {
    const b = this.#probes;
    if (b.length === 0 || this.#stopped) return;
    this.#dp.encap(b);
    this.#emit(this.#send, this.#select(b, this.#outProbes, this.#listProbes), b);
    b.clear();
  }

  // ---- underlay -> probes | tenant side ---------------------------------------------------------

  /**
   * Take one underlay frame: a probe goes to the control plane at once (a request is answered in
   * the probe batch, a reply updates health); tenant VXLAN is queued for decapsulation (copied into
   * Wasm memory), sent on when the batch is full or at flush().
   */
  pushUnderlay(frame: Uint8Array): void {
    this.#notInCallback();
    if (this.#stopped) return;
    this.counters.underlayFrames++;
    const o = outerUdp(frame, this.vxlanPort, this.#outer);
    if (o !== undefined) {
      const at = probePayloadOffset(frame, o.payloadOff, this.#probeVni); // no view unless it is a probe
      if (at >= 0) { this.#onProbe(o.srcIp, o.sport, this.#probePayload(frame, at)); return; }
    }
    if (frame.length > this.#decap.maxFrame) { this.counters.drop('oversize'); return; }
    this.#decap.push(frame, 0);
    if (this.#decap.full) this.#flushDecap();
  }

  /** Take a batch of underlay frames: pushUnderlay each, then flush (tenant frames delivered, probe replies sent). */
  receiveUnderlay(frames: ArrayLike<Uint8Array>): void {
    for (let i = 0; i < frames.length; i++) this.pushUnderlay(frames[i]!);
    this.flush();
  }

  /**
   * The probe payload at `at` in frame. Frames that share a buffer (a receive batch, a ring, a
   * packed message) have it copied a word at a time into a buffer reused for every probe: cheaper
   * than a view per probe, an allocation the GC then collects. A frame in a buffer of its own gets
   * a view, as a DataView of its buffer would cost more than the view.
   */
  #probePayload(frame: Uint8Array, at: number): Uint8Array {
    const buf = frame.buffer;
    if (buf !== this.#rxBuffer) { this.#rxBuffer = buf; this.#rxView = undefined; return frame.subarray(at, at + PROBE_PAYLOAD_BYTES); }
    // (The buffer is live: a detached one holds no frame that gets this far.)
    const src = (this.#rxView ??= new DataView(buf)), out = this.#probeInView, base = frame.byteOffset + at;
    for (let k = 0; k < PROBE_PAYLOAD_BYTES; k += 4) out.setUint32(k, src.getUint32(base + k));
    return this.#probeIn;
  }

  #onProbe(srcIp: number, sport: number, payload: Uint8Array): void {
    this.counters.probeFrames++;
    if (payload[5] === PROBE_TYPE_REQUEST) { this.control.onProbe(srcIp, sport, payload); return; }
    if (!this.control.onProbe(srcIp, sport, payload)) return; // not a reply that matched (no stats() copy per probe)
    const p = this.#byIp.get(srcIp);
    if (p === undefined) return;
    // Our own send time came back in the reply: RTT on this VTEP's clock.
    const rtt = this.#clock.now() - probeSendTsUs(payload) / 1000;
    p.probe.answered++;
    p.probe.rttLastMs = rtt;
    p.probe.rttSumMs += rtt;
  }

  #flushDecap(): void {
    const b = this.#decap, n = b.length;
    if (n === 0 || this.#stopped) return;
    this.#dp.decap(b);
    // Known peers' frames are listed (their MACs learnt), the rest counted as drops.
    const out = this.#select(b, this.#outDecap, this.#acceptDecap);
    const sent = this.#emit(this.#deliver, out, b);
    for (let j = 0; j < sent; j++) { this.counters.decapPackets++; this.counters.decapBytes += b.output(out.packet(j)).length; }
    b.clear();
  }

  #notInCallback(): void {
    if (this.#inCallback) throw new Error('a Vtep was fed from its own send callback: queue the work and feed it after the callback returns');
  }

  // ---- flush and metrics ------------------------------------------------------------------------

  /** Frames waiting in a batch for flush(). */
  get pending(): number { return this.#encap.length + this.#decap.length + this.#probes.length; }

  /**
   * Send everything batched: decapsulated frames to the tenant side, encapsulated ones and, unless
   * `probes` is false, probes and probe replies to the underlay (false: tenant traffic only, the
   * probe batch keeps filling until a later flush).
   */
  flush(probes = true): void {
    this.#notInCallback();
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      this.#flushDecap();
      this.#flushEncap();
      if (probes) this.#flushProbes();
    } finally {
      this.#flushing = false;
    }
  }

  /** A snapshot of the control plane's state and the counters (allocates: for a metrics scrape, not per packet). */
  metrics(): VtepMetrics {
    return {
      control: this.control.stats(),
      peers: this.#rows.filter((e) => e !== undefined).map((e) => ({
        ip: e.ip, probes: e.probes, ports: this.control.ports(e.ip), probe: e.probe, intervalMs: this.control.effectiveIntervalMs(e.ip),
      })),
      counters: this.counters,
      rates: this.#rates,
      activePeers: this.control.activePeers(),
    };
  }
}
