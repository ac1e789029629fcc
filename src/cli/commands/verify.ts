// rollout verify: check a backup against its .sha256, its zip structure and every manifest entry.
import { limitsFor } from '../../backup/limits.js';
import { resolveBackupArg } from '../../backup/names.js';
import { contextScope } from '../../backup/scope.js';
import { latestBackupOrFail, verifyBackup } from '../../backup/verify.js';
import { UsageError } from '../../domain/errors.js';
import { loadEngineContext } from '../../config/engine-context.js';
import { operatorName, type CommandContext } from '../context.js';

/** Verify BACKUP, or the newest backup of --env by name; exit 3 when it is refused. */
export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<number> {
  const ws = ctx.workspace;
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const arg = args[0];
  if (!arg && !env) throw new UsageError('Name a backup to verify, or --env to verify the newest backup of an environment.');
  // With --env, the runbook's limits apply; without it, the defaults.
  const engine = env ? loadEngineContext(ws, env, { operator: operatorName() }) : undefined;
  const path = arg ? resolveBackupArg(ws, arg) : latestBackupOrFail(ws, env!);
  // The scope (what the backup may restore) comes from the runbook: the one --env was loaded with, else the default.
  const r = await verifyBackup(path, { ws, limits: limitsFor(engine), ...(env ? { expectEnv: env } : {}), ...(engine ? { scope: contextScope(engine) } : {}) });
  const m = r.manifest;
  ctx.result({
    ok: true,
    backup: r.file,
    sha256: r.sha256,
    archive_bytes: r.archiveBytes,
    env: m.env,
    version: m.version,
    created_at: m.created_at,
    operator: m.operator,
    tool_version: m.tool_version,
    entries: r.entries,
    files: m.totals.files,
    bytes: m.totals.bytes,
    duration_ms: r.durationMs,
  });
  ctx.say(`OK ${r.file}: SHA256 matches its .sha256; ${r.entries} entries (${m.totals.files} files, ${m.totals.bytes} bytes) match the manifest.`);
  ctx.say(`  ${m.env}, version ${m.version ?? 'unknown'}, taken ${m.created_at} by ${m.operator} (rollout ${m.tool_version})`);
  return 0;
}
