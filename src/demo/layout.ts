// Where a local target keeps an environment's deployed state (the backup and rollback code rely
// on exactly this layout):
//   deployments/<env>/releases/<version>/   copies of deployed releases
//   deployments/<env>/current               relative symlink -> releases/<version>
//   deployments/<env>/current.json          {version}: the pointer where symlinks are not allowed
//   deployments/<env>/service.pid, service.log, deploy-journal.json
//   config/<env>/dhash.json                 the service's config (migrations transform it)
import { existsSync, lstatSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeJsonAtomic } from '../domain/fs-atomic.js';

/** Paths of one environment's local deployment. */
export interface LocalLayout {
  dir: string;
  releasesDir: string;
  current: string;
  currentPointer: string;
  pidFile: string;
  logFile: string;
  journal: string;
  configFile: string;
}

/** The layout for an environment (deployDir defaults to <root>/deployments/<env>). */
export function localLayout(root: string, env: string, deployDir?: string): LocalLayout {
  const dir = deployDir ?? join(root, 'deployments', env);
  return {
    dir,
    releasesDir: join(dir, 'releases'),
    current: join(dir, 'current'),
    currentPointer: join(dir, 'current.json'),
    pidFile: join(dir, 'service.pid'),
    logFile: join(dir, 'service.log'),
    journal: join(dir, 'deploy-journal.json'),
    configFile: join(root, 'config', env, 'dhash.json'),
  };
}

/** The version `current` points at (symlink first, then the pointer file), if any. */
export function readCurrentVersion(l: LocalLayout): string | undefined {
  try {
    if (lstatSync(l.current).isSymbolicLink()) return basename(readlinkSync(l.current));
  } catch {
    /* no symlink: try the pointer file */
  }
  try {
    const v = (JSON.parse(readFileSync(l.currentPointer, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' && v ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The folder of the current release, if one is deployed. */
export function currentReleaseDir(l: LocalLayout): string | undefined {
  const v = readCurrentVersion(l);
  if (!v) return undefined;
  const d = join(l.releasesDir, v);
  return existsSync(d) ? d : undefined;
}

/** Point `current` at a deployed version atomically: a temp symlink renamed over the old one. */
export function switchCurrent(l: LocalLayout, version: string): 'symlink' | 'pointer' {
  const tmp = join(l.dir, `.current.${process.pid}.tmp`);
  try {
    rmSync(tmp, { force: true });
    symlinkSync(join('releases', version), tmp, 'dir');
    renameSync(tmp, l.current);
    rmSync(l.currentPointer, { force: true });
    return 'symlink';
  } catch {
    // Symlinks not allowed here (Windows without developer mode): a pointer file, written atomically.
    rmSync(tmp, { force: true });
    writeJsonAtomic(l.currentPointer, { version });
    try {
      if (lstatSync(l.current).isSymbolicLink()) rmSync(l.current, { force: true });
    } catch {
      /* nothing to remove */
    }
    return 'pointer';
  }
}

/** The pid in service.pid, if the file holds one. */
export function readPid(l: LocalLayout): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(l.pidFile, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
