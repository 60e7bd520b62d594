// Parsing option values for the subcommands: a bad value is a UsageError naming the flag (one line,
// exit 2), never a stack trace.
import { UsageError } from './errors.js';

/** An integer option in lo..hi, decimal or 0x-hex; UsageError naming the option otherwise. */
export function intOption(name: string, s: string, lo: number, hi: number): number {
  const t = s.trim();
  const v = /^\d+$/.test(t) ? Number(t) : /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : NaN;
  if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new UsageError(`${name}: expected an integer in ${lo}..${hi}, got ${JSON.stringify(s)}`);
  return v;
}

/** Run a parser of bindings/ (which throws plain Errors) and turn its failure into a UsageError. */
export function usage<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError(`${name}: ${(e as Error).message}`);
  }
}
