// Checks a ReportInput before rendering, so that JSON from a file or a half-filled structure fails
// with the field at fault instead of drawing a wrong plot.
import type { ReportInput } from './report-types.js';

/** A ReportInput that cannot be rendered; `field` is its path (e.g. `scenarios[0].modes.static.lost[3]`). */
export class ReportInputError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`report input ${field}: ${reason}`);
    this.name = 'ReportInputError';
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function str(x: unknown, f: string): void {
  if (typeof x !== 'string') throw new ReportInputError(f, 'must be a string');
}

function finite(x: unknown, f: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new ReportInputError(f, 'must be a finite number');
  return x;
}

function counts(x: unknown, f: string): number {
  if (!Array.isArray(x)) throw new ReportInputError(f, 'must be an array of packet counts');
  for (let i = 0; i < x.length; i++) {
    const v: unknown = x[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ReportInputError(`${f}[${i}]`, 'must be a finite count >= 0');
  }
  return x.length;
}

function rows(x: unknown, f: string): void {
  if (!Array.isArray(x)) throw new ReportInputError(f, 'must be an array of rows');
  x.forEach((r: unknown, j: number) => {
    const g = `${f}[${j}]`;
    if (!isRecord(r)) throw new ReportInputError(g, 'must be an object');
    for (const [k, v] of Object.entries(r)) {
      if (isRecord(v) && Object.keys(v).length === 1 && 'share' in v) { finite(v.share, `${g}.${k}.share`); continue; }
      if (v !== null && typeof v !== 'string' && typeof v !== 'number') throw new ReportInputError(`${g}.${k}`, 'must be a string, number, { share } or null');
    }
  });
}

/** Throw ReportInputError naming the first bad field; on return `x` is a valid ReportInput. */
export function checkReportInput(x: unknown): asserts x is ReportInput {
  if (!isRecord(x)) throw new ReportInputError('(root)', 'must be an object');
  str(x.title, 'title');
  if (x.generatedAt !== undefined) str(x.generatedAt, 'generatedAt');
  if (!Array.isArray(x.scenarios)) throw new ReportInputError('scenarios', 'must be an array');
  x.scenarios.forEach((s: unknown, i: number) => {
    const f = `scenarios[${i}]`;
    if (!isRecord(s)) throw new ReportInputError(f, 'must be an object');
    str(s.name, `${f}.name`);
    if (s.description !== undefined) str(s.description, `${f}.description`);
    if (finite(s.binMs, `${f}.binMs`) <= 0) throw new ReportInputError(`${f}.binMs`, 'must be > 0');
    if (!Array.isArray(s.failures)) throw new ReportInputError(`${f}.failures`, 'must be an array');
    s.failures.forEach((w: unknown, j: number) => {
      const g = `${f}.failures[${j}]`;
      if (!isRecord(w)) throw new ReportInputError(g, 'must be an object');
      str(w.label, `${g}.label`);
      const a = finite(w.startMs, `${g}.startMs`), b = finite(w.endMs, `${g}.endMs`);
      if (b < a) throw new ReportInputError(`${g}.endMs`, 'must not be before startMs');
    });
    if (!isRecord(s.modes)) throw new ReportInputError(`${f}.modes`, 'must be an object keyed by mode name');
    for (const [name, m] of Object.entries(s.modes)) {
      const g = `${f}.modes.${name}`;
      if (!isRecord(m)) throw new ReportInputError(g, 'must be an object');
      const nd = counts(m.delivered, `${g}.delivered`), nl = counts(m.lost, `${g}.lost`);
      if (nd !== nl) throw new ReportInputError(g, `delivered has ${nd} bins but lost has ${nl}`);
    }
    rows(s.summary, `${f}.summary`);
    if (s.flows !== undefined) {
      if (!isRecord(s.flows)) throw new ReportInputError(`${f}.flows`, 'must be an object with rows');
      if (s.flows.caption !== undefined) str(s.flows.caption, `${f}.flows.caption`);
      rows(s.flows.rows, `${f}.flows.rows`);
    }
  });
}
