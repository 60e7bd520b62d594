// What a result was measured on: CPU model, cores, Node and kernel, written into every document so
// that two runs are only compared knowing where they ran.
import { cpus, release, type } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  kernel: string;
}

export function machine(): Machine {
  const c = cpus();
  return { cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length, node: process.version, kernel: `${type()} ${release()}` };
}
