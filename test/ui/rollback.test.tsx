// Given the on-call rollback screen, when the operator answers, then nothing runs before the
// confirmation (y outside production, the typed name in production), and the rollback screen
// follows each stage of SPEC.md's flow with the health checks, smoke results and incident id.
import React from 'react';
import { describe, expect, it } from 'vitest';
import { OnCallRollback, type OnCallServices } from '../../src/ui/OnCallRollback.js';
import { RollbackPanel } from '../../src/ui/RollbackPanel.js';
import { FLOW, initialRollback, rollbackReducer } from '../../src/ui/rollback-state.js';
import { KEY, flat, renderAt } from './render-at.js';
import { turn } from '../helpers/frames.js';

const STAGES = ['notify', 'verify', 'archive', 'restore', 'restart', 'version', 'health', 'smoke', 'incident', 'notify-done'] as const;

const NOW = Date.parse('2026-11-23T10:42:00Z');
function services(calls: string[], o: { fail?: boolean; runs?: string } = {}): OnCallServices {
  return {
    offer: async () => ({
      running: '1.2.0-failing',
      choices: [
        { file: 'backups/dhash_staging_20261123_100000.zip', version: '1.1.0', takenAt: Date.parse('2026-11-23T10:00:00Z'), bytes: 2_400_000, detail: 'sha256 0123456789abcdef… matches its .sha256, zip and 6 manifest entries check out' },
        { file: 'backups/dhash_staging_20261122_080000.zip', version: '1.0.0', takenAt: Date.parse('2026-11-22T08:00:00Z'), bytes: 2_300_000, detail: 'sha256 fedcba9876543210… matches its .sha256, zip and 6 manifest entries check out' },
      ],
      skipped: [],
    }),
    runningVersion: async () => o.runs ?? (calls.at(-1)?.includes('20261122') ? '1.0.0' : '1.1.0'),
    rollback: async (backup, onStage) => {
      calls.push(backup);
      for (const st of STAGES) {
        onStage({ name: st, status: 'running', detail: '' });
        // Each stage a moment later (an event-loop turn), as a real rollback's would be.
        await turn();
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
    const ui = renderAt(<OnCallRollback env="staging" production={false} services={services(calls)} onExit={(c) => (code = c)} now={() => NOW} />);
    const f = flat(await ui.waitFor('restoring'));
    expect(f).toContain('Roll back staging?');
    expect(f).toContain('running 1.2.0-failing → restoring 1.1.0');
    expect(f).toContain('Backup: backups/dhash_staging_20261123_100000.zip, taken 42 min ago (2026-11-23 10:00 UTC), 2.3 MB');
    expect(f).toContain('Verified: sha256 0123456789abcdef… matches');
    expect(f).toContain('On-call rollback · staging · runs 1.2.0-failing');
    expect(f).toContain('↑↓ choose y yes n no');
    expect(f).toContain('Nothing changes until you confirm.');
    await ui.press('n');
    expect(code).toBe(3);
    expect(calls).toEqual([]);
    ui.unmount();
  });

  it('Given staging, j picks the older backup from the list, y runs the rollback of exactly that backup; every stage, the checks, the incident and what runs now show', async () => {
    const calls: string[] = [];
    let code: number | undefined;
    const ui = renderAt(<OnCallRollback env="staging" production={false} services={services(calls)} onExit={(c) => (code = c)} now={() => NOW} />);
    await ui.waitFor('restoring 1.1.0');
    await ui.press('j');
    const picked = flat(await ui.waitFor('restoring 1.0.0'));
    expect(picked).toContain('taken 27 h ago');
    expect(picked).toMatch(/> 1\.0\.0 +27 h ago +2\.2 MB +dhash_staging_20261122_080000\.zip/);
    expect(picked).toContain('Verified backups, newest first (2)');
    await ui.press('y');
    const f = flat(await ui.waitFor('now runs'));
    expect(calls).toEqual(['backups/dhash_staging_20261122_080000.zip']);
    expect(f).toContain('staging now runs 1.0.0.');
    expect(f).toContain('On-call rollback · staging · runs 1.0.0');
    expect(f).toContain('ROLLED BACK');
    for (const label of FLOW.map((x) => x.label)) expect(f).toMatch(new RegExp(`done ${label.replace(/[()/.]/g, '\\$&')}`));
    expect(f).toContain('health OK: HTTP 200');
    expect(f).toContain('Incident: INC-20261123-101500');
    await ui.press('q');
    expect(code).toBe(0);
    ui.unmount();
  });

  it('at 60x24 the finished rollback keeps its title, every stage and what runs now on screen (one row a stage)', async () => {
    const calls: string[] = [];
    const ui = renderAt(<OnCallRollback env="staging" production={false} services={services(calls)} onExit={() => undefined} now={() => NOW} />, 60, 24);
    await ui.waitFor('restoring 1.1.0');
    await ui.press('y');
    const f = await ui.waitFor('now runs');
    expect(f.split('\n').length).toBeLessThanOrEqual(24);
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(f).toContain('ROLLBACK of staging');
    expect(f).toMatch(/On-call rollback · staging · runs (\S+)[\s\S]*staging now runs \1\./);
    for (const label of FLOW.map((x) => x.label)) expect(flat(f)).toContain(label.slice(0, 20));
    ui.unmount();
  });

  it('Given production, y alone does nothing; the environment name typed exactly confirms; a failed stage is shown as FAILED with exit 1', async () => {
    const calls: string[] = [];
    let code: number | undefined;
    const ui = renderAt(<OnCallRollback env="production" production services={services(calls, { fail: true, runs: '1.2.0-failing' })} onExit={(c) => (code = c)} now={() => NOW} />);
    let f = await ui.waitFor('restoring');
    expect(f).toContain('!!! PRODUCTION — changes are real !!!');
    // The confirmation has the focus: q (the screen's quit once over) is a letter of the name here.
    await ui.press('q');
    await ui.waitFor(/type "production" .*: q/);
    expect(code).toBeUndefined();
    await ui.press(KEY.backspace);
    await ui.press('y', KEY.enter);
    await ui.waitFor((f) => flat(f).includes('That is not "production"; nothing changed'), 10_000, 'the note after a wrong name');
    expect(calls).toEqual([]);
    await ui.press(KEY.backspace, 'production', KEY.enter);
    f = flat(await ui.waitFor('now runs'));
    expect(f).toContain('ROLLBACK FAILED');
    expect(f).toContain('production now runs 1.2.0-failing.');
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

describe('notification stages', () => {
  it('NOBODY NOTIFIED replaces "done" when no channel took the notification; named channels read as done', async () => {
    let s = initialRollback({ trigger: 'manual' });
    s = rollbackReducer(s, { name: 'notify', status: 'ok', detail: 'NOBODY NOTIFIED: no channel is set up to take it; written to notifications/fallback/x.json' });
    expect(s.rows.notify.status).toBe('alert');
    s = rollbackReducer(s, { name: 'notify-done', status: 'ok', detail: 'sent via slack, email' });
    expect(s.rows['notify-done'].status).toBe('ok');
    const ui = renderAt(<RollbackPanel s={s} env="staging" animate={false} />);
    const f = flat(ui.frame());
    expect(f).toContain('ALERT NOBODY NOTIFIED (critical) — no channel is set up to take it; written to notifications/fallback/x.json');
    expect(f).not.toContain('Notifications sent (critical)');
    expect(f).toContain('done Notifications sent (outcome) — sent via slack, email');
    ui.unmount();
  });
});
