// How paths are shown to the operator: relative to where they stand when that is shorter.
import { isAbsolute, relative } from 'node:path';

/** A path for messages: relative to the current folder when inside it, else absolute. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const r = relative(cwd, p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}
