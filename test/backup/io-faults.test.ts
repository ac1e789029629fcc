// Every I/O failure is an outcome (issue #13): a read-only backups/, a full backups/, a read-only
// logs/, notifications/ or rollbacks/, made real with tmpfs mounts (chmod does not stop root). The
// real CLI must answer with one sentence naming the path and what to do, exit 1, leave the deploy
// journal consistent, and leave no partial file that looks like a backup.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli, type CliResult } from '../helpers/cli.js';
import { canMount, mountTmpfs, MOUNT_SKIP } from '../helpers/mounts.js';
import { deployTree } from './fixtures.js';

const mountable = canMount();
if (!mountable) console.warn(`io-faults.test.ts: ${MOUNT_SKIP}`);

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let unmounts: (() => void)[] = [];
beforeEach(async () => {
  ws = await makeWorkspace();
  // A deployed development tree (real files; no service needs to run for these failures).
  deployTree(ws.root, 'development', '1.0.0', { 'data/blob.bin': randomBytes(400 * 1024) });
});
afterEach(() => {
  for (const u of unmounts.reverse()) u();
  unmounts = [];
  ws.cleanup();
});

function mount(rel: string, opts: { readOnly?: boolean; sizeKb?: number }): void {
  unmounts.push(mountTmpfs(join(ws.root, rel), opts));
}

function oneSentence(r: CliResult): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^rollout: /);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |node:internal/);
  return lines[0]!;
}

const rollout = (args: string[]): Promise<CliResult> => runCli(args, { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'dave', SLACK_WEBHOOK_URL: undefined, TEAMS_WEBHOOK_URL: undefined, DISCORD_WEBHOOK_URL: undefined, EMAIL_TO: undefined, SMTP_URL: undefined, SMTP_HOST: undefined } });

describe.skipIf(!mountable)('I/O faults on write paths', () => {
  it('backups/ read-only: rollout backup says which folder and what to do, exit 1, nothing written', async () => {
    mount('backups', { readOnly: true });
    const r = await rollout(['backup', '--env', 'development']);
    expect(r.code).toBe(1);
    expect(oneSentence(r)).toBe('rollout: Could not write a backup of development into backups/: backups is on a read-only file system; remount it read-write (or move the workspace to a writable disk) and run the command again.');
    expect(readdirSync(join(ws.root, 'backups'))).toEqual([]);
    // The failure is in the backup log too.
    const log = readdirSync(join(ws.root, 'logs')).find((f) => f.startsWith('backup_development_'));
    expect(readFileSync(join(ws.root, 'logs', log!), 'utf8')).toMatch(/"event":"backup.failed".*read-only file system/);
  });

  it('backups/ read-only: deploy --backup-first fails at the backup step, the journal says failed (not in progress), nothing deployed', async () => {
    mount('backups', { readOnly: true });
    const r = await rollout(['deploy', '--env', 'development', '--version', '1.1.0', '--backup-first', '--yes', '--no-monitor']);
    expect(r.code).toBe(1);
    expect(oneSentence(r)).toMatch(/^rollout: Could not write a backup of development into backups\/: backups is on a read-only file system; remount it read-write/);
    const j = JSON.parse(readFileSync(join(ws.root, 'deployments/development/deploy-journal.json'), 'utf8')) as { status: string; step: string; steps: { step: string; status: string }[] };
    expect(j.status).toBe('failed');
    expect(j.steps.at(-1)).toMatchObject({ step: 'backup', status: 'failed' });
    expect(readlinkSync(join(ws.root, 'deployments/development/current'))).toBe('releases/1.0.0');
    expect(existsSync(join(ws.root, 'deployments/development/releases/1.1.0'))).toBe(false);
    // The next deploy does not report an interrupted one.
    const again = await rollout(['deploy', '--env', 'development', '--version', '1.1.0', '--dry-run']);
    expect(again.stdout).not.toMatch(/interrupted/);
  });

  it('backups/ full: the partial archive is removed, no .zip or .sha256 is left, exit 1 naming the folder', async () => {
    mount('backups', { sizeKb: 64 });
    const r = await rollout(['backup', '--env', 'development']);
    expect(r.code).toBe(1);
    expect(oneSentence(r)).toMatch(/^rollout: Could not write the backup backups\/dhash_development_\d{8}_\d{6}\.zip of development: no space left on the device holding backups; free some \(rollout prune/);
    expect(readdirSync(join(ws.root, 'backups'))).toEqual([]);
  });

  it('logs/ read-only: the command stops before changing anything, naming the log', async () => {
    mount('logs', { readOnly: true });
    const r = await rollout(['backup', '--env', 'development']);
    expect(r.code).toBe(1);
    expect(oneSentence(r)).toMatch(/^rollout: Could not write the audit log logs\/backup_development_\d{8}_\d{6}\.log: logs\/backup_development_\d{8}_\d{6}\.log is on a read-only file system/);
    expect(existsSync(join(ws.root, 'backups')) ? readdirSync(join(ws.root, 'backups')) : []).toEqual([]);
  });

  it('notifications/ read-only: a notification with no channel and no fallback is one sentence, exit 1', async () => {
    mount('notifications', { readOnly: true });
    const r = await rollout(['notify', '--type', 'test', '--env', 'development', '--message', 'hello']);
    expect(r.code).toBe(1);
    expect(oneSentence(r)).toMatch(/notifications\/fallback.*read-only file system/);
  });

  it('rollbacks/ read-only: the rollback is refused before anything changed, and says so', async () => {
    const b = await rollout(['backup', '--env', 'development']);
    expect(b.code, b.stderr).toBe(0);
    mount('rollbacks', { readOnly: true });
    const r = await rollout(['rollback', '--env', 'development']);
    expect(r.code).toBe(1);
    expect(oneSentence(r)).toBe('rollout: Could not archive the current state of development before the rollback (nothing was changed): rollbacks is on a read-only file system; remount it read-write (or move the workspace to a writable disk) and run the command again.');
    expect(readlinkSync(join(ws.root, 'deployments/development/current'))).toBe('releases/1.0.0');
    expect(existsSync(join(ws.root, '.rollout/rollback/development.journal.json'))).toBe(false);
  });
});

describe.skipIf(!mountable)('an audit log whose disk fills up mid-run', () => {
  it('stops logging with one warning instead of aborting the run', async () => {
    const { AuditLog } = await import('../../src/audit/logger.js');
    mount('logs', { sizeKb: 16 });
    const log = AuditLog.open(join(ws.root, 'logs'), 'deploy', 'development');
    const warnings: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (warnings.push(String(s)), true)) as typeof process.stderr.write;
    try {
      for (let i = 0; i < 2000; i++) log.info('deploy.step', { i, pad: 'x'.repeat(200) });
    } finally {
      process.stderr.write = orig;
      log.close();
    }
    expect(log.broken).toMatch(/no space left on the device holding \S*logs\/deploy_development_\d{8}_\d{6}\.log/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^rollout: warning: Could not write the audit log .*The rest of this run is not logged there\.\n$/);
  });
});
