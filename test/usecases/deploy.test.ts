// The deploy service in-process (as the TUI and the runner call it): events for every sub-step and
// health check, the runner-shaped engines, and the service started from source (tsx).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceAt } from '../../src/config/workspace.js';
import { deploy, type DeployEvent } from '../../src/usecases/deploy.js';
import { realEngines } from '../../src/usecases/runner-wiring.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import type { StepIO } from '../../src/usecases/runner-engines.js';
import { makeTarget } from '../../src/targets/make-target.js';
import { makeWorkspace } from '../helpers/cli.js';
import { killServices, portOpen } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const ctx = () => loadEngineContext(workspaceAt(ws.root), 'development', { operator: 'dana' });
function io(lines: string[], subs: string[] = []): StepIO {
  return { onLine: (l) => lines.push(l), onProgress: () => undefined, onSubstep: (n, s) => subs.push(`${n}:${s}`), signal: new AbortController().signal };
}

beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

describe('deploy service', () => {
  it('emits each step, the live output and every health check, in order', async () => {
    const events: DeployEvent[] = [];
    const r = await deploy(ctx(), { version: '1.0.0', onEvent: (e) => events.push(e) });
    expect(r.ok).toBe(true);
    const steps = events.filter((e): e is Extract<DeployEvent, { type: 'step' }> => e.type === 'step').map((e) => `${e.step}:${e.status}`);
    expect(steps).toEqual(['validate:running', 'validate:ok', 'backup:running', 'backup:skipped', 'migrate:running', 'migrate:ok', 'install:running', 'install:ok', 'restart:running', 'restart:ok', 'health:running', 'health:ok', 'smoke:running', 'smoke:ok']);
    const health = events.filter((e): e is Extract<DeployEvent, { type: 'health' }> => e.type === 'health');
    expect(health.at(-1)).toMatchObject({ streak: 3, needed: 3, check: { ok: true } });
    expect(events.some((e) => e.type === 'line' && /started 1\.0\.0 \(pid \d+\)/.test(e.line))).toBe(true);
    expect(events.filter((e) => e.type === 'smoke')).toHaveLength(2);
    expect((await makeTarget(ctx()).status()).version).toBe('1.0.0');
  });

  it('gives the runner its engines (the wiring a walk and the TUI use): versions, deploy (dry run and real) and smoke', async () => {
    const engines = realEngines();
    expect(await engines.availableVersions(ctx())).toContain('1.2.0-slow');
    expect(await engines.currentVersion(ctx())).toBe('1.0.0');
    const lines: string[] = [];
    const dry = await engines.deploy(ctx(), { version: '1.1.0', dryRun: true, ...io(lines) });
    expect(dry.summary).toBe('dry-run: planned the deploy of 1.1.0 over 1.0.0');
    expect(readFileSync(join(ws.root, 'deploy-dryrun.log'), 'utf8')).toContain('1.0.0 -> 1.1.0');
    expect(await engines.currentVersion(ctx())).toBe('1.0.0');

    const subs: string[] = [];
    const real = await engines.deploy(ctx(), { version: '1.1.0', dryRun: false, ...io(lines, subs) });
    expect(real.summary).toMatch(/^1\.1\.0 deployed \(was 1\.0\.0\), healthy after \d+\.\d s$/);
    // The runbook has its own migrate step, so the deploy does not run migrations again.
    expect(subs).toContain('migrate:skipped');
    expect(subs).toContain('health:ok');
    expect(await engines.currentVersion(ctx())).toBe('1.1.0');

    await makeTarget(ctx()).stop();
    expect(await portOpen(ws.ports.development!)).toBe(false);
    const smoke = await engines.smoke(ctx(), { tier: 'critical', phase: 'post-rollback', dryRun: false, ...io([]) });
    expect(smoke.summary).toBe('0/2 checks passed');
    expect(smoke.smoke?.map((x) => [x.id, x.ok])).toEqual([['health', false], ['golden-hash', false]]);
  });
});
