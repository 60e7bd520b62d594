// What an output capture keeps of its input: format, timestamp resolution and snap length, each unless
// the caller says otherwise. A transform that keeps all three and changes no frame gives back the
// input file byte for byte (for a little-endian classic pcap; pcapng output has one interface).
import { MAX_NORMAL_CAPLEN } from './record.js';
import type { CaptureFormat, WriterOptions } from './writer.js';

/**
 * What the user asked to change about an output capture (`--format`, `--nano` / `--no-nano`); a field
 * left undefined keeps the input's. The snap length is always the input's.
 */
export interface FlavourOverrides {
  /** Container of the output; undefined: as the input. */
  format?: CaptureFormat;

  /** true: nanosecond timestamps, false: microseconds; undefined: as the input. */
  nanos?: boolean;
}

/** The input's flavour as a reader knows it once its header (or first interface) is decoded. */
export interface CaptureFlavour {
  readonly format: CaptureFormat;
  readonly nanos: boolean;
  /** 0 = unlimited. */
  readonly snaplen: number;
}

/** Writer options for an output of `input`'s flavour with `o` applied. */
export function keptFlavour(input: CaptureFlavour, o: FlavourOverrides = {}): WriterOptions {
  const format = o.format ?? input.format;
  // Classic pcap has no "unlimited": a pcapng snaplen of 0 becomes libpcap's usual maximum.
  const snaplen = input.snaplen === 0 && format === 'pcap' ? MAX_NORMAL_CAPLEN : input.snaplen;
  return { format, nanos: o.nanos ?? input.nanos, snaplen };
}
