// The deploy's dry run and its real run walk one stage list: for a plain deploy, --backup-first,
// --no-migrate (a runbook with its own migrate step) and --resume after a kill -9 in the restart,
// the stages the dry run plans (and which of them it says are skipped) are exactly the stages the
// real run then walks, in the same order, with the same ones skipped. Real services, a real CLI
// process killed for the resume cases; everything stopped at the end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceAt } from '../../src/config/workspace.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { deploy, DEPLOY_STAGES, type DeployEvent, type DeployOptions } from '../../src/usecases/deploy.js';
import { killCliAt, makeWorkspace, runCli } from '../helpers/cli.js';
import { getJson, killServices } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const ctx = () => loadEngineContext(workspaceAt(ws.root), 'staging', { operator: 'dana' });
const running = async (): Promise<{ version: string; pid: number }> => (await getJson<{ version: string; pid: number }>(`http://127.0.0.1:${ws.ports.staging!}/version`)).body;

/** Each stage the deploy reported, as `name:run` or `name:skipped` (a plan's `planned`/`ok` and a run's `ok` both mean it runs). */
async function walk(opts: DeployOptions): Promise<{ stages: string[]; plan: string[] }> {
  const events: DeployEvent[] = [];
  const r = await deploy(ctx(), { ...opts, onEvent: (e) => events.push(e) });
  expect(r.ok).toBe(true);
  const stages = events.filter((e): e is Extract<DeployEvent, { type: 'stage' }> => e.type === 'stage' && e.status !== 'running').map((e) => `${e.stage}:${e.status === 'skipped' ? 'skipped' : 'run'}`);
  return { stages, plan: r.plan ?? [] };
}

/** The dry run's stages, then the real run's: they must be the same list. */
async function dryThenReal(opts: DeployOptions): Promise<string[]> {
  const dry = await walk({ ...opts, dryRun: true });
  const real = await walk({ ...opts, confirmed: true });
  expect(real.stages).toEqual(dry.stages);
  // Every stage of the list, once each, in the list's order.
  expect(dry.stages.map((s) => s.split(':')[0])).toEqual([...DEPLOY_STAGES]);
  return dry.stages;
}

beforeAll(async () => {
  ws = await makeWorkspace();
  const r = await runCli(['deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor'], { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'dana' } });
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('deploy: the dry run plans the stages the real run walks', () => {
  it('a plain deploy: backup skipped in both, everything else runs', async () => {
    const stages = await dryThenReal({ version: '1.1.0' });
    expect(stages).toEqual(['lock:run', 'validate:run', 'backup:skipped', 'migrate:run', 'install:run', 'restart:run', 'health:run', 'smoke:run', 'journal:run']);
    expect((await running()).version).toBe('1.1.0');
  });

  it('--backup-first: the backup stage runs in both', async () => {
    const stages = await dryThenReal({ version: '1.0.0', backupFirst: true });
    expect(stages).toContain('backup:run');
    expect((await running()).version).toBe('1.0.0');
  });

  it('--no-migrate (a walk whose runbook migrates itself): the migrate stage is skipped in both, and the plan says why', async () => {
    const dry = await walk({ version: '1.1.0', migrate: false, dryRun: true });
    expect(dry.plan).toContain("4. migrate: skipped — left to the runbook's migrate step");
    const stages = await dryThenReal({ version: '1.1.0', migrate: false });
    expect(stages).toContain('migrate:skipped');
  });

  it.each([
    // [where the first deploy was killed, what the resume does with the restart]
    ['restart:stopped', 'restart:run'],
    ['health', 'restart:skipped'],
  ] as const)('--resume after a kill -9 at %s: the resumed plan is the resumed run (%s)', async (point, restart) => {
    const reset = await runCli(['deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor'], { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'dana' } });
    expect(reset.code, reset.stderr).toBe(0);
    await killCliAt(ws.root, ['deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor'], point, { ROLLOUT_OPERATOR: 'dana' });

    const dry = await walk({ resume: true, dryRun: true });
    expect(dry.plan[0]).toMatch(new RegExp(`^Resume plan for staging: the interrupted deploy of 1\\.1\\.0 \\(stopped at "${point.split(':')[0]}"`));
    expect(JSON.parse(readFileSync(join(ws.root, 'deployments/staging/deploy-journal.json'), 'utf8'))).toMatchObject({ status: 'in-progress' });
    const stages = await dryThenReal({ resume: true });
    expect(stages).toEqual(['lock:run', 'validate:skipped', 'backup:skipped', 'migrate:skipped', 'install:skipped', restart, 'health:run', 'smoke:run', 'journal:run']);
    expect((await running()).version).toBe('1.1.0');
    expect(JSON.parse(readFileSync(join(ws.root, 'deployments/staging/deploy-journal.json'), 'utf8'))).toMatchObject({ status: 'done' });
  }, 60_000);
});
