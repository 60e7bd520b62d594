// The example vSwitch's I/O: a TAP device and an AF_PACKET socket through the tiny rawio addon
// (native/rawio.c: Node has no TUN/TAP or packet-socket API), read in batches on a worker thread.
import { createRequire } from 'node:module';

interface RawIoAddon {
  openTap(name: string): number;
  openPacket(ifname: string): number;
  write(fd: number, frame: Uint8Array): number;
  close(fd: number): void;
  readBatch(fd: number, buf: Uint8Array, lens: Uint32Array, slotSize: number, timeoutMs: number, cb: (err: Error | null, count: number) => void): void;
}

const addon = createRequire(import.meta.url)('./native/build/Release/rawio.node') as RawIoAddon;

/** Bytes per frame slot of a read batch: an Ethernet frame of a 1500-byte MTU and then some. */
const SLOT = 2048;
/** Frames per read batch. */
const SLOTS = 64;
/** How long a read waits before it looks again whether the port was closed. */
const POLL_MS = 100;

/** A frame source and sink on a file descriptor: a TAP device or a packet socket. */
export class RawPort {
  readonly #fd: number;
  #closed = false;

  private constructor(fd: number) { this.#fd = fd; }

  /** Create (or attach to) the TAP device `name`. */
  static tap(name: string): RawPort { return new RawPort(addon.openTap(name)); }

  /** A packet socket on interface `ifname` (every frame it receives, none this host sends). */
  static packet(ifname: string): RawPort { return new RawPort(addon.openPacket(ifname)); }

  /**
   * Read frames batch after batch until closed: `onBatch(frame)` per frame, then `done()` once the
   * batch is through. The frames are views of a buffer the next batch reuses.
   */
  read(onFrame: (frame: Uint8Array) => void, done: () => void): void {
    const buf = new Uint8Array(SLOT * SLOTS);
    const lens = new Uint32Array(SLOTS);
    const next = (): void => {
      if (this.#closed) return;
      addon.readBatch(this.#fd, buf, lens, SLOT, POLL_MS, (err, n) => {
        if (this.#closed) return;
        if (err !== null) process.stderr.write(`read: ${err.message}\n`);
        for (let i = 0; i < n; i++) onFrame(buf.subarray(i * SLOT, i * SLOT + lens[i]));
        if (n > 0) done();
        next();
      });
    };
    next();
  }

  /** Write one frame; false when the kernel did not take it (a full queue, the device down). */
  write(frame: Uint8Array): boolean { return addon.write(this.#fd, frame) === frame.length; }

  /** Stop reading and close the descriptor (a read in progress ends within POLL_MS). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    setTimeout(() => addon.close(this.#fd), POLL_MS * 2).unref();
  }
}
