// Finding runbook files and one environment of a loaded runbook: no yaml, no zod, so that a
// command served from the config cache (config/cached-context.ts) loads neither.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from '../domain/errors.js';
import { escapeControl } from '../domain/terminal-text.js';
import type { LoadedRunbook } from './runbook.js';
import type { EnvironmentRunbook } from './runbook-schema.js';

/** The runbook files of a workspace's runbooks/ folder, sorted by name. */
export function listRunbooks(runbooksDir: string): string[] {
  if (!existsSync(runbooksDir)) return [];
  return readdirSync(runbooksDir).filter((f) => /\.ya?ml$/.test(f)).sort();
}

/** Resolve a runbook argument (a name like "dhash", a file name, or a path). */
export function resolveRunbookPath(runbooksDir: string, arg: string | undefined): string {
  const name = arg ?? 'dhash';
  const candidates = [name, join(runbooksDir, name), join(runbooksDir, `${name}.yaml`), join(runbooksDir, `${name}.yml`)];
  for (const c of candidates) if (existsSync(c) && /\.ya?ml$/.test(c)) return c;
  const known = listRunbooks(runbooksDir).map((f) => basename(f).replace(/\.ya?ml$/, ''));
  throw new UsageError(`Unknown runbook "${name}": runbooks/ has ${known.join(', ') || 'none'}.`);
}

/** One environment of a runbook, or a usage error naming the known ones. */
export function runbookEnvironment(rb: LoadedRunbook, env: string): EnvironmentRunbook {
  // Own keys only: "__proto__", "constructor" or "toString" name no environment.
  const e = Object.hasOwn(rb.environments, env) ? rb.environments[env] : undefined;
  if (!e) throw new UsageError(`Unknown environment "${escapeControl(env)}": ${rb.file} defines ${Object.keys(rb.environments).join(', ')}.`);
  return e;
}
