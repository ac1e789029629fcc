// The temp folders of a config-cache test file: this user's state folder (where the cache's key
// lives) set, with the cache on, for each test, and a minimal workspace (the shipped config and
// runbook); everything made is removed after the file.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { workspaceAt, type Workspace } from '../../src/config/workspace.js';
import { REPO } from './cli.js';

/** Register the hooks; `made` takes more folders to remove, `workspace()` makes one. */
export function cacheFolders(prefix: string): { made: string[]; state: string; workspace: () => Workspace } {
  const made: string[] = [];
  const state = mkdtempSync(join(tmpdir(), `${prefix}-state-`));
  made.push(state);
  beforeEach(() => {
    vi.stubEnv('ROLLOUT_STATE_DIR', state);
    vi.stubEnv('ROLLOUT_CONFIG_CACHE', undefined);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  const workspace = (): Workspace => {
    const root = mkdtempSync(join(tmpdir(), `${prefix}-ws-`));
    made.push(root);
    cpSync(join(REPO, 'quality-gates-config.json'), join(root, 'quality-gates-config.json'));
    mkdirSync(join(root, 'runbooks'));
    cpSync(join(REPO, 'runbooks', 'dhash.yaml'), join(root, 'runbooks', 'dhash.yaml'));
    return workspaceAt(root);
  };
  return { made, state, workspace };
}
