// The backup scope of a workspace's default runbook, for verify without an engine context. Kept
// apart from scope.ts because it parses the runbook (yaml, zod), and scope.ts is on the start
// path of every command that builds a local target.
import { join } from 'node:path';
import { loadRunbook, resolveRunbookPath, type LoadedRunbook } from '../config/runbook.js';
import type { Workspace } from '../config/workspace.js';
import { backupScope, type BackupScope } from './scope.js';

/** A scope resolver over the workspace's default runbook (runbooks/dhash.yaml), loaded once. */
export function workspaceScope(ws: Workspace, runbookArg?: string): (env: string) => BackupScope {
  let rb: LoadedRunbook | undefined;
  return (env) => {
    if (!rb) {
      const p = resolveRunbookPath(ws.runbooksDir, runbookArg);
      rb = loadRunbook(p, join('runbooks', p.split(/[\\/]/).pop() ?? 'dhash.yaml'));
    }
    return backupScope(ws, rb, env);
  };
}
