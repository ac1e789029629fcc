// kill -9 during a deploy, at several steps: the next command notices the interrupted deploy and
// says how to go on; the service runs the old release or the new one, never a mixture; deploying
// again completes, and so does `deploy --resume`, which restarts only when the target cannot show
// that the interrupted deploy's restart happened, then runs health and smoke to a verified end (or
// fails honestly and offers the rollback). A walk killed in its deploy step resumes the same way.
// Real CLI processes, real services, all stopped at the end.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventClock, killCliAt, makeWorkspace, runCli, shortenMonitoring } from '../helpers/cli.js';
import { getJson, killServices, portOpen } from '../demo/service-helpers.js';
import { truthy, waitUntil } from '../helpers/frames.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
// The resumed walk's 3 s monitor window must pass whatever the load: it runs on the event clock.
const env = (): Record<string, string> => ({ ROLLOUT_OPERATOR: 'bob', ...eventClock(ws.root) });
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env: env() });

interface Status {
  running: boolean;
  version: string | null;
  deployed_version: string | null;
  interrupted_deploy: { message: string; nextSteps: string[] } | null;
}
const status = async (): Promise<Status> => JSON.parse((await rollout('service', 'status', '--env', 'staging', '--json')).stdout) as Status;
const running = async (): Promise<{ version: string; pid: number }> => (await getJson<{ version: string; pid: number }>(`http://127.0.0.1:${ws.ports.staging!}/version`)).body;
const journal = (): { status: string; resumed_at?: string[]; error?: string } => JSON.parse(readFileSync(join(ws.root, 'deployments/staging/deploy-journal.json'), 'utf8')) as { status: string; resumed_at?: string[] };

/** Start a deploy that pauses at `point`, wait until it does, then kill -9 it. */
async function killDeployAt(version: string, point: string): Promise<void> {
  await killCliAt(ws.root, ['deploy', '--env', 'staging', '--version', version, '--yes', '--no-monitor'], point, env());
}

beforeAll(async () => {
  ws = await makeWorkspace();
  // The walk below ends with the monitor step: a 3 s window.
  shortenMonitoring(ws.root, 'staging', { durationMinutes: 0.05, intervalSeconds: 0.5, maxWindowMinutes: 0.05 });
  const r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

// Real deploys and services one after another: 16-18 s a test here under load 8, past half the 30 s default.
describe('a deploy killed with kill -9', { timeout: 90_000 }, () => {
  it.each([
    // [pause point, version running after the kill (null: stopped), version in place]
    ['install', '1.0.0', '1.0.0'],
    ['restart:stopped', null, '1.1.0'],
    ['health', '1.1.0', '1.1.0'],
    ['smoke', '1.1.0', '1.1.0'],
  ] as const)('at %s: noticed, consistent, and resumed by deploying again', async (point, running, deployed) => {
    // Start each case from 1.0.0 running.
    const reset = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(reset.code, reset.stderr).toBe(0);

    await killDeployAt('1.1.0', point);

    const st = await status();
    expect(st.deployed_version).toBe(deployed);
    expect(st.running ? st.version : null).toBe(running);
    if (running) {
      // What answers is one whole release: /health and /metrics agree with the pointer.
      const h = await getJson<{ version: string }>(`http://127.0.0.1:${ws.ports.staging!}/health`);
      expect(h.body.version).toBe(running);
      const rel = JSON.parse(readFileSync(join(ws.root, 'deployments/staging/current/release.json'), 'utf8')) as { version: string };
      expect(rel.version).toBe(deployed);
    } else expect(await portOpen(ws.ports.staging!)).toBe(false);
    expect(st.interrupted_deploy?.message).toMatch(new RegExp(`^A deploy of 1\\.1\\.0 to staging \\(from 1\\.0\\.0\\) by bob started .* was interrupted at the "${point.split(':')[0]}" step`));
    const human = await rollout('service', 'status', '--env', 'staging');
    expect(human.stdout).toMatch(/next: resume it: rollout deploy --env staging --resume\n/);
    expect(human.stdout).toMatch(/next: or deploy it again from the start: rollout deploy --env staging --version 1\.1\.0/);
    expect(human.stdout).toMatch(/next: or go back to the previous release: rollout deploy --env staging --version 1\.0\.0/);

    // Resume: the same deploy again notices, takes over the dead holder's lock, and completes.
    const again = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Notice: A deploy of 1\.1\.0 to staging .* was interrupted/);
    expect(again.stdout).toMatch(/resuming the interrupted deploy of 1\.1\.0/);
    const after = await status();
    expect(after).toMatchObject({ running: true, version: '1.1.0', deployed_version: '1.1.0', interrupted_deploy: null });
  });

  it('when rolled forward to another version instead, says the interrupted deploy is superseded', async () => {
    await killDeployAt('1.2.0-slow', 'install');
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/the interrupted deploy of 1\.2\.0-slow is superseded by this deploy of 1\.0\.0/);
    expect(await status()).toMatchObject({ running: true, version: '1.0.0', interrupted_deploy: null });
    const stop = await rollout('service', 'stop', '--env', 'staging');
    expect(stop.code).toBe(0);
    expect(await portOpen(ws.ports.staging!)).toBe(false);
  });
});

