// Given a workspace with the shipped runbooks, when the runner walks a runbook, then the steps run
// in order through the engines, the journal (log + state file) tells the story, the sign-off
// carries the backup's hash, and failures, refusals and interruptions stop the walk resumably.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workspaceAt } from '../../src/config/workspace.js';
import { loadEngineContext, type EngineContext } from '../../src/config/engine-context.js';
import { RunbookRunner, readRunState, type RunnerEvent, type RunnerPrompts } from '../../src/usecases/runner.js';
import { headlessPrompts } from '../../src/usecases/runner-headless.js';
import { makeWorkspace } from '../helpers/cli.js';
import { fakeEngines, seedBackup } from './runner-fakes.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

function ctxFor(env: string, runbook = 'dhash'): EngineContext {
  return loadEngineContext(workspaceAt(ws.root), env, { runbook, operator: 'alice' });
}

function logEvents(ctx: EngineContext): Record<string, unknown>[] {
  const f = readdirSync(ctx.ws.logsDir).filter((n) => n.startsWith(`run_${ctx.env}_`));
  expect(f).toHaveLength(1);
  return readFileSync(join(ctx.ws.logsDir, f[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function walk(ctx: EngineContext, engines: ReturnType<typeof fakeEngines>, prompts: RunnerPrompts, extra: Partial<ConstructorParameters<typeof RunbookRunner>[1]> = {}): { runner: RunbookRunner; events: RunnerEvent[] } {
  const runner = new RunbookRunner(ctx, { engines, prompts, dryRun: false, yes: false, command: 'test', face: 'headless', ...extra });
  const events: RunnerEvent[] = [];
  runner.subscribe((e) => events.push(e));
  return { runner, events };
}

describe('runbook runner', () => {
  it('walks every step of dhash on staging in order and journals it, the sign-off with the backup sha256', async () => {
    const ctx = ctxFor('staging');
    const engines = fakeEngines();
    await seedBackup(ctx, engines);
    engines.calls.length = 0;
    const { runner, events } = walk(ctx, engines, headlessPrompts(ctx, { confirm: ['all'], signOff: 'Alice Ops', yes: false, dryRun: false }), { version: '1.1.0' });
    const r = await runner.run();
    expect(r).toMatchObject({ exitCode: 0, status: 'ok' });
    expect(engines.calls.filter((c) => !c.startsWith('verify:'))).toEqual(['backup', 'notify:sign-off', 'migrate:forward', 'deploy:1.1.0', 'smoke:post-deploy', 'monitor']);
    // The verify step checks the backup the backup step took, not whatever is newest.
    const taken = (events.find((e) => e.type === 'step-finished' && e.index === 1) as Extract<RunnerEvent, { type: 'step-finished' }>).outcome.backup!.path;
    expect(engines.calls.filter((c) => c.startsWith('verify:')).at(-1)).toBe(`verify:${taken}`);
    expect(events.filter((e) => e.type === 'step-finished').map((e) => (e as { index: number }).index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const log = logEvents(ctx);
    const signOff = log.find((e) => e.event === 'sign-off')!;
    const backupStep = events.find((e) => e.type === 'step-finished' && e.index === 1) as Extract<RunnerEvent, { type: 'step-finished' }>;
    expect(signOff).toMatchObject({ name: 'Alice Ops', operator: 'alice', artifacts: [{ kind: 'backup', path: backupStep.outcome.backup!.path, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
    expect(log.map((e) => e.event)).toEqual(expect.arrayContaining(['walk-started', 'checklist', 'step-started', 'step-finished', 'walk-finished']));
    expect(readRunState(ctx)).toMatchObject({ finished: true, result: 'ok', version: '1.1.0' });
  });

  it('blocks on a missing required backup with what to do, and the "fix" answer creates it through the backup engine', async () => {
    const ctx = ctxFor('staging');
    const engines = fakeEngines();
    const { runner, events } = walk(ctx, engines, headlessPrompts(ctx, { confirm: ['all'], yes: false, dryRun: false }));
    const r = await runner.run();
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('backup-present');
    expect(r.nextSteps).toContain('press b to create the backup now (or: rollout backup --env staging)');
    expect(engines.calls).not.toContain('deploy:1.1.0');
    const checklist = events.find((e) => e.type === 'checklist') as Extract<RunnerEvent, { type: 'checklist' }>;
    expect(checklist.items.find((i) => i.id === 'backup-present')).toMatchObject({ ok: false, found: 'no backup of staging in backups/' });

    // The TUI's answer: b creates the backup, then the operator ticks and goes on.
    const ctx2 = ctxFor('staging');
    const engines2 = fakeEngines();
    let asked = 0;
    const prompts: RunnerPrompts = {
      checklist: async (req) => (asked++ === 0 ? { kind: 'fix', item: 'backup-present' } : req.items.every((i) => i.ok || i.manual || !i.required) ? { kind: 'continue', confirmed: ['ci-green', 'approvals', 'no-incidents'] } : { kind: 'abort' }),
      signOff: async () => ({ name: 'alice' }),
      confirm: async () => true,
    };
    const w2 = walk(ctx2, engines2, prompts);
    const r2 = await w2.runner.run();
    expect(r2.status).toBe('ok');
    expect(asked).toBe(2);
    expect(engines2.calls[0]).toBe('backup');
  });

  it('refuses production with unconfirmed manual items (exit 3), before any change', async () => {
    const ctx = ctxFor('production');
    const engines = fakeEngines();
    await seedBackup(ctx, engines);
    engines.calls.length = 0;
    const { runner } = walk(ctx, engines, { checklist: async () => ({ kind: 'continue', confirmed: ['ci-green'] }), signOff: async () => ({ name: 'a' }), confirm: async () => true }, { yes: true });
    const r = await runner.run();
    expect(r).toMatchObject({ exitCode: 3, status: 'refused' });
    expect(r.message).toContain('approvals, no-incidents');
    expect(engines.calls.filter((c) => !c.startsWith('verify'))).toEqual([]);
  });

  it('stops on failed smoke checks with exit 1 and leaves the monitor step pending', async () => {
    const ctx = ctxFor('staging');
    const engines = fakeEngines({ smokeFails: true });
    await seedBackup(ctx, engines);
    const { runner, events } = walk(ctx, engines, headlessPrompts(ctx, { confirm: ['all'], yes: false, dryRun: false }));
    const r = await runner.run();
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('golden-hash');
    expect(engines.calls).not.toContain('monitor');
    const failed = events.find((e) => e.type === 'step-failed') as Extract<RunnerEvent, { type: 'step-failed' }>;
    expect(failed.outcome?.smoke?.map((s) => s.ok)).toEqual([true, false]);
    expect(readRunState(ctx)!.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done', 'failed', 'pending']);
  });

  it('an interrupted walk releases its lock and resumes from the interrupted step, in the same log', async () => {
    const ctx = ctxFor('staging');
    const engines = fakeEngines({ deployBlocksUntilAbort: true });
    await seedBackup(ctx, engines);
    const { runner, events } = walk(ctx, engines, headlessPrompts(ctx, { confirm: ['all'], yes: false, dryRun: false }));
    runner.subscribe((e) => {
      if (e.type === 'substep' && e.name === 'restart' && e.status === 'running') runner.abort();
    });
    const r = await runner.run();
    expect(r.status).toBe('interrupted');
    expect(r.nextSteps?.[0]).toContain('--resume');
    expect(events.at(-1)).toMatchObject({ type: 'walk-finished', status: 'interrupted' });
    expect(existsSync(join(ctx.ws.locksDir, 'staging-walk.lock'))).toBe(false);
    expect(readRunState(ctx)!.steps.find((s) => s.id === 'deploy')!.status).toBe('running');

    const ctx2 = ctxFor('staging');
    const engines2 = fakeEngines();
    const w2 = walk(ctx2, engines2, headlessPrompts(ctx2, { confirm: ['all'], yes: false, dryRun: false }), { resume: true });
    const r2 = await w2.runner.run();
    expect(r2.status).toBe('ok');
    expect(engines2.calls.filter((c) => !c.startsWith('verify') && !c.startsWith('notify'))).toEqual(['deploy:1.1.0', 'smoke:post-deploy', 'monitor']);
    const log = logEvents(ctx2);
    expect(log.map((e) => e.event)).toContain('walk-resumed');
    expect(new Set(log.map((e) => e.run_id)).size).toBe(1);
  });

  it('a dry-run passes dry-run to every engine and never needs the deploy confirmation', async () => {
    const ctx = ctxFor('staging');
    const engines = fakeEngines();
    await seedBackup(ctx, engines);
    engines.calls.length = 0;
    const { runner } = walk(ctx, engines, headlessPrompts(ctx, { yes: false, dryRun: true }), { dryRun: true });
    const r = await runner.run();
    expect(r.status).toBe('ok');
    expect(engines.calls.filter((c) => /^(backup|migrate|deploy|monitor)/.test(c))).toEqual(['backup:dry', 'migrate:forward:dry', 'deploy:1.1.0:dry', 'monitor:dry']);
    expect(logEvents(ctx).find((e) => e.event === 'checklist-unconfirmed')).toMatchObject({ items: ['ci-green', 'approvals', 'no-incidents'] });
  });

  it('a dry-run walks the very steps a live walk then walks, in the same order, each through its engine', async () => {
    const ctx = ctxFor('staging');
    const engines = fakeEngines();
    await seedBackup(ctx, engines);
    engines.calls.length = 0;
    const dry = walk(ctx, engines, headlessPrompts(ctx, { yes: false, dryRun: true }), { dryRun: true, version: '1.1.0' });
    expect((await dry.runner.run()).status).toBe('ok');
    const dryCalls = engines.calls.splice(0).filter((c) => !c.startsWith('verify:') && !c.startsWith('notify:'));
    const live = walk(ctx, engines, headlessPrompts(ctx, { confirm: ['all'], signOff: 'Alice Ops', yes: false, dryRun: false }), { version: '1.1.0' });
    expect((await live.runner.run()).status).toBe('ok');
    const steps = (ev: RunnerEvent[]): string[] => ev.filter((e): e is Extract<RunnerEvent, { type: 'step-started' }> => e.type === 'step-started').map((e) => String(e.index));
    expect(steps(dry.events)).toEqual(steps(live.events));
    expect(steps(live.events)).toHaveLength(8);
    // The same engines in the same order; the dry ones rehearse (smoke runs read-only in both).
    expect(dryCalls.map((c) => c.replace(/:dry$/, ''))).toEqual(engines.calls.filter((c) => !c.startsWith('verify:') && !c.startsWith('notify:')));
  });

  it('refuses a second walk of the same environment while one runs (exit 3), naming the first', async () => {
    const ctx = ctxFor('staging');
    const engines = fakeEngines({ deployBlocksUntilAbort: true });
    await seedBackup(ctx, engines);
    const first = walk(ctx, engines, headlessPrompts(ctx, { confirm: ['all'], yes: false, dryRun: false }));
    const running = first.runner.run();
    await new Promise<void>((r) => first.runner.subscribe((e) => e.type === 'substep' && e.name === 'restart' && r()));
    const second = walk(ctxFor('staging'), fakeEngines(), headlessPrompts(ctx, { yes: false, dryRun: false }));
    const r2 = await second.runner.run();
    expect(r2).toMatchObject({ exitCode: 3, status: 'refused' });
    expect(r2.message).toMatch(/^Another walk of staging is running: alice \(pid \d+ on .*"test"/);
    first.runner.abort();
    expect((await running).status).toBe('interrupted');
  });
  it('an emergency rollback cancelled at its confirmation changes nothing and names the headless flags as SPEC.md does (run --yes, rollback --force)', async () => {
    const ctx = ctxFor('staging', 'emergency-rollback');
    const engines = fakeEngines();
    await seedBackup(ctx, engines);
    engines.calls.length = 0;
    const { runner } = walk(ctx, engines, { checklist: async () => ({ kind: 'continue', confirmed: [] }), signOff: async () => ({ name: 'a' }), confirm: async () => false });
    const r = await runner.run();
    expect(r).toMatchObject({ status: 'refused', exitCode: 3 });
    expect(r.nextSteps).toEqual(['Nothing was changed. To confirm headless: rollout run emergency-rollback --env staging --yes (or rollout rollback --env staging --force); or answer on screen.']);
    expect(engines.calls.filter((c) => c.startsWith('rollback'))).toEqual([]);
  });
});
