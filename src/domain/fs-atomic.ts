// Atomic file writes: temp file in the same folder, fsync, rename. A reader sees the old file
// or the new one, never half of either.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { displayPath, ioFailure, mkdirReal } from './io-errors.js';

/**
 * Write `data` to `path` atomically (temp + fsync + rename). A file-system failure (read-only,
 * full, permission, ...) leaves no temp file behind and becomes one sentence naming the path.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    mkdirReal(dir);
    fd = openSync(tmp, 'w', mode);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    try {
      if (fd !== undefined) closeSync(fd);
      rmSync(tmp, { force: true });
    } catch {
      /* the original failure is the one to report */
    }
    throw ioFailure(e, `write ${displayPath(path)}`, path) ?? e;
  }
}

/** Write JSON atomically, pretty-printed with a trailing newline. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
