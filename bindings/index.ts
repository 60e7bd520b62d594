/**
 * The datapath: the Wasm core behind typed bindings (Datapath, PacketBatch), status codes, ports and addresses.
 *
 * @module zooroute
 */
export { Datapath, resolveConfig, type DatapathConfig, type PeerConfig, type Peer, type ResolvedConfig } from './datapath.js';
export { PacketBatch, type ResultOk, type ResultDropped } from './batch.js';
export {
  VXLAN_PORT, DEFAULT_LOCAL_MAC, DEFAULT_PEER_MAC, DEFAULT_HEADROOM, DEFAULT_SLOT_SIZE, MIN_SLOT_SIZE, MAX_SLOT_SIZE, SLOT_ALIGN,
  DEFAULT_BATCH_SIZE, slotSizeForFrame,
} from './defaults.js';
export { Status, statusName, type StatusCode, type StatusName, KEY_L2, KEY_L3, KEY_L4, KEY_FRAGMENT, OUTER_LEN } from './layout.js';
export { candidatePorts, parsePortRange, DEFAULT_PORT_RANGE, DEFAULT_CANDIDATES, type PortRange } from './ports.js';
export { parseIPv4, formatIPv4, parseMac, formatMac } from './addr.js';
export { SipHashBatch, type SipHashBatchOptions } from './auth.js';
export { type DatapathTable, type TableArrayName, type TableGeometry } from './datapath.js';
export { TableLookupBatch } from './table-lookup.js';
export { RecordArena, IngestStop, RecordFault, type RecordFormat, type RecordRegion } from './record-arena.js';
