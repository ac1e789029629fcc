// kill -9 during a rollback, at several points (ROLLOUT_TEST_PAUSE_AT, a test-only hook): the
// environment is left old or restored (a kill inside the swap is finished by the next run), a
// backup refuses while a swap is half-done, and the next rollback says what happened and ends
// healthy on the backup. Real CLI processes and services, all stopped at the end.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killCliAt } from '../helpers/cli.js';
import { stagingAtBackup } from '../helpers/staging-rollback.js';

const st = stagingAtBackup({ operator: 'dave' });
const rollout = st.rollout;

/** Start a rollback that pauses at `point`, wait until it does, then kill -9 it. */
async function killRollbackAt(point: string): Promise<void> {
  await killCliAt(st.root, ['rollback', '--env', 'staging'], point, st.env);
}

const current = (): string => readlinkSync(join(st.root, 'deployments/staging/current'));
const configVersion = (): string => (JSON.parse(readFileSync(join(st.root, 'config/staging/dhash.json'), 'utf8')) as { version: string }).version;
const releases = (): string[] => readdirSync(join(st.root, 'deployments/staging/releases')).sort();
const leftovers = (): string[] =>
  ['deployments/staging', 'config/staging', 'migrations'].flatMap((d) => (existsSync(join(st.root, d)) ? readdirSync(join(st.root, d)).filter((f) => f.includes('.rollback-')) : []));

describe('a rollback killed with kill -9', () => {
  it.each([
    // [pause point, what the files hold after the kill]
    ['verified', 'old'],
    ['archived', 'old'],
    ['extracting', 'old'],
    ['staged', 'old'],
    ['swapping', 'mid-swap'],
    ['swapped', 'restored'],
    ['restarted', 'restored'],
  ] as const)('at %s: the files are %s, and the next rollback settles it and ends healthy on 1.0.0', async (point, state) => {
    const dep = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor');
    expect(dep.code, dep.stderr).toBe(0);
    expect(current()).toBe('releases/1.1.0');

    await killRollbackAt(point);

    if (state === 'old') {
      expect(current()).toBe('releases/1.1.0');
      expect(configVersion()).toBe('1.1.0');
      expect(releases()).toEqual(['1.0.0', '1.1.0']);
    } else if (state === 'restored') {
      expect(current()).toBe('releases/1.0.0');
      expect(configVersion()).toBe('1.0.0');
      expect(releases()).toEqual(['1.0.0']);
    } else {
      // Inside the swap: the journal says so, and a backup now would capture a mixture: refused.
      const b = await rollout('backup', '--env', 'staging');
      expect(b.code).toBe(3);
      expect(b.stderr).toMatch(/interrupted while swapping files in.*run "rollout rollback --env staging" to finish it/);
    }

    const r = await rollout('rollback', '--env', 'staging');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Note: An earlier rollback of staging \(backups\/dhash_staging_\d{8}_\d{6}\.zip, started .* by dave\) (was interrupted at|was interrupted while swapping|had restored its files)/);
    expect(current()).toBe('releases/1.0.0');
    expect(configVersion()).toBe('1.0.0');
    expect(releases()).toEqual(['1.0.0']);
    expect(leftovers()).toEqual([]);
    expect(existsSync(join(st.root, '.rollout/rollback/staging.journal.json'))).toBe(false);
    expect((await st.version()).version).toBe('1.0.0');
  }, 90_000);
});
