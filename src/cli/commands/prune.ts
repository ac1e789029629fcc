// rollout prune: apply the retention rules of quality-gates-config.json (src/usecases/prune.ts).
import { pruneWorkspace } from '../../usecases/prune.js';
import { operatorName, type CommandContext } from '../context.js';

/** Remove (or with --dry-run list) what is past its retention; the newest verified backup of each environment stays. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const dryRun = opts.dryRun === true;
  const { result: r, retention: t } = await pruneWorkspace(ctx.workspace, { dryRun, operator: operatorName() });
  ctx.result({
    ok: true,
    dry_run: dryRun,
    retention_days: { backups: t.backupsDays, monitor_logs: t.monitorLogsDays, rollback_logs: t.rollbackLogsDays, logs: t.logsDays, incidents: t.incidentsDays, fallback: t.fallbackDays },
    removed: r.removed.map((i) => ({ path: i.path, kind: i.kind, age_days: i.ageDays, keep_days: i.keepDays, bytes: i.bytes })),
    kept: r.kept.map((i) => ({ path: i.path, kind: i.kind, age_days: i.ageDays, why: i.why })),
    bytes: r.bytes,
  });
  const verb = dryRun ? 'would remove' : 'removed';
  for (const i of r.removed) ctx.say(`  ${verb.padEnd(12)} ${i.path} (${i.kind}, ${i.ageDays} days old, kept ${i.keepDays})`);
  for (const i of r.kept) ctx.say(`  ${'kept'.padEnd(12)} ${i.path} (${i.ageDays} days old): ${i.why}`);
  ctx.say(`${dryRun ? 'Dry run: ' : ''}${r.removed.length} item(s) ${verb}, ${(r.bytes / 1024 / 1024).toFixed(1)} MiB${dryRun ? '; nothing was removed' : ''}.`);
  return 0;
}
