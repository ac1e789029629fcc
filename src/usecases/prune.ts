// The prune use case: the one way in for `rollout prune`. Retention from quality-gates-config.json,
// each environment's archive limits from the runbook (used to verify what must be kept).
import { limitsFor, type ArchiveLimits } from '../backup/limits.js';
import { prune, type PruneResult } from '../backup/prune.js';
import { loadGatesConfig } from '../config/gates.js';
import type { GatesConfig } from '../config/gates-schema.js';
import { loadRunbook, resolveRunbookPath } from '../config/runbook.js';
import type { Workspace } from '../config/workspace.js';

/** Remove (or with dryRun only list) what is past its retention; the newest verified backup of each environment stays. */
export async function pruneWorkspace(ws: Workspace, o: { dryRun: boolean; operator: string }): Promise<{ result: PruneResult; retention: GatesConfig['retention'] }> {
  const config = loadGatesConfig(ws.configPath, 'quality-gates-config.json');
  const rb = loadRunbook(resolveRunbookPath(ws.runbooksDir, undefined), 'runbooks/dhash.yaml');
  const limits = (env: string): ArchiveLimits | undefined => (Object.hasOwn(rb.environments, env) ? limitsFor({ target: rb.environments[env]! }) : undefined);
  const result = await prune(ws, config.retention, { dryRun: o.dryRun, operator: o.operator, limits });
  return { result, retention: config.retention };
}
