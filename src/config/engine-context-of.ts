// An EngineContext from an already validated config and runbook (loaded, or read from the config
// cache): picks the environment's target and gates. No yaml, no zod.
import { join } from 'node:path';
import { environmentGates } from './gates-env.js';
import type { EnvironmentGates, GatesConfig } from './gates-schema.js';
import type { LoadedRunbook } from './runbook.js';
import { runbookEnvironment } from './runbook-files.js';
import type { EnvironmentRunbook } from './runbook-schema.js';
import type { Workspace } from './workspace.js';
import { systemClock, type Clock } from '../domain/clock.js';

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
  /** The clock monitor windows run on (their polls, journal and samples), when not `clock`: injected by tests. */
  monitorClock?: Clock;
  /** True when the environment is production (by name or `production: true` in the runbook). */
  production: boolean;
}

/** How a runbook file is named in messages: runbooks/<file name>. */
export function runbookDisplay(rbPath: string): string {
  return join('runbooks', rbPath.split(/[\\/]/).pop() ?? 'dhash.yaml');
}

/** The context of `env` from a validated config and runbook; unknown environments are usage errors. */
export function engineContextOf(ws: Workspace, env: string, config: GatesConfig, runbook: LoadedRunbook, opts: { operator: string; clock?: Clock }): EngineContext {
  const target = runbookEnvironment(runbook, env);
  const gates = environmentGates(config, env);
  return { ws, env, config, gates, runbook, target, operator: opts.operator, clock: opts.clock ?? systemClock, production: env === 'production' || target.production === true };
}
