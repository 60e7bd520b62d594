// The plain-TS reference twin of the Wasm datapath kernels: same inputs, same outputs, written for
// clarity. Tests compare the two field by field; benchmarks use the twin as their baseline.
export { type RefDescriptor, inputDescriptor, frameFits, clearOutputs, encodeDescriptor, decodeDescriptor } from './descriptor.js';
export { type RefBatch, refBatch, refSlot, refOutput } from './batch.js';
export { type RefConfig, type RefPeer, type RefState, refConfig, refState } from './state.js';
export { type FlowKey, flowKey, MAX_V6_EXT } from './flow-hash.js';
export { type PortChoice, type RefPeerTable, type RefTablePeer, selectPort, withTable } from './select.js';
export { type OuterFields, writeOuterHeader } from './outer-header.js';
export { onesSum16, ipv4Checksum, ipv4ChecksumValid } from './checksum.js';
export { hashBatchRef } from './hash.js';
export { encapBatchRef } from './encap.js';
export { decapBatchRef } from './decap.js';
export { type VlanTag, type Ipv4Spec, type Ipv6Ext, concat, ethernet, ipv4, ipv6, tcp, udp, icmp } from './frames.js';
export { Mirror, type Kernel, runRef, diffBatches, sameBytes } from './mirror.js';
export { Prng } from './prng.js';
export { pcapIngestRef, pcapEmitRef } from './pcap-records.js';
export { tcpRetransmitsRef } from './retransmit.js';
