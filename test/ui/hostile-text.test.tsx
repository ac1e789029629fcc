// Strings from files, runbooks, journals, service answers and environment names reach the screens
// as they are. Each screen is rendered here with hostile ones (ESC[2J, an OSC title, BEL, CR, a C1
// CSI, a bidi override, a very long name): no frame written may carry a raw control byte, and the
// escaped form (\x1b) is what shows. eslint keeps Ink's own Text out of src/ui (test/lint/safe-text).
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunbookStep } from '../../src/config/runbook-schema.js';
import type { RunnerEvent } from '../../src/usecases/runner.js';
import { Banner } from '../../src/ui/Banner.js';
import { HelpBox } from '../../src/ui/HelpBox.js';
import { Home } from '../../src/ui/Home.js';
import { MonitorFeed } from '../../src/ui/monitor-feed.js';
import { MonitorScreen } from '../../src/ui/Monitor.js';
import { OnCallRollback, type OnCallServices } from '../../src/ui/OnCallRollback.js';
import { Pager } from '../../src/ui/Pager.js';
import { PromptBroker } from '../../src/ui/prompt-broker.js';
import { RollbackPanel } from '../../src/ui/RollbackPanel.js';
import { initialRollback, rollbackReducer } from '../../src/ui/rollback-state.js';
import { TypedConfirm } from '../../src/ui/TypedConfirm.js';
import { Walk } from '../../src/ui/Walk.js';
import { initialWalk } from '../../src/ui/walk-state.js';
import { HOME_KEYS } from '../../src/ui/keymap.js';
import { Text, safeChildren } from '../../src/ui/Text.js';
import { shippedEnv } from '../gates/sim.js';
import { makeRig, type Rig } from '../usecases/monitor-fakes.js';
import { settle, renderAt, type Rendered } from './render-at.js';

