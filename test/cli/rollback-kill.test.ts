// kill -9 during a rollback, at several points (ROLLOUT_TEST_PAUSE_AT, a test-only hook): the
// environment is left old or restored (a kill inside the swap is finished by the next run), a
// backup refuses while a swap is half-done, and the next rollback says what happened and ends
// healthy on the backup. Real CLI processes and services, all stopped at the end.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killCliAt, makeWorkspace, runCli } from '../helpers/cli.js';
import { getJson, killServices } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const env = { ROLLOUT_OPERATOR: 'dave' };
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env });

/** Start a rollback that pauses at `point`, wait until it does, then kill -9 it. */
async function killRollbackAt(point: string): Promise<void> {
  await killCliAt(ws.root, ['rollback', '--env', 'staging'], point, env);
}

const current = (): string => readlinkSync(join(ws.root, 'deployments/staging/current'));
const configVersion = (): string => (JSON.parse(readFileSync(join(ws.root, 'config/staging/dhash.json'), 'utf8')) as { version: string }).version;
const releases = (): string[] => readdirSync(join(ws.root, 'deployments/staging/releases')).sort();
const leftovers = (): string[] =>
  ['deployments/staging', 'config/staging', 'migrations'].flatMap((d) => (existsSync(join(ws.root, d)) ? readdirSync(join(ws.root, d)).filter((f) => f.includes('.rollback-')) : []));

beforeAll(async () => {
  ws = await makeWorkspace();
  let r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
  expect(r.code, r.stderr).toBe(0);
  r = await rollout('backup', '--env', 'staging');
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('a rollback killed with kill -9', () => {
  it.each([
    // [pause point, what the files hold after the kill]
    ['verified', 'old'],
    ['archived', 'old'],
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
    expect(existsSync(join(ws.root, '.rollout/rollback/staging.journal.json'))).toBe(false);
    expect((await getJson<{ version: string }>(`http://127.0.0.1:${ws.ports.staging}/health`)).body.version).toBe('1.0.0');
  }, 90_000);
});
