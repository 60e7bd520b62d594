/**
 * Capture files: classic pcap and pcapng, streamed in and written out.
 *
 * @module zooroute/pcap
 */
export { type PcapRecord, LINKTYPE_ETHERNET, MAX_NORMAL_CAPLEN, MAX_BLOCK, caplenLimit } from './record.js';
export { PcapReader, readPackets, type ReaderOptions, type ClassicLayout } from './reader.js';
export { RecordColumns } from './record-columns.js';
export { PcapWriter, type WriterOptions, type WritableRecord, type CaptureFormat } from './writer.js';
export { keptFlavour, type CaptureFlavour, type FlavourOverrides } from './flavour.js';
export { STDIO_PATH } from './stdio.js';
export { encodePcap, decodeCapture, type DecodedCapture } from './memory.js';
export { type DecoderOptions } from './detect.js';
export { linkTypeName, LinkTypeError } from './linktype.js';
export {
  EthernetFramer, ENET_LINK_TYPES, DEFAULT_ENET_DMAC, DEFAULT_ENET_SMAC, type EnetMacs, type EnetRefusal,
  LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_IPV4, LINKTYPE_IPV6,
} from './to-ethernet.js';
export { InputError } from '../errors.js';
