// The backup use case: the one way in for `rollout backup`, a deploy's --backup-first and a walk's
// backup step. It picks the environment's target, so backup/ never reaches up into targets/.
import { createBackup as writeBackup, type BackupOptions, type BackupResult } from '../backup/backup.js';
import type { EngineContext } from '../config/engine-context.js';
import type { Target } from '../targets/contract.js';
import { makeTarget } from '../targets/make-target.js';

export type { BackupProgress, BackupResult } from '../backup/backup.js';

/** Back up the environment (or, with dryRun, list what it would take); the target defaults to the runbook's. */
export function createBackup(ctx: EngineContext, opts: Omit<BackupOptions, 'target'> & { target?: Target } = {}): Promise<BackupResult> {
  return writeBackup(ctx, { ...opts, target: opts.target ?? makeTarget(ctx) });
}
