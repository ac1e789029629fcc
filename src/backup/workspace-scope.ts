// The backup scope of a workspace's default runbook, for verify without an engine context. Kept
// apart from scope.ts because it may parse the runbook (yaml, zod), and scope.ts is on the start
// path of every command that builds a local target. The validated runbook comes from the config
// cache (config/cached-context.ts) when its files did not change: no yaml or zod to load (~0.1 s
// of a 10k-file verify). When it had to be parsed, the cache is written (with the config, when
// that is valid too), so that the next `rollout verify FILE` needs neither.
import { readCached, writeCached } from '../config/cached-context.js';
import { runbookDisplay } from '../config/engine-context-of.js';
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
  // Not cached: load the parsers now (async), parse when needed (sync, as before).
  const parsers = rb ? undefined : await Promise.all([import('../config/runbook.js'), import('../config/gates.js'), import('../config/locate.js')]);
  return (env) => {
    if (!rb) {
      const [{ loadRunbook }, { parseGatesConfig }, { readConfigText }] = parsers!;
      const p = resolveRunbookPath(ws.runbooksDir, runbookArg);
      const read: { path: string; text: string }[] = [];
      rb = loadRunbook(p, runbookDisplay(p), read);
      // An entry holds the config too (as a command with --env writes it): only a valid one is kept.
      // A config that does not validate changes nothing here (verify never needed it); the next
      // command that needs it reports it.
      try {
        const configText = readConfigText(ws.configPath, 'quality-gates-config.json');
        writeCached(ws, [{ path: ws.configPath, text: configText }, ...read], parseGatesConfig(configText, 'quality-gates-config.json'), rb);
      } catch {
        /* no cache entry: the next verify parses again */
      }
    }
    return backupScope(ws, rb, env);
  };
}
