// This process's CPU utilisation (user + system, share of one core) between successive samples:
// what the control plane's CPU backoff reads, and what /metrics reports.
export class CpuSampler {
  #lastCpu = process.cpuUsage();
  #lastAt = performance.now();
  #value = 0;

  /** Utilisation since the previous call (0..n cores), and remembers it for `last`. */
  sample(): number {
    const cpu = process.cpuUsage();
    const at = performance.now();
    const usedUs = cpu.user - this.#lastCpu.user + cpu.system - this.#lastCpu.system;
    const wallMs = at - this.#lastAt;
    this.#lastCpu = cpu;
    this.#lastAt = at;
    if (wallMs > 0) this.#value = usedUs / 1000 / wallMs;
    return this.#value;
  }

  get last(): number { return this.#value; }
}
