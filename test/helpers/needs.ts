// Environment requirements of tests: outside CI a missing requirement skips with its reason; in CI
// (CI=true) it fails, because CI must run everything.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export const inCI = process.env.CI === 'true';

/** Path of an executable on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Check a requirement. Returns a reason string when it is missing (the caller then skips), or
 * undefined when it is met. In CI a missing requirement throws, so the test fails.
 */
export function missing(what: string, ok: boolean, install: string): string | undefined {
  if (ok) return undefined;
  const reason = `${what} is missing (${install})`;
  if (inCI) throw new Error(`CI must run every test, but ${reason}`);
  return reason;
}

export const needTshark = (): string | undefined =>
  missing('tshark', which('tshark') !== undefined, 'apt-get install tshark; .ci/run installs it');
export const needRoot = (): string | undefined =>
  missing('root', isRoot, 'run as root; CI runs as root');
export const needChromium = (): string | undefined =>
  missing('chromium', which('chromium') !== undefined, 'apt-get install chromium; .ci/run installs it');

/** Whether the optional `cap` addon (libpcap for Node) loads: it is absent when libpcap-dev was missing at install. */
export function capLoads(): boolean {
  try {
    const mod = createRequire(import.meta.url)('cap') as { Cap?: unknown };
    return typeof mod.Cap === 'function';
  } catch {
    return false;
  }
}
export const needCap = (): string | undefined =>
  missing("the optional 'cap' addon", capLoads(), 'apt-get install libpcap-dev, then npm rebuild cap; .ci/run installs libpcap-dev');