const EVIL = `evil\u001b[2J\u001b]0;pwned\u0007\r\u202eolleh\u009b31m${'x'.repeat(200)}`;
// What may not reach the terminal: C0 (but \n and \t), DEL, C1, bidi overrides and isolates.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- Ink's own colours (SGR) are the only escapes allowed
const SGR = /\u001b\[[0-9;]*m/g;

/** Every frame the screen wrote is free of raw control bytes, and the hostile text shows escaped. */
function expectClean(ui: Rendered, what: string): void {
  const all = ui.frames.join('\n');
  const raw = RAW.exec(all.replace(SGR, ''));
  expect(raw, `${what}: a raw ${JSON.stringify(raw?.[0])} in:\n${ui.frame()}`).toBeNull();
  expect(all, `${what}: the hostile text drawn escaped`).toContain('evil\\x1b[2J');
}

let rig: Rig | undefined;
afterEach(() => {
  rig?.cleanup();
  rig = undefined;
});

describe('hostile strings on every screen', () => {
  it('the escaping Text escapes strings, arrays and fragments, and leaves elements to their own Text', () => {
    expect(safeChildren('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    const kids = safeChildren(['x\r', <Text key="k">y</Text>, <React.Fragment key="f">{'z\u202e'}</React.Fragment>]) as React.ReactElement<{ children: unknown }>[];
    expect(kids[0]).toBe('x\\r');
    expect(React.isValidElement(kids[1])).toBe(true);
    expect(kids[2]!.props.children).toBe('z\\u202e');
  });

  it('home: runbook names and titles, environment names, the workspace path', async () => {
    const runbooks = [{ name: EVIL, title: EVIL, file: 'x.yaml', environments: [EVIL, 'staging'], production: [EVIL] }];
    for (const size of [
      [60, 24],
      [160, 48],
    ] as const) {
      const ui = renderAt(<Home runbooks={runbooks} remembered={{ operator: EVIL, env: EVIL }} workspace={EVIL} onDone={() => undefined} />, ...size);
      await settle();
      await ui.press('?');
      expectClean(ui, `home ${size.join('x')}`);
      ui.unmount();
    }
  });

  it('banner, help box, pager and typed confirmation: the environment name and report lines', async () => {
    const ui = renderAt(
      <>
        <Banner training={false} production env={EVIL} dryRun={false} />
        <HelpBox keys={HOME_KEYS} extra={[EVIL]} />
        <Pager title={EVIL} lines={[EVIL, `T+00:01 ${EVIL}`]} height={5} offset={0} />
        <TypedConfirm expected={EVIL} extra={EVIL} onConfirm={() => undefined} onCancel={() => undefined} />
      </>,
    );
    await settle();
    expectClean(ui, 'banner/help/pager/confirm');
    ui.unmount();
  });

  it('walk: step ids, progress labels, sub-step details, command output, summaries', async () => {
    const steps: RunbookStep[] = [
      { id: EVIL, type: 'backup', optional: false },
      { id: 'deploy', type: 'deploy', optional: false },
    ];
    const listeners = new Set<(e: RunnerEvent) => void>();
    const emit = async (e: RunnerEvent): Promise<void> => {
      for (const l of listeners) l(e);
      await settle();
    };
    const ui = renderAt(<Walk runner={{ subscribe: (fn) => (listeners.add(fn), () => listeners.delete(fn)), abort: () => undefined }} broker={new PromptBroker()} training={false} operator={EVIL} initial={initialWalk({ env: EVIL, runbook: EVIL, dryRun: false, production: false, steps, version: EVIL })} onQuit={() => undefined} />);
    await emit({ type: 'walk-started', runId: 'r1', logPath: EVIL, env: EVIL, runbook: EVIL, dryRun: false, production: false, version: EVIL, steps, statuses: ['pending', 'pending'], summaries: [undefined, undefined], resumed: false });
    await emit({ type: 'step-started', index: 0, step: steps[0]! });
    await emit({ type: 'progress', index: 0, progress: { done: 1, total: 2, label: EVIL }, bytesPerSecond: 1 });
    await emit({ type: 'step-finished', index: 0, status: 'done', outcome: { summary: EVIL } });
    await emit({ type: 'step-started', index: 1, step: steps[1]! });
    await emit({ type: 'substep', index: 1, name: EVIL, status: 'failed', detail: EVIL });
    await emit({ type: 'output', index: 1, line: EVIL });
    await ui.waitFor('| evil');
    expectClean(ui, 'walk');
    ui.unmount();
  });

  it('monitor: environment and version, health details, alerts from the metrics source, rollback stages, notes', async () => {
    rig = makeRig(shippedEnv('production'), { metrics: () => ({ values: { low_confidence_queue: 1 } }) });
    const feed = new MonitorFeed(rig.monitor, EVIL, EVIL);
    const ui = renderAt(<MonitorScreen feed={feed} production training={false} now={() => rig!.clock.now()} actions={{ offer: async () => ({ running: EVIL, choices: [], skipped: [{ file: EVIL, reason: EVIL }] }), runningVersion: async () => EVIL, sendTest: async () => EVIL }} onQuit={() => undefined} />, 100, 40);
    feed.dispatch({ type: 'sample', observation: { seq: 1, t: rig.clock.now(), health: { ok: false, detail: EVIL }, source: 'error', values: {}, sourceDetail: EVIL } });
    feed.dispatch({ type: 'alert', gate: EVIL, cause: 'source-errors', message: EVIL });
    feed.dispatch({ type: 'ui-note', t: rig.clock.now(), level: 'warn', text: EVIL });
    feed.dispatch({ type: 'rollback', stage: 'requested', detail: EVIL });
    await settle();
    await ui.waitFor('evil');
    expectClean(ui, 'monitor');
    ui.unmount();
  });

  it('on-call rollback and its panel: backup names and details, stage details, what runs now', async () => {
    const services: OnCallServices = {
      offer: async () => ({ running: EVIL, choices: [{ file: EVIL, version: EVIL, takenAt: 0, bytes: 1, detail: EVIL }], skipped: [{ file: EVIL, reason: EVIL }] }),
      runningVersion: async () => EVIL,
      rollback: async (_b, onStage) => {
        onStage({ name: 'restore', status: 'failed', detail: EVIL });
        return { ok: false, exitCode: 1, message: EVIL };
      },
    };
    const ui = renderAt(<OnCallRollback env={EVIL} production={false} services={services} onExit={() => undefined} now={() => 0} />);
    await ui.waitFor('evil');
    expectClean(ui, 'on-call confirmation');
    ui.unmount();
    let s = initialRollback({ trigger: 'manual' });
    s = rollbackReducer(s, { name: 'requested', detail: EVIL });
    s = rollbackReducer(s, { name: 'health', detail: EVIL });
    s = rollbackReducer(s, { name: 'verify-failed', detail: EVIL });
    const panel = renderAt(<RollbackPanel s={s} env={EVIL} animate={false} />);
    await settle();
    expectClean(panel, 'rollback panel');
    panel.unmount();
  });
});
