// Where a standalone monitor's PromQL windows start: the newest of the last finished deploy's
// restart (deploy journal) and the last successful rollback's return to health (incidents), read
// from real files in a temp workspace.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceAt, type Workspace } from '../../src/config/workspace.js';
import { openIncident } from '../../src/usecases/incident.js';
import { watchedSince } from '../../src/usecases/monitor-wiring.js';
import { newDeployJournal, writeDeployJournal } from '../../src/steps/deploy-journal.js';

let ws: Workspace | undefined;
afterEach(() => {
  if (ws) rmSync(ws.root, { recursive: true, force: true });
});

describe('watchedSince', () => {
  it('nothing known: undefined; a finished deploy: its restart; a later good rollback: its return to health', async () => {
    ws = workspaceAt(mkdtempSync(join(tmpdir(), 'wiring-')));
    mkdirSync(join(ws.root, 'deployments', 'production'), { recursive: true });
    expect(watchedSince(ws, 'production')).toBeUndefined();
    const j = newDeployJournal('production', '1.2.0-slow', '1.0.0', 'ops');
    j.steps.push({ step: 'restart', status: 'started', at: '2026-11-30T10:00:00.000Z' }, { step: 'restart', status: 'ok', at: '2026-11-30T10:00:01.000Z' });
    j.status = 'in-progress';
    writeDeployJournal(ws.root, j);
    // An unfinished deploy says nothing about what runs.
    expect(watchedSince(ws, 'production')).toBeUndefined();
    j.status = 'done';
    writeDeployJournal(ws.root, j);
    expect(watchedSince(ws, 'production')).toEqual({ at: Date.parse('2026-11-30T10:00:00.000Z'), version: '1.2.0-slow' });
    const base = { env: 'production', trigger: { kind: 'auto' as const, gate: 'p95_hash_time', value: 3900, threshold: 2000, unit: 'ms', window_minutes: 15 }, detected_at: '2026-11-30T10:00:20.000Z', logs: [], now: Date.parse('2026-11-30T10:00:31Z') };
    // A rollback that failed restarted nothing healthy: ignored.
    await openIncident(ws, { ...base, rollback_ok: false });
    expect(watchedSince(ws, 'production')?.version).toBe('1.2.0-slow');
    await openIncident(ws, { ...base, healthy_at: '2026-11-30T10:00:30.000Z', rollback_ok: true, version_before: '1.2.0-slow', version_after: '1.0.0', now: Date.parse('2026-11-30T10:00:32Z') });
    expect(watchedSince(ws, 'production')).toEqual({ at: Date.parse('2026-11-30T10:00:30.000Z'), version: '1.0.0' });
    expect(watchedSince(ws, 'staging')).toBeUndefined();
  });
});
