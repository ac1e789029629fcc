// The migrate use case: the one way in for `rollout migrate` and a runbook walk's migrate step.
// It owns the environment lock, so that a walk's migrations and a concurrent `rollout migrate
// --env E` can never run against the same state at once (the walk only holds `<env>-walk`).
import { join } from 'node:path';
import { withEnvLockReentrant } from '../backup/lock.js';
import { testPause } from '../domain/test-pause.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';
import { AuditLog } from '../audit/logger.js';
import type { EngineContext } from '../config/engine-context.js';
import { migrationStatePath, runMigrations, type MigrateResult } from '../steps/migrate.js';

export type { MigrateResult } from '../steps/migrate.js';

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

/** What `rollout migrate` did, with where it wrote. */
export interface MigrateRun {
  result: MigrateResult;
  /** logs/migrate_<env>_<ts>.log */
  logPath: string;
  /** The state file of the environment's migrations. */
  statePath: string;
  /** A dry run's plan, written to migrate-dryrun.log. */
  dryRunLog?: string;
}

/** `rollout migrate`: migrate() with its own audit log; a dry run also writes migrate-dryrun.log. */
export async function migrateWithLog(ctx: EngineContext, o: Omit<MigrateOptions, 'log'>): Promise<MigrateRun> {
  const log = AuditLog.open(ctx.ws.logsDir, 'migrate', ctx.env);
  let result: MigrateResult;
  try {
    log.info('migrate.begin', { direction: o.direction, dry_run: o.dryRun, operator: ctx.operator });
    result = await migrate(ctx, { ...o, log });
  } catch (e) {
    log.error('migrate.failed', { error: e instanceof Error ? e.message : String(e) });
    throw e;
  } finally {
    log.close();
  }
  let dryRunLog: string | undefined;
  if (o.dryRun) {
    dryRunLog = join(ctx.ws.root, 'migrate-dryrun.log');
    writeFileAtomic(dryRunLog, `Migrate plan for ${ctx.env} (${o.direction}, dry run: nothing was changed)\n${result.plan.join('\n')}\n`);
  }
  return { result, logPath: log.path, statePath: migrationStatePath(ctx), ...(dryRunLog ? { dryRunLog } : {}) };
}
