// The environment for processes whose speed a test measures. Under tap every child gets tap's
// @tapjs/processinfo loader (its spawn wrapper adds it back to NODE_OPTIONS whatever env is given),
// and that loader turns on V8's precise, detailed coverage (a counter per block), which slows hot
// JavaScript. The loader reads this switch: a measured agent or generator runs without coverage.
export function measuredEnv(): NodeJS.ProcessEnv {
  return { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' };
}
