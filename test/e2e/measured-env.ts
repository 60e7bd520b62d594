// The environment for processes whose speed a test measures. Under tap every child gets tap's
// @tapjs/processinfo loader (its spawn wrapper adds it back to NODE_OPTIONS whatever env is given),
// and that loader turns on V8's precise, detailed coverage (a counter per block), which slows hot
// JavaScript. The loader reads this switch: a measured agent or generator runs without coverage.
// ZR_AGENT_KEEP_TAP_ENV=1 keeps coverage on (the conditions of figures taken before this switch).
export function measuredEnv(): NodeJS.ProcessEnv {
  if (process.env.ZR_AGENT_KEEP_TAP_ENV === '1') return process.env;
  return { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' };
}

/**
 * Extra node flags for the measured agent, to profile it where it is measured, e.g.
 * ZR_AGENT_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (the profile is written when it stops).
 */
export function measuredAgentNodeFlags(): string[] {
  return (process.env.ZR_AGENT_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
}
