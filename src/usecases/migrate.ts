// The migrate use case: the one way in for `rollout migrate` and a runbook walk's migrate step.
// It owns the environment lock, so that a walk's migrations and a concurrent `rollout migrate
// --env E` can never run against the same state at once (the walk only holds `<env>-walk`).
import { withEnvLockReentrant } from '../backup/lock.js';
import { testPause } from '../domain/test-pause.js';
import type { AuditLog } from '../audit/logger.js';
import type { EngineContext } from '../config/engine-context.js';
import { runMigrations, type MigrateResult } from '../steps/migrate.js';

export interface MigrateOptions {
  direction: 'forward' | 'backward';
  dryRun: boolean;
  /** Who holds the lock, as `rollout` shows it to a refused second process. */
  command: string;
  log?: AuditLog;
  onLine?: (line: string) => void;
}

/** Run the migrations under the environment lock (a dry run changes nothing and takes no lock). */
export async function migrate(ctx: EngineContext, o: MigrateOptions): Promise<MigrateResult> {
  const go = async (): Promise<MigrateResult> => {
    if (!o.dryRun) await testPause('migrate-locked');
    return runMigrations(ctx, { direction: o.direction, dryRun: o.dryRun, ...(o.log ? { log: o.log } : {}), ...(o.onLine ? { onLine: o.onLine } : {}) });
  };
  if (o.dryRun) return go();
  return withEnvLockReentrant(ctx.ws, ctx.env, { operator: ctx.operator, command: o.command }, go);
}
