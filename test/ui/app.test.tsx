// Given the whole TUI over a temp workspace (real runner, stand-in engines), when the operator
// goes from home onwards, then a fresh environment gets the demo set-up offer (production asks for
// its name), the set-up walks deploy 1.0.0 and a first backup, the release choice follows, and an
// interrupted walk is offered for resuming.
import React from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workspaceAt } from '../../src/config/workspace.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { RunbookRunner, readRunState } from '../../src/usecases/runner.js';
import { App, type TuiServices } from '../../src/ui/App.js';
import { UsageError } from '../../src/domain/errors.js';
import { runbookChoices } from '../../src/ui/runbook-choices.js';
import { makeWorkspace } from '../helpers/cli.js';
import { fakeEngines, type FakeOptions } from '../usecases/runner-fakes.js';
import { KEY, flat, renderAt } from './render-at.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

function app(o: { deployed?: string; env?: string; fakes?: FakeOptions; failingRunner?: Error } = {}) {
  let deployed = o.deployed;
  const base = fakeEngines(o.fakes);
  const engines = {
    ...base,
    currentVersion: async () => deployed,
    deploy: async (...a: Parameters<typeof base.deploy>) => {
      const r = await base.deploy(...a);
      deployed = a[1].version;
      return r;
    },
  };
  const root = workspaceAt(ws.root);
  const started: RunbookRunner[] = [];
  let exitCode: number | undefined;
  const services: TuiServices = {
    context: (runbook, env, operator) => loadEngineContext(root, env, { runbook, operator }),
    versions: async (ctx) => ({ available: await engines.availableVersions(ctx), ...(deployed ? { current: deployed } : {}) }),
    runner: (ctx, r) => {
      if (o.failingRunner) {
        const err = o.failingRunner;
        return { ctx, subscribe: () => () => undefined, abort: () => undefined, run: () => Promise.reject(err) } as unknown as RunbookRunner;
      }
      const c = r.setup ? { ...ctx, runbook: { ...ctx.runbook, name: 'demo-setup', steps: [{ id: 'deploy', type: 'deploy' as const, optional: false }, { id: 'backup', type: 'backup' as const, optional: false }] } } : ctx;
      const runner = new RunbookRunner(c, { engines, prompts: r.broker, dryRun: r.dryRun, ...(r.version ? { version: r.version } : {}), yes: Boolean(r.setup), command: 'test', face: 'tui', ...(r.resume ? { resume: true } : {}) });
      started.push(runner);
      return runner;
    },
    feed: () => undefined,
    monitorActions: () => ({ offer: async () => ({ choices: [], skipped: [] }), runningVersion: async () => undefined, sendTest: async () => 'z' }),
    savePrefs: () => undefined,
    interrupted: (ctx) => {
      const st = readRunState(ctx);
      return st && !st.finished && st.result === 'interrupted' ? st : undefined;
    },
    running: () => undefined,
  };
  const ui = renderAt(<App runbooks={runbookChoices(root.runbooksDir)} remembered={{ operator: 'dana', ...(o.env ? { env: o.env } : {}) }} workspace={ws.root} services={services} onExit={(c) => (exitCode = c)} />);
  return { ui, calls: base.calls, started, exit: () => exitCode };
}

