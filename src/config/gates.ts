// Loading quality-gates-config.json: JSON syntax, zod shape, then semantic checks; the first
// problem becomes one ConfigError sentence with file, JSON path and line.
import { ConfigError, UsageError } from '../domain/errors.js';
import { escapeControl } from '../domain/terminal-text.js';
import { GatesConfigInput, resolveGatesConfig, type EnvironmentGates, type GatesConfig } from './gates-schema.js';
import { describeAt, parseJsonText, readConfigText, zodIssueSentence } from './locate.js';

/** Validate gates-config text; `file` is how the file is named in messages. */
export function parseGatesConfig(text: string, file = 'quality-gates-config.json'): GatesConfig {
  const data = parseJsonText(file, text);
  const r = GatesConfigInput.safeParse(data);
  if (!r.success) throw new ConfigError(zodIssueSentence(file, text, data, r.error.issues[0]!));
  const { config, issues } = resolveGatesConfig(r.data);
  if (issues[0]) throw new ConfigError(describeAt(file, text, issues[0].path, issues[0].message));
  return config;
}

/** Read and validate the gates config at `path`; `display` is the name used in messages. */
export function loadGatesConfig(path: string, display = path): GatesConfig {
  const text = readConfigText(path, display);
  return parseGatesConfig(text, display);
}

/** The resolved settings of one environment, or a usage error naming the known ones. */
export function environmentGates(config: GatesConfig, env: string, file = 'quality-gates-config.json'): EnvironmentGates {
  // Own keys only: "__proto__", "constructor" or "toString" name no environment.
  const e = Object.hasOwn(config.environments, env) ? config.environments[env] : undefined;
  if (!e) throw new UsageError(`Unknown environment "${escapeControl(env)}": ${file} defines ${Object.keys(config.environments).join(', ') || 'none'}.`);
  return e;
}
