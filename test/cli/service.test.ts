// rollout service start/stop/status edge cases: nothing deployed, a foreign program on the port,
// a pid file whose pid another program now has.
import { spawn } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
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

// Real services started and stopped: up to 13 s a test here under load 8.
describe('rollout service', { timeout: 90_000 }, () => {
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
  it('a pid file whose pid was reused by another program: deploy refuses before changing anything, and never stops that program', async () => {
    // The service died without removing its pid file (kill -9, a reboot) and its pid went to another
    // program, started after the file was written; a foreign program holds the port.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pidFile = join(ws.root, 'deployments/development/service.pid');
    writeFileSync(pidFile, `${other.pid}\n`);
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(pidFile, anHourAgo, anHourAgo);
    const foreign: Server = createServer((_q, s) => s.end('not dhash'));
    await new Promise<void>((r) => foreign.listen(ws.ports.development!, '127.0.0.1', () => r()));
    try {
      const dep = await rollout('deploy', '--env', 'development', '--version', '1.1.0', '--no-monitor');
      expect(dep.code, dep.stderr).toBe(1);
      expect(dep.stderr).toMatch(/^rollout: Port \d+ on 127\.0\.0\.1 answers, but not from the development service/);
      const st = JSON.parse((await rollout('service', 'status', '--env', 'development', '--json')).stdout) as Record<string, unknown>;
      expect(st).toMatchObject({ running: false, deployed_version: '1.0.0' });
      const start = await rollout('service', 'start', '--env', 'development');
      expect(start.stdout + start.stderr).not.toMatch(/already running/);
      // And stop (the pid file put back) leaves that program alone.
      writeFileSync(pidFile, `${other.pid}\n`);
      utimesSync(pidFile, anHourAgo, anHourAgo);
      const stop = await rollout('service', 'stop', '--env', 'development');
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stdout).not.toMatch(/stopped the development service/);
      await new Promise((r) => setTimeout(r, 200)); // a SIGTERM would have ended sleep by now
      expect(other.exitCode).toBeNull();
      expect(other.signalCode).toBeNull();
    } finally {
      other.kill('SIGKILL');
      foreign.closeAllConnections();
      await new Promise<void>((r) => foreign.close(() => r()));
    }
  });
});