describe('rollout deploy --resume after a kill -9', { timeout: 90_000 }, () => {
  it.each([
    // [pause point, what the resume does with the restart]
    ['restart:stopped', 'restarted again'],
    ['health', 'not restarted again'],
    ['smoke', 'not restarted again'],
  ] as const)('at %s: the restart is %s, then health and smoke pass and the journal is done', async (point, restart) => {
    const reset = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(reset.code, reset.stderr).toBe(0);
    await killDeployAt('1.1.0', point);
    const before = point === 'restart:stopped' ? undefined : await running();

    const r = await rollout('deploy', '--env', 'staging', '--resume', '--yes', '--no-monitor');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Resuming the interrupted deploy of 1\.1\.0 to staging/m);
    expect(r.stdout).toMatch(/install\s+skipped\s+done by the interrupted deploy/);
    if (restart === 'restarted again') expect(r.stdout).toMatch(/Resumed: the restart of the interrupted deploy is not proven \(nothing answers on the target\); restarted again\./);
    else expect(r.stdout).toMatch(/Resumed: the interrupted deploy had restarted staging: 1\.1\.0 \(pid \d+, started [^)]*\) runs \(1\.0\.0 \(pid \d+.*\) -> 1\.1\.0 \(pid \d+.*\)\); not restarted again\./);
    expect(r.stdout).toMatch(/health\s+ok\s+3 consecutive OK checks/);
    expect(r.stdout).toMatch(/smoke\s+ok\s+\d+ checks passed/);
    expect(r.stdout).toMatch(/Deployed 1\.1\.0 to staging \(was 1\.0\.0\)/);

    // What runs, from the service: 1.1.0; not restarted again means the same process.
    const now = await running();
    expect(now.version).toBe('1.1.0');
    if (before) expect(now.pid).toBe(before.pid);
    expect(journal()).toMatchObject({ status: 'done' });
    expect(journal().resumed_at).toHaveLength(1);
    expect(await status()).toMatchObject({ running: true, version: '1.1.0', interrupted_deploy: null });
  });

  it('stopped before the release was in place: deploys it again from the start', async () => {
    const reset = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(reset.code, reset.stderr).toBe(0);
    await killDeployAt('1.1.0', 'install');
    const r = await rollout('deploy', '--env', 'staging', '--resume', '--yes', '--no-monitor');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resuming the interrupted deploy of 1\.1\.0 \(it stopped before 1\.1\.0 was in place: deploying it again from the start\)/);
    expect(r.stdout).toMatch(/install\s+ok\s+1\.1\.0 in place/);
    expect((await running()).version).toBe('1.1.0');
    expect(journal()).toMatchObject({ status: 'done' });
  });

  it('a release that turned unhealthy meanwhile: exit 1, says so, offers the rollback, journal failed', async () => {
    const reset = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(reset.code, reset.stderr).toBe(0);
    await killDeployAt('1.2.0-flaky', 'health');
    // 1.2.0-flaky answers 503 on /health from 2.5 s after its start.
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${ws.ports.staging!}/health`, { signal: AbortSignal.timeout(2000) })).status === 503, truthy, '1.2.0-flaky to turn unhealthy', { ms: 15_000, tolerateErrors: true, intervalMs: 100 });
    const r = await rollout('deploy', '--env', 'staging', '--resume', '--yes', '--no-monitor');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rollout: 1\.2\.0-flaky did not pass 3 consecutive health checks within [\d.]+ s in staging \(last: /);
    expect(r.stderr).toMatch(/next: Roll back: rollout rollback --env staging, or redeploy the previous release: rollout deploy --env staging --version 1\.0\.0/);
    expect(r.stdout).not.toMatch(/^Deployed/m);
    expect(journal()).toMatchObject({ status: 'failed' });
    // Nothing is left to resume: the failure stands.
    const again = await rollout('deploy', '--env', 'staging', '--resume', '--yes', '--no-monitor');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('rollout: Nothing to resume: no interrupted deploy of staging (the last deploy (1.2.0-flaky) is failed).');
  }, 120_000);

  it('refuses a --version other than the interrupted one (exit 2), changing nothing', async () => {
    const reset = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(reset.code, reset.stderr).toBe(0);
    await killDeployAt('1.1.0', 'health');
    const pid = (await running()).pid;
    const r = await rollout('deploy', '--env', 'staging', '--resume', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rollout: The interrupted deploy of staging was of 1.1.0, not 1.0.0: resume it without --version, or deploy 1.0.0 from the start without --resume.');
    expect((await running()).pid).toBe(pid);
    expect(journal()).toMatchObject({ status: 'in-progress' });
  });
});

describe('a walk killed in its deploy step, then rollout run --resume', () => {
  it('finishes the deploy without restarting the release it had started, then walks on to the end', async () => {
    const reset = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(reset.code, reset.stderr).toBe(0);
    expect((await rollout('backup', '--env', 'staging')).code).toBe(0);
    await killCliAt(ws.root, ['run', 'dhash', '--env', 'staging', '--version', '1.1.0', '--confirm', 'all', '--sign-off', 'Bob Ops'], 'health', env(), undefined, 60_000);
    const started = await running();
    expect(started.version).toBe('1.1.0');

    const r = await runCli(['run', '--env', 'staging', '--resume'], { cwd: ws.root, env: env(), timeoutMs: 120_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Resuming dhash on staging \(version 1\.1\.0\)/m);
    expect(r.stdout).toMatch(/resumed: the interrupted deploy had restarted staging: 1\.1\.0 .*; not restarted again/);
    expect(r.stdout).toContain('The walk of dhash on staging went through.');
    expect((await running()).pid).toBe(started.pid);
    const log = readdirSync(join(ws.root, 'logs')).filter((f) => f.startsWith('run_staging_')).sort().at(-1)!;
    const ev = readFileSync(join(ws.root, 'logs', log), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ev.filter((e) => e.event === 'step-resume').map((e) => e.step)).toEqual(['deploy']);
    expect(ev.filter((e) => e.event === 'step-finished').map((e) => e.step)).toEqual(['artifacts', 'backup', 'verify', 'sign-off', 'migrate', 'deploy', 'smoke', 'monitor']);
    expect(journal()).toMatchObject({ status: 'done' });
  }, 150_000);
});
