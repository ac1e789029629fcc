// The verify use case: the one way in for `rollout verify`. It finds the backup (a name, a path,
// or the newest of --env), applies the runbook's limits and scope, and verifies it.
import { limitsFor } from '../backup/limits.js';
import { resolveBackupArg } from '../backup/names.js';
import { contextScope } from '../backup/scope.js';
import { latestBackupOrFail, verifyBackup, type VerifyResult } from '../backup/verify.js';
import { loadEngineContextCached } from '../config/cached-context.js';
import type { Workspace } from '../config/workspace.js';
import { UsageError } from '../domain/errors.js';

export type { VerifyResult } from '../backup/verify.js';

/** Verify `backup`, or the newest backup of `env`; a refused archive throws a typed error (exit 3). */
export async function verify(ws: Workspace, o: { backup?: string; env?: string; operator: string }): Promise<VerifyResult> {
  if (!o.backup && !o.env) throw new UsageError('Name a backup to verify, or --env to verify the newest backup of an environment.');
  // With --env, the runbook's limits apply; without it, the defaults. Through the config cache:
  // no yaml or zod when the files did not change since they were last validated.
  const engine = o.env ? await loadEngineContextCached(ws, o.env, { operator: o.operator }) : undefined;
  const path = o.backup ? resolveBackupArg(ws, o.backup) : latestBackupOrFail(ws, o.env!);
  // The scope (what the backup may restore) comes from the runbook: the one --env was loaded with, else the default.
  return verifyBackup(path, { ws, limits: limitsFor(engine), ...(o.env ? { expectEnv: o.env } : {}), ...(engine ? { scope: contextScope(engine) } : {}) });
}
