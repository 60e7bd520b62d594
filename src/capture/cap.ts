// The one module that touches the `cap` addon (libpcap for Node). cap ships no types: this file
// declares the small part zooroute uses and loads the addon lazily, so that commands which do not
// capture never need it, and a missing build turns into one clear line instead of a stack trace.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { PERMISSION_HINT } from '../io/permission-hint.js';

/** What cap's native `Cap` object offers (lib/Cap.js, src/binding.cc of cap 0.2.1). */
interface CapHandle {
  /** Opens `device` with a BPF `filter`; every captured frame is copied into `buffer`. Returns the link type name. */
  open(device: string, filter: string, bufSize: number, buffer: Uint8Array): string;
  close(): boolean;
  /** pcap_sendpacket of the first `nBytes` of `buffer` (any ArrayBufferView: the addon reads its bytes in place). */
  send(buffer: Uint8Array, nBytes?: number): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
  removeAllListeners(event?: string): unknown;
}
interface CapModule { Cap: new () => CapHandle }

/** What to install when the addon is missing: cap builds with node-gyp against libpcap's headers. */
export const CAP_INSTALL_HINT =
  "live capture needs the optional 'cap' addon built against libpcap: apt-get install libpcap-dev (or libpcap-devel), then npm install (or npm rebuild cap)";

let loaded: CapModule | undefined;

/** Load cap once; throws a UsageError naming what to install when it is absent or unbuilt. */
export function loadCap(): CapModule {
  if (loaded) return loaded;
  try {
    const mod = createRequire(import.meta.url)('cap') as Partial<CapModule>;
    if (typeof mod.Cap !== 'function') throw new Error('cap has no Cap constructor');
    loaded = mod as CapModule;
    return loaded;
  } catch (e) {
    throw new UsageError(`${CAP_INSTALL_HINT} (${firstLine(e)})`);
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}

const CAP_NET_RAW = 13;

/** Whether this process may open packet sockets: root, or CAP_NET_RAW in the effective set. */
export function canCapture(): boolean {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return true;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m !== null && (BigInt('0x' + m[1]) & (1n << BigInt(CAP_NET_RAW))) !== 0n;
  } catch {
    return false; // no /proc: let libpcap decide, its error is mapped below
  }
}

/** Kernel capture ring by default: 64 MiB, about 1024 frames (see LiveOptions.ringBytes). */
export const DEFAULT_RING_BYTES = 64 << 20;
/** Bytes of kernel ring one captured frame occupies (see LiveOptions.ringBytes). */
export const RING_SLOT_BYTES = 64 << 10;

/**
 * Handles kept reachable until the process exits: those whose open() failed (never closed, see
 * LiveInterface.open), and closed ones. cap 0.2.1's close() stops its uv_poll handle but never
 * uv_close()s it, then makes the object collectable: once the garbage collector frees it, the poll
 * handle's memory is still linked in libuv's handle queue, and Node's walk over that queue at exit
 * crashed the agent with SIGSEGV after a clean stop (test/e2e/agent.test.ts, "agent B stopped
 * cleanly"). One small object per handle.
 */
const keptHandles: CapHandle[] = [];


/** How LiveInterface.open() sets up the libpcap handle. */
export interface LiveOptions {
  /** BPF filter expression (pcap-filter(7)); empty captures everything. */
  filter?: string;
  /**
   * Kernel ring size in bytes (pcap_set_buffer_size), default 64 MiB. cap asks libpcap for a 65535
   * snap length and immediate mode, which on Linux means TPACKET_V2 with fixed slots of about
   * 64 KiB: the ring holds ringBytes / 64 KiB frames (1024 by default) whatever their size.
   */
  ringBytes?: number;
  /** Largest frame handed over; longer frames arrive truncated. Default 65535. */
  snapBytes?: number;
}

/** A frame as cap hands it over: a view of the shared receive buffer, valid only during the callback. */
export type FrameListener = (frame: Uint8Array, truncated: boolean) => void;

/**
 * One libpcap handle on an interface: receives frames one callback at a time (cap's model) and
 * sends raw frames. Frames are copied by the addon into one receive buffer that is reused for
 * every frame, so a listener must consume or copy the view before it returns.
 */
export class LiveInterface {
  /** The interface's name as opened (e.g. eth0, or any). */
  readonly name: string;
  /** libpcap's link type as cap names it (ETHERNET, RAW, LINKTYPE_LINUX_SLL, NULL, ...). */
  readonly linkType: string;
  readonly #cap: CapHandle;
  readonly #buf: Buffer;
  #open = true;

  private constructor(name: string, cap: CapHandle, buf: Buffer, linkType: string) {
    this.name = name;
    this.#cap = cap;
    this.#buf = buf;
    this.linkType = linkType;
  }

  /** Open `iface`; throws a UsageError (one line) for missing permission, cap or interface. */
  static open(iface: string, opts: LiveOptions = {}): LiveInterface {
    const { Cap } = loadCap();
    if (!canCapture()) throw new UsageError(`opening ${iface} with libpcap ${PERMISSION_HINT}`);
    // Checked here because cap would print a libpcap warning first and then fail less clearly.
    if (iface !== 'any' && existsSync('/sys/class/net') && !existsSync(`/sys/class/net/${iface.replace(/\//g, '')}`)) {
      throw new UsageError(`no such interface: ${iface}`);
    }
    const cap = new Cap();
    const buf = Buffer.alloc(opts.snapBytes ?? 65535);
    let linkType: string;
    try {
      linkType = cap.open(iface, opts.filter ?? '', opts.ringBytes ?? DEFAULT_RING_BYTES, buf);
    } catch (e) {
      // cap 0.2.1 keeps a half-opened handle after a failed open: closing it stops a poll handle that
      // was never started (the process hung here), and its destructor, run by the garbage collector,
      // aborts the process. Keep it reachable instead: one small leak per failed open.
      keptHandles.push(cap);
      const msg = firstLine(e);
      if (/permission|not permitted/i.test(msg)) throw new UsageError(`opening ${iface} with libpcap ${PERMISSION_HINT}`);
      if (/no such device|doesn't exist/i.test(msg)) throw new UsageError(`no such interface: ${iface}`);
      throw new UsageError(`cannot capture on ${iface}: ${msg}`);
    }
    return new LiveInterface(iface, cap, buf, linkType);
  }

  /** Call `listener` for each captured frame (replaces any previous listener). */
  onFrame(listener: FrameListener): void {
    const buf = this.#buf;
    this.#cap.removeAllListeners('packet');
    this.#cap.on('packet', (n: number, truncated: boolean) => listener(buf.subarray(0, n), truncated));
  }

  /** Send one raw frame (a view is sent in place, without a copy). Throws on a libpcap error. */
  send(frame: Uint8Array): void {
    this.#cap.send(frame, frame.length);
  }

  /** False once close() was called. */
  get isOpen(): boolean { return this.#open; }

  /** Stop capturing and release the handle; the listener is dropped. Closing twice does nothing. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#cap.removeAllListeners('packet');
    this.#cap.close();
    keptHandles.push(this.#cap);
  }
}
