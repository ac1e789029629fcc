// Everything a service needs to act on one environment: the workspace, the validated config and
// runbook, the operator, the clock. Loaded once per command; the TUI and the CLI build the same.
import { join } from 'node:path';
import { environmentGates, loadGatesConfig } from './gates.js';
import type { EnvironmentGates, GatesConfig } from './gates-schema.js';
import { loadRunbook, resolveRunbookPath, runbookEnvironment, type LoadedRunbook } from './runbook.js';
import type { EnvironmentRunbook } from './runbook-schema.js';
import type { Workspace } from './workspace.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { UsageError } from '../domain/errors.js';

/** One environment, ready to be acted on. */
export interface EngineContext {
  ws: Workspace;
  env: string;
  config: GatesConfig;
  gates: EnvironmentGates;
  runbook: LoadedRunbook;
  target: EnvironmentRunbook;
  operator: string;
  clock: Clock;
  /** True when the environment is production (by name or `production: true` in the runbook). */
  production: boolean;
}

/** Load and validate config and runbook for an environment; unknown environments are usage errors. */
export function loadEngineContext(ws: Workspace, env: string | undefined, opts: { runbook?: string; operator: string; clock?: Clock }): EngineContext {
  if (!env) throw new UsageError('Missing --env: name the environment (production, staging or development).');
  const config = loadGatesConfig(ws.configPath, 'quality-gates-config.json');
  const rbPath = resolveRunbookPath(ws.runbooksDir, opts.runbook);
  const runbook = loadRunbook(rbPath, join('runbooks', rbPath.split(/[\\/]/).pop() ?? 'dhash.yaml'));
  const target = runbookEnvironment(runbook, env);
  const gates = environmentGates(config, env);
  return { ws, env, config, gates, runbook, target, operator: opts.operator, clock: opts.clock ?? systemClock, production: env === 'production' || target.production === true };
}
