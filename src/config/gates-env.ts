// One environment's resolved gate settings: no zod, so that a command served from the config
// cache (config/cached-context.ts) does not load the schema.
import { UsageError } from '../domain/errors.js';
import { escapeControl } from '../domain/terminal-text.js';
import type { EnvironmentGates, GatesConfig } from './gates-schema.js';

/** The resolved settings of one environment, or a usage error naming the known ones. */
export function environmentGates(config: GatesConfig, env: string, file = 'quality-gates-config.json'): EnvironmentGates {
  // Own keys only: "__proto__", "constructor" or "toString" name no environment.
  const e = Object.hasOwn(config.environments, env) ? config.environments[env] : undefined;
  if (!e) throw new UsageError(`Unknown environment "${escapeControl(env)}": ${file} defines ${Object.keys(config.environments).join(', ') || 'none'}.`);
  return e;
}
