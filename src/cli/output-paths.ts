// Output paths checked before any work starts: a run that could only fail at its end (an output in a
// missing directory, a directory named as output, the output overwriting an input) fails at once, in
// one line, before a long replay or capture. The writes themselves are atomic (src/atomic-output.ts).
import { resolve } from 'node:path';
import { checkOutputPath } from '../atomic-output.js';
import { STDIO_PATH } from '../pcap/stdio.js';
import { UsageError } from './errors.js';

/** One output of a command: its flag (for messages) and its path, undefined when not asked for. */
export interface OutputPath {
  flag: string;
  path: string | undefined;
}

/**
 * Refuse outputs that would overwrite an input or each other, then check each output can be written
 * (checkOutputPath). `-` is standard output (or input) and never a file to overwrite.
 */
export function checkOutputs(inputs: readonly (string | undefined)[], outputs: readonly OutputPath[]): void {
  const ins = new Set(inputs.filter((p): p is string => p !== undefined && p !== STDIO_PATH).map((p) => resolve(p)));
  const seen = new Map<string, string>();
  for (const { flag, path } of outputs) {
    if (path === undefined || path === STDIO_PATH) continue;
    const abs = resolve(path);
    if (ins.has(abs)) throw new UsageError(`${flag}: output ${path} would overwrite the input`);
    const other = seen.get(abs);
    if (other !== undefined) throw new UsageError(`${flag}: output ${path} is also the ${other} output`);
    seen.set(abs, flag);
  }
  for (const { path } of outputs) if (path !== undefined && path !== STDIO_PATH) checkOutputPath(path);
}
