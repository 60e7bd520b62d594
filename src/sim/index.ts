/**
 * The underlay simulator: scenarios, the ECMP underlay, the four modes, the report, seed studies and traces.
 *
 * @module zooroute/sim
 */
export { parseScenario, scenarioKind, SCENARIO_KINDS, ScenarioError, FAILURE_TYPES, type Scenario, type ScenarioKind, type OpportunisticSpec, type PrrSpec, type TrafficMix, type Family, DEFAULT_MIX, type Role, type VtepSpec, type FlowSpec, type GeneratorSpec, type FailureSpec, type FailureType } from './scenario.js';
export { buildWorld, innerFlowHash, BIN_MS, type World, type Vtep, type Flow, type Segment } from './world.js';
export { buildFabric, attachHost, Graph, type TopologySpec, type LeafSpineSpec, type ClosSpec, type TwoRegionSpec, type RegionSpec, type LinkSpec } from './topology.js';
export { Underlay } from './underlay.js';
export { VXLAN_PORT } from '../../bindings/defaults.js';
export { runMode, ProbeNetwork, type PortPolicy, type RunModeOptions, type RunOutput, type RunContext, type SimClock } from './engine.js';
export { EventQueue, type EventSink } from './event-queue.js';
export { staticPolicy, defaultPort } from './static-mode.js';
export { opportunisticPolicy, type OpportunisticPolicy, type RetryStats } from './opportunistic-mode.js';
export { prrPolicy, prrCanRepath, PRR_DEFAULTS, type PrrPolicy, type PrrStats, type RtoEvent } from './prr-mode.js';
export { SIM_MODES, MODE_LABELS, type BaselineCutMode } from './modes.js';
export { zooroutePolicy, type ZooroutePolicy } from './zooroute-mode.js';
export { Middlebox, type SessionKey } from './middlebox.js';
export { OutageLedger, MASK_LIMIT_MS, outageRuns, type FailureOutcome, type LedgerFlow } from './outage.js';
export { simulate, type SimMode, type SimulateOptions } from './simulate.js';
export { formatReport, type SimulationReport, type ModeReport, type ZoorouteModeReport, type OpportunisticModeReport, type PrrModeReport, type SessionMoves, type ProbeCost, type LatencyStats } from './report.js';
export { summarizeSeeds, formatSeedSummary, formatDistribution, distribution, quantile, type SeedStudySummary, type ModeSeedSummary, type SeedDistribution } from './seed-study.js';
export { traceFlow, formatTrace, modePolicy, TRACE_CAUSES, type FlowTrace, type TraceBin, type TraceEvent, type TraceCause, type TraceOptions } from './trace.js';
export { Prng } from './prng.js';
export { type CompiledFailure } from './failures.js';
