// The live VTEP: an embedder of the Vtep facade (zooroute/control), like any userspace vSwitch.
// The agent owns the I/O: tenant frames captured on the VM-facing interface and VXLAN captured on
// the underlay go into the Vtep, which encapsulates, answers and consumes probes, and decapsulates;
// the frames it hands back are injected on the other interface. Probes run on the real clock.
//
// I/O is a PacketIo per interface (docs/io.md): the AF_PACKET addon by default (a TPACKET_V3 ring
// read a block at a time, one sendmmsg per batch the Vtep hands back: tenant frames, probes and
// replies alike), or libpcap through cap (--io cap, or where the addon is not built).
//
// Own frames are never captured again: each interface has ONE packet socket that both receives
// and sends, and Linux does not loop a packet socket's own transmissions back to it (the AF_PACKET
// socket also ignores outgoing frames); the underlay filter admits only VXLAN addressed to this VTEP.
//
// Only the package's public entry modules are imported (zooroute, zooroute/control and, for the
// agent's own I/O, zooroute/capture: the part an embedder brings itself); test/agent-imports.test.ts checks.
import { readFileSync } from 'node:fs';
import { formatIPv4 } from '../../bindings/index.js';
import {
  Vtep, RealClock, readHealthFile, resolveControlConfig, writeHealthFile, type Clock, type FrameBatch, type VtepControl, type VtepEvent,
} from '../control/index.js';
import { PacketBatch } from '../../bindings/index.js';
import { RING_SLOT_BYTES, UsageError, chooseIo, openPacketIo, type IoKind, type IoStats, type PacketIo } from '../capture/index.js';
import type { AgentConfig, AgentPeerConfig } from './config.js';
import { CpuSampler } from './cpu.js';
import { EventLog, type AgentEvent } from './event-log.js';
import { keyFileWarning } from './key-file-check.js';
import { renderMetrics } from './metrics.js';
import { WakeCoalescer } from './wake-coalescer.js';
import { TurnClock } from './turn-clock.js';

/** Where frames come from and go to, one frame at a time (a test's wire; a live agent uses a PacketIo). */
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
  /** Interfaces; by default PacketIo handles on the config's interfaces. */
  vm?: AgentPort;
  underlay?: AgentPort;
  /** Packet I/O for the config's interfaces: by default mmap where the AF_PACKET addon is built, else cap (said once, as a warning event). */
  io?: IoKind;
  /** The config file this config came from: start() warns when others may read its key. */
  configPath?: string;
  /** Wall clock for the state file's age (ms since the epoch); by default Date.now. */
  epochMs?: () => number;
}

/** What a config reload changed. */
export interface ReloadResult {
  added: number;
  removed: number;
  /** Peers whose MACs, probing or mode changed: set up again (their ports are probed afresh). */
  changed: number;
  /** Peers left exactly as they were: their traffic is never interrupted. */
  unchanged: number;
  /** Fields that differ from the running config but take effect only on a restart. */
  needRestart: string[];
}

const peerKey = (p: AgentPeerConfig): string => JSON.stringify([p.macs, p.probes, p.mode]);

/** Config fields a reload cannot change in a running Vtep (everything but the peers). */
function restartOnlyDiffs(a: AgentConfig, b: AgentConfig): string[] {
  const plain = (c: AgentConfig): Record<string, unknown> => ({
    vmIface: c.vmIface, underlay: [c.underlayIface, c.localIp, c.localMac && [...c.localMac], [...c.gatewayMac]], vni: c.vni,
    secret: [...c.secret], portRange: c.portRange, hashSeed: c.hashSeed, metrics: [c.metricsHost, c.metricsPort], log: c.log,
    batchSize: c.batchSize, ringMb: c.ringBytes, rxCoalesceUs: c.rxCoalesceUs, control: c.control,
    stateFile: c.stateFile, stateMaxAgeMs: c.stateMaxAgeMs, maxPeers: c.maxPeers,
  });
  const x = plain(a), y = plain(b);
  return Object.keys(x).filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}

function readMac(iface: string): Uint8Array {
  try {
    const s = readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim();
    return Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
  } catch {
    throw new UsageError(`cannot read the MAC of ${iface}; set underlay.localMac`);
  }
}

