// Everything a service needs to act on one environment: the workspace, the validated config and
// runbook, the operator, the clock. Loaded once per command; the TUI and the CLI build the same.
// The CLI's commands load it through config/cached-context.ts (the same result, without yaml and
// zod when the files have not changed since they were last validated).
import { loadGatesConfig } from './gates.js';
import { loadRunbook, resolveRunbookPath } from './runbook.js';
import type { Workspace } from './workspace.js';
import type { Clock } from '../domain/clock.js';
import { UsageError } from '../domain/errors.js';
import { engineContextOf, runbookDisplay, type EngineContext } from './engine-context-of.js';

export type { EngineContext } from './engine-context-of.js';

/** Load and validate config and runbook for an environment; unknown environments are usage errors. */
export function loadEngineContext(ws: Workspace, env: string | undefined, opts: { runbook?: string; operator: string; clock?: Clock }): EngineContext {
  if (!env) throw new UsageError('Missing --env: name the environment (production, staging or development).');
  const config = loadGatesConfig(ws.configPath, 'quality-gates-config.json');
  const rbPath = resolveRunbookPath(ws.runbooksDir, opts.runbook);
  const runbook = loadRunbook(rbPath, runbookDisplay(rbPath));
  return engineContextOf(ws, env, config, runbook, opts);
}
