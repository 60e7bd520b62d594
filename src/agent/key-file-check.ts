// The config file holds the probe key: anyone who can read it can forge probe replies and mark every
// port of every VTEP bad or good. The agent warns (it does not refuse: an operator may know better,
// e.g. a file on a single-user appliance) when the file is readable or writable by group or others.
import { statSync } from 'node:fs';

/** A one-line warning when `path` is open to group or others (mode & 0o066), else undefined. */
export function keyFileWarning(path: string): string | undefined {
  let mode: number;
  try { mode = statSync(path).mode & 0o777; } catch { return undefined; } // unreadable: loading it fails anyway
  const open = mode & 0o066;
  if (open === 0) return undefined;
  const who = [(mode & 0o060) !== 0 ? 'group' : '', (mode & 0o006) !== 0 ? 'others' : ''].filter((w) => w !== '').join(' and ');
  return `${path} holds the probe secret and is ${(open & 0o044) !== 0 ? 'readable' : 'writable'} by ${who} (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${path}`;
}
