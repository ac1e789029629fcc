// `rollout prune`: retention from quality-gates-config.json (seeds: backups 30 days, monitoring
// logs 90, rollback logs 365, incidents 7 years). Ages come from the UTC stamp in each name (the
// file's mtime when there is none). The newest backup of an environment that verifies is never
// removed, however old; backups are only removed under that environment's lock.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Retention } from '../config/gates-schema.js';
import type { Workspace } from '../config/workspace.js';
import { RefusedError } from '../domain/errors.js';
import { withEnvLockReentrant } from './lock.js';
import { listBackups, parseBackupName, stampToMs, wsRelative } from './names.js';
import { verifyBackup } from './verify.js';
import type { ArchiveLimits } from './limits.js';

/** One file or folder the retention rules look at. */
export interface PruneItem {
  path: string;
  kind: 'backup' | 'monitor-log' | 'rollback-log' | 'log' | 'incident' | 'pre-rollback' | 'fallback' | 'temp';
  ageDays: number;
  keepDays: number;
  bytes: number;
}

/** What prune did (or would do). */
export interface PruneResult {
  dryRun: boolean;
  removed: PruneItem[];
  /** Old items kept on purpose, with why. */
  kept: (PruneItem & { why: string })[];
  bytes: number;
}

const DAY = 86_400_000;

function stampOf(name: string): number | undefined {
  const m = /(\d{8})[_-](\d{6})/.exec(name);
  if (!m) return undefined;
  const ms = stampToMs(`${m[1]}_${m[2]}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function sizeOf(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const f of readdirSync(p)) n += sizeOf(join(p, f));
  return n;
}

function candidates(dir: string, filter: (name: string) => boolean): { name: string; abs: string; at: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && filter(n))
    .map((name) => {
      const abs = join(dir, name);
      return { name, abs, at: stampOf(name) ?? statSync(abs).mtimeMs };
    });
}

/** Apply (or with dryRun, list) the retention rules of a workspace. */
export async function prune(ws: Workspace, retention: Retention, opts: { dryRun: boolean; now?: number; operator?: string; limits?: (env: string) => ArchiveLimits | undefined }): Promise<PruneResult> {
  const now = opts.now ?? Date.now();
  const removed: PruneItem[] = [];
  const kept: (PruneItem & { why: string })[] = [];
  const old = (at: number, days: number): boolean => now - at > days * DAY;
  const item = (abs: string, kind: PruneItem['kind'], at: number, keepDays: number): PruneItem => ({ path: wsRelative(ws, abs), kind, ageDays: Math.floor((now - at) / DAY), keepDays, bytes: sizeOf(abs) });
  const remove = (it: PruneItem, abs: string[]): void => {
    if (!opts.dryRun) for (const p of abs) rmSync(p, { recursive: true, force: true });
    removed.push(it);
  };

  // Backups, per environment, under its lock; the newest that verifies stays.
  const envs = new Set(listBackups(ws.backupsDir).map((n) => parseBackupName(n)!.env));
  for (const env of [...envs].sort()) {
    const names = listBackups(ws.backupsDir, env);
    const expired = names.filter((n) => old(stampOf(n) ?? now, retention.backupsDays));
    if (expired.length === 0) continue;
    const work = async (): Promise<void> => {
      let keep: string | undefined;
      for (const n of names) {
        try {
          // The environment's own zip-bomb limits, as verify and rollback use them.
          const limits = opts.limits?.(env);
          await verifyBackup(join(ws.backupsDir, n), { ws, expectEnv: env, ...(limits ? { limits } : {}) });
          keep = n;
          break;
        } catch (e) {
          if (!(e instanceof RefusedError)) throw e;
        }
      }
      for (const n of expired) {
        const abs = join(ws.backupsDir, n);
        const it = item(abs, 'backup', stampOf(n) ?? now, retention.backupsDays);
        if (existsSync(`${abs}.sha256`)) it.bytes += statSync(`${abs}.sha256`).size;
        if (n === keep) kept.push({ ...it, why: `the newest backup of ${env} that verifies` });
        else remove(it, [abs, `${abs}.sha256`]);
      }
    };
    if (opts.dryRun) await work();
    else {
      try {
        await withEnvLockReentrant(ws, env, { operator: opts.operator ?? 'prune', command: 'rollout prune' }, work);
      } catch (e) {
        if (!(e instanceof RefusedError)) throw e;
        for (const n of expired) kept.push({ ...item(join(ws.backupsDir, n), 'backup', stampOf(n) ?? now, retention.backupsDays), why: e.message });
      }
    }
  }

  // Logs by kind.
  for (const c of candidates(ws.logsDir, (n) => n.endsWith('.log'))) {
    const [kind, days]: [PruneItem['kind'], number] = c.name.startsWith('monitor_')
      ? ['monitor-log', retention.monitorLogsDays]
      : c.name.startsWith('rollback_')
        ? ['rollback-log', retention.rollbackLogsDays]
        : ['log', retention.logsDays];
    if (old(c.at, days)) remove(item(c.abs, kind, c.at, days), [c.abs]);
  }
  for (const c of candidates(ws.rollbacksDir, (n) => n.startsWith('pre_rollback_'))) {
    if (old(c.at, retention.rollbackLogsDays)) remove(item(c.abs, 'pre-rollback', c.at, retention.rollbackLogsDays), [c.abs]);
  }
  for (const c of candidates(ws.incidentsDir, (n) => n.startsWith('INC-'))) {
    if (old(c.at, retention.incidentsDays)) remove(item(c.abs, 'incident', c.at, retention.incidentsDays), [c.abs]);
  }
  // Temp files of backups or archives killed half-way (a finished one is renamed into place).
  for (const dir of [ws.backupsDir, ws.rollbacksDir]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => n.startsWith('.') && n.endsWith('.tmp'))) {
      const abs = join(dir, name);
      const at = statSync(abs).mtimeMs;
      if (old(at, 1)) remove(item(abs, 'temp', at, 1), [abs]);
    }
  }
  for (const c of candidates(ws.fallbackDir, () => true)) {
    if (old(c.at, retention.fallbackDays)) remove(item(c.abs, 'fallback', c.at, retention.fallbackDays), [c.abs]);
  }
  return { dryRun: opts.dryRun, removed, kept, bytes: removed.reduce((a, r) => a + r.bytes, 0) };
}
