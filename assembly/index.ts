// The flat exported API of the zooroute Wasm core. Only bindings/ calls these.
export { reserve } from "./memory";
export { setLocal, setOuter, setSeed, setVniFilter } from "./config";
export { initPeers, setPeer, setCandidate, clearPeer } from "./peers";
export { encapBatch, decapBatch, hashBatch, setIpId, getIpId } from "./vxlan";
export { initTables, tableWrite, tableRead, tableReservedBytes, setPeerTable, lookupBatch } from "./tables";
export { sipSetKey, sipHashBatch } from "./siphash";
export { coreImage } from "./image";
export { pcapIngest, pcapEmit } from "./pcap";
export { tcpRetransmits } from "./retransmit";
export { replayKeys, replayMemoInsert, replayRetemplate, replayScanCount, replayEncapPlan } from "./replay";
