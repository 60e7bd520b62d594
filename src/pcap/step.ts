// The contract between a format decoder and the readers that feed it bytes (streaming or in memory).
// A decoder never holds bytes itself: it looks at buf[pos, end), whose first byte sits at file offset
// base + pos, and answers how many bytes the next block or record takes.

/** Returned by step(): nothing left, the file ended cleanly. */
export const STEP_END = 0;
/** Returned by step(): the window holds too few bytes; `out.need` says how many from pos. */
export const STEP_NEED = -1;

/** What a step found. Reused from step to step: readers copy out what they keep. */
export interface StepOutput {
  /** The consumed block was a packet: the fields below describe it. */
  hasRecord: boolean;
  tsSec: number;
  tsNsec: number;
  /** Index of the frame's first byte in buf. */
  dataStart: number;
  dataLen: number;
  origLen: number;
  linkType: number;
  /** After STEP_NEED: bytes needed from pos. */
  need: number;
}

export function newStepOutput(): StepOutput {
  return { hasRecord: false, tsSec: 0, tsNsec: 0, dataStart: 0, dataLen: 0, origLen: 0, linkType: 0, need: 0 };
}

export interface Window {
  buf: Uint8Array;
  dv: DataView;
  pos: number;
  end: number;
  /** File offset of buf[0]. */
  base: number;
  /** No bytes follow buf[end]. */
  eof: boolean;
}

export interface FormatDecoder {
  readonly format: 'pcap' | 'pcapng';
  /** Some interface records timestamps finer than microseconds. */
  readonly nanos: boolean;
  /** Largest snaplen declared so far (0 = unlimited). */
  readonly snaplen: number;
  /**
   * Decode the next block: returns STEP_END, STEP_NEED, or the number of bytes it takes (which may
   * exceed the window for a large block to skip unread). Throws InputError on broken input.
   */
  step(w: Window, out: StepOutput): number;
}
