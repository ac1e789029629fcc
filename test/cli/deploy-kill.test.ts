// kill -9 during a deploy, at several steps: the next command notices the interrupted deploy and
// says how to go on; the service runs the old release or the new one, never a mixture; deploying
// again completes. Real CLI processes, real services, all stopped at the end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killCliAt, makeWorkspace, runCli } from '../helpers/cli.js';
import { getJson, killServices, portOpen } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const env = { ROLLOUT_OPERATOR: 'bob' };
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env });

interface Status {
  running: boolean;
  version: string | null;
  deployed_version: string | null;
  interrupted_deploy: { message: string; nextSteps: string[] } | null;
}
const status = async (): Promise<Status> => JSON.parse((await rollout('service', 'status', '--env', 'staging', '--json')).stdout) as Status;

/** Start a deploy that pauses at `point`, wait until it does, then kill -9 it. */
async function killDeployAt(version: string, point: string): Promise<void> {
  await killCliAt(ws.root, ['deploy', '--env', 'staging', '--version', version, '--yes', '--no-monitor'], point, env);
}

beforeAll(async () => {
  ws = await makeWorkspace();
  const r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('a deploy killed with kill -9', () => {
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
    expect(human.stdout).toMatch(/next: resume it: rollout deploy --env staging --version 1\.1\.0/);
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
