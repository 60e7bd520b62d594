// Real CPU utilisation for a live process: the `cpu` function VtepControl samples (the simulator
// passes a modelled one instead). Each call returns the utilisation since the previous call.
import { cpus } from 'node:os';

function totals(): { busy: number; all: number } {
  let busy = 0, all = 0;
  for (const c of cpus()) {
    const t = c.times;
    const sum = t.user + t.nice + t.sys + t.irq + t.idle;
    all += sum;
    busy += sum - t.idle;
  }
  return { busy, all };
}

/** Host-wide CPU utilisation 0..1 over all cores (a VTEP's vSwitch competes with the whole host). */
export function hostCpuSource(): () => number {
  let last = totals();
  return () => {
    const now = totals();
    const all = now.all - last.all, busy = now.busy - last.busy;
    last = now;
    return all > 0 ? Math.min(1, Math.max(0, busy / all)) : 0;
  };
}

/** This process's CPU utilisation 0..1 of one core (user + system time over wall time). */
export function processCpuSource(): () => number {
  let lastCpu = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  return () => {
    const cpu = process.cpuUsage(lastCpu);
    const at = process.hrtime.bigint();
    const wallUs = Number(at - lastAt) / 1000;
    lastCpu = process.cpuUsage();
    lastAt = at;
    return wallUs > 0 ? Math.min(1, Math.max(0, (cpu.user + cpu.system) / wallUs)) : 0;
  };
}
