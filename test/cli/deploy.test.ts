// rollout deploy / service / smoke on the embedded service in a temp workspace: real CLI, real
// service processes, real files. Every service started here is stopped at the end.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { finished, spawnTs, waitForOutput } from '../helpers/tsx.js';
import { alive, getJson, getText, killServices, portOpen, snapshot } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'alice' } });
const statusJson = async (env = 'staging') => JSON.parse((await rollout('service', 'status', '--env', env, '--json')).stdout) as Record<string, unknown> & { health: { ok: boolean } };

beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('rollout deploy on the embedded service', () => {
  it('deploys 1.0.0 to staging: healthy, smoke passed, status, /health and Prometheus metrics', async () => {
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/health +ok +3 consecutive OK checks/);
    expect(r.stdout).toMatch(/golden-hash +critical +PASS/);
    expect(r.stdout).toMatch(/Deployed 1\.0\.0 to staging: healthy after/);

    const st = await statusJson();
    expect(st).toMatchObject({ ok: true, env: 'staging', running: true, version: '1.0.0', url: `http://127.0.0.1:${ws.ports.staging}/` });
    expect(st.health.ok).toBe(true);
    expect(st.pid).toBe(Number(readFileSync(join(ws.root, 'deployments/staging/service.pid'), 'utf8')));

    const base = `http://127.0.0.1:${ws.ports.staging}`;
    expect((await getJson(`${base}/health`)).body).toEqual({ status: 'ok', version: '1.0.0' });
    const prom = await getText(`${base}/metrics?format=prometheus`);
    expect(prom.type).toMatch(/^text\/plain/);
    expect(prom.text).toMatch(/^# TYPE dhash_hash_time_ms histogram$/m);
    expect(prom.text).toMatch(/^dhash_release_info\{version="1\.0\.0",env="staging"\} 1$/m);

    // The layout the backup and rollback code rely on.
    expect(readFileSync(join(ws.root, 'deployments/staging/releases/1.0.0/release.json'), 'utf8')).toContain('"version": "1.0.0"');
    expect(snapshot(ws.root, ['deployments/staging/current'])).toEqual({ 'deployments/staging/current': '-> releases/1.0.0' });
    const cfg = JSON.parse(readFileSync(join(ws.root, 'config/staging/dhash.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ env: 'staging', port: ws.ports.staging, version: '1.0.0', settings: { match_max_distance: 5, ambiguous_band: { min: 6, max: 12 } } });
    // Pending migrations ran as part of the deploy, recorded with who and when.
    const state = JSON.parse(readFileSync(join(ws.root, 'migrations/staging_migration_state.json'), 'utf8')) as { applied: { id: string; applied_by: string }[] };
    expect(state.applied.map((a) => a.id)).toEqual(['001-match-threshold', '002-rename-match-distance', '003-review-rate']);
    expect(state.applied[0]!.applied_by).toBe('alice');
    const journal = JSON.parse(readFileSync(join(ws.root, 'deployments/staging/deploy-journal.json'), 'utf8')) as { status: string; to_version: string };
    expect(journal).toMatchObject({ status: 'done', to_version: '1.0.0' });
  });

  it('runs smoke tests of every tier with a result table and a smoke_test log', async () => {
    for (const tier of ['critical', 'standard', 'all']) {
      const r = await rollout('smoke', '--env', 'staging', '--tier', tier);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(tier === 'standard' ? /metrics-prometheus +standard +PASS/ : /golden-hash +critical +PASS/);
      if (tier === 'critical') expect(r.stdout).not.toMatch(/metrics-json/);
    }
    const j = JSON.parse((await rollout('smoke', '--env', 'staging', '--json')).stdout) as { ok: boolean; results: { id: string; ok: boolean }[]; log: string };
    expect(j.ok).toBe(true);
    expect(j.results.map((x) => x.id)).toEqual(['health', 'golden-hash', 'metrics-json', 'metrics-prometheus']);
    // Runs within one second share a log file; this run's lines carry its run_id.
    const lines = readFileSync(j.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; run_id: string });
    expect(j.log).toMatch(/logs[\\/]smoke_test_staging_\d{8}_\d{6}\.log$/);
    const runId = lines[lines.length - 1]!.run_id;
    expect(lines.filter((l) => l.event === 'smoke.check' && l.run_id === runId)).toHaveLength(4);
  });

  it('refuses production without --yes when not at a terminal (exit 3), changing nothing', async () => {
    const r = await rollout('deploy', '--env', 'production', '--version', '1.0.0', '--no-monitor');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^rollout: Deploying 1\.0\.0 to production needs confirmation: pass --yes/);
    expect(existsSync(join(ws.root, 'deployments/production'))).toBe(false);
    expect(await portOpen(ws.ports.production!)).toBe(false);
  });

  it('refuses an unknown version (exit 2) listing the available ones; the running service is untouched', async () => {
    const before = await statusJson();
    const files = snapshot(ws.root, ['deployments/staging', 'config', 'migrations']);
    const r = await rollout('deploy', '--env', 'staging', '--version', '9.9.9', '--yes', '--no-monitor');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown version "9\.9\.9" for staging: available are 1\.0\.0, 1\.1\.0, 1\.2\.0-backlog, 1\.2\.0-failing, 1\.2\.0-flaky, 1\.2\.0-slow\./);
    // The example offered is a plain release, never one of the known-bad 1.2.0-* builds.
    expect(r.stderr).toContain('e.g. rollout deploy --env staging --version 1.1.0');
    expect(r.stderr).not.toMatch(/e\.g\. rollout deploy .*1\.2\.0-/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    const after = await statusJson();
    expect(after).toMatchObject({ running: true, version: '1.0.0', pid: before.pid });
    expect(snapshot(ws.root, ['deployments/staging', 'config', 'migrations'])).toEqual(files);
  });

  it('refuses (exit 3) while another rollout holds the environment lock, naming the holder', async () => {
    // The holder holds longer than the test may take on a loaded machine (it is killed below).
    const holder = spawnTs('test/fixtures/hold-lock.ts', [join(ws.root, '.rollout', 'locks'), 'staging', '120000', 'erin']);
    try {
      await waitForOutput(holder, 'LOCKED');
      const pid = (await statusJson()).pid;
      const r = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor');
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^rollout: The staging environment is locked by erin \(pid \d+/);
      expect(await statusJson()).toMatchObject({ version: '1.0.0', pid });
    } finally {
      holder.kill('SIGKILL');
      await finished(holder);
    }
  }, 90_000);

  it('plans a dry run without changing anything, writing deploy-dryrun.log and the deploy log', async () => {
    const before = snapshot(ws.root, ['deployments', 'config', 'migrations']);
    const pid = (await statusJson()).pid;
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { dry_run: boolean; plan: string[]; log: string; dry_run_log: string };
    expect(j.dry_run).toBe(true);
    const plan = readFileSync(join(ws.root, 'deploy-dryrun.log'), 'utf8');
    expect(plan).toContain('Deploy plan for staging: 1.0.0 -> 1.1.0');
    expect(plan).toMatch(/install: switch deployments\/staging\/current -> releases\/1\.1\.0/);
    expect(plan).toMatch(/restart: start node .*--port \d+/);
    expect(readFileSync(j.log, 'utf8')).toContain('deploy.plan');
    expect(snapshot(ws.root, ['deployments', 'config', 'migrations'])).toEqual(before);
    expect((await statusJson()).pid).toBe(pid);
  });

  it('deploys 1.1.0 over 1.0.0: the new release runs, the old process is gone', async () => {
    const oldPid = (await statusJson()).pid as number;
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { version: string; from: string; steps: { step: string; status: string }[] };
    expect(j).toMatchObject({ version: '1.1.0', from: '1.0.0' });
    expect(j.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['validate:ok', 'backup:skipped', 'migrate:ok', 'install:ok', 'restart:ok', 'health:ok', 'smoke:ok']);
    const st = await statusJson();
    expect(st).toMatchObject({ running: true, version: '1.1.0', deployed_version: '1.1.0' });
    expect(st.pid).not.toBe(oldPid);
    expect(alive(oldPid)).toBe(false);
    const human = await rollout('service', 'status', '--env', 'staging');
    expect(human.stdout).toMatch(/^staging: running 1\.1\.0 \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+\/ — health OK/);
  });

  it('--backup-first takes a SHA256-verified backup of the deployed state before changing it', async () => {
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--backup-first', '--yes', '--no-monitor', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { backup: { file: string; sha256: string }; steps: { step: string; status: string }[] };
    expect(j.backup.file).toMatch(/^backups\/dhash_staging_\d{8}_\d{6}\.zip$/);
    expect(readFileSync(join(ws.root, `${j.backup.file}.sha256`), 'utf8')).toBe(`${j.backup.sha256}  ${j.backup.file}\n`);
    expect(j.steps.find((s) => s.step === 'backup')?.status).toBe('ok');
    const v = await rollout('verify', j.backup.file);
    expect(v.code, v.stderr).toBe(0);
  });

  it('service stop leaves nothing answering; start brings the deployed release back', async () => {
    const stop = await rollout('service', 'stop', '--env', 'staging');
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/staging: not running \(1\.1\.0 is deployed\)/);
    expect(await portOpen(ws.ports.staging!)).toBe(false);
    expect(existsSync(join(ws.root, 'deployments/staging/service.pid'))).toBe(false);
    const start = await rollout('service', 'start', '--env', 'staging', '--json');
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ running: true, version: '1.1.0' });
    expect(readFileSync(join(ws.root, 'deployments/staging/service.log'), 'utf8')).toMatch(/"msg":"stopped"/);
    await rollout('service', 'stop', '--env', 'staging');
    expect(await portOpen(ws.ports.staging!)).toBe(false);
  });

  it('fails smoke (exit 1) with a FAIL row when the service is down', async () => {
    const r = await rollout('smoke', '--env', 'staging', '--tier', 'critical');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/health +critical +FAIL .*connection refused/);
    expect(r.stderr).toMatch(/^rollout: 2 of 2 smoke tests failed in staging: health, golden-hash\.$/m);
  });
});
