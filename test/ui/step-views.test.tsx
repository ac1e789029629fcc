// Given the walk screen fed a scripted stream of runner events, then each step type's live view
// shows what the operator needs: backup progress with bytes, MB/s and the SHA256 once done;
// deploy sub-steps with their states and a live tail of the output (l shows more); 80 columns.
import React from 'react';
import { describe, expect, it } from 'vitest';
import type { RunbookStep } from '../../src/config/runbook-schema.js';
import type { RunnerEvent } from '../../src/usecases/runner.js';
import { PromptBroker } from '../../src/ui/prompt-broker.js';
import { Walk } from '../../src/ui/Walk.js';
import { bar, initialWalk, walkReducer } from '../../src/ui/walk-state.js';
import { renderAt, settle } from './render-at.js';
import { waitUntil } from '../helpers/frames.js';

const steps: RunbookStep[] = [
  { id: 'backup', type: 'backup', optional: false },
  { id: 'deploy', type: 'deploy', optional: false },
];

function scripted() {
  const listeners = new Set<(e: RunnerEvent) => void>();
  let aborted = 0;
  return {
    runner: { subscribe: (fn: (e: RunnerEvent) => void) => (listeners.add(fn), () => listeners.delete(fn)), abort: () => aborted++ },
    emit: async (e: RunnerEvent) => {
      for (const l of listeners) l(e);
      await settle();
    },
    aborted: () => aborted,
  };
}

function render() {
  const s = scripted();
  const ui = renderAt(<Walk runner={s.runner} broker={new PromptBroker()} training={false} operator="eve" initial={initialWalk({ env: 'staging', runbook: 'dhash', dryRun: false, production: false, steps, version: '1.1.0' })} onQuit={() => undefined} />);
  return { ...s, ui };
}

const started: RunnerEvent = { type: 'walk-started', runId: 'r1', logPath: '/ws/logs/run_staging_x.log', env: 'staging', runbook: 'dhash', dryRun: false, production: false, version: '1.1.0', steps, statuses: ['pending', 'pending'], summaries: [undefined, undefined], resumed: false };

describe('step views', () => {
  it('backup: a progress bar with bytes and MB/s, then the SHA256 kept above', async () => {
    const { ui, emit } = render();
    await emit(started);
    await emit({ type: 'step-started', index: 0, step: steps[0]! });
    await emit({ type: 'progress', index: 0, progress: { done: 3 << 20, total: 12 << 20, label: 'deployments/staging/releases/1.1.0' }, bytesPerSecond: 42.5 * (1 << 20) });
    // Wait for the frame (not a fixed sleep): a loaded machine draws later.
    const f = await ui.waitFor(/\[#+·+\]\s+25%\s+3\.0 MB of 12\.0 MB\s+42\.5 MB\/s/);
    expect(f).toContain('deployments/staging/releases/1.1.0');
    expect(f).toContain('1.backup:now 2.deploy:pending');
    await emit({ type: 'step-finished', index: 0, status: 'done', outcome: { summary: 'backups/dhash_staging_20261123_101500.zip (12.0 MB)', backup: { path: 'backups/dhash_staging_20261123_101500.zip', sha256: 'ab'.repeat(32), bytes: 12 << 20, verified: false } } });
    await ui.waitFor(/2\.deploy/);
    // Static output is written once, above the live frame: look for it in every frame written.
    await waitUntil(() => ui.frames.join('\n'), (all) => /SHA256\s+(ab){32}/.test(all), 'the finished backup with its SHA256 in the written frames', { show: () => ui.frame() });
    ui.unmount();
  });

  it('deploy: a state per sub-step and a live tail of the output; l shows more of it', async () => {
    const { ui, emit } = render();
    await emit(started);
    await emit({ type: 'step-started', index: 1, step: steps[1]! });
    await emit({ type: 'substep', index: 1, name: 'validate', status: 'ok', detail: '1.1.0 is available' });
    await emit({ type: 'substep', index: 1, name: 'install', status: 'running' });
    for (let i = 1; i <= 12; i++) await emit({ type: 'output', index: 1, line: `copy line ${i}` });
    let f = await ui.waitFor('| copy line 12');
    expect(f).toContain('ok validate — 1.1.0 is available');
    expect(f).toMatch(/install/);
    expect(f).toContain('| copy line 12');
    expect(f).not.toContain('| copy line 7');
    await ui.press('l');
    f = await ui.waitFor(/\| copy line 1$/m);
    expect(f).toContain('| copy line 1');
    await emit({ type: 'substep', index: 1, name: 'install', status: 'failed', detail: 'disk full' });
    await ui.waitFor('FAILED install — disk full');
    for (const line of ui.frame().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    ui.unmount();
  });

  it('q while a step runs asks the runner to stop after it, and says the walk can be resumed', async () => {
    const { ui, emit, aborted } = render();
    await emit(started);
    await emit({ type: 'step-started', index: 1, step: steps[1]! });
    await ui.press('q');
    expect(aborted()).toBe(1);
    await ui.waitFor('Stopping after this step finishes safely; the walk can be resumed');
    ui.unmount();
  });

  it('a long result (the training debrief) stays on screen in a pager once the walk is over: space pages, k scrolls back', async () => {
    const { ui, emit } = render();
    await emit(started);
    await emit({ type: 'step-started', index: 1, step: steps[1]! });
    const report = Array.from({ length: 40 }, (_, i) => `debrief line ${i + 1}`);
    await emit({ type: 'step-finished', index: 1, status: 'done', outcome: { summary: 'training drill done — SCORE 3/3', report } });
    await emit({ type: 'walk-finished', status: 'ok', exitCode: 0 });
    let f = await ui.waitFor(/lines 1-12 of 40/);
    expect(f).toMatch(/^debrief line 12$/m);
    expect(f).not.toMatch(/^debrief line 13$/m);
    expect(f).toContain('q quit  ? help  ↑↓ scroll  space page');
    await ui.press(' ');
    f = await ui.waitFor(/lines 12-23 of 40/);
    expect(f).toMatch(/^debrief line 23$/m);
    await ui.press('k');
    await ui.waitFor(/lines 11-22 of 40/);
    await ui.press('G');
    f = await ui.waitFor(/lines 29-40 of 40/);
    expect(f).toMatch(/^debrief line 40$/m);
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    ui.unmount();
  });

  it('the reducer keeps the last 200 output lines and a resumed walk keeps earlier summaries', () => {
    let s = initialWalk({ env: 'staging', runbook: 'dhash', dryRun: false, production: false, steps });
    s = walkReducer(s, { ...started, statuses: ['done', 'running'], summaries: ['taken before (before the interruption)', undefined], resumed: true });
    expect(s.steps[0]).toMatchObject({ status: 'done', summary: 'taken before (before the interruption)' });
    expect(s.steps[1]!.status).toBe('pending');
    for (let i = 0; i < 250; i++) s = walkReducer(s, { type: 'output', index: 1, line: `l${i}` });
    expect(s.steps[1]!.output).toHaveLength(200);
    expect(s.steps[1]!.output[0]).toBe('l50');
    expect(bar(5, 10, 10)).toBe('[#####·····]  50%');
    expect(bar(0, undefined, 4)).toBe('[····]');
  });
});
