// The live VTEP: tenant frames captured on the VM-facing interface are encapsulated in Wasm batches
// with the control plane's port choice and injected on the underlay; VXLAN captured on the underlay
// is split into probes (answered or consumed by VtepControl) and tenant frames (decapsulated in
// Wasm batches and sent to the VM-facing interface). Probes run on the real clock.
//
// Own frames are never captured again: each interface has ONE libpcap handle that both receives
// and sends, and Linux does not loop a packet socket's own transmissions back to it; the underlay
// filter also admits only VXLAN addressed to this VTEP.
import { readFileSync } from 'node:fs';
import { Datapath, Status, candidatePorts, formatIPv4, statusName, type PacketBatch } from '../../bindings/index.js';
import { VtepControl, RealClock, buildProbeInnerFrame, probePayloadOfVxlan, type Clock, type ControlEvent } from '../control/index.js';
import { LiveInterface, RING_SLOT_BYTES } from '../capture/cap.js';
import { UsageError } from '../cli/errors.js';
import { macKey, type AgentConfig } from './config.js';
import { CpuSampler } from './cpu.js';
import { EventLog, type AgentEvent } from './event-log.js';
import { DatapathCounters, PeerProbeStats, RateGauge, renderMetrics } from './metrics.js';
import { outerUdp, probeSendTsUs, type OuterUdp } from './underlay-frame.js';
import { WakeCoalescer } from './wake-coalescer.js';

const HEADROOM = 64;
const SLOT = 2048;
/** Flows remembered for flow-switch detection; the map is cleared when it grows past this. */
const MAX_TRACKED_FLOWS = 65536;
const BROADCAST_BIT = 0x01;
/** Ethernet + IPv4 + UDP headers in front of a probe payload in its inner frame. */
const PROBE_HEADERS = 14 + 20 + 8;
/** Type byte of a probe payload (offset 5, docs/probe-format.md): 1 request, 2 reply. */
const PROBE_TYPE_REQUEST = 1;

interface PeerEntry {
  ip: number;
  index: number;
  probe: PeerProbeStats;
  probes: boolean;
  /** The inner probe frame towards this peer: headers built once, the payload rewritten per probe. */
  probeFrame: Uint8Array | undefined;
}

/** Where frames come from and go to: libpcap handles in a live agent. */
export interface AgentPort {
  onFrame(listener: (frame: Uint8Array) => void): void;
  send(frame: Uint8Array): void;
  close(): void;
}

export interface AgentOptions {
  config: AgentConfig;
  /** Event sink; by default the config's log target. */
  log?: (e: AgentEvent) => void;
  clock?: Clock;
  /** Interfaces; by default libpcap handles on the config's interfaces. */
  vm?: AgentPort;
  underlay?: AgentPort;
}

function readMac(iface: string): Uint8Array {
  try {
    const s = readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim();
    return Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
  } catch {
    throw new UsageError(`cannot read the MAC of ${iface}; set underlay.localMac`);
  }
}

