// Loading quality-gates-config.json: JSON syntax, zod shape, then semantic checks; the first
// problem becomes one ConfigError sentence with file, JSON path and line.
import { ConfigError } from '../domain/errors.js';
import { GatesConfigInput, resolveGatesConfig, type GatesConfig } from './gates-schema.js';
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

// In gates-env.ts (no zod) so that a cached context does not load the schema; re-exported here.
export { environmentGates } from './gates-env.js';
