// A rollback killed with -9 while it writes its pre-rollback archive leaves a large
// rollbacks/.pre_rollback_*.tmp (issue #13). The next rollback removes it and says so, with the
// file's name; an orphan archive that no journal names is swept too; and a run with nothing to
// remove does not claim it removed anything. Real CLI, real service, all stopped at the end.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, killCliAt, makeWorkspace, runCli } from '../helpers/cli.js';
import { killServices } from '../demo/service-helpers.js';
import { truthy, waitUntil } from '../helpers/frames.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const env = { ROLLOUT_OPERATOR: 'erin' };
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env, timeoutMs: 120_000 });
const temps = (): string[] => (existsSync(join(ws.root, 'rollbacks')) ? readdirSync(join(ws.root, 'rollbacks')).filter((f) => f.endsWith('.tmp')) : []);

beforeAll(async () => {
  ws = await makeWorkspace();
  const r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
  expect(r.code, r.stderr).toBe(0);
  // Enough incompressible data that gzip takes a while: the kill lands inside tar.
  writeFileSync(join(ws.root, 'deployments/staging/releases/1.0.0/big.bin'), randomBytes(96 * 1024 * 1024));
  const b = await rollout('backup', '--env', 'staging');
  expect(b.code, b.stderr).toBe(0);
}, 120_000);

/** Deploy 1.1.0, so that a rollback to the 1.0.0 backup has work to do. */
async function deployNewer(): Promise<void> {
  const r = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor');
  expect(r.code, r.stderr).toBe(0);
}

afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('the temporary archive of a killed rollback', () => {
  it('is removed by the next rollback, which names it', async () => {
    await deployNewer();
    const child = spawn(process.execPath, [cliPath(), 'rollback', '--env', 'staging'], { cwd: ws.root, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const tmp = await waitUntil(() => {
      const t = temps()[0];
      return t && statSync(join(ws.root, 'rollbacks', t)).size > 1024 * 1024 ? t : undefined;
    }, truthy, 'the pre-rollback archive to be half written', { ms: 60_000, tolerateErrors: true, intervalMs: 100 });
    child.kill('SIGKILL');
    await exited;
    expect(temps()).toEqual([tmp]);

    const r = await rollout('rollback', '--env', 'staging');
    expect(r.code, r.stderr).toBe(0);
    // The restore's staging runs beside the archive, so its folders (named in the journal too) may be there and are removed as well.
    const note = r.stdout.split('\n').find((l) => l.includes('was interrupted at "verified", before it changed anything; removed its'));
    expect(note, r.stdout).toMatch(/removed its \d+ temporary files? \(.*\)\.$/);
    expect(note!.slice(note!.indexOf('removed its')).split(/[(), ]+/)).toContain(tmp);
    expect(temps()).toEqual([]);
  }, 150_000);

  it('sweeps an orphan archive no journal names, with its size, and claims nothing when there is nothing', async () => {
    await deployNewer();
    mkdirSync(join(ws.root, 'rollbacks'), { recursive: true });
    writeFileSync(join(ws.root, 'rollbacks', '.pre_rollback_staging_20261123_101500.tar.gz.424242.tmp'), Buffer.alloc(3 * 1024 * 1024));
    // Another environment's temp file is not this rollback's to remove.
    writeFileSync(join(ws.root, 'rollbacks', '.pre_rollback_production_20261123_101500.tar.gz.424243.tmp'), 'x');
    const r = await rollout('rollback', '--env', 'staging');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Removed 1 temporary archive left by an interrupted rollback: rollbacks/.pre_rollback_staging_20261123_101500.tar.gz.424242.tmp (3.0 MB).');
    expect(temps()).toEqual(['.pre_rollback_production_20261123_101500.tar.gz.424243.tmp']);

    // Killed before it wrote anything: the next run says it changed nothing, and removes nothing.
    await deployNewer();
    await killCliAt(ws.root, ['rollback', '--env', 'staging'], 'verified', env);
    const again = await rollout('rollback', '--env', 'staging');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/was interrupted at "verified", before it changed anything\.\n/);
    expect(again.stdout).not.toMatch(/removed|Removed/);
  }, 150_000);
});
