/**
 * The control plane: the Vtep facade an embedder drives, and its parts: probe codec, prober, responder, health, switching, middlebox sensing, rate control.
 *
 * @module zooroute/control
 */
export { VirtualClock, RealClock, type Clock, type TimerId } from './clock.js';
export { DEFAULT_CONTROL_CONFIG, resolveControlConfig, type ControlConfig, type ProbeMode, type ReplyPort } from './config.js';
export {
  encodeProbe, decodeProbe, verifyProbe, encodeRequest, encodeRequestInto, encodeReplyTo, encodeReplyInto, writeBackendId, readBackendId, isProbePayload, isProbeFrame, buildProbeInnerFrame,
  probePayloadOfInnerFrame, probePayloadOfVxlan, wrapVxlan, PROBE_MAGIC, PROBE_VERSION, PROBE_PAYLOAD_BYTES,
  PROBE_VNI, PROBE_WIRE_BYTES, PROBE_INNER_UDP_PORT, CTL_MAX,
  type ProbeFields, type ProbeError, type DecodeResult, type ProbeFrameAddrs, type ProbeKey, type ProbeTagger,
} from './probe-codec.js';
export { PortRecords, PORT_RECORD_BYTES } from './port-records.js';
export { PortHealth, PORT_UNKNOWN, PORT_GOOD, PORT_BAD, type PortState, type Transition, type HealthRules, type SavedPortHealth } from './health.js';
export { TokenBucket } from './token-bucket.js';
export { CpuBackoff } from './cpu-backoff.js';
export { hostCpuSource, processCpuSource } from './cpu-source.js';
export { TickScheduler } from './scheduler.js';
export {
  VtepControl, UNVALIDATED_SINCE,
  type ProbeTransport, type VtepControlOptions, type ControlEvent, type ControlStats, type PortView,
} from './vtep.js';
export {
  Vtep,
  type VtepOptions, type VtepPeerOptions, type VtepEvent, type FlowSwitchEvent, type VtepMetrics, type VtepPeerMetrics,
  type Ipv4Address, type MacAddress,
} from './vtep-facade.js';
export { type FrameBatch, type SentCount } from './frame-batch.js';
export { VtepCounters } from './vtep-counters.js';
export { PeerProbeStats } from './peer-probe-stats.js';
export { RateGauge } from './rate-gauge.js';
export { macKey } from './mac-table.js';
export {
  HEALTH_STATE_FORMAT, HEALTH_STATE_VERSION, encodeHealthState, decodeHealthState,
  type HealthSnapshot, type SavedPeer, type SavedPort, type RestoreResult,
} from './health-state.js';
export { writeHealthFile, readHealthFile, type HealthFileRead } from './state-file.js';
