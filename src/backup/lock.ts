// The environment lock for backup and rollback, re-entrant within one process: a deploy that
// already holds the lock may take its --backup-first backup without refusing itself.
import { hostname } from 'node:os';
import { readLockHolder, withEnvLock } from '../lock/env-lock.js';
import type { Workspace } from '../config/workspace.js';

/** Run `fn` under the environment lock, unless this very process holds it already. */
export async function withEnvLockReentrant<T>(ws: Workspace, env: string, info: { operator: string; command: string }, fn: () => Promise<T>): Promise<T> {
  const h = readLockHolder(ws.locksDir, env);
  if (h && h.pid === process.pid && h.host === hostname()) return fn();
  return withEnvLock(ws.locksDir, env, info, () => fn());
}
