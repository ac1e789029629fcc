// prune on a real workspace: retention by the stamp in each name, per kind of file, --dry-run
// removing nothing, and the newest backup that verifies kept however old it is.
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/usecases/backup.js';
import { prune } from '../../src/backup/prune.js';
import { DEFAULT_LIMITS } from '../../src/backup/limits.js';
import { loadGatesConfig } from '../../src/config/gates.js';
import { FakeClock } from '../../src/domain/clock.js';
import { makeWorkspace } from '../helpers/cli.js';
import { deployTree, engine, put, wsOf } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const retention = () => loadGatesConfig(join(ws.root, 'quality-gates-config.json')).retention;

/** A real backup of staging taken at `ms`. */
async function backupAt(ms: number): Promise<string> {
  return (await createBackup(engine(ws.root, 'staging', new FakeClock(ms)), {})).file;
}

describe('prune', () => {
  it('removes what is past retention by kind, keeps the rest, and --dry-run removes nothing', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    const day = 86_400_000;
    const oldBackup = await backupAt(NOW - 40 * day);
    const newBackup = await backupAt(NOW - 2 * day);
    put(ws.root, 'logs/monitor_staging_20260701_000000.log', '{}\n'); // ~145 days: past 90
    put(ws.root, 'logs/monitor_staging_20261001_000000.log', '{}\n'); // ~53 days: kept
    put(ws.root, 'logs/rollback_staging_20260701_000000.log', '{}\n'); // past 90 but within 365: kept
    put(ws.root, 'logs/rollback_staging_20250101_000000.log', '{}\n'); // past 365
    put(ws.root, 'incidents/INC-20250101-000000/incident.json', '{}'); // within 7 years: kept
    put(ws.root, 'incidents/INC-20180101-000000/incident.json', '{}'); // past 7 years
    // The temp file of a backup killed two days ago, and one being written now.
    put(ws.root, 'backups/.dhash_staging_20261121_000000.zip.123.tmp', 'partial');
    utimesSync(join(ws.root, 'backups/.dhash_staging_20261121_000000.zip.123.tmp'), (NOW - 2 * day) / 1000, (NOW - 2 * day) / 1000);
    put(ws.root, 'backups/.dhash_staging_20261123_115959.zip.456.tmp', 'in progress');
    utimesSync(join(ws.root, 'backups/.dhash_staging_20261123_115959.zip.456.tmp'), NOW / 1000, NOW / 1000);

    const dry = await prune(wsOf(ws.root), retention(), { dryRun: true, now: NOW });
    const removed = dry.removed.map((r) => r.path).sort();
    expect(removed).toEqual([oldBackup, 'backups/.dhash_staging_20261121_000000.zip.123.tmp', 'incidents/INC-20180101-000000', 'logs/monitor_staging_20260701_000000.log', 'logs/rollback_staging_20250101_000000.log'].sort());
    expect(existsSync(join(ws.root, oldBackup))).toBe(true);
    expect(existsSync(join(ws.root, 'incidents/INC-20180101-000000'))).toBe(true);

    const real = await prune(wsOf(ws.root), retention(), { dryRun: false, now: NOW });
    expect(real.removed.map((r) => r.path).sort()).toEqual(removed);
    expect(existsSync(join(ws.root, oldBackup))).toBe(false);
    expect(existsSync(join(ws.root, `${oldBackup}.sha256`))).toBe(false);
    expect(existsSync(join(ws.root, newBackup))).toBe(true);
    expect(existsSync(join(ws.root, 'logs/rollback_staging_20260701_000000.log'))).toBe(true);
    expect(existsSync(join(ws.root, 'incidents/INC-20250101-000000'))).toBe(true);
    expect(existsSync(join(ws.root, 'incidents/INC-20180101-000000'))).toBe(false);
    expect(existsSync(join(ws.root, 'backups/.dhash_staging_20261123_115959.zip.456.tmp'))).toBe(true);
  });

  it('never removes the newest backup of an environment that verifies, even when all are old and the newest is corrupt', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    const day = 86_400_000;
    const a = await backupAt(NOW - 100 * day);
    const b = await backupAt(NOW - 60 * day);
    const c = await backupAt(NOW - 50 * day);
    // The newest is damaged: it no longer verifies, so the one before it must stay.
    const buf = readFileSync(join(ws.root, c));
    buf[50]! ^= 0xff;
    writeFileSync(join(ws.root, c), buf);
    const r = await prune(wsOf(ws.root), retention(), { dryRun: false, now: NOW });
    expect(r.removed.filter((x) => x.kind === 'backup').map((x) => x.path).sort()).toEqual([a, c].sort());
    // Its 100-day-old backup log is past the 90 days of other logs.
    expect(r.removed.filter((x) => x.kind === 'log').map((x) => x.path)).toEqual(['logs/backup_staging_20260815_120000.log']);
    expect(r.kept).toEqual([expect.objectContaining({ path: b, why: 'the newest backup of staging that verifies' })]);
    expect(existsSync(join(ws.root, b))).toBe(true);
  });

  it('judges "verifies" with the environment\'s own zip-bomb limits from the runbook', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    const day = 86_400_000;
    const a = await backupAt(NOW - 60 * day);
    const b = await backupAt(NOW - 50 * day);
    // With a limit of 2 entries per archive nothing verifies for staging, so nothing is kept as
    // "the newest that verifies": the default limits would have kept b.
    const r = await prune(wsOf(ws.root), retention(), { dryRun: true, now: NOW, limits: (env) => (env === 'staging' ? { ...DEFAULT_LIMITS, maxEntries: 2 } : undefined) });
    expect(r.removed.filter((x) => x.kind === 'backup').map((x) => x.path).sort()).toEqual([a, b].sort());
    const withDefaults = await prune(wsOf(ws.root), retention(), { dryRun: true, now: NOW });
    expect(withDefaults.kept).toEqual([expect.objectContaining({ path: b })]);
  });

  it('honours retention days from quality-gates-config.json', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    const day = 86_400_000;
    const a = await backupAt(NOW - 10 * day);
    await backupAt(NOW - 1 * day);
    const cfgPath = join(ws.root, 'quality-gates-config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, retention: { backups_days: 5 } }));
    const r = await prune(wsOf(ws.root), retention(), { dryRun: true, now: NOW });
    expect(r.removed.map((x) => x.path)).toEqual([a]);
    // With the default 30 days nothing is old enough.
    writeFileSync(cfgPath, JSON.stringify(cfg));
    expect((await prune(wsOf(ws.root), retention(), { dryRun: true, now: NOW })).removed).toEqual([]);
  });
});