/** Send a batch frame by frame on an AgentPort; stops at the first failure (the Vtep counts the rest). */
function sendEach(port: AgentPort, frames: FrameBatch): number {
  for (let i = 0; i < frames.length; i++) {
    try { port.send(frames.frame(i)); } catch { return i; }
  }
  return frames.length;
}

/** Frames a live interface's receive batch holds: what one receive call copies out of the ring. */
const RX_BATCH = 256;
/** Bytes per receive slot: a frame at the interface MTU (the agent's Vtep takes no larger ones). */
const RX_SLOT = 2048;

/** One side of the agent: a PacketIo (live) or an AgentPort (injected). */
type Side = { kind: 'io'; io: PacketIo } | { kind: 'port'; port: AgentPort };

/** A receive batch in memory of its own, with the Wasm core's layout: the ring's frames land here, then go into the Vtep. */
function rxBatch(): PacketBatch {
  const desc = 0, arena = RX_BATCH * 48;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((arena + RX_BATCH * RX_SLOT) / 65536) });
  return new PacketBatch({ memory, desc, arena, capacity: RX_BATCH, slotSize: RX_SLOT, headroom: 0 });
}

export class Agent {
  /** The config in force (replaced by reload). */
  config: AgentConfig;
  /** The VTEP this agent drives. */
  readonly vtep: Vtep;
  /** The Vtep's control plane. */
  readonly control: VtepControl;
  readonly #vm: Side;
  readonly #underlay: Side;
  /** The packet I/O in use for live interfaces (undefined when both sides are injected ports). */
  readonly io: IoKind | undefined;
  /** The fallback notice of the I/O choice, logged once at start. */
  readonly #ioNotice: string | undefined;
  readonly #rx = rxBatch();
  readonly #emit: (e: AgentEvent) => void;
  readonly #eventLog: EventLog | undefined;
  readonly #cpu = new CpuSampler();
  /** One setImmediate flushes every batch, then lets the coalescer sleep. */
  #flushQueued = false;
  /** Inside #flushAll: sends made there need no flush of their own. */
  #inFlush = false;
  readonly #coalescer: WakeCoalescer;
  #tick: ReturnType<typeof setInterval> | undefined;
  /** The Vtep's clock on the real clock: refreshed wherever a turn of work begins (#newTurn). */
  readonly #turn: TurnClock | undefined;
  #stopped = false;
  readonly #configPath: string | undefined;
  readonly #epochMs: () => number;
  /** Peers by address, as configured now (for reload's diff). */
  readonly #peerCfg = new Map<number, AgentPeerConfig>();

  constructor(o: AgentOptions) {
    const c = (this.config = o.config);
    const clock = o.clock ?? new RealClock();
    this.#configPath = o.configPath;
    this.#epochMs = o.epochMs ?? Date.now;
    this.#eventLog = o.log === undefined ? new EventLog(c.log) : undefined;
    this.#emit = o.log ?? ((e) => this.#eventLog!.write(e));
    // Never sleep after a burst that filled a quarter of the kernel ring: it could overflow meanwhile.
    const live = o.vm === undefined || o.underlay === undefined;
    const choice = live ? chooseIo(o.io) : undefined;
    this.io = choice?.kind;
    this.#ioNotice = choice?.notice;
    // On the real clock, the control plane reads the time once per turn of work (src/agent/turn-clock.ts).
    const turn = (this.#turn = clock instanceof RealClock ? new TurnClock(clock) : undefined);
    this.#coalescer = new WakeCoalescer({
      windowMs: c.rxCoalesceUs / 1000,
      // Probe traffic alone waits for the control plane's next tick (probes leave on ticks anyway).
      quietWindowMs: resolveControlConfig(c.control).tickMs,
      // cap's ring holds fixed 64 KiB slots; the AF_PACKET ring packs frames by size (counted here at an MTU-sized slot).
      maxBurst: Math.max(1, Math.floor(c.ringBytes / (this.io === 'mmap' ? RX_SLOT : RING_SLOT_BYTES) / 4)),
      // The wakeup at the boundary does the window's work at once: the frames the live rings gathered
      // meanwhile, and the control plane's ticks due then (#flushAll then sends it all).
      // The rings first: replies that arrived while we slept are read before a timeout judges them.
      // The sleep was inside a task: the task's time is read afresh for what the wakeup does.
      onWake: clock instanceof RealClock ? () => { turn!.refresh(); this.#drainAll(); clock.runDue(); } : undefined,
    });
    // On the real clock, probes and replies leave once per wakeup, in one batch (#flushAll), not one
    // send call after each control-plane timer and another for the replies to what the rings held.
    const batchProbes = clock instanceof RealClock;
    this.vtep = new Vtep({
      clock: batchProbes ? this.#wakingClock(turn!) : clock,
      flushProbesOnTimer: !batchProbes,
      localIp: c.localIp,
      localMac: c.localMac ?? readMac(c.underlayIface),
      gatewayMac: c.gatewayMac,
      vni: c.vni,
      secret: c.secret,
      maxPeers: c.maxPeers,
      hashSeed: c.hashSeed,
      portRange: c.portRange,
      batchSize: c.batchSize,
      control: c.control,
      cpu: () => this.#cpu.sample(),
      sendUnderlay: (f) => this.#sent(this.#send(this.#underlay, f)),
      deliverTenant: (f) => this.#sent(this.#send(this.#vm, f)),
      onEvent: (e) => this.#onVtepEvent(e),
    });
    this.control = this.vtep.control;
    for (const p of c.peers) this.#addPeer(p);
    // Open the underlay first: it only receives VXLAN for us, so nothing is forwarded before both are up.
    this.#underlay = o.underlay !== undefined ? { kind: 'port', port: o.underlay }
      : { kind: 'io', io: openPacketIo(this.io!, c.underlayIface, { udpDst: this.vtep.vxlanPort, ipDst: c.localIp, ringBytes: c.ringBytes }) };
    try {
      this.#vm = o.vm !== undefined ? { kind: 'port', port: o.vm } : { kind: 'io', io: openPacketIo(this.io!, c.vmIface, { ringBytes: c.ringBytes }) };
    } catch (e) {
      Agent.#close(this.#underlay);
      throw e;
    }
  }

