// Which format a capture is, from its first four bytes.
import { InputError } from '../errors.js';
import { ClassicDecoder, classicMagic, FILE_HEADER_LEN } from './classic.js';
import { BT_SHB, PcapngDecoder } from './pcapng.js';
import type { FormatDecoder } from './step.js';

/** Options every capture decoder takes (streamed or in memory). */
export interface DecoderOptions {
  /** Reject (InputError) any interface whose link type differs. */
  linkType?: number;
}

/**
 * A decoder for the capture whose first bytes are `head` (at least 4 unless the file is shorter;
 * `eof` says it is). Throws InputError for an empty file, a short one, or an unknown magic.
 */
export function decoderFor(file: string, head: Uint8Array, eof: boolean, opts: DecoderOptions = {}): FormatDecoder {
  if (head.length < 4) {
    if (!eof) throw new Error('decoderFor needs 4 bytes');
    throw new InputError(file, 0, head.length === 0 ? 'empty file' : `truncated file header (${head.length} of ${FILE_HEADER_LEN} bytes)`);
  }
  const be = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, false);
  if (be === BT_SHB) return new PcapngDecoder(file, opts.linkType);
  const m = classicMagic(be);
  if (m) return new ClassicDecoder(file, m, opts.linkType);
  const hint = head[0] === 0x1f && head[1] === 0x8b ? ' (gzip-compressed: decompress it first)' : ' (neither pcap nor pcapng)';
  throw new InputError(file, 0, `bad magic 0x${be.toString(16).padStart(8, '0')}${hint}`);
}
