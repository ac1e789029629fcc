// Given the on-call rollback screen, when the operator answers, then nothing runs before the
// confirmation (y outside production, the typed name in production), and the rollback screen
// follows each stage of SPEC.md's flow with the health checks, smoke results and incident id.
import React from 'react';
import { describe, expect, it } from 'vitest';
import { OnCallRollback, type OnCallServices } from '../../src/ui/OnCallRollback.js';
import { FLOW, initialRollback, rollbackReducer } from '../../src/ui/rollback-state.js';
import { KEY, flat, renderAt, tick } from './render-at.js';

const STAGES = ['notify', 'verify', 'archive', 'restore', 'restart', 'health', 'smoke', 'incident', 'notify-done'] as const;

function services(calls: string[], o: { fail?: boolean } = {}): OnCallServices {
  return {
    findBackup: async () => ({ file: 'backups/dhash_staging_20261123_100000.zip', detail: 'newest verified: sha256 0123456789abcdef… matches, zip and 6 manifest entries check out (version 1.0.0)' }),
    rollback: async (backup, onStage) => {
      calls.push(backup);
      for (const st of STAGES) {
        onStage({ name: st, status: 'running', detail: '' });
        await tick(5);
        if (o.fail && st === 'health') {
          onStage({ name: st, status: 'failed', detail: 'HTTP 503 three times' });
          return { ok: false, exitCode: 1, message: 'health checks did not pass after the restore' };
        }
        onStage({ name: st, status: 'ok', detail: st === 'incident' ? 'incidents/INC-20261123-101500' : st === 'smoke' ? '4 checks passed' : `${st} done` });
      }
      onStage({ name: 'health-check', detail: 'OK: HTTP 200, status="ok"' });
      return { ok: true, exitCode: 0, message: 'staging runs 1.0.0 again', incidentId: 'INC-20261123-101500' };
    },
  };
}

describe('on-call rollback screen', () => {
  it('Given staging, it opens on the confirmation naming the newest verified backup; n leaves with exit 3 and nothing run', async () => {
    const calls: string[] = [];
    let code: number | undefined;
    const ui = renderAt(<OnCallRollback env="staging" production={false} services={services(calls)} onExit={(c) => (code = c)} />);
    const f = flat(await ui.waitFor('Restores:'));
    expect(f).toContain('Roll back staging?');
    expect(f).toContain('Restores: backups/dhash_staging_20261123_100000.zip');
    expect(f).toContain('Verification: newest verified: sha256 0123456789abcdef… matches');
    expect(f).toContain('Nothing changes until you confirm.');
    await ui.press('n');
    expect(code).toBe(3);
    expect(calls).toEqual([]);
    ui.unmount();
  });

  it('Given staging, y runs the rollback of exactly that backup and the screen shows every stage, the checks and the incident', async () => {
    const calls: string[] = [];
    let code: number | undefined;
    const ui = renderAt(<OnCallRollback env="staging" production={false} services={services(calls)} onExit={(c) => (code = c)} />);
    await ui.waitFor('Restores:');
    await ui.press('y');
    const f = flat(await ui.waitFor('ROLLED BACK'));
    expect(calls).toEqual(['backups/dhash_staging_20261123_100000.zip']);
    for (const label of FLOW.map((x) => x.label)) expect(f).toMatch(new RegExp(`done ${label.replace(/[()/.]/g, '\\$&')}`));
    expect(f).toContain('health OK: HTTP 200');
    expect(f).toContain('Incident: INC-20261123-101500');
    await ui.press('q');
    expect(code).toBe(0);
    ui.unmount();
  });

  it('Given production, y alone does nothing; the environment name typed exactly confirms; a failed stage is shown as FAILED with exit 1', async () => {
    const calls: string[] = [];
    let code: number | undefined;
    const ui = renderAt(<OnCallRollback env="production" production services={services(calls, { fail: true })} onExit={(c) => (code = c)} />);
    let f = await ui.waitFor('Restores:');
    expect(f).toContain('!!! PRODUCTION — changes are real !!!');
    await ui.press('y', KEY.enter);
    expect(flat(ui.frame())).toContain('That is not "production"; nothing changed');
    expect(calls).toEqual([]);
    await ui.press(KEY.backspace, 'production', KEY.enter);
    f = flat(await ui.waitFor('ROLLBACK FAILED'));
    expect(f).toMatch(/FAILED Consecutive OK health checks — HTTP 503 three times/);
    expect(f).toMatch(/pending Smoke tests re-run/);
    await ui.press(KEY.enter);
    expect(code).toBe(1);
    ui.unmount();
  });
});

describe('rollback state', () => {
  it('monitor stage reports without a status close the earlier rows, and INC ids are picked up from any detail', () => {
    let s = initialRollback({ trigger: 'auto', gate: 'p95_hash_time', value: 2300, threshold: 2000, unit: 'ms' });
    s = rollbackReducer(s, { name: 'requested', detail: 'p95_hash_time breached' });
    s = rollbackReducer(s, { name: 'restore', detail: 'restoring' });
    s = rollbackReducer(s, { name: 'health', detail: 'check 1: OK (HTTP 200); 1/3 in a row' });
    expect(s.rows.restore.status).toBe('ok');
    expect(s.rows.health.status).toBe('running');
    expect(s.healthChecks).toEqual(['check 1: OK (HTTP 200); 1/3 in a row']);
    s = rollbackReducer(s, { name: 'incident', status: 'ok', detail: 'incidents/INC-20261123-101500 written' });
    expect(s.incidentId).toBe('INC-20261123-101500');
    s = rollbackReducer(s, { name: 'verify-failed', detail: 'fewer than 3 OK checks' });
    expect(s.done).toEqual({ ok: false, message: 'fewer than 3 OK checks' });
    expect(s.rows.health.status).toBe('failed');
  });
});
