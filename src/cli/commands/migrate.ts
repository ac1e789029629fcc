// rollout migrate: apply pending migrations (forward) or undo the last (backward), under the
// environment lock; --dry-run lists what would run and writes migrate-dryrun.log.
import { join } from 'node:path';
import { AuditLog } from '../../audit/logger.js';
import { writeFileAtomic } from '../../domain/fs-atomic.js';
import { UsageError } from '../../domain/errors.js';
import { loadEngineContext } from '../../config/engine-context.js';
import { migrationStatePath, type MigrateResult } from '../../steps/migrate.js';
import { migrate } from '../../usecases/migrate.js';
import { operatorName, type CommandContext } from '../context.js';
import { displayPath } from '../paths.js';

/** Run the migrations; exit 0, or 1/2/3 through typed errors. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const direction = opts.type;
  if (direction !== 'forward' && direction !== 'backward') throw new UsageError('--type must be forward or backward.');
  const engine = loadEngineContext(ctx.workspace, env, { operator: operatorName(typeof opts.operator === 'string' ? opts.operator : undefined) });
  const dryRun = opts.dryRun === true;
  const log = AuditLog.open(engine.ws.logsDir, 'migrate', engine.env);
  let r: MigrateResult;
  try {
    log.info('migrate.begin', { direction, dry_run: dryRun, operator: engine.operator });
    r = await migrate(engine, { direction, dryRun, log, command: ctx.commandLine, onLine: (l) => ctx.say(l) });
  } catch (e) {
    log.error('migrate.failed', { error: e instanceof Error ? e.message : String(e) });
    throw e;
  } finally {
    log.close();
  }
  let dryLog: string | undefined;
  if (dryRun) {
    dryLog = join(engine.ws.root, 'migrate-dryrun.log');
    writeFileAtomic(dryLog, `Migrate plan for ${engine.env} (${direction}, dry run: nothing was changed)\n${r.plan.join('\n')}\n`);
    ctx.say(`Dry run: nothing changed; plan in ${displayPath(dryLog)}.`);
  } else if (r.ran.length) {
    ctx.say(`${direction === 'forward' ? 'Applied' : 'Undid'} ${r.ran.join(', ')} in ${engine.env}; state in ${displayPath(migrationStatePath(engine))}.`);
  }
  ctx.result({ ok: true, env: engine.env, direction, dry_run: dryRun, ran: r.ran, applied: r.applied.map((a) => a.id), plan: r.plan, state_file: migrationStatePath(engine), log: log.path, ...(dryLog ? { dry_run_log: dryLog } : {}) });
  return 0;
}
