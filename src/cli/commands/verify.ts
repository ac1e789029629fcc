// rollout verify: check a backup against its .sha256, its zip structure and every manifest entry.
import { verify } from '../../usecases/verify.js';
import { operatorName, type CommandContext } from '../context.js';

/** Verify BACKUP, or the newest backup of --env by name; exit 3 when it is refused. */
export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<number> {
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const r = await verify(ctx.workspace, { ...(args[0] ? { backup: args[0] } : {}), ...(env ? { env } : {}), operator: operatorName() });
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
