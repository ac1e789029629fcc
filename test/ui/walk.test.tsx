// Given the walk screen over a real runner (stand-in engines that write real files), when the
// operator presses keys, then the checklist, sign-off, progress, smoke table and outcome on screen
// follow, and the runner receives exactly the answers given.
import React from 'react';
import { Text } from 'ink';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workspaceAt } from '../../src/config/workspace.js';
import { loadEngineContext, type EngineContext } from '../../src/config/engine-context.js';
import { RunbookRunner } from '../../src/usecases/runner.js';
import { CHECKLIST_KEYS, WALK_KEYS, hintLine } from '../../src/ui/keymap.js';
import { PromptBroker } from '../../src/ui/prompt-broker.js';
import { Walk } from '../../src/ui/Walk.js';
import { initialWalk } from '../../src/ui/walk-state.js';
import { makeWorkspace } from '../helpers/cli.js';
import { fakeEngines, seedBackup, type FakeOptions } from '../usecases/runner-fakes.js';
import { KEY, flat, renderAt } from './render-at.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

async function setup(env: string, o: { seed?: boolean; fakes?: FakeOptions; dryRun?: boolean; training?: boolean; session?: boolean; runbook?: string } = {}) {
  const ctx: EngineContext = loadEngineContext(workspaceAt(ws.root), env, { runbook: o.runbook ?? 'dhash', operator: 'alice' });
  const engines = fakeEngines(o.fakes);
  if (o.seed !== false) await seedBackup(ctx, engines);
  engines.calls.length = 0;
  const broker = new PromptBroker();
  const runner = new RunbookRunner(ctx, { engines, prompts: broker, dryRun: Boolean(o.dryRun), ...(o.runbook ? {} : { version: '1.1.0' }), yes: false, command: 'test', face: 'tui' });
  let quitWith: number | undefined;
  const r = renderAt(
    <Walk
      runner={runner}
      broker={broker}
      training={Boolean(o.training)}
      operator="alice"
      {...(o.session ? { renderSession: (_s: unknown, _w: unknown, finished: boolean) => (finished ? <Text>MONITOR ENDED</Text> : <Text>LIVE MONITOR</Text>) } : {})}
      initial={initialWalk({ env, runbook: o.runbook ?? 'dhash', dryRun: Boolean(o.dryRun), production: ctx.production, steps: ctx.runbook.steps, version: '1.1.0' })} onQuit={(s) => (quitWith = s.finished?.exitCode)} />,
  );
  const result = runner.run();
  return { ctx, engines, runner, r, result, quit: () => quitWith };
}

