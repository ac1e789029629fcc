// Given recorded monitor windows (real Monitor journals on a fake clock) in a temp workspace, when
// the operator opens the tune view from home (key t), then each gate shows its healthy baseline
// sparkline, threshold, proposal and changed windows, nothing is written until they confirm, and a
// confirmed write changes only the thresholds on disk (production: by typing its name).
import React from 'react';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceAt } from '../../src/config/workspace.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { App, type TuiServices } from '../../src/ui/App.js';
import { TuneView, thresholdSpark } from '../../src/ui/Tune.js';
import { tuneActions } from '../../src/ui/tune-actions.js';
import { runbookChoices } from '../../src/ui/runbook-choices.js';
import { makeWorkspace } from '../helpers/cli.js';
import { shippedEnv } from '../gates/sim.js';
import { healthyMetrics, recordWindows, slowMetrics } from '../usecases/replay-windows.js';
import { KEY, flat, renderAt } from './render-at.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let rec: Awaited<ReturnType<typeof recordWindows>>;
let original: string;

beforeAll(async () => {
  ws = await makeWorkspace();
  const h = { name: 'healthy', world: { metrics: healthyMetrics(1) } };
  rec = await recordWindows(shippedEnv('production'), [h, h, { name: 'slow', world: { metrics: slowMetrics } }, h]);
  cpSync(rec.logsDir, join(ws.root, 'logs'), { recursive: true });
  original = readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8');
}, 60_000);
afterAll(() => {
  rec?.cleanup();
  ws?.cleanup();
});

const ctxOf = (env: string) => loadEngineContext(workspaceAt(ws.root), env, { operator: 'dana' });

describe('thresholdSpark', () => {
  it('scales from 0 to the threshold: a value at or over it is a full block', () => {
    expect(thresholdSpark([0, 500, 1000, 3000], 1000, 10)).toBe('▁▅██');
    expect(thresholdSpark([], 1000, 10)).toBe('···');
  });
});

describe('the tune view', () => {
  it('shows the proposal read-only; w asks first, n changes nothing, y writes and validates', async () => {
    const real = tuneActions({ ...ctxOf('production'), production: false });
    const writes: unknown[] = [];
    let back = 0;
    const ui = renderAt(<TuneView env="production" production={false} configName="quality-gates-config.json" load={real.load} write={async (t) => (writes.push(t), 'Wrote it; validate-config: OK.')} onBack={() => back++} />, 120, 40);
    let f = await ui.waitFor('READ-ONLY', 30_000);
    expect(f).toMatch(/Tune production · from 3 healthy of 4 recorded windows · margin 20 %, steps 10-20 %/);
    expect(f).toMatch(/> health_failures +▁▁▁ +max 0 +2 +keep/);
    expect(f).toMatch(/p95_hash_time +▃▃▃ +p95 487\.5 ms +2000 ms → 1600 ms +0/);
    expect(f).toMatch(/extraction_failure_rate .* 5% → 4%/);
    expect(flat(f)).toContain('Replayed over 4 windows: 0 decided differently, 0 rollbacks avoided, 0 new breaches');
    await ui.press('j', 'j');
    f = await ui.waitFor(/p95_hash_time: 2000 ms -> 1600 ms \(-20 %\)/, 30_000);
    await ui.press('w');
    await ui.waitFor('Write 6 threshold changes to quality-gates-config.json? y write  n cancel', 30_000);
    // The question has the focus: k (the view's "select the gate above") does nothing meanwhile.
    await ui.press('k', 'k');
    await ui.press('n');
    f = await ui.waitFor('READ-ONLY', 30_000);
    expect(f).toMatch(/> p95_hash_time/);
    expect(writes).toHaveLength(0);
    expect(back).toBe(0);
    await ui.press('w', 'y');
    f = flat(await ui.waitFor('WRITTEN to quality-gates-config.json', 30_000));
    expect(f).toContain('Wrote it; validate-config: OK.');
    expect(f).toContain('Commit message: Tune production quality gates from 3 healthy monitor windows');
    expect(writes).toHaveLength(1);
    await ui.press(KEY.escape);
    expect(back).toBe(1);
    ui.unmount();
  }, 120_000);

  it('from home: t opens it; production writes only once its name is typed, and only thresholds change on disk', async () => {
    const root = workspaceAt(ws.root);
    const services = {
      context: (runbook: string, env: string, operator: string) => loadEngineContext(root, env, { runbook, operator }),
      savePrefs: () => undefined,
      running: () => undefined,
    } as unknown as TuiServices;
    const exits: number[] = [];
    const ui = renderAt(<App runbooks={runbookChoices(root.runbooksDir)} remembered={{ operator: 'dana', env: 'production' }} workspace={ws.root} services={services} onExit={(c) => exits.push(c)} />, 120, 40);
    await ui.waitFor('Operator: dana', 30_000);
    await ui.press('t');
    await ui.waitFor('READ-ONLY', 30_000);
    await ui.press('w');
    await ui.waitFor('PRODUCTION: type "production"', 30_000);
    // The typed confirmation has the focus: q is a letter of the name (not the view's back), and
    // Ctrl-C cancels it (not the app's quit).
    await ui.press('q');
    await ui.waitFor(/type "production" .*: q/, 30_000);
    await ui.press(KEY.ctrlC);
    await ui.waitFor((f) => f.includes('READ-ONLY') && !f.includes('PRODUCTION: type'), 30_000, 'the proposal again, the typed confirmation cancelled');
    expect(exits).toEqual([]);
    await ui.press('w');
    await ui.waitFor('PRODUCTION: type "production"', 30_000);
    await ui.press(...'prod', KEY.enter);
    await ui.waitFor(/That is not "production";\s+nothing written\./, 30_000);
    expect(readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8')).toBe(original);
    await ui.press(...'production', KEY.enter);
    const f = flat(await ui.waitFor('WRITTEN to quality-gates-config.json', 30_000));
    expect(f).toContain('Wrote quality-gates-config.json; validate-config: OK (production: 7 gates).');
    const after = readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8');
    const changed = after.split('\n').filter((l, i) => l !== original.split('\n')[i]);
    expect(changed).toHaveLength(6);
    expect(changed.join('\n')).toMatch(/"p95_hash_time": \{ "threshold": 1600,/);
    await ui.press(KEY.escape);
    await ui.waitFor('Operator: dana', 30_000);
    ui.unmount();
  }, 120_000);
});
