// The workspace: the folder holding quality-gates-config.json; every file of SPEC.md's table
// lives under it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../domain/errors.js';

export const CONFIG_FILE = 'quality-gates-config.json';

/** Paths of one workspace. */
export interface Workspace {
  root: string;
  configPath: string;
  runbooksDir: string;
  backupsDir: string;
  logsDir: string;
  rollbacksDir: string;
  incidentsDir: string;
  migrationsDir: string;
  fallbackDir: string;
  deploymentsDir: string;
  locksDir: string;
  premergeDir: string;
}

/** Paths for a workspace rooted at `root` with its config at `configPath`. */
export function workspaceAt(root: string, configPath = join(root, CONFIG_FILE)): Workspace {
  return {
    root,
    configPath,
    runbooksDir: join(root, 'runbooks'),
    backupsDir: join(root, 'backups'),
    logsDir: join(root, 'logs'),
    rollbacksDir: join(root, 'rollbacks'),
    incidentsDir: join(root, 'incidents'),
    migrationsDir: join(root, 'migrations'),
    fallbackDir: join(root, 'notifications', 'fallback'),
    deploymentsDir: join(root, 'deployments'),
    locksDir: join(root, '.rollout', 'locks'),
    premergeDir: join(root, 'premerge_artifacts'),
  };
}

/** Find the workspace: from --config, else the nearest folder at or above `cwd` holding the config. */
export function findWorkspace(configFlag: string | undefined, cwd = process.cwd()): Workspace {
  if (configFlag) {
    const p = resolve(cwd, configFlag);
    if (!existsSync(p)) throw new ConfigError(`${configFlag}: config file not found (from --config).`);
    return workspaceAt(dirname(p), p);
  }
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, CONFIG_FILE))) return workspaceAt(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new ConfigError(`No ${CONFIG_FILE} in ${cwd} or any folder above it; run from a workspace or pass --config PATH.`);
}

let pkgRoot: string | undefined;
/** The installed package's folder (for shipped releases, schemas and the demo service). */
export function packageRoot(): string {
  if (pkgRoot) return pkgRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'guarded-rollout') return (pkgRoot = dir);
      } catch {
        /* not ours; keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) {
      // A bundle run from outside the package (the tests' private build) is told where it is.
      if (process.env.ROLLOUT_PACKAGE_ROOT) return (pkgRoot = process.env.ROLLOUT_PACKAGE_ROOT);
      throw new Error('guarded-rollout: cannot find the package folder');
    }
    dir = up;
  }
}

/** The tool's version from package.json. */
export function toolVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