function runLog(ctx: EngineContext): Record<string, unknown>[] {
  const f = readdirSync(ctx.ws.logsDir).find((n) => n.startsWith(`run_${ctx.env}_`))!;
  return readFileSync(join(ctx.ws.logsDir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('walk screen', () => {
  it('Given a staging walk, when the operator ticks the manual items with space and signs off, then every step runs and the outcome is shown', async () => {
    const { r, result, engines, ctx, quit, runner } = await setup('staging');
    let f = await r.waitFor('Artifacts checklist');
    expect(f).toContain('[ok] quality-gates-config.json and runbooks validate');
    expect(f).toContain('[ ] Pre-merge CI green');
    expect(f).toContain(hintLine(CHECKLIST_KEYS));
    expect(f).toContain('1.artifacts:now');
    // The cursor starts on the first item; the manual ones are 5th to 7th.
    await r.press('j', 'j', 'j', 'j', KEY.space, 'j', KEY.space, 'j', KEY.space);
    f = r.frame();
    expect(f).toContain('[x] Pre-merge CI green');
    expect(f).toContain('[x] No ongoing incident');
    await r.press(KEY.enter);
    f = await r.waitFor('Deploy operator sign-off');
    expect(f).toMatch(/Artifact: backups\/dhash_staging_\d{8}_\d{6}\.zip .*SHA256\s+[0-9a-f]{64}/s);
    // The sign-off is a dialog with the focus: q and ? are letters of the name there, never the
    // walk's stop and help below it.
    await r.press('q', '?');
    f = await r.waitFor('Your name: q?');
    expect(f).not.toContain('Stopping');
    expect(f).not.toContain('Keys — ');
    expect(runner.aborted).toBe(false);
    await r.press(KEY.backspace, KEY.backspace);
    await r.waitFor('you are alice');
    await r.press('Alice Ops', KEY.enter);
    f = await r.waitFor('The walk went through');
    expect((await result).status).toBe('ok');
    expect(f).toContain('8.monitor:done');
    expect(engines.calls.filter((c) => /^(backup|migrate|deploy|smoke|monitor)/.test(c))).toEqual(['backup', 'migrate:forward', 'deploy:1.1.0', 'smoke:post-deploy', 'monitor']);
    // The finished steps stay above (Static): the smoke table and the backup's SHA256.
    const all = r.frames.join('\n');
    expect(all).toMatch(/PASS\s+golden-hash\s+critical/);
    expect(all).toMatch(/SHA256\s+[0-9a-f]{64}/);
    const log = runLog(ctx);
    expect(log.find((e) => e.event === 'checklist')!.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'approvals', ok: true })]));
    expect(log.find((e) => e.event === 'sign-off')).toMatchObject({ name: 'Alice Ops', artifacts: [expect.objectContaining({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })] });
    await r.press('q');
    expect(quit()).toBe(0);
    r.unmount();
  });

  it('Given no backup, then the checklist blocks with what to do, enter does not pass, and b creates it through the backup engine', async () => {
    const { r, engines, runner, result } = await setup('staging', { seed: false });
    let f = await r.waitFor('BLOCKED');
    expect(f).toContain('[MISSING] Latest backup in backups/ with its .sha256');
    expect(f).toContain('press b to create the backup now');
    await r.press(KEY.enter);
    expect(r.frame()).toContain('Cannot continue: backup-present, backup-verified missing');
    expect(engines.calls).toEqual([]);
    await r.press('b');
    f = await r.waitFor('[ok] Latest backup in backups/');
    expect(f).not.toContain('BLOCKED');
    expect(engines.calls[0]).toBe('backup');
    await r.press('q');
    const res = await result;
    // Stopping at the checklist is the operator's choice: shown as stopped (resumable), not FAILED.
    expect(res).toMatchObject({ status: 'interrupted', exitCode: 3 });
    expect(runner.aborted).toBe(true);
    const f2 = await r.waitFor('stopped the walk at the checklist; nothing was changed');
    expect(f2).toContain('1.artifacts:stopped');
    expect(f2).not.toContain('FAIL');
    expect(f2).toContain('Resume it: rollout run dhash --env staging --resume');
    expect(f2).toContain('2.backup:pending');
    r.unmount();
  });

  it('Given production, then enter needs every manual item, and the sign-off needs the environment name typed exactly', async () => {
    const { r, result } = await setup('production');
    let f = await r.waitFor('Artifacts checklist');
    expect(f).toContain('!!! PRODUCTION — changes are real !!!');
    await r.press(KEY.enter);
    expect(r.frame()).toContain('Production needs every manual item ticked: ci-green, approvals, no-incidents');
    await r.press('j', 'j', 'j', 'j', KEY.space, 'j', KEY.space, 'j', KEY.space, KEY.enter);
    await r.waitFor('Deploy operator sign-off');
    await r.press('alice', KEY.enter);
    f = await r.waitFor('PRODUCTION: type "production" and enter to sign off');
    await r.press('prod', KEY.enter);
    expect(r.frame()).toContain('That is not "production"');
    await r.press(KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, 'production', KEY.enter);
    f = await r.waitFor('The walk went through');
    expect((await result).status).toBe('ok');
    r.unmount();
  });

  it('Given a failing smoke check, then the result table shows FAIL and the walk ends with exit 1 and the next steps', async () => {
    const { r, result } = await setup('staging', { fakes: { smokeFails: true } });
    await r.waitFor('Artifacts checklist');
    await r.press(KEY.enter);
    await r.waitFor('sign-off');
    await r.press('alice', KEY.enter);
    const f = await r.waitFor('failed');
    expect((await result).exitCode).toBe(1);
    expect(r.frames.join('\n')).toMatch(/FAIL\s+golden-hash\s+critical\s+hash 00ff/);
    expect(f).toContain('7.smoke:FAILED');
    expect(f).toContain('8.monitor:pending');
    r.unmount();
  });

  it('Given a running deploy, when the operator presses q, then the step finishes safely and the walk says how to resume', async () => {
    const { r, result } = await setup('staging', { fakes: { deployBlocksUntilAbort: true } });
    await r.waitFor('Artifacts checklist');
    await r.press(KEY.enter);
    await r.waitFor('sign-off');
    await r.press('alice', KEY.enter);
    let f = await r.waitFor('restart');
    expect(f).toContain('installing 1.1.0');
    expect(f).toContain(hintLine(WALK_KEYS));
    await r.press('q');
    f = await r.waitFor('interrupted');
    expect(f).toContain('--resume');
    expect((await result).status).toBe('interrupted');
    r.unmount();
  });

  it('Given training mode, then the TRAINING banner stays on screen through the walk', async () => {
    const { r, result } = await setup('staging', { dryRun: true, training: true });
    let f = await r.waitFor('Artifacts checklist');
    expect(f).toContain('TRAINING — dry-run on staging, nothing is changed');
    await r.press(KEY.enter);
    await r.waitFor('sign-off');
    expect(r.frame()).toContain('TRAINING');
    await r.press('trainee', KEY.enter);
    f = await r.waitFor('went through (dry-run');
    expect(f).toContain('TRAINING');
    expect((await result).status).toBe('ok');
    r.unmount();
  });

  it('Given a live monitor session, then it takes the screen; once the walk is interrupted, the walk screen takes keys again and q quits', async () => {
    const { r, runner, result, quit } = await setup('staging', { fakes: { monitorUntilAbort: true }, session: true });
    await r.waitFor('enter continue');
    await r.press(KEY.enter);
    await r.waitFor('sign-off');
    await r.press('alice', KEY.enter);
    await r.waitFor('LIVE MONITOR');
    // The session's own screen has the keys (this stand-in takes none): the walk does not quit on q.
    await r.send('q');
    expect(quit()).toBeUndefined();
    runner.abort();
    const f = await r.waitFor('interrupted');
    expect(f).toContain('MONITOR ENDED');
    expect((await result).status).toBe('interrupted');
    await r.press('q');
    expect(quit()).toBe(1);
    r.unmount();
  });

  it('Given the emergency-rollback runbook, then the confirmation names the verified backup; n changes nothing (exit 3), y restores exactly that backup', async () => {
    const a = await setup('staging', { runbook: 'emergency-rollback' });
    let f = flat(await a.r.waitFor('Restore the newest verified backup?'));
    expect(f).toMatch(/Backup: backups\/dhash_staging_\d{8}_\d{6}\.zip — verified \(sha256 [0-9a-f]{16}… matches/);
    // The confirmation has the focus: the walk's help (?) and log (l) keys do nothing under it.
    await a.r.press('?', 'l');
    f = a.r.frame();
    expect(f).not.toContain('Keys — ');
    expect(f).toContain('Restore the newest verified backup?');
    expect(a.runner.aborted).toBe(false);
    await a.r.press('n');
    expect((await a.result).exitCode).toBe(3);
    expect(a.engines.calls.some((c) => c.startsWith('rollback'))).toBe(false);
    a.r.unmount();

    const b = await setup('staging', { runbook: 'emergency-rollback', seed: false });
    f = flat(await b.r.waitFor('Restore the newest verified backup?'));
    const shown = /Backup: (backups\/\S+\.zip)/.exec(f)![1]!;
    await b.r.press('y');
    await b.r.waitFor('The walk went through.');
    expect(b.engines.calls).toContain(`rollback:${shown}`);
    b.r.unmount();
  });
});
