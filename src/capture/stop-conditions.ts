// When a capture session stops: its own condition (the frame count reached, an output that failed),
// `--duration`, or the stop signal (SIGINT/SIGTERM), whichever comes first, once.
import type { CaptureConfig, CaptureSummary } from './capture-types.js';

/** Why a session stopped. */
export type StopReason = CaptureSummary['stoppedBy'];

/**
 * Resolves with the first stop: `arm` receives the stop function (for the session's own conditions)
 * and runs first, then the duration timer and the signal are wired and `ready` runs. `disarm` runs
 * once, at the stop, before the promise resolves.
 */
export function whenStopped(
  cfg: Pick<CaptureConfig, 'durationS' | 'signal'>, arm: (stop: (why: StopReason) => void) => void, ready: () => void, disarm: () => void = () => {},
): Promise<StopReason> {
  return new Promise<StopReason>((resolve) => {
    let done = false;
    let durationTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = (why: StopReason): void => {
      if (done) return;
      done = true;
      disarm();
      if (durationTimer !== undefined) clearTimeout(durationTimer);
      cfg.signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onAbort = (): void => stop('signal');
    arm(stop);
    if (done) return;
    if (cfg.durationS !== undefined) durationTimer = setTimeout(() => stop('duration'), cfg.durationS * 1000);
    if (cfg.signal?.aborted) stop('signal');
    else cfg.signal?.addEventListener('abort', onAbort, { once: true });
    ready();
  });
}
