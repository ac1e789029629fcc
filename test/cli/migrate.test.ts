// rollout migrate in a temp workspace: forward is idempotent, backward undoes the last, a dry run
// changes nothing, and an applied migration whose file changed is refused.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killCliAt, makeWorkspace, REPO, runCli } from '../helpers/cli.js';
import { killServices, snapshot } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'carol' } });
const state = () => JSON.parse(readFileSync(join(ws.root, 'migrations/development_migration_state.json'), 'utf8')) as { applied: { id: string; checksum: string; applied_at: string; applied_by: string }[] };
const config = () => JSON.parse(readFileSync(join(ws.root, 'config/development/dhash.json'), 'utf8')) as { settings: Record<string, unknown> };

beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('rollout migrate', () => {
  it('applies the pending migrations in order, once; a second forward run applies nothing', async () => {
    const r = await rollout('migrate', '--env', 'development', '--type', 'forward');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Applied 001-match-threshold, 002-rename-match-distance, 003-review-rate in development/);
    const s1 = state();
    expect(s1.applied.map((a) => a.id)).toEqual(['001-match-threshold', '002-rename-match-distance', '003-review-rate']);
    expect(s1.applied[0]).toMatchObject({ applied_by: 'carol', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    expect(config().settings).toEqual({ ambiguous_band: { min: 6, max: 12 }, match_max_distance: 5, review_rate_per_second: 8, images_per_second: 30 });
    const before = snapshot(ws.root, ['config', 'migrations']);

    const again = await rollout('migrate', '--env', 'development', '--type', 'forward', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ran: [], applied: ['001-match-threshold', '002-rename-match-distance', '003-review-rate'] });
    expect(snapshot(ws.root, ['config', 'migrations'])).toEqual(before);
    expect(readFileSync(JSON.parse(again.stdout).log as string, 'utf8')).toContain('migrate.nothing');
  });

  it('backward undoes the last applied migration only', async () => {
    await rollout('migrate', '--env', 'development', '--type', 'forward');
    const r = await rollout('migrate', '--env', 'development', '--type', 'backward');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Undid 003-review-rate in development/);
    expect(state().applied.map((a) => a.id)).toEqual(['001-match-threshold', '002-rename-match-distance']);
    expect(config().settings).toEqual({ ambiguous_band: { min: 6, max: 12 }, match_max_distance: 5 });
    await rollout('migrate', '--env', 'development', '--type', 'backward');
    expect(config().settings).toEqual({ ambiguous_band: { min: 6, max: 12 }, match_threshold: 5 });
  });

  it('a dry run lists what would run, writes migrate-dryrun.log and changes nothing', async () => {
    const r = await rollout('migrate', '--env', 'development', '--type', 'forward', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would apply 002-rename-match-distance/);
    expect(r.stdout).toMatch(/rename settings\.match_threshold -> settings\.match_max_distance in config\/development\/dhash\.json/);
    expect(existsSync(join(ws.root, 'config'))).toBe(false);
    expect(existsSync(join(ws.root, 'migrations/development_migration_state.json'))).toBe(false);
    expect(readFileSync(join(ws.root, 'migrate-dryrun.log'), 'utf8')).toMatch(/^Migrate plan for development \(forward, dry run: nothing was changed\)/);
  });

  it('refuses (exit 3) when an applied migration\'s file changed', async () => {
    cpSync(join(REPO, 'migrations/dhash'), join(ws.root, 'migrations/dhash'), { recursive: true });
    await rollout('migrate', '--env', 'development', '--type', 'forward');
    const f = join(ws.root, 'migrations/dhash/002-rename-match-distance.json');
    writeFileSync(f, readFileSync(f, 'utf8').replace('Rename', 'Renames'));
    const before = snapshot(ws.root, ['config', 'migrations/development_migration_state.json']);
    for (const type of ['forward', 'backward']) {
      const r = await rollout('migrate', '--env', 'development', '--type', type);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^rollout: migrations\/dhash\/002-rename-match-distance\.json changed after it was applied to development \(checksum [0-9a-f]{12}… recorded, [0-9a-f]{12}… now\)\./);
    }
    expect(snapshot(ws.root, ['config', 'migrations/development_migration_state.json'])).toEqual(before);
  });

  it('says plainly when the migrations folder does not exist (exit 2)', async () => {
    const rb = join(ws.root, 'runbooks/dhash.yaml');
    writeFileSync(rb, readFileSync(rb, 'utf8').replaceAll('migrations: migrations/dhash', 'migrations: migrations/nowhere'));
    const r = await rollout('migrate', '--env', 'development', '--type', 'forward');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rollout: The migrations folder migrations\/nowhere named in runbooks\/dhash\.yaml \(environments\.development\.migrations\) does not exist\.$/m);
  });

  it('a walk\'s migrate step holds the environment lock: rollout migrate meanwhile is refused (exit 3) and changes nothing', async () => {
    try {
      expect((await rollout('deploy', '--env', 'development', '--version', '1.0.0', '--yes', '--no-monitor')).code).toBe(0);
      expect((await rollout('backup', '--env', 'development')).code).toBe(0);
      const before = snapshot(ws.root, ['config', 'migrations']);
      let second: Awaited<ReturnType<typeof rollout>> | undefined;
      await killCliAt(ws.root, ['run', '--env', 'development', '--version', '1.1.0', '--confirm', 'all', '--sign-off', 'Walker', '--yes'], 'migrate-locked', { ROLLOUT_OPERATOR: 'walker' }, async () => {
        second = await rollout('migrate', '--env', 'development', '--type', 'forward');
      });
      expect(second?.code, second?.stderr).toBe(3);
      expect(second?.stderr).toMatch(/walker/);
      expect(snapshot(ws.root, ['config', 'migrations'])).toEqual(before);
    } finally {
      await killServices(ws.root);
    }
  });
});
