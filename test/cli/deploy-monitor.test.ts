// rollout deploy without --no-monitor runs the T+60 monitor after the deploy, with a short window
// from the workspace's own config: a healthy release passes (exit 0), a bad one breaches (exit 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventClock, makeWorkspace, runCli, shortenMonitoring } from '../helpers/cli.js';
import { killServices, portOpen } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
// The healthy window must pass whatever the load: its monitor runs on the event clock.
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env: eventClock(ws.root) });

beforeAll(async () => {
  ws = await makeWorkspace();
  shortenMonitoring(ws.root, 'staging', { durationMinutes: 0.06, intervalSeconds: 0.5, maxWindowMinutes: 0.05 });
});
afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('rollout deploy, then the monitor', () => {
  it('passes the window with a healthy release (exit 0)', async () => {
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Deployed 1\.1\.0 to staging/);
    expect(r.stdout).toMatch(/Starting the T\+60 monitor for staging/);
    expect(r.stdout).toMatch(/staging passed its .* monitoring window: no gate breached/);
  });

  it('breaches a gate with a bad release (exit 1) and says which', async () => {
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.2.0-backlog', '--yes', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { ok: boolean; version: string; monitor: Record<string, unknown> };
    expect(j).toMatchObject({ ok: false, version: '1.2.0-backlog' });
    expect(JSON.stringify(j.monitor)).toContain('low_confidence_queue');
    expect(r.stderr).toMatch(/^rollout: .*low_confidence_queue/m);
    await rollout('service', 'stop', '--env', 'staging');
    expect(await portOpen(ws.ports.staging!)).toBe(false);
  });
});
