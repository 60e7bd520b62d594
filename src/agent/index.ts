// The live VTEP and its metrics.
export { Agent, type AgentOptions, type AgentPort, type ReloadResult } from './agent.js';
export { parseAgentConfig, loadAgentConfig, macKey, type AgentConfig, type AgentPeerConfig } from './config.js';
export { EventLog, type AgentEvent, type AgentEventName } from './event-log.js';
export { renderMetrics, type MetricsSnapshot } from './metrics.js';
export { MetricsServer } from './metrics-server.js';
export { runAgent } from './run.js';
