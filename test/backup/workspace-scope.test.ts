// Given a workspace whose runbook was never validated by this build, when verify resolves a
// backup's scope without --env (workspace-scope.ts), then it parses the runbook as before and
// keeps the result in the config cache, so that the next verify reads it from there; a config
// that does not validate (verify never needed it) leaves no entry and changes nothing else.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceScope } from '../../src/backup/workspace-scope.js';
import { loadEngineContextCached, readCached } from '../../src/config/cached-context.js';
import { type Workspace } from '../../src/config/workspace.js';
import { cacheFolders } from '../helpers/cache-folders.js';

const { workspace } = cacheFolders('rollout-wsscope');
const rbPath = (ws: Workspace): string => join(ws.runbooksDir, 'dhash.yaml');

describe('the scope of verify without --env', () => {
  it('writes the config cache when it parses the runbook, and the next one is served from it with the same scope', async () => {
    const ws = workspace();
    expect(readCached(ws, rbPath(ws))).toBeUndefined();
    const first = (await workspaceScope(ws))('staging');
    const cached = readCached(ws, rbPath(ws));
    expect(cached).toBeDefined();
    // The entry is the one a command with --env would have written: the same config and runbook.
    const ctx = await loadEngineContextCached(ws, 'staging', { operator: 'tester' });
    expect(cached!.runbook).toEqual(ctx.runbook);
    expect(cached!.config).toEqual(ctx.config);
    expect(cached!.runbook.file).toBe(join('runbooks', 'dhash.yaml'));
    const again = (await workspaceScope(ws))('staging');
    expect(again).toEqual(first);
    expect(first.roots.length).toBeGreaterThan(0);
  });

  it('writes no entry when the config does not validate, and still gives the runbook\'s scope', async () => {
    const ws = workspace();
    const good = (await workspaceScope(workspace()))('staging');
    writeFileSync(ws.configPath, '{"environments": 3');
    const scope = (await workspaceScope(ws))('staging');
    expect(scope.roots.map((r) => r.path)).toEqual(good.roots.map((r) => r.path));
    expect(readCached(ws, rbPath(ws))).toBeUndefined();
  });

  it('reports a broken runbook as before and writes nothing', async () => {
    const ws = workspace();
    writeFileSync(rbPath(ws), 'environments: [');
    const resolve = await workspaceScope(ws);
    expect(() => resolve('staging')).toThrow(/runbooks[\\/]dhash\.yaml/);
    expect(readCached(ws, rbPath(ws))).toBeUndefined();
  });
});
