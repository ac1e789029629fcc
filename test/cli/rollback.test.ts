// rollout rollback end to end: the real CLI, the real embedded service. Deploy 1.0.0, back it up,
// deploy 1.1.0, then: refusals change nothing (production without --force, a corrupt backup, a
// zip-slip backup with a valid .sha256), --dry-run changes nothing, and the real rollback brings
// 1.0.0 back with the pre_rollback archive, the log and the incident.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { getJson, killServices } from '../demo/service-helpers.js';
import { craftZip, manifestFor, writeValidChecksum } from '../backup/fixtures.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'carol' } });
let goodBackup = '';

function currentTarget(): string {
  return readlinkSync(join(ws.root, 'deployments/staging/current'));
}
function ls(dir: string): string[] {
  return existsSync(join(ws.root, dir)) ? readdirSync(join(ws.root, dir)) : [];
}

beforeAll(async () => {
  ws = await makeWorkspace();
  let r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
  expect(r.code, r.stderr).toBe(0);
  r = await rollout('backup', '--env', 'staging', '--json');
  expect(r.code, r.stderr).toBe(0);
  goodBackup = (JSON.parse(r.stdout) as { backup: string }).backup;
  r = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor');
  expect(r.code, r.stderr).toBe(0);
  expect(currentTarget()).toBe('releases/1.1.0');
}, 90_000);

afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('rollout rollback', () => {
  it('refuses production without --force when there is no terminal (exit 3), changing nothing', async () => {
    const r = await rollout('rollback', '--env', 'production');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^rollout: Rolling back production needs confirmation: pass --force/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(ls('rollbacks')).toEqual([]);
  });

  it('--dry-run writes the plan to rollback-dryrun.log and changes nothing', async () => {
    const r = await rollout('rollback', '--env', 'staging', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const plan = readFileSync(join(ws.root, 'rollback-dryrun.log'), 'utf8');
    expect(plan).toContain(`would restore: ${goodBackup} (version 1.0.0)`);
    for (const stage of ['notify', 'verify', 'archive', 'restore', 'restart', 'version', 'health', 'smoke', 'incident', 'notify-done']) expect(plan).toMatch(new RegExp(`\\d\\. ${stage} `));
    expect(plan).toContain('nothing was changed');
    expect(currentTarget()).toBe('releases/1.1.0');
    expect(ls('rollbacks')).toEqual([]);
    expect(ls('incidents')).toEqual([]);
  });

  it('refuses a corrupt backup (exit 3) before touching anything', async () => {
    const bad = join(ws.root, 'backups', 'dhash_staging_29991231_235959.zip');
    copyFileSync(join(ws.root, goodBackup), bad);
    copyFileSync(join(ws.root, `${goodBackup}.sha256`), `${bad}.sha256`);
    writeFileSync(`${bad}.sha256`, readFileSync(`${bad}.sha256`, 'utf8').replace(goodBackup, 'backups/dhash_staging_29991231_235959.zip'));
    const buf = readFileSync(bad);
    buf[200]! ^= 0x01;
    writeFileSync(bad, buf);
    const r = await rollout('rollback', '--env', 'staging', '--backup', 'backups/dhash_staging_29991231_235959.zip');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^rollout: backups\/dhash_staging_29991231_235959\.zip does not match its \.sha256/);
    expect(currentTarget()).toBe('releases/1.1.0');
    expect(ls('rollbacks')).toEqual([]);
    expect((await getJson<{ version: string }>(`http://127.0.0.1:${ws.ports.staging}/health`)).body.version).toBe('1.1.0');
    // The team hears that the rollback was refused and nothing changed, not that it half-failed.
    const notes = ls('notifications/fallback').filter((f) => f.includes('rollback-failure'));
    expect(notes).toHaveLength(1);
    expect(readFileSync(join(ws.root, 'notifications/fallback', notes[0]!), 'utf8')).toMatch(/Rollback of staging refused, nothing was changed \(1\.1\.0 still deployed\): backups\/dhash_staging_29991231_235959\.zip does not match its \.sha256/);
  });

  it('refuses a zip-slip backup that carries a valid .sha256, and writes nothing outside', async () => {
    const base = 'deployments/staging/releases';
    const entries = [{ name: `${base}/`, dir: true }, { name: `${base}/../../../../slipped.txt`, data: 'pwned' }];
    const p = join(ws.root, 'backups', 'dhash_staging_20200101_000000.zip');
    await craftZip(p, entries, manifestFor('staging', entries, [base]));
    writeValidChecksum(ws.root, p);
    expect(execFileSync('sha256sum', ['-c', 'backups/dhash_staging_20200101_000000.zip.sha256'], { cwd: ws.root, encoding: 'utf8' })).toMatch(/: OK/);
    const r = await rollout('rollback', '--env', 'staging', '--backup', p);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/a "\.\." segment/);
    expect(existsSync(join(ws.root, '..', 'slipped.txt'))).toBe(false);
    expect(existsSync(join(ws.root, 'slipped.txt'))).toBe(false);
    expect(currentTarget()).toBe('releases/1.1.0');
    expect(ls('rollbacks')).toEqual([]);
  });

  it('rolls back to the newest backup that verifies: 1.0.0 runs again, with the pre_rollback archive, the log and the incident', async () => {
    const r = await rollout('rollback', '--env', 'staging', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; backup: string; version: string; previous_version: string; pre_rollback: string; incident: string; log: string; health_checks: { ok: boolean }[]; stages: { name: string; status: string }[] };
    // The corrupt, newer backup was skipped.
    expect(out).toMatchObject({ ok: true, backup: goodBackup, version: '1.0.0', previous_version: '1.1.0' });
    expect(out.stages.map((s) => s.name)).toEqual(['notify', 'verify', 'archive', 'restore', 'restart', 'version', 'health', 'smoke', 'incident', 'notify-done']);
    expect(out.stages.every((s) => s.status === 'ok')).toBe(true);
    expect(out.health_checks.slice(-3).every((c) => c.ok)).toBe(true);

    // The service and the files are 1.0.0 again.
    expect((await getJson<{ version: string }>(`http://127.0.0.1:${ws.ports.staging}/health`)).body.version).toBe('1.0.0');
    expect(currentTarget()).toBe('releases/1.0.0');
    expect(JSON.parse(readFileSync(join(ws.root, 'config/staging/dhash.json'), 'utf8'))).toMatchObject({ version: '1.0.0' });
    // No staging or aside leftovers anywhere beside the targets.
    for (const d of ['deployments/staging', 'config/staging', 'migrations']) expect(ls(d).filter((f) => f.includes('.rollback-'))).toEqual([]);

    // The state from before is archived.
    expect(out.pre_rollback).toMatch(/^rollbacks\/pre_rollback_staging_\d{8}_\d{6}\.tar\.gz$/);
    const listing = execFileSync('tar', ['-tzf', out.pre_rollback], { cwd: ws.root, encoding: 'utf8' });
    expect(listing).toContain('deployments/staging/releases/1.1.0/');
    expect(listing).toContain('deployments/staging/current');

    // The log tells the story in JSON Lines.
    expect(out.log).toMatch(/^logs\/rollback_staging_\d{8}_\d{6}\.log$/);
    const events = readFileSync(join(ws.root, out.log), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; ok?: boolean });
    expect(events.at(-1)).toMatchObject({ event: 'rollback.done', ok: true });
    // Verified once per run: the no-op check and the verify stage share the one verification.
    expect(events.filter((e) => e.event === 'rollback.backup_skipped')).toHaveLength(1);

    // The incident holds the logs and the config.
    expect(out.incident).toMatch(/^INC-\d{8}-\d{6}/);
    const inc = join('incidents', out.incident);
    expect(ls(inc)).toEqual(expect.arrayContaining(['quality-gates-config.json', 'logs', 'incident.json']));
    expect(ls(join(inc, 'logs'))).toContain(out.log.split('/').pop());
    expect(JSON.parse(readFileSync(join(ws.root, inc, 'incident.json'), 'utf8'))).toMatchObject({ env: 'staging', rollback_ok: true, version_before: '1.1.0', version_after: '1.0.0' });
  }, 60_000);
});
