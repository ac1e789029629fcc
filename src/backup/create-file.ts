// Creating one checked file of a restore, the same on either thread (write-thread.ts's inline
// writer and the file-creating thread, write-worker.ts): its folder made once (mkdirReal: the real
// cause when a parent is read-only or full), then the file created exclusively with its mode.
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirReal } from '../domain/io-errors.js';

/** Create `path` ('wx', `mode`) holding `data`, making its folder unless `made` has it; a failure names the file. */
export function createFile(made: Set<string>, path: string, mode: number, data: Uint8Array): void {
  const dir = dirname(path);
  if (!made.has(dir)) {
    mkdirReal(dir);
    made.add(dir);
  }
  try {
    writeFileSync(path, data, { flag: 'wx', mode });
  } catch (e) {
    // A failed write (ENOSPC) names no file: say which.
    (e as NodeJS.ErrnoException).path ??= path;
    throw e;
  }
}
