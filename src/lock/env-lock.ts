// A per-environment lock, taken before anything changes an environment. proper-lockfile gives
// the atomic mkdir lock with mtime staleness; beside it a holder file records who holds it, so
// that a refusal names the holder and a lock whose process is gone on this host is taken over
// at once instead of after the stale timeout.
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { RefusedError } from '../domain/errors.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  host: string;
  operator: string;
  command: string;
  started_at: string;
}

/** A held lock; release() is idempotent. */
export interface EnvLock {
  env: string;
  holder: LockHolder;
  release(): Promise<void>;
}

function paths(locksDir: string, env: string): { target: string; lock: string; holder: string } {
  return { target: join(locksDir, env), lock: join(locksDir, `${env}.lock`), holder: join(locksDir, `${env}.holder.json`) };
}

/** The current holder of an environment's lock, if any. */
export function readLockHolder(locksDir: string, env: string): LockHolder | undefined {
  const p = paths(locksDir, env);
  if (!existsSync(p.lock)) return undefined;
  try {
    return JSON.parse(readFileSync(p.holder, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid is alive on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'another rollout (holder unknown)';
  return `${h.operator} (pid ${h.pid} on ${h.host}, "${h.command}", since ${h.started_at})`;
}

/** Take the lock of an environment, or refuse (exit 3) naming the holder. */
export async function acquireEnvLock(locksDir: string, env: string, info: { operator?: string; command: string }): Promise<EnvLock> {
  mkdirSync(locksDir, { recursive: true });
  const p = paths(locksDir, env);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    operator: info.operator ?? safeUser(),
    command: info.command,
    started_at: new Date().toISOString(),
  };
  const opts = {
    realpath: false,
    lockfilePath: p.lock,
    stale: 15_000,
    update: 5_000,
    retries: 0,
    onCompromised: () => {
      /* another process took the lock over as stale; the holder file says who. */
    },
  };
  // Loaded when a lock is taken, not when this module is: the TUI's home screen imports the
  // runner (and so this file) but takes no lock before its first frame (proper-lockfile with
  // graceful-fs and retry is ~45 kB to compile).
  const { default: lockfile } = await import('proper-lockfile');
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(p.target, opts);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    const current = readLockHolder(locksDir, env);
    if (current && current.host === hostname() && !processAlive(current.pid)) {
      // The holder died without releasing (kill -9): the lock is stale. Take it over. Renaming
      // the holder file first is atomic, so of two processes racing for the takeover only one
      // removes the stale lock; the other retries like any newcomer.
      const claimed = `${p.holder}.${process.pid}.stale`;
      try {
        renameSync(p.holder, claimed);
        // Another process may have taken the lock over between our read of the dead holder's file
        // and this rename: the file we hold is then that process's, and its lock is not ours to
        // clear. Put it back (link: never over a newer one) and try like a newcomer.
        if (sameHolder(readFileSync(claimed, 'utf8'), current)) rmSync(p.lock, { recursive: true, force: true });
        else linkSync(claimed, p.holder);
      } catch {
        /* someone else is taking it over; try once like a newcomer */
      } finally {
        rmSync(claimed, { force: true });
      }
      try {
        release = await lockfile.lock(p.target, opts);
      } catch {
        throw new RefusedError(`The ${env} environment is locked by ${describeHolder(readLockHolder(locksDir, env))}.`);
      }
    } else {
      throw new RefusedError(`The ${env} environment is locked by ${describeHolder(current)}.`, [
        'Wait for that rollout to finish, or stop it; a lock whose process has died is taken over automatically.',
      ]);
    }
  }
  writeFileAtomic(p.holder, `${JSON.stringify(holder, null, 2)}\n`);
  let released = false;
  return {
    env,
    holder,
    async release() {
      if (released) return;
      released = true;
      rmSync(p.holder, { force: true });
      await release().catch(() => undefined);
    },
  };
}

/** Run `fn` while holding the environment's lock. */
export async function withEnvLock<T>(locksDir: string, env: string, info: { operator?: string; command: string }, fn: (lock: EnvLock) => Promise<T>): Promise<T> {
  const lock = await acquireEnvLock(locksDir, env, info);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

/** Whether a holder file's text names the holder `h` (the same process, started at the same time). */
function sameHolder(text: string, h: LockHolder): boolean {
  try {
    const o = JSON.parse(text) as Partial<LockHolder>;
    return o.pid === h.pid && o.host === h.host && o.started_at === h.started_at;
  } catch {
    return false;
  }
}

function safeUser(): string {
  try {
    return process.env.ROLLOUT_OPERATOR ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}
