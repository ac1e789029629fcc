// The command target: deploy, restart, status and health as runbook commands (here a small
// script standing in for systemctl), with exit codes, timeouts and output in the deploy log.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root });

// A pretend service manager: state in svc-state.json beside it.
const FAKE = `
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
const f = new URL('./svc-state.json', import.meta.url);
const s = existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : { version: null, active: false };
const [cmd, arg] = process.argv.slice(2);
const save = () => writeFileSync(f, JSON.stringify(s));
switch (cmd) {
  case 'deploy': if (arg === 'broken') { console.error('unpacking failed: bad archive'); process.exit(4); } s.version = arg; console.log('unpacked ' + arg); save(); break;
  case 'restart': s.active = true; console.log('restarted ' + s.version); save(); break;
  case 'stop': s.active = false; save(); break;
  case 'start': s.active = true; save(); break;
  case 'status': console.log(s.active ? 'active (running)' : 'inactive (dead)'); process.exit(s.active ? 0 : 3);
  case 'health': process.exit(s.active ? 0 : 1);
  case 'versions': console.log('2.0.0\\n2.1.0\\nbroken\\nhang'); break;
  case 'current': if (s.version) console.log(s.version); break;
  case 'hang': setTimeout(() => {}, 60000); break;
  case 'unreachable': console.error('ssh: connect to host edge port 22: No route to host'); process.exit(255);
}
`;

beforeEach(async () => {
  ws = await makeWorkspace();
  writeFileSync(join(ws.root, 'fake-svc.mjs'), FAKE);
  const node = JSON.stringify(process.execPath);
  const svc = (a: string) => `${node} fake-svc.mjs ${a}`;
  writeFileSync(
    join(ws.root, 'runbooks/edge.yaml'),
    `name: edge
title: A real installation driven by commands
steps:
  - { id: deploy, type: deploy }
environments:
  edge:
    target:
      kind: command
      deploy: '${svc('deploy {version}')}'
      restart: '${svc('restart')}'
      stop: '${svc('stop')}'
      start: '${svc('start')}'
      status: '${svc('status')}'
      versions: '${svc('versions')}'
      current_version: '${svc('current')}'
      timeout_seconds: 5
      health_timeout_ms: 10000
    health: { kind: command, command: '${svc('health')}', interval_ms: 50 }
    metrics: { kind: command, command: '${svc('status')}' }
    smoke:
      - { id: active, tier: critical, kind: command, command: '${svc('status')}' }
`,
  );
  // The workspace's default runbook must know the environment too: commands pick the runbook by name.
  const gates = JSON.parse(readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8')) as { environments: Record<string, unknown> };
  gates.environments.edge = gates.environments.staging;
  writeFileSync(join(ws.root, 'quality-gates-config.json'), JSON.stringify(gates));
});
afterEach(() => ws.cleanup());

// Each test runs the CLI several times, each run a few shell commands (node scripts): 10-18 s a
// test alone at load 10-15 here, past the 30 s default in a whole run (with zx's index or its core).
describe('the command target', { timeout: 90_000 }, () => {
  it('refuses before changing anything when the target cannot be reached (status exits 255), but deploys to a stopped one (exit 3)', async () => {
    const rb = readFileSync(join(ws.root, 'runbooks/edge.yaml'), 'utf8').replace('name: edge', 'name: dhash');
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), rb.replace(/status: '([^']*) status'/, "status: '$1 unreachable'"));
    const r = await rollout('deploy', '--env', 'edge', '--version', '2.1.0', '--yes', '--no-monitor');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rollout: The edge target cannot be reached \(The status command of the edge target failed with exit 255 \(ssh: connect to host edge port 22: No route to host\): .*\); nothing was changed\.\n/);
    expect(existsSync(join(ws.root, 'svc-state.json'))).toBe(false);
    // The shipped status command exits 3 while the service is stopped: that target is reachable.
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), rb);
    const ok = await rollout('deploy', '--env', 'edge', '--version', '2.1.0', '--yes', '--no-monitor');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('deploys through the runbook\'s commands, waits for health, smoke-tests, and reports status', async () => {
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), readFileSync(join(ws.root, 'runbooks/edge.yaml'), 'utf8').replace('name: edge', 'name: dhash'));
    const r = await rollout('deploy', '--env', 'edge', '--version', '2.1.0', '--yes', '--no-monitor', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { version: string; steps: { step: string; status: string }[]; smoke: { id: string; ok: boolean }[]; log: string };
    expect(j.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['validate:ok', 'backup:skipped', 'migrate:skipped', 'install:ok', 'restart:ok', 'health:ok', 'smoke:ok']);
    expect(j.smoke).toEqual([expect.objectContaining({ id: 'active', ok: true })]);
    // The commands' own output is in the deploy log.
    const log = readFileSync(j.log, 'utf8');
    expect(log).toContain('unpacked 2.1.0');
    expect(log).toContain('restarted 2.1.0');
    const st = JSON.parse((await rollout('service', 'status', '--env', 'edge', '--json')).stdout) as Record<string, unknown>;
    expect(st).toMatchObject({ running: true, version: '2.1.0', health: { ok: true }, note: 'active (running)' });
    const stop = await rollout('service', 'stop', '--env', 'edge', '--json');
    expect(JSON.parse(stop.stdout)).toMatchObject({ running: false, health: { ok: false } });
  });

  it('a failing deploy command fails the deploy (exit 1) naming the command and its exit code', async () => {
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), readFileSync(join(ws.root, 'runbooks/edge.yaml'), 'utf8').replace('name: edge', 'name: dhash'));
    const r = await rollout('deploy', '--env', 'edge', '--version', 'broken', '--yes', '--no-monitor');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rollout: The deploy command of the edge target failed with exit 4 \(unpacking failed: bad archive\): .*fake-svc\.mjs deploy broken\.$/m);
    const journal = JSON.parse(readFileSync(join(ws.root, 'deployments/edge/deploy-journal.json'), 'utf8')) as { status: string; step: string };
    expect(journal).toMatchObject({ status: 'failed', step: 'install' });
  });

  it('a command that hangs is stopped at the target\'s timeout (exit 1)', async () => {
    const rb = readFileSync(join(ws.root, 'runbooks/edge.yaml'), 'utf8').replace('name: edge', 'name: dhash').replace(/deploy: '(.*) deploy \{version\}'/, "deploy: '$1 hang'");
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), rb);
    const r = await rollout('deploy', '--env', 'edge', '--version', '2.0.0', '--yes', '--no-monitor');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rollout: The deploy command of the edge target gave no result within 5 s: /m);
  });

  it('refuses a version the versions command does not list (exit 2)', async () => {
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), readFileSync(join(ws.root, 'runbooks/edge.yaml'), 'utf8').replace('name: edge', 'name: dhash'));
    const r = await rollout('deploy', '--env', 'edge', '--version', '3.0.0', '--yes', '--no-monitor');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown version "3\.0\.0" for edge: available are 2\.0\.0, 2\.1\.0, broken, hang\./);
  });
});
