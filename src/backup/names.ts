// Backup file names (SPEC.md "Files"): backups/dhash_<env>_<UTC YYYYMMDD_HHMMSS>.zip beside its
// .zip.sha256. Name order is age order, so `ls | sort -r` and latestBackup() agree.
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Workspace } from '../config/workspace.js';
import { fileStamp } from '../domain/time.js';

const NAME_RE = /^dhash_([a-z][a-z0-9-]*)_(\d{8}_\d{6})\.zip$/;

/** The parts of a backup file name, or undefined when it is not one of ours. */
export function parseBackupName(name: string): { env: string; stamp: string } | undefined {
  const m = NAME_RE.exec(name);
  return m ? { env: m[1]!, stamp: m[2]! } : undefined;
}

/** The file name of a backup of `env` taken at `ms`. */
export function backupFileName(env: string, ms: number): string {
  return `dhash_${env}_${fileStamp(ms)}.zip`;
}

/**
 * A free backup name for `env` at or after `ms`. Two backups in one second: the second takes the
 * next free second, so names keep SPEC.md's exact shape and `sort -r` stays newest-first in every
 * locale (a suffix such as `_2` sorts differently under C and en_US collation).
 */
export function freeBackupName(backupsDir: string, env: string, ms: number): string {
  let t = Math.floor(ms / 1000) * 1000;
  // Never hand out a name that sorts before an existing backup: "newest" must stay the last taken.
  const newest = listBackups(backupsDir, env)[0];
  if (newest !== undefined && newest >= backupFileName(env, t)) t = stampToMs(parseBackupName(newest)!.stamp) + 1000;
  for (;;) {
    const name = backupFileName(env, t);
    if (!existsSync(join(backupsDir, name)) && !existsSync(join(backupsDir, `${name}.sha256`))) return name;
    t += 1000;
  }
}

/** Milliseconds since the epoch of a `YYYYMMDD_HHMMSS` UTC stamp. */
export function stampToMs(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Backup file names of `env` (all environments when undefined), newest first (as `ls | sort -r`). */
export function listBackups(backupsDir: string, env?: string): string[] {
  if (!existsSync(backupsDir)) return [];
  return readdirSync(backupsDir)
    .filter((f) => {
      const p = parseBackupName(f);
      return p !== undefined && (env === undefined || p.env === env);
    })
    .sort()
    .reverse();
}

/** The newest backup of `env` by name, absolute, or undefined. */
export function latestBackup(ws: Workspace, env: string): string | undefined {
  const n = listBackups(ws.backupsDir, env)[0];
  return n ? join(ws.backupsDir, n) : undefined;
}

/** A path relative to the workspace in `/` form (for .sha256 lines, manifests and messages). */
export function wsRelative(ws: Workspace, abs: string): string {
  const r = relative(ws.root, abs);
  if (r === '' || r.startsWith('..') || isAbsolute(r)) return abs;
  return r.split(sep).join('/');
}

/** Resolve a backup argument: absolute, relative to the current folder, or to the workspace. */
export function resolveBackupArg(ws: Workspace, arg: string, cwd = process.cwd()): string {
  if (isAbsolute(arg)) return arg;
  const fromCwd = resolve(cwd, arg);
  if (existsSync(fromCwd)) return fromCwd;
  const fromWs = resolve(ws.root, arg);
  if (existsSync(fromWs)) return fromWs;
  const inBackups = resolve(ws.backupsDir, arg);
  return existsSync(inBackups) ? inBackups : fromCwd;
}
