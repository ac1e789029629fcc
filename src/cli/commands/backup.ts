// rollout backup: a SHA256-verified backup of an environment's deployed state (src/backup/).
import { createBackup, type BackupProgress } from '../../usecases/backup.js';
import { loadEngineContextCached } from '../../config/cached-context.js';
import { operatorName, type CommandContext } from '../context.js';

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Take the backup (or, with --dry-run, list what it would take and write backup-dryrun.log). */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const ws = ctx.workspace;
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const engine = await loadEngineContextCached(ws, env, { operator: operatorName(typeof opts.operator === 'string' ? opts.operator : undefined) });
  const dryRun = opts.dryRun === true;
  // Progress on stderr, only on a terminal: stdout stays the result.
  const tty = Boolean(process.stderr.isTTY) && !ctx.flags.json;
  const onProgress = tty
    ? (p: BackupProgress): void => {
        const pct = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 100;
        process.stderr.write(`\r  ${pct}%  ${mib(p.bytesDone)} of ${mib(p.bytesTotal)}  ${p.filesDone}/${p.filesTotal} files  ${mib(p.rate)}/s   `);
      }
    : undefined;
  const r = await createBackup(engine, { dryRun, command: ctx.commandLine, ...(onProgress ? { onProgress } : {}) });
  if (tty && !dryRun) process.stderr.write('\n');
  ctx.result({
    ok: true,
    dry_run: r.dryRun,
    env: r.env,
    version: r.version,
    backup: r.file,
    sha256_file: r.checksumFile,
    sha256: r.sha256 ?? null,
    archive_bytes: r.archiveBytes ?? null,
    files: r.files,
    dirs: r.dirs,
    symlinks: r.symlinks,
    bytes: r.bytes,
    duration_ms: r.durationMs,
    ...(r.dryRun ? { dry_run_log: r.dryRunLog, plan: r.plan } : { log: r.logFile }),
  });
  if (r.dryRun) {
    for (const it of r.plan ?? []) ctx.say(`  ${it.kind === 'file' ? String(it.size).padStart(12) : it.kind === 'dir' ? '      folder' : '        link'}  ${it.path}${it.kind === 'dir' ? '/' : ''}${it.target ? ` -> ${it.target}` : ''}`);
    ctx.say(`Dry run: would write ${r.file} (${r.files} files, ${mib(r.bytes)}, version ${r.version ?? 'unknown'}) and its .sha256; nothing written. Plan: ${r.dryRunLog}`);
    return 0;
  }
  ctx.say(`Backup of ${r.env} (version ${r.version ?? 'unknown'}): ${r.file}`);
  ctx.say(`  ${r.files} files, ${mib(r.bytes)} -> ${mib(r.archiveBytes ?? 0)} in ${(r.durationMs / 1000).toFixed(1)} s`);
  ctx.say(`  SHA256 ${r.sha256}  (${r.checksumFile}; check with: sha256sum -c ${r.checksumFile})`);
  ctx.say(`  Log: ${r.logFile}`);
  return 0;
}
