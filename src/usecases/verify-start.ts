// What `rollout verify` starts before its modules load (src/cli/hot-verify.ts): the archive's
// hashing thread (src/backup/hash-prestart.ts), only when the archive the line names is large enough
// to be hashed on it. A module of its own, so that the CLI's entry reaches the backup layer through
// a use case without loading the verify use case's graph first.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { HASH_THREAD_FROM, prestartHashThread } from '../backup/hash-prestart.js';
import { listBackups, resolveBackupArg } from '../backup/names.js';
import { findWorkspace, type Workspace } from '../config/workspace.js';

export { prestartHashThread } from '../backup/hash-prestart.js';

/**
 * The size of the archive a plain verify line names (`rollout verify [BACKUP] [--env E] [--config
 * C] [--json]`, each option once), found as the command will find it: BACKUP as resolveBackupArg
 * resolves it, else the newest backup of --env. Undefined for any other line, which the direct
 * path hands to the shared graph (where a thread started here would never be adopted), or when
 * there is no such file. A few stat calls and at most one directory listing.
 */
export function verifyArchiveBytes(argv: readonly string[], cwd = process.cwd()): number | undefined {
  if (argv[2] !== 'verify') return undefined;
  const seen = new Set<string>();
  let backup: string | undefined;
  const values: Record<string, string> = {};
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') && backup === undefined) {
      backup = a;
      continue;
    }
    if (seen.has(a)) return undefined;
    seen.add(a);
    if (a === '--env' || a === '--config') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('-')) return undefined;
      values[a] = v;
    } else if (a !== '--json') return undefined;
  }
  let ws: Workspace | undefined;
  try {
    ws = findWorkspace(values['--config'], cwd);
  } catch {
    ws = undefined;
  }
  // (no workspace: the command fails before it reads any archive)
  if (!ws) return undefined;
  let path: string | undefined;
  if (backup !== undefined) path = resolveBackupArg(ws, backup, cwd);
  else if (values['--env']) {
    const newest = listBackups(ws.backupsDir, values['--env'])[0];
    path = newest === undefined ? undefined : join(ws.backupsDir, newest);
  }
  if (path === undefined) return undefined;
  const st = statSync(path, { throwIfNoEntry: false });
  return st?.isFile() ? st.size : undefined;
}

/** Start verify's hashing thread now when the line names an archive it will hash on it (verifyArchiveBytes); whether it did. */
export function prestartForVerify(argv: readonly string[], cwd = process.cwd()): boolean {
  let bytes: number | undefined;
  try {
    bytes = verifyArchiveBytes(argv, cwd);
  } catch {
    // (a path through a file, an unreadable backups/: the command itself says so in one sentence;
    // thrown here, at the module's top, it was a stack trace and exit 1)
    return false;
  }
  if (bytes === undefined || bytes < HASH_THREAD_FROM) return false;
  return prestartHashThread() !== undefined;
}
