// rollout service start/stop/status edge cases: nothing deployed, a foreign program on the port.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { killServices, portOpen } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root });

beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('rollout service', () => {
  it('status of an environment with nothing deployed says so (exit 0, --json too)', async () => {
    const r = await rollout('service', 'status', '--env', 'development');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^development: not running \(nothing deployed\) at http:\/\/127\.0\.0\.1:\d+\/ — health not OK: connection refused/);
    const j = JSON.parse((await rollout('service', 'status', '--env', 'development', '--json')).stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ running: false, version: null, deployed_version: null, pid: null });
  });

  it('start with nothing deployed fails (exit 1) and says what to do', async () => {
    const r = await rollout('service', 'start', '--env', 'development');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rollout: Nothing is deployed in deployments\/development yet, so there is no service to start\.\n {2}next: rollout deploy --env development --version VERSION/);
  });

  it('does not start over a foreign program on its port, and status says the port is taken', async () => {
    const d = await rollout('deploy', '--env', 'development', '--version', '1.0.0', '--no-monitor');
    expect(d.code, d.stderr).toBe(0);
    expect((await rollout('service', 'stop', '--env', 'development')).code).toBe(0);
    const foreign: Server = createServer((_q, s) => s.end('not dhash'));
    await new Promise<void>((r) => foreign.listen(ws.ports.development!, '127.0.0.1', () => r()));
    try {
      const r = await rollout('service', 'start', '--env', 'development');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^rollout: Port \d+ on 127\.0\.0\.1 is in use by another program, so the development service cannot start\./);
      const st = await rollout('service', 'status', '--env', 'development');
      expect(st.stdout).toMatch(/note: port \d+ answers, but not from this environment's service/);
      const dep = await rollout('deploy', '--env', 'development', '--version', '1.1.0', '--no-monitor');
      expect(dep.code).toBe(1);
      expect(dep.stderr).toMatch(/answers, but not from the development service/);
    } finally {
      foreign.closeAllConnections();
      await new Promise<void>((r) => foreign.close(() => r()));
    }
    expect(await portOpen(ws.ports.development!)).toBe(false);
  });
});
