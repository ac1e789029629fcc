// rollout backup through the real CLI: the seeds' own commands work on what it writes, --dry-run
// writes only backup-dryrun.log, and two backups racing on one environment meet the lock (two
// real processes); a holder killed with kill -9 does not block the next backup.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath, killCliAt, makeWorkspace, runCli } from '../helpers/cli.js';
import { deployTree } from '../backup/fixtures.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'erin' } });

beforeEach(async () => {
  ws = await makeWorkspace();
  deployTree(ws.root, 'staging', '1.0.0');
});
afterEach(() => ws.cleanup());

describe('rollout backup', () => {
  it('writes a backup that the seeds\' commands find and verify', async () => {
    const r = await rollout('backup', '--env', 'staging');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Backup of staging \(version 1\.0\.0\): backups\/dhash_staging_\d{8}_\d{6}\.zip$/m);
    const seeds = 'LATEST_BACKUP=$(ls -1 backups/dhash_staging_*.zip | sort -r | head -n1); sha256sum -c "${LATEST_BACKUP}.sha256"';
    const out = execFileSync('bash', ['-c', seeds], { cwd: ws.root, encoding: 'utf8' });
    expect(out).toMatch(/^backups\/dhash_staging_\d{8}_\d{6}\.zip: OK$/m);
    const v = await rollout('verify', '--env', 'staging');
    expect(v.code, v.stderr).toBe(0);
  });

  it('--json gives one result object', async () => {
    const r = await rollout('backup', '--env', 'staging', '--json');
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(o).toMatchObject({ ok: true, dry_run: false, env: 'staging', version: '1.0.0', files: 4 });
    expect(o.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(o.sha256_file).toBe(`${o.backup as string}.sha256`);
  });

  it('--dry-run writes backup-dryrun.log and nothing else', async () => {
    const r = await rollout('backup', '--env', 'staging', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Dry run: would write backups\/dhash_staging_\d{8}_\d{6}\.zip/);
    expect(existsSync(join(ws.root, 'backup-dryrun.log'))).toBe(true);
    expect(existsSync(join(ws.root, 'backups'))).toBe(false);
    expect(existsSync(join(ws.root, 'logs'))).toBe(false);
  });

  it('an unknown environment is bad usage (exit 2)', async () => {
    const r = await rollout('backup', '--env', 'nowhere');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rollout: Unknown environment "nowhere"/);
  });

  it('a second backup of the same environment meets the lock (exit 3); after kill -9 of the holder the next one goes through', async () => {
    const holder = spawn(process.execPath, [cliPath(), 'backup', '--env', 'staging'], {
      cwd: ws.root,
      env: { ...process.env, NO_COLOR: '1', ROLLOUT_OPERATOR: 'first', ROLLOUT_TEST_PAUSE_AT: 'backup-locked' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => holder.on('exit', (_c, s) => r(s)));
    try {
      await new Promise<void>((resolve, reject) => {
        let err = '';
        const t = setTimeout(() => reject(new Error(`the first backup never took the lock: ${err}`)), 20_000);
        holder.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes('ROLLOUT_TEST_PAUSED backup-locked')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      const second = await rollout('backup', '--env', 'staging');
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(/^rollout: The staging environment is locked by first \(pid \d+/);
      // Another environment is not blocked by it.
      deployTree(ws.root, 'development', '1.0.0');
      expect((await rollout('backup', '--env', 'development')).code).toBe(0);
    } finally {
      holder.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const third = await rollout('backup', '--env', 'staging');
    expect(third.code, third.stderr).toBe(0);
    expect(readdirSync(join(ws.root, 'backups')).filter((f) => f.startsWith('dhash_staging_'))).toHaveLength(2);
  });

  it('kill -9 half-way through writing (small files packed on the worker thread) leaves no archive, only a hidden temp file; the next backup is whole', async () => {
    const extra: Record<string, string> = {};
    for (let i = 0; i < 800; i++) extra[`node_modules/p${i % 9}/f${i}.js`] = `module.exports = ${i};\n`.repeat(300 + (i % 50));
    deployTree(ws.root, 'staging', '1.0.0', extra);
    const backups = join(ws.root, 'backups');
    await killCliAt(ws.root, ['backup', '--env', 'staging'], 'backup-writing', { ROLLOUT_OPERATOR: 'erin', ROLLOUT_BACKUP_WORKER: 'on' }, async () => {
      // Paused with the first files written into the temp archive: it is there, and nothing else is.
      expect(readdirSync(backups)).toEqual([expect.stringMatching(/^\.dhash_staging_\d{8}_\d{6}\.zip\.\d+\.tmp$/)]);
    });
    expect(readdirSync(backups).filter((f) => !f.startsWith('.'))).toEqual([]);
    const next = await runCli(['backup', '--env', 'staging'], { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'erin', ROLLOUT_BACKUP_WORKER: 'on' } });
    expect(next.code, next.stderr).toBe(0);
    const zips = readdirSync(backups).filter((f) => f.endsWith('.zip'));
    expect(zips).toHaveLength(1);
    expect(execFileSync('sha256sum', ['-c', `backups/${zips[0]}.sha256`], { cwd: ws.root, encoding: 'utf8' }).trim()).toBe(`backups/${zips[0]}: OK`);
    const v = await rollout('verify', `backups/${zips[0]}`);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^OK .*\(804 files,/m);
  });
});