describe('the TUI from home', () => {
  it('Given nothing deployed on staging, when the operator starts, then the demo set-up is offered, runs deploy 1.0.0 and a first backup, and the release choice follows', async () => {
    const { ui, calls } = app();
    await ui.waitFor('Operator: dana');
    await ui.press(KEY.enter);
    let f = flat(await ui.waitFor('Nothing is deployed on staging yet.'));
    expect(f).toContain('deploys release 1.0.0 of the embedded dhash service');
    await ui.press('y');
    f = await ui.waitFor('The demo is set up: staging runs 1.0.0 with a verified backup.');
    expect(calls.filter((c) => !c.startsWith('verify'))).toEqual(['deploy:1.0.0', 'backup']);
    expect(f).toContain('enter choose the release to roll out');
    await ui.press(KEY.enter);
    f = await ui.waitFor('Release to roll out on staging (deployed now: 1.0.0)');
    expect(f).toContain('> 1.1.0 (runbook default)');
    expect(f).toContain('1.2.0-failing — a bad release');
    expect(f).toContain('↑↓ choose  enter walk  esc back');
    // Repeated keys in one chunk each count: "jj" moves two (1.1.0 → 1.2.0-failing → 1.0.0).
    await ui.press('jj');
    await ui.waitFor('> 1.0.0');
    await ui.press('jj');
    await ui.waitFor('> 1.2.0-failing');
    await ui.press(KEY.enter);
    await ui.waitFor('enter continue');
    expect(ui.frame()).toContain('dhash on staging · version 1.2.0-failing');
    ui.unmount();
  });

  it('Given production with nothing deployed, then y alone does not set it up; typing "production" does', async () => {
    const { ui, calls } = app({ env: 'production' });
    await ui.waitFor('Operator: dana');
    await ui.press(KEY.enter);
    await ui.waitFor('Nothing is deployed on production yet.');
    expect(flat(ui.frame())).toContain('PRODUCTION: type "production" and enter to set it up');
    await ui.press('y', KEY.enter);
    expect(flat(ui.frame())).toContain('That is not "production"; nothing changed.');
    expect(calls).toEqual([]);
    await ui.press(KEY.backspace, 'production', KEY.enter);
    await ui.waitFor('The demo is set up: production runs 1.0.0');
    expect(calls.filter((c) => !c.startsWith('verify'))).toEqual(['deploy:1.0.0', 'backup']);
    ui.unmount();
  });

  it('Given an interrupted walk in the journal, then home offers to resume it, and r continues from the interrupted step', async () => {
    const first = app({ deployed: '1.0.0', fakes: { deployBlocksUntilAbort: true } });
    await first.ui.waitFor('Operator: dana');
    await first.ui.press(KEY.enter);
    await first.ui.waitFor('Release to roll out');
    await first.ui.press(KEY.enter);
    // No backup yet: b takes it from the checklist.
    await first.ui.waitFor('BLOCKED');
    await first.ui.press('b');
    await first.ui.waitFor('[ok] Latest backup');
    await first.ui.press(KEY.enter);
    await first.ui.waitFor('Deploy operator sign-off');
    await first.ui.press('dana', KEY.enter);
    await first.ui.waitFor('restart');
    await first.ui.press('q');
    await first.ui.waitFor('interrupted');
    first.ui.unmount();

    const second = app({ deployed: '1.0.0' });
    await second.ui.waitFor('Operator: dana');
    await second.ui.press(KEY.enter);
    const f = flat(await second.ui.waitFor('An interrupted walk of dhash on staging was found.'));
    expect(f).toContain('deploying 1.1.0');
    expect(f).toContain('it stopped at step "deploy"');
    await second.ui.press('r');
    await second.ui.waitFor('The walk went through.');
    expect(second.calls.filter((c) => /^(backup|deploy|smoke|monitor)/.test(c))).toEqual(['deploy:1.1.0', 'smoke:post-deploy', 'monitor']);
    expect(second.started[0]!.logPath).toBe(first.started[0]!.logPath);
    second.ui.unmount();
  });

  it('Given a walk that cannot start, then one sentence is shown (no stack) and enter goes back home', async () => {
    const { ui } = app({ deployed: '1.0.0', failingRunner: new UsageError('Missing --version: runbooks/dhash.yaml has no default_version for staging.') });
    await ui.waitFor('Operator: dana');
    await ui.press(KEY.enter);
    await ui.waitFor('Release to roll out');
    await ui.press(KEY.enter);
    const f = flat(await ui.waitFor('Missing --version'));
    expect(f).toContain('Missing --version: runbooks/dhash.yaml has no default_version for staging.');
    expect(f).not.toMatch(/at .*\.(ts|js):\d+/);
    await ui.press(KEY.enter);
    await ui.waitFor('Runbook');
    ui.unmount();
  });
});
