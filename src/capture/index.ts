/**
 * Live capture on a Linux interface through libpcap (the optional `cap` addon), for an embedder or agent
 * that owns no I/O of its own, and the reading of a small input file (a configuration) with errors
 * that name it. Loaded lazily: importing this module never needs the addon.
 *
 * @module zooroute/capture
 */
export {
  LiveInterface, canCapture, CAP_INSTALL_HINT, DEFAULT_RING_BYTES, RING_SLOT_BYTES,
  type LiveOptions, type FrameListener,
} from './cap.js';
export { InputError, UsageError, FileError } from '../errors.js';
export { readInputText } from '../read-input.js';
