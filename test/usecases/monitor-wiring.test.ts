// Where a standalone monitor's PromQL windows start: the newest of the last finished deploy's
// restart (deploy journal) and the last successful rollback's return to health (incidents), read
// from real files in a temp workspace.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceAt, type Workspace } from '../../src/config/workspace.js';
import { openIncident } from '../../src/usecases/incident.js';
import { createMonitorForEnv, watchedSince } from '../../src/usecases/monitor-wiring.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { DrillClock } from '../../src/usecases/drill-clock.js';
import { monitorWorkspace, type MonitorWs } from '../cli/monitor-cli.js';
import { newDeployJournal, writeDeployJournal } from '../../src/steps/deploy-journal.js';

let ws: Workspace | undefined;
let mw: MonitorWs | undefined;
afterEach(async () => {
  if (ws) rmSync(ws.root, { recursive: true, force: true });
  ws = undefined;
  await mw?.cleanup();
  mw = undefined;
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

describe('createMonitorForEnv with a clock injected by the test', () => {
  it('a window on the event clock keeps every poll through a 2.8 s stall of the whole process, and its journal says which clock', async () => {
    mw = await monitorWorkspace({ metricsTimeoutMs: 5000 });
    const ctx = loadEngineContext(workspaceAt(mw.root), 'staging', { operator: 'test' });
    let checks = 0;
    const handle = createMonitorForEnv(
      { ...ctx, monitorClock: new DrillClock(1) },
      {
        rollback: null,
        smoke: null,
        notifier: null,
        // The second health check stalls the process (the fake service too) for 2.8 s of a 3 s window.
        health: async () => {
          if (++checks === 2) {
            const until = Date.now() + 2800;
            while (Date.now() < until);
          }
          return { ok: true, detail: 'ok' };
        },
      },
    );
    const s = await handle.run();
    expect(s.result, s.message).toBe('passed');
    // Every 0.5 s over 3 s, both ends: the whole grid, each sample at its poll's time on the grid.
    const j = mw.journal();
    const samples = j.filter((e) => e.event === 'sample');
    expect(samples.map((e) => (e.t_ms as number) - s.t0)).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000]);
    expect(s.polls).toBe(7);
    expect(j.filter((e) => e.event === 'test-clock')).toHaveLength(1);
  });
});