export class Agent {
  readonly config: AgentConfig;
  readonly control: VtepControl;
  readonly counters = new DatapathCounters();
  readonly #clock: Clock;
  readonly #dp: Datapath;
  readonly #encap: PacketBatch;
  /** Peer index of each frame in the encap batch (the batch's own descriptors hold it too, in Wasm memory). */
  readonly #encapPeer: Uint16Array;
  /** Peers seen in the batch being flushed (one noteTenantTraffic each). */
  readonly #encapSeen: Uint8Array;
  readonly #decap: PacketBatch;
  readonly #probes: PacketBatch;
  readonly #vm: AgentPort;
  readonly #underlay: AgentPort;
  readonly #emit: (e: AgentEvent) => void;
  readonly #eventLog: EventLog | undefined;
  readonly #peers: PeerEntry[] = [];
  readonly #byIp = new Map<number, PeerEntry>();
  /** Inner MAC -> peer index: configured, then learned from decapsulated frames. */
  readonly #macs = new Map<number, number>();
  /** (peer, flow hash) -> the port the flow last used. */
  readonly #flowPort = new Map<number, number>();
  readonly #cpu = new CpuSampler();
  readonly #rates = new RateGauge();
  readonly #outer: OuterUdp = { srcIp: 0, sport: 0, payloadOff: 0 };
  /** One setImmediate flushes every batch, then lets the coalescer sleep. */
  #flushQueued = false;
  readonly #coalescer: WakeCoalescer;
  #tick: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(o: AgentOptions) {
    const c = (this.config = o.config);
    const clock = o.clock ?? new RealClock();
    this.#clock = clock;
    this.#eventLog = o.log === undefined ? new EventLog(c.log) : undefined;
    this.#emit = o.log ?? ((e) => this.#eventLog!.write(e));
    const n = c.peers.length;
    this.#dp = Datapath.create({
      localIp: formatIPv4(c.localIp),
      localMac: Array.from(c.localMac ?? readMac(c.underlayIface), (b) => b.toString(16).padStart(2, '0')).join(':'),
      decapVni: c.vni,
      hashSeed: c.hashSeed,
      portRange: c.portRange,
      candidates: c.control.candidates,
      batchSize: c.batchSize,
      slotSize: SLOT,
      headroom: HEADROOM,
      // Rows 0..n-1 carry tenant traffic on the tenant VNI, rows n..2n-1 the same peers' probes on the probe VNI.
      maxPeers: 2 * n,
      batches: 3,
      // Tenant rows choose their ports in Wasm from a mirror of the control plane's redirect table
      // (docs/tables.md): the control plane writes its decisions there, the datapath reads them.
      table: 'redirect',
      redirectSpread: c.control.redirectSpread,
    });
    [this.#encap, this.#decap, this.#probes] = [this.#dp.batch(0), this.#dp.batch(1), this.#dp.batch(2)];
    this.#encapPeer = new Uint16Array(this.#encap.capacity);
    this.#encapSeen = new Uint8Array(n);
    // Never sleep after a burst that filled a quarter of the kernel ring: it could overflow meanwhile.
    this.#coalescer = new WakeCoalescer({
      windowMs: c.rxCoalesceUs / 1000,
      maxBurst: Math.max(1, Math.floor(c.ringBytes / RING_SLOT_BYTES / 4)),
      // The control plane's ticks due at the boundary run in the coalesced wakeup.
      onWake: clock instanceof RealClock ? () => clock.runDue() : undefined,
    });
    this.control = new VtepControl({
      clock: this.#clock,
      localIp: c.localIp,
      secret: c.secret,
      table: 'redirect', // a host's vSwitch: per-port preference for every failure (docs/tables.md)
      // Table rows = datapath peer rows, so the table mirrors into the datapath row for row.
      config: { ...c.control, maxPeers: 2 * n },
      transport: { send: (ip, sport, payload) => this.#sendProbe(ip, sport, payload) },
      cpu: () => this.#cpu.sample(),
    });
    this.control.onEvent = (e) => this.#onControlEvent(e);
    const gw = Array.from(c.gatewayMac, (b) => b.toString(16).padStart(2, '0')).join(':');
    c.peers.forEach((p, i) => {
      const cands = candidatePorts(c.portRange, c.control.candidates, p.ip, c.hashSeed);
      this.#dp.setPeer(i, { remoteIp: formatIPv4(p.ip), mac: gw, vni: c.vni, candidates: cands });
      this.#dp.setPeer(n + i, { remoteIp: formatIPv4(p.ip), mac: gw, vni: c.control.probeVni, candidates: cands });
      this.#dp.usePeerTable(n + i, false); // probes always leave on the port they test (forced)
      this.control.addPeer(p.ip, cands, { probes: p.probes, mode: p.mode });
      if (this.control.peerRow(p.ip) !== i) throw new Error(`peer ${formatIPv4(p.ip)}: table row ${this.control.peerRow(p.ip)}, datapath row ${i}`);
      const e: PeerEntry = { ip: p.ip, index: i, probe: new PeerProbeStats(), probes: p.probes, probeFrame: undefined };
      this.#peers.push(e);
      this.#byIp.set(p.ip, e);
      for (const m of p.macs) this.#macs.set(m, i);
    });
    this.control.fast.attach(this.#dp);
    // Open the underlay first: it only receives VXLAN for us, so nothing is forwarded before both are up.
    this.#underlay = o.underlay ?? LiveInterface.open(c.underlayIface, {
      filter: `udp dst port ${this.#dp.config.vxlanPort} and dst host ${formatIPv4(c.localIp)}`, ringBytes: c.ringBytes,
    });
    try {
      this.#vm = o.vm ?? LiveInterface.open(c.vmIface, { ringBytes: c.ringBytes });
    } catch (e) {
      this.#underlay.close();
      throw e;
    }
  }

  /** Start forwarding and probing; emits the ready event with the metrics address. */
  start(extra: Record<string, unknown> = {}): void {
    this.#underlay.onFrame((f) => this.#onUnderlay(f));
    this.#vm.onFrame((f) => this.#onVm(f));
    this.control.start();
    this.#tick = setInterval(() => {
      this.#rates.update(this.counters);
      for (const p of this.#peers) p.probe.roll();
    }, 1000);
    this.#tick.unref();
    this.#log('ready', { vmIface: this.config.vmIface, underlayIface: this.config.underlayIface, localIp: formatIPv4(this.config.localIp), peers: this.#peers.length, ...extra });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#tick !== undefined) clearInterval(this.#tick);
    this.control.stop();
    this.#vm.close();
    this.#underlay.close();
    // Frames still batched are dropped: the handles they would leave by are closed.
    for (const b of [this.#encap, this.#decap, this.#probes]) { if (b.length > 0) this.counters.drop('stopped', b.length); b.clear(); }
    const s = this.control.stats();
    this.#log('stopped', { encap: this.counters.encapPackets, decap: this.counters.decapPackets, probesSent: s.probesSent, repliesOk: s.repliesOk });
    this.#eventLog?.close();
  }

  metricsText(): string {
    return renderMetrics({
      control: this.control.stats(),
      peers: this.#peers.map((p) => ({ ip: p.ip, probes: p.probes, ports: this.control.ports(p.ip), probe: p.probe, intervalMs: this.control.effectiveIntervalMs(p.ip) })),
      dp: this.counters,
      rates: this.#rates,
      cpu: this.#cpu.last,
      activePeers: this.control.activePeers(),
    });
  }

  #log(event: AgentEvent['event'], fields: Record<string, unknown>): void {
    this.#emit({ event, epochMs: performance.timeOrigin + performance.now(), ...fields });
  }

  #onControlEvent(e: ControlEvent): void {
    const extra: Record<string, unknown> = {};
    if (e.held !== undefined) extra.held = e.held;
    if (e.failureFreeMs !== undefined) extra.failureFreeMs = Math.round(e.failureFreeMs);
    if (e.waitToRestore !== undefined) extra.waitToRestore = e.waitToRestore;
    this.#log(e.type, { peer: formatIPv4(e.peerIp), sport: e.sport, ...extra });
  }

  // ---- VM side -> underlay ------------------------------------------------------------------

  #onVm(f: Uint8Array): void {
    if (this.#stopped) return;
    this.#coalescer.note(1);
    this.counters.vmFrames++;
    if (f.length < 14) { this.counters.drop('runt'); return; }
    if (f.length > this.#encap.maxFrame) { this.counters.drop('oversize'); return; }
    const dst = (f[0] & BROADCAST_BIT) === 0 ? this.#macs.get(macKey(f, 0)) : undefined;
    if (dst !== undefined) this.#pushEncap(f, dst);
    else for (const p of this.#peers) this.#pushEncap(f, p.index); // broadcast, multicast, unknown: head-end replication
  }

  #pushEncap(f: Uint8Array, peer: number): void {
    let i = this.#encap.push(f, peer);
    if (i < 0) { this.#flushEncap(); i = this.#encap.push(f, peer); }
    this.#encapPeer[i] = peer;
    if (this.#encap.full) this.#flushEncap();
    else this.#queueFlush();
  }

  /** Flush what the batches hold once the event loop turns (after cap has drained the kernel ring). */
  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => this.#flushAll());
  }

  #flushAll(): void {
    this.#flushQueued = false;
    if (this.#stopped) return;
    this.#flushDecap();
    this.#flushEncap();
    this.#flushProbes();
    // Something queued more work meanwhile: its own flush settles.
    if (!this.#flushQueued) this.#coalescer.settle();
  }

  /**
   * Encapsulate the batch in Wasm, each flow's port chosen there from the mirrored redirect table;
   * tell the control plane which peers had traffic and which ports were used; send.
   */
  #flushEncap(): void {
    if (this.#stopped) return;
    const b = this.#encap, n = b.length;
    if (n === 0) return;
    const seen = this.#encapSeen.fill(0);
    for (let i = 0; i < n; i++) {
      const k = this.#encapPeer[i];
      if (seen[k] === 0) { seen[k] = 1; this.control.noteTenantTraffic(this.#peers[k].ip); }
    }
    this.#dp.encap(b);
    for (let i = 0; i < n; i++) {
      if (b.status(i) !== Status.OK) continue;
      const peer = this.#peers[this.#encapPeer[i]];
      this.control.notePortUsed(peer.index, b.candidate(i));
      this.#trackFlow(peer, b.hash(i), b.sport(i));
    }
    this.#sendBatch(b, true);
  }

  #trackFlow(peer: PeerEntry, h: number, sport: number): void {
    const key = peer.index * 4294967296 + h;
    const before = this.#flowPort.get(key);
    if (before === sport) return;
    if (this.#flowPort.size >= MAX_TRACKED_FLOWS) this.#flowPort.clear();
    this.#flowPort.set(key, sport);
    if (before !== undefined) {
      this.counters.flowSwitches++;
      this.#log('flow-switched', { peer: formatIPv4(peer.ip), flowHash: h, from: before, to: sport });
    }
  }

  #sendBatch(b: PacketBatch, tenant: boolean): void {
    for (let i = 0; i < b.length; i++) {
      const st = b.status(i);
      if (st !== Status.OK) { this.counters.drop(statusName(st)); continue; }
      const out = b.output(i);
      try {
        this.#underlay.send(out);
        if (tenant) { this.counters.encapPackets++; this.counters.encapBytes += out.length; }
      } catch {
        this.counters.drop('send_failed');
      }
    }
    b.clear();
  }

  // ---- probes out ---------------------------------------------------------------------------

  #sendProbe(ip: number, sport: number, payload: Uint8Array): void {
    const p = this.#byIp.get(ip);
    if (p === undefined || this.#stopped) return;
    if (payload[5] === PROBE_TYPE_REQUEST) p.probe.sent++; // the transport carries our replies too
    else p.probe.repliesSent++;
    this.#coalescer.note();
    const inner = this.#probeInnerFrame(p, payload);
    const row = this.#peers.length + p.index;
    if (this.#probes.push(inner, row, sport) < 0) { this.#flushProbes(); this.#probes.push(inner, row, sport); }
    this.#queueFlush();
  }

  /**
   * The inner frame of a probe to p: the peer's frame with this payload copied in. Every probe
   * payload has the same length, so the Ethernet/IPv4/UDP headers (checksum included) never change.
   */
  #probeInnerFrame(p: PeerEntry, payload: Uint8Array): Uint8Array {
    let f = p.probeFrame;
    if (f === undefined || f.length - PROBE_HEADERS !== payload.length) {
      f = p.probeFrame = buildProbeInnerFrame(payload, { srcIp: this.config.localIp, dstIp: p.ip });
      return f;
    }
    f.set(payload, PROBE_HEADERS);
    return f;
  }

  #flushProbes(): void {
    if (this.#stopped) return;
    if (this.#probes.length === 0) return;
    this.#dp.encap(this.#probes);
    this.#sendBatch(this.#probes, false);
  }

  // ---- underlay -> probes | VM side ---------------------------------------------------------

  #onUnderlay(f: Uint8Array): void {
    if (this.#stopped) return;
    this.#coalescer.note(1);
    this.counters.underlayFrames++;
    const o = outerUdp(f, this.#dp.config.vxlanPort, this.#outer);
    if (o !== undefined) {
      const probe = probePayloadOfVxlan(f.subarray(o.payloadOff), this.config.control.probeVni);
      if (probe !== undefined) { this.#onProbe(o.srcIp, o.sport, probe); return; }
    }
    if (f.length > this.#decap.maxFrame) { this.counters.drop('oversize'); return; }
    this.#decap.push(f, 0);
    if (this.#decap.full) this.#flushDecap();
    else this.#queueFlush();
  }

  #onProbe(srcIp: number, sport: number, payload: Uint8Array): void {
    this.counters.probeFrames++;
    if (payload[5] === PROBE_TYPE_REQUEST) { this.control.onProbe(srcIp, sport, payload); return; }
    const before = this.control.stats().repliesOk;
    this.control.onProbe(srcIp, sport, payload);
    if (this.control.stats().repliesOk !== before) {
      const p = this.#byIp.get(srcIp);
      if (p !== undefined) {
        // Our own send time came back in the reply: RTT on this process's clock.
        const rtt = this.#clock.now() - probeSendTsUs(payload) / 1000;
        p.probe.answered++;
        p.probe.rttLastMs = rtt;
        p.probe.rttSumMs += rtt;
      }
    }
  }

  #flushDecap(): void {
    if (this.#stopped) return;
    const b = this.#decap, n = b.length;
    if (n === 0) return;
    this.#dp.decap(b);
    for (let i = 0; i < n; i++) {
      const st = b.status(i);
      if (st !== Status.OK) { this.counters.drop(statusName(st)); continue; }
      const peer = this.#byIp.get(b.outerSrc(i));
      if (peer === undefined) { this.counters.drop('unknown_peer'); continue; }
      const inner = b.output(i);
      this.control.noteTenantTraffic(peer.ip);
      if (inner.length >= 12 && (inner[6] & BROADCAST_BIT) === 0) this.#macs.set(macKey(inner, 6), peer.index);
      try {
        this.#vm.send(inner);
        this.counters.decapPackets++;
        this.counters.decapBytes += inner.length;
      } catch {
        this.counters.drop('send_failed');
      }
    }
    b.clear();
  }
}
