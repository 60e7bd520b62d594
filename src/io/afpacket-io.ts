// PacketIo over the AF_PACKET addon: a TPACKET_V3 receive ring copied block by block into a batch,
// sendmmsg from a batch. One native call per batch each way; nothing is allocated per frame.
import { existsSync } from 'node:fs';
import type { PacketBatch } from '../../bindings/index.js';
import { UsageError } from '../errors.js';
import { PERMISSION_HINT } from './permission-hint.js';
import { ADDON_ERRNO, afPacketAddon, type AddonHandle, type AddonInfo, type AddonOpenOptions, type AfPacketAddon } from './addon.js';
import { TxStatus, type FrameViews, type IoStats, type PacketIo, type SendOptions } from './packet-io.js';

/** A failed addon call on arguments this module built: a bug, not a user error. */
function check(r: number, what: string): number {
  if (r >= 0) return r;
  throw new RangeError(`${what}: the AF_PACKET addon refused the call (${ADDON_ERRNO[-r] ?? `errno ${-r}`})`);
}

/** Most frames one sendFrames() call gathers into a single sendmmsg. */
const SPAN_CAPACITY = 1024;


/** Batched I/O on one interface through an AF_PACKET socket with a TPACKET_V3 receive ring. */
export class AfPacketIo implements PacketIo {
  readonly kind = 'mmap' as const;
  readonly iface: string;
  /** The socket's geometry (ring blocks, snap length, MTU). */
  readonly info: AddonInfo;
  readonly #a: AfPacketAddon;
  readonly #h: AddonHandle;
  readonly #spans = new Uint32Array(2 * SPAN_CAPACITY);
  readonly #spanStatus = new Uint8Array(SPAN_CAPACITY);
  #open = true;

  private constructor(a: AfPacketAddon, h: AddonHandle, iface: string) {
    this.#a = a;
    this.#h = h;
    this.iface = iface;
    this.info = a.info(h);
  }

  /** Open `iface`; throws a UsageError (one line) when the addon is missing, or for permission or a missing interface. */
  static open(iface: string, o: AddonOpenOptions = {}): AfPacketIo {
    const r = afPacketAddon();
    if ('missing' in r) throw new UsageError(`--io mmap: ${r.missing}`);
    if (o.netns === undefined && existsSync('/sys/class/net') && !existsSync(`/sys/class/net/${iface.replace(/\//g, '')}`)) {
      throw new UsageError(`no such interface: ${iface}`);
    }
    let h: AddonHandle;
    try {
      h = r.addon.open(iface, o);
    } catch (e) {
      const err = e as Error & { errno?: number };
      if (err.errno === 1 || err.errno === 13) throw new UsageError(`opening ${iface} with AF_PACKET ${PERMISSION_HINT}`);
      if (err.errno === 19) throw new UsageError(`no such interface: ${iface}`);
      throw new UsageError(`cannot open ${iface} with AF_PACKET: ${err.message}`);
    }
    return new AfPacketIo(r.addon, h, iface);
  }

  receive(batch: PacketBatch, stamps?: Uint32Array, max = Infinity): number {
    const g = batch.region;
    const end = Math.min(batch.capacity, batch.length + Math.max(0, Math.floor(max)));
    const n = check(this.#a.receive(this.#h, g.memory.buffer, g.desc, g.arena, batch.length, end, g.slotSize, g.headroom, stamps), 'receive');
    batch.length += n;
    return n;
  }

  onReadable(listener: (() => void) | undefined): void {
    check(this.#a.poll(this.#h, listener ?? null), 'poll');
  }

  /** Whether a started onReadable keeps the process alive (default yes, like a socket). */
  ref(yes: boolean): void { this.#a.ref(this.#h, yes); }

  send(batch: PacketBatch, o: SendOptions = {}): number {
    const g = batch.region;
    const count = o.count ?? o.indices?.length ?? batch.length;
    return check(this.#a.sendBatch(this.#h, g.memory.buffer, g.desc, g.arena, g.slotSize, count, o.which === 'input' ? 0 : 1,
      o.indices ?? null, o.statuses ?? null), 'send');
  }

  sendFrames(frames: FrameViews, statuses?: Uint8Array): number {
    // Views of one ArrayBuffer (the Wasm memory) go out in one sendmmsg; a view of another buffer starts a new call.
    let sent = 0, i = 0;
    while (i < frames.length) {
      const first = frames.frame(i);
      const buffer = first.buffer as ArrayBuffer;
      let k = 0;
      for (let f = first; ; ) {
        this.#spans[2 * k] = f.byteOffset;
        this.#spans[2 * k + 1] = f.byteLength;
        k++;
        if (i + k >= frames.length || k === SPAN_CAPACITY) break;
        f = frames.frame(i + k);
        if (f.buffer !== buffer) break;
      }
      const n = check(this.#a.sendSpans(this.#h, buffer, this.#spans, k, this.#spanStatus), 'send');
      if (statuses) statuses.set(this.#spanStatus.subarray(0, k), i);
      sent += n;
      i += k;
      // A full device queue refuses the rest of this call's frames: the later ones would fare no better.
      if (this.#spanStatus[k - 1] === TxStatus.RING_FULL) {
        statuses?.fill(TxStatus.RING_FULL, i, frames.length);
        break;
      }
    }
    return sent;
  }

  stats(): IoStats {
    const s = this.#a.stats(this.#h);
    return {
      kind: 'mmap', received: s.rxFrames, receivedBytes: s.rxBytes, sent: s.txFrames, sentBytes: s.txBytes, sendCalls: s.txCalls,
      drops: { ring: s.ringDrops, oversize: s.rxOversize, backlog: 0, txRingFull: s.txRingFull, txOversize: s.txOversize, txBadDesc: s.txBadDesc, txError: s.txError },
    };
  }

  /** False once close() was called. */
  get isOpen(): boolean { return this.#open; }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#a.close(this.#h);
  }
}
