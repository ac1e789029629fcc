// The backup scope of a workspace's default runbook, for verify without an engine context. Kept
// apart from scope.ts because it may parse the runbook (yaml, zod), and scope.ts is on the start
// path of every command that builds a local target. The validated runbook comes from the config
// cache (config/cached-context.ts) when its files did not change: no yaml or zod to load (~0.1 s
// of a 10k-file verify).
import { join } from 'node:path';
import { readCached } from '../config/cached-context.js';
import { resolveRunbookPath } from '../config/runbook-files.js';
import type { LoadedRunbook } from '../config/runbook.js';
import type { Workspace } from '../config/workspace.js';
import { backupScope, type BackupScope } from './scope.js';

/**
 * A scope resolver over the workspace's default runbook (runbooks/dhash.yaml). The runbook is
 * read when the resolver is first called (a broken runbook is reported only then, after the
 * archive's own structure was checked), from the cache when current, else parsed.
 */
export async function workspaceScope(ws: Workspace, runbookArg?: string): Promise<(env: string) => BackupScope> {
  let path: string | undefined;
  try {
    path = resolveRunbookPath(ws.runbooksDir, runbookArg);
  } catch {
    path = undefined; // reported by loadRunbook below, when the scope is needed
  }
  let rb: LoadedRunbook | undefined = path ? readCached(ws, path)?.runbook : undefined;
  // Not cached: load the parser now (async), parse when needed (sync, as before).
  const load = rb ? undefined : (await import('../config/runbook.js')).loadRunbook;
  return (env) => {
    if (!rb) {
      const p = resolveRunbookPath(ws.runbooksDir, runbookArg);
      rb = load!(p, join('runbooks', p.split(/[\\/]/).pop() ?? 'dhash.yaml'));
    }
    return backupScope(ws, rb, env);
  };
}
