// Replay's bulk path reads a classic Ethernet pcap with bulkRead (src/pcap/bulk-read.ts), records cut
// by the capture kept as captured, as replay's general path takes them (docs/replay.md, "Bulk path").
// Its time zero is the first record's timestamp, read here from the bytes as the general path decodes it.
import type { ClassicLayout } from '../pcap/index.js';

/** The first record's timestamp as replay's general path decodes it (fraction carried into seconds), from the bytes after the file header. */
export function firstTimestamp(bytes: Uint8Array, layout: ClassicLayout): { sec: number; nsec: number } | undefined {
  if (bytes.length < 8) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  let sec = dv.getUint32(0, !layout.bigEndian);
  let frac = dv.getUint32(4, !layout.bigEndian);
  const unit = layout.nanos ? 1_000_000_000 : 1_000_000;
  if (frac >= unit) { sec += Math.floor(frac / unit); frac %= unit; }
  return { sec, nsec: layout.nanos ? frac : frac * 1000 };
}

