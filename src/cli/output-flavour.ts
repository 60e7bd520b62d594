// --format and --nano: the options of every command that writes a capture from another one. Without
// them the output keeps the input's format, timestamp resolution and snap length.
import { Option } from 'commander';
import type { FlavourOverrides } from '../pcap/flavour.js';
import { STDIO_PATH } from '../pcap/stdio.js';
import { UsageError } from './errors.js';

export interface FlavourCliOptions {
  format?: 'pcap' | 'pcapng';
  nano?: boolean;
}

export const formatOption = (): Option =>
  new Option('--format <FORMAT>', 'output capture format').choices(['pcap', 'pcapng']).default(undefined, 'the input\'s');
export const nanoOption = (): Option => new Option('--nano', 'nanosecond timestamps in the output').default(undefined, 'the input\'s resolution');
export const noNanoOption = (): Option => new Option('--no-nano', 'microsecond timestamps in the output');

export function flavourOf(o: FlavourCliOptions): FlavourOverrides {
  return { format: o.format, nanos: o.nano };
}

/** With the capture on standard output, stdout carries nothing else: no --json document. */
export function checkStdoutFree(output: string | undefined, json: boolean | undefined): void {
  if (output === STDIO_PATH && json) throw new UsageError('--json: standard output carries the capture (-o -); drop --json or name an output file');
}
