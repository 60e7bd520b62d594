// The underlay simulator: scenarios, the ECMP underlay, the three modes, the report.
export { parseScenario, ScenarioError, FAILURE_TYPES, type Scenario, type VtepSpec, type FlowSpec, type GeneratorSpec, type FailureSpec, type FailureType } from './scenario.js';
export { buildWorld, innerFlowHash, BIN_MS, type World, type Vtep, type Flow, type Segment } from './world.js';
export { buildFabric, attachHost, Graph, type TopologySpec, type LinkSpec } from './topology.js';
export { Underlay, VXLAN_PORT } from './underlay.js';
export { runMode, ProbeNetwork, type PortPolicy, type RunOutput, type RunContext, type SimClock } from './engine.js';
export { staticPolicy, defaultPort } from './static-mode.js';
export { opportunisticPolicy, type RetryStats } from './opportunistic-mode.js';
export { zooroutePolicy, type ZooroutePolicy } from './zooroute-mode.js';
export { Middlebox } from './middlebox.js';
export { OutageLedger, MASK_LIMIT_MS, type FailureOutcome } from './outage.js';
export { simulate, type SimulateOptions } from './simulate.js';
export { formatReport, type SimulationReport, type ModeReport } from './report.js';
export { Prng } from './prng.js';
