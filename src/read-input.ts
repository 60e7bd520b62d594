// Reading a small text input (a scenario, a VTEP map, an agent configuration) with the errors a user
// can cause named by file, in one line: missing, a directory, no permission, empty. Below every layer,
// like errors.ts, so each domain reads its own files without the CLI.
import { readFileSync } from 'node:fs';
import { FileError, asFileError } from './errors.js';

/**
 * The whole of `path` as UTF-8. Throws a FileError naming `path` when it cannot be read (no such file,
 * is a directory, permission denied) or holds nothing but white space ("empty file").
 */
export function readInputText(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw asFileError(e, path);
  }
  if (text.trim() === '') throw new FileError(path, 'empty file');
  return text;
}
