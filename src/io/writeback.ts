// Early writeback of a file being written (docs/pcap.md, "Writing"): after each large write the kernel
// is asked to start putting those pages on the disk (the addon's writeback(), sync_file_range), so that
// the fsync before an output's atomic rename finds them written instead of writing them all then. A hint
// only: where the addon is missing nothing is asked, and durability is the fsync's either way.
import { afPacketAddon } from './addon.js';

let writeback: ((fd: number, offset: number, length: number) => number) | null | undefined;

/**
 * Ask the kernel to start writing `fd`'s bytes [offset, offset + length) to the disk now, without
 * waiting. True when it was asked; false where the addon (or its writeback()) is missing or refused.
 */
export function startWriteback(fd: number, offset: number, length: number): boolean {
  if (writeback === undefined) {
    const r = afPacketAddon();
    writeback = 'addon' in r && typeof r.addon.writeback === 'function' ? r.addon.writeback.bind(r.addon) : null;
  }
  return writeback !== null && length > 0 && writeback(fd, offset, length) === 0;
}
