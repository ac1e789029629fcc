// rollout migrate: apply pending migrations (forward) or undo the last (backward), under the
// environment lock; --dry-run lists what would run and writes migrate-dryrun.log.
import { UsageError } from '../../domain/errors.js';
import { loadEngineContextCached } from '../../config/cached-context.js';
import { migrateWithLog } from '../../usecases/migrate.js';
import { operatorName, type CommandContext } from '../context.js';
import { displayPath } from '../paths.js';

/** Run the migrations; exit 0, or 1/2/3 through typed errors. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const direction = opts.type;
  if (direction !== 'forward' && direction !== 'backward') throw new UsageError('--type must be forward or backward.');
  const engine = await loadEngineContextCached(ctx.workspace, env, { operator: operatorName(typeof opts.operator === 'string' ? opts.operator : undefined) });
  const dryRun = opts.dryRun === true;
  const { result: r, logPath, statePath, dryRunLog: dryLog } = await migrateWithLog(engine, { direction, dryRun, command: ctx.commandLine, onLine: (l) => ctx.say(l) });
  if (dryLog) {
    ctx.say(`Dry run: nothing changed; plan in ${displayPath(dryLog)}.`);
  } else if (r.ran.length) {
    ctx.say(`${direction === 'forward' ? 'Applied' : 'Undid'} ${r.ran.join(', ')} in ${engine.env}; state in ${displayPath(statePath)}.`);
  }
  ctx.result({ ok: true, env: engine.env, direction, dry_run: dryRun, ran: r.ran, applied: r.applied.map((a) => a.id), plan: r.plan, state_file: statePath, log: logPath, ...(dryLog ? { dry_run_log: dryLog } : {}) });
  return 0;
}