  /** `c`, whose timers, once run, count as work and queue the flush that sends what they queued. */
  #wakingClock(c: Clock): Clock {
    const after = (): void => { if (this.#stopped) return; this.#coalescer.note(); this.#queueFlush(); };
    return {
      now: () => c.now(),
      setTimer: (delayMs, fn) => c.setTimer(delayMs, () => { this.#newTurn(); fn(); after(); }),
      clearTimer: (id) => c.clearTimer(id),
    };
  }

  static #close(s: Side): void {
    if (s.kind === 'io') { s.io.onReadable(undefined); s.io.close(); } else s.port.close();
  }

  /** Send what the Vtep hands back: one call per batch on a PacketIo (sendmmsg with the addon), frame by frame on a port. */
  #send(s: Side, frames: FrameBatch): number {
    return s.kind === 'io' ? s.io.sendFrames(frames) : sendEach(s.port, frames);
  }

  /** Both live interfaces' waiting frames into the Vtep (on waking from a coalesced sleep). */
  #drainAll(): void {
    if (this.#underlay.kind === 'io') this.#drain(this.#underlay.io, this.#pushUnderlay);
    if (this.#vm.kind === 'io') this.#drain(this.#vm.io, this.#pushTenant);
  }

  readonly #pushUnderlay = (f: Uint8Array): void => this.vtep.pushUnderlay(f);
  readonly #pushTenant = (f: Uint8Array): void => this.vtep.pushTenant(f);

  /** Everything waiting on a live interface, a receive batch at a time, into the Vtep. */
  #drain(io: PacketIo, push: (f: Uint8Array) => void): void {
    if (this.#stopped) return;
    this.#newTurn();
    const rx = this.#rx;
    let total = 0;
    for (let n = io.receive(rx); n > 0; n = io.receive(rx)) {
      for (let i = 0; i < n; i++) push(rx.input(i));
      rx.clear();
      total += n;
    }
    if (total === 0) return;
    this.#coalescer.note(total);
    this.#queueFlush();
  }

  /** Counters of the live interfaces' I/O (drops by reason), for the metrics and the stop event. */
  ioStats(): { vm?: IoStats; underlay?: IoStats } {
    const r: { vm?: IoStats; underlay?: IoStats } = {};
    if (this.#vm.kind === 'io') r.vm = this.#vm.io.stats();
    if (this.#underlay.kind === 'io') r.underlay = this.#underlay.io.stats();
    return r;
  }

  #addPeer(p: AgentPeerConfig): void {
    this.vtep.addPeer(p.ip, { macs: p.macs, probes: p.probes, mode: p.mode });
    this.#peerCfg.set(p.ip, p);
  }

  /**
   * Restore the state file's port health into the configured peers when it is fresh enough (before
   * probing starts: restored active peers are probed at once, which re-validates what was saved).
   */
  #restoreState(): void {
    const path = this.config.stateFile;
    if (path === undefined) return;
    const r = readHealthFile(path);
    if ('missing' in r) { this.#log('state-restored', { file: path, restored: false, reason: 'missing' }); return; }
    if ('error' in r) { this.#log('warning', { message: `${path}: saved port health not used: ${r.error}` }); return; }
    const res = this.control.restoreHealth(r.snapshot, this.#epochMs(), this.config.stateMaxAgeMs);
    this.#log('state-restored', { file: path, ...res, ageMs: Math.round(res.ageMs) });
  }

  /** Write every peer's port health to the state file (atomically); logs and swallows a failure. */
  saveState(): boolean {
    this.#newTurn();
    const path = this.config.stateFile;
    if (path === undefined) return false;
    try {
      const s = this.control.saveHealth(this.#epochMs());
      writeHealthFile(path, s);
      this.#log('state-saved', { file: path, peers: s.peers.length, ports: s.peers.reduce((n, p) => n + p.ports.length, 0) });
      return true;
    } catch (e) {
      this.#log('warning', { message: `${path}: cannot save port health (${(e as Error).message})` });
      return false;
    }
  }

  /**
   * Apply a new config's peers while running: removed peers go, added ones come (and are probed
   * when they carry traffic), changed ones are reconfigured; unchanged peers are not touched, so
   * their flows keep their ports. Other fields take effect on a restart only (listed in the result).
   */
  reload(next: AgentConfig): ReloadResult {
    this.#newTurn();
    const needRestart = restartOnlyDiffs(this.config, next);
    const want = new Map(next.peers.map((p) => [p.ip, p]));
    let added = 0, removed = 0, changed = 0, unchanged = 0;
    for (const ip of [...this.#peerCfg.keys()]) {
      if (want.has(ip)) continue;
      this.vtep.removePeer(ip);
      this.#peerCfg.delete(ip);
      removed++;
    }
    for (const p of next.peers) {
      const old = this.#peerCfg.get(p.ip);
      if (old !== undefined && peerKey(old) === peerKey(p)) { unchanged++; continue; }
      if (old === undefined && this.#peerCfg.size >= this.config.maxPeers) {
        this.#log('warning', { message: `reload: peer ${formatIPv4(p.ip)} not added: the agent has room for ${this.config.maxPeers} peers (maxPeers; a restart applies a larger one)` });
        continue;
      }
      this.#addPeer(p);
      if (old === undefined) added++; else changed++;
    }
    // The running Vtep keeps its restart-only settings; the peers are the new config's.
    this.config = { ...this.config, peers: [...this.#peerCfg.values()] };
    const r: ReloadResult = { added, removed, changed, unchanged, needRestart };
    this.#log('reloaded', { ...r, peers: this.#peerCfg.size });
    return r;
  }

  /** Start forwarding and probing; emits the ready event with the metrics address. */
  start(extra: Record<string, unknown> = {}): void {
    this.#newTurn();
    if (this.#configPath !== undefined) {
      const w = keyFileWarning(this.#configPath);
      if (w !== undefined) this.#log('warning', { message: w });
    }
    if (this.#ioNotice !== undefined) this.#log('warning', { message: this.#ioNotice });
    this.#restoreState();
    const u = this.#underlay, v = this.#vm;
    if (u.kind === 'io') u.io.onReadable(() => this.#drain(u.io, this.#pushUnderlay));
    else u.port.onFrame((f) => this.#onUnderlay(f));
    if (v.kind === 'io') v.io.onReadable(() => this.#drain(v.io, this.#pushTenant));
    else v.port.onFrame((f) => this.#onVm(f));
    this.vtep.start();
    this.#tick = setInterval(() => { this.#newTurn(); this.vtep.tick(); }, 1000);
    this.#tick.unref();
    this.#log('ready', {
      vmIface: this.config.vmIface, underlayIface: this.config.underlayIface, localIp: formatIPv4(this.config.localIp), peers: this.config.peers.length,
      ...(this.io !== undefined ? { io: this.io } : {}), ...extra,
    });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#newTurn();
    this.#stopped = true;
    if (this.#tick !== undefined) clearInterval(this.#tick);
    this.saveState();
    // Frames still batched are dropped: the handles they would leave by close now.
    this.vtep.stop();
    const io = this.ioStats();
    Agent.#close(this.#vm);
    Agent.#close(this.#underlay);
    const s = this.control.stats();
    this.#log('stopped', {
      encap: this.vtep.counters.encapPackets, decap: this.vtep.counters.decapPackets, probesSent: s.probesSent, repliesOk: s.repliesOk,
      ...(io.vm !== undefined || io.underlay !== undefined ? { io: { vm: io.vm, underlay: io.underlay } } : {}),
    });
    this.#eventLog?.close();
  }

  /** Log a warning event (one line for the operator). */
  warn(message: string): void { this.#log('warning', { message }); }

  /** A turn of work begins (see TurnClock): the Vtep's clock is read afresh. */
  #newTurn(): void { this.#turn?.refresh(); }

  metricsText(): string {
    this.#newTurn();
    return renderMetrics({ ...this.vtep.metrics(), cpu: this.#cpu.last, io: this.ioStats() });
  }

  #log(event: AgentEvent['event'], fields: Record<string, unknown>): void {
    this.#emit({ event, epochMs: performance.timeOrigin + performance.now(), ...fields });
  }

  #onVtepEvent(e: VtepEvent): void {
    if (e.type === 'flow-switched') {
      this.#log('flow-switched', { peer: formatIPv4(e.peerIp), flowHash: e.flowHash, from: e.from, to: e.to });
      return;
    }
    const extra: Record<string, unknown> = {};
    if (e.held !== undefined) extra.held = e.held;
    if (e.failureFreeMs !== undefined) extra.failureFreeMs = Math.round(e.failureFreeMs);
    if (e.waitToRestore !== undefined) extra.waitToRestore = e.waitToRestore;
    this.#log(e.type, { peer: formatIPv4(e.peerIp), sport: e.sport, ...extra });
  }

  #onVm(f: Uint8Array): void {
    if (this.#stopped) return;
    if (this.#coalescer.note(1)) this.#newTurn(); // the first frame of a burst (it ends at #flushAll)
    this.vtep.pushTenant(f);
    this.#queueFlush();
  }

  #onUnderlay(f: Uint8Array): void {
    if (this.#stopped) return;
    if (this.#coalescer.note(1)) this.#newTurn();
    this.vtep.pushUnderlay(f);
    this.#queueFlush();
  }

  /**
   * The Vtep sent frames: work happened (a probe timer's sends start a burst of their own), so the
   * coalescer settles once the event loop turns.
   */
  #sent(n: number): number {
    if (!this.#inFlush) {
      this.#coalescer.note();
      this.#queueFlush();
    }
    return n;
  }

  /** Tenant frames handled so far (from either side), at the last #quietSinceLastSettle. */
  #tenantSeen = 0;

  /** Whether no tenant frame came in since the last call: the burst was probe traffic only. */
  #quietSinceLastSettle(): boolean {
    const c = this.vtep.counters;
    const n = c.tenantFrames + c.underlayFrames - c.probeFrames;
    const quiet = n === this.#tenantSeen;
    this.#tenantSeen = n;
    return quiet;
  }

  /** Flush what the batches hold once the event loop turns (after cap has drained the kernel ring). */
  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => this.#flushAll());
  }

  /**
   * Send what the batches hold, and sleep to the window's end when wakeups come fast (the
   * coalescer). Tenant frames leave before the sleep; probes and replies wait for the wakeup after
   * it, which runs the ticks due then and reads the rings, so that each wakeup sends its probes and
   * replies in one batch (one sendmmsg), a reply at most one window late.
   */
  #flushAll(): void {
    this.#flushQueued = false;
    if (this.#stopped) return;
    this.#newTurn();
    this.#inFlush = true;
    try { this.vtep.flush(false); } finally { this.#inFlush = false; }
    // Something queued more work meanwhile: its own flush settles.
    if (!this.#flushQueued) this.#coalescer.settle(this.#quietSinceLastSettle());
    if (this.#stopped) return;
    this.#inFlush = true;
    try { this.vtep.flush(); } finally { this.#inFlush = false; }
  }
}
