// File-system failures as outcomes: a read-only disk, a full one, a permission, too many open
// files or a path removed underneath us is not a bug, it is something the operator can fix. One
// sentence names the path and what to do; the exit code is 1 (the step failed, nothing unsafe).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
import { StepFailedError } from './errors.js';

const ADVICE: Record<string, (p: string) => string> = {
  EROFS: (p) => `${p} is on a read-only file system; remount it read-write (or move the workspace to a writable disk) and run the command again`,
  EACCES: (p) => `permission denied on ${p}; give the user running rollout access to it (read and write) and run the command again`,
  EPERM: (p) => `the operation on ${p} is not permitted; give the user running rollout access to it (read and write) and run the command again`,
  ENOSPC: (p) => `no space left on the device holding ${p}; free some (rollout prune removes expired backups and logs) and run the command again`,
  EDQUOT: (p) => `the disk quota of the device holding ${p} is used up; free some (rollout prune) and run the command again`,
  EMFILE: (p) => `too many open files while opening ${p}; raise the limit (ulimit -n) or stop other work, and run the command again`,
  ENFILE: (p) => `the system ran out of file handles while opening ${p}; stop other work and run the command again`,
  ENOENT: (p) => `${p} (or its folder) disappeared while in use, removed by something else; check what removes it and run the command again`,
  ENOTDIR: (p) => `a part of ${p} is a file where a folder is expected; move that file aside and run the command again`,
  EISDIR: (p) => `${p} is a folder where a file is expected; move it aside and run the command again`,
  EIO: (p) => `the disk holding ${p} reported an I/O error; check the disk and run the command again`,
};

/** True for a Node file-system error with one of the codes above. */
export function isIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).code! in ADVICE;
}

/** A path as the operator should read it: relative to the current folder when inside it. */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

/**
 * The one sentence for a file-system failure while doing `what` (e.g. "write the backup"), naming
 * `path` (else the error's own path: a temp file's name helps nobody), or undefined when `e` is
 * not such a failure.
 */
export function ioFailure(e: unknown, what: string, path?: string): StepFailedError | undefined {
  if (!isIoError(e)) return undefined;
  const p = displayPath(path ?? e.path ?? 'a file');
  return new StepFailedError(`Could not ${what}: ${ADVICE[e.code!]!(p)}.`);
}

/** Run `fn`; a file-system failure becomes ioFailure's sentence, anything else passes through. */
export function withIoOutcome<T>(what: string, path: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw ioFailure(e, what, path) ?? e;
  }
}

/**
 * mkdir -p that reports the real cause: Node's recursive mkdir says ENOENT where the true failure
 * is a read-only or full parent, so on ENOENT the first missing folder is created alone to get it.
 */
export function mkdirReal(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = dir;
    while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
    mkdirSync(missing);
    throw e;
  }
}
