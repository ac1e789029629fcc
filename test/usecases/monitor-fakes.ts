// Fakes for the monitor's collaborators, driven by a FakeClock: health and metrics as functions
// of the minute since T0, a rollback runner that counts its calls, a notifier that records.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/logger.js';
import type { EnvironmentGates } from '../../src/config/gates-schema.js';
import { FakeClock } from '../../src/domain/clock.js';
import type { HashDelta } from '../../src/gates/types.js';
import type { MetricSource, SourceOutcome } from '../../src/metrics/types.js';
import type { Notification, Notifier } from '../../src/notify/types.js';
import { Monitor, type MonitorEvent, type MonitorSummary, type ResumeState, type RollbackRequest } from '../../src/usecases/monitor.js';

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

/** What the fake service does at a minute of the window. */
export interface World {
  health?: (m: number) => boolean;
  /** Per-sample metrics (deltas) at minute m since the previous poll at p, or an outage. */
  metrics?: (m: number, p: number | undefined) => SourceOutcome | { values?: Record<string, number>; extractions?: number; failures?: number; hash?: HashDelta };
}

export function fakeSource(clock: FakeClock, world: World): MetricSource {
  let prev: number | undefined;
  return {
    description: 'fake',
    async read() {
      const t = clock.now();
      const m = (t - T0) / MIN;
      const r = world.metrics ? world.metrics(m, prev) : { values: { low_confidence_queue: 1 }, extractions: 100, failures: 0 };
      prev = m;
      if ('status' in r) return r;
      return { status: 'ok', sample: { t, values: r.values ?? {}, ...(r.extractions !== undefined ? { extractions: r.extractions, failures: r.failures ?? 0 } : {}), ...(r.hash ? { hash: r.hash } : {}) } };
    },
  };
}

export interface Rig {
  clock: FakeClock;
  monitor: Monitor;
  events: MonitorEvent[];
  rollbacks: RollbackRequest[];
  notes: Notification[];
  journal: AuditLog;
  dir: string;
  run: () => Promise<MonitorSummary>;
  journalEvents: () => Record<string, unknown>[];
  cleanup: () => void;
}

export function makeRig(gates: EnvironmentGates, world: World, o: { start?: number; resume?: ResumeState; dir?: string; journalPath?: string; rollbackOk?: boolean; healthAfterRollback?: boolean; noRollback?: boolean; durationMinutes?: number } = {}): Rig {
  const clock = new FakeClock(o.start ?? T0);
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'monitor-test-'));
  const journal = AuditLog.open(dir, 'monitor', 'production', { now: () => clock.now(), ...(o.journalPath ? { path: o.journalPath } : {}) });
  const rollbacks: RollbackRequest[] = [];
  const notes: Notification[] = [];
  let rolledBack = false;
  const notifier: Notifier = {
    async send(n) {
      notes.push(n);
      return { notification: n, outcomes: [], ok: true };
    },
  };
  const monitor = new Monitor(
    {
      clock,
      health: async () => {
        const m = (clock.now() - T0) / MIN;
        const ok = rolledBack ? (o.healthAfterRollback ?? true) : (world.health?.(m) ?? true);
        return { ok, detail: ok ? 'HTTP 200' : 'HTTP 503' };
      },
      source: fakeSource(clock, world),
      ...(o.noRollback
        ? {}
        : {
            rollback: async (req: RollbackRequest) => {
              rollbacks.push(req);
              req.onStage('restore', 'restoring the backup');
              await clock.sleep(2000);
              rolledBack = true;
              return { ok: o.rollbackOk ?? true, detail: 'restored 1.0.0', incidentId: 'INC-1' };
            },
          }),
      smoke: async () => ({ ok: true, detail: '4 checks passed' }),
      notifier,
      journal,
    },
    { env: 'production', gates, ...(o.resume ? { resume: o.resume } : {}), ...(o.durationMinutes ? { durationMinutes: o.durationMinutes } : {}), verifyIntervalMs: 1000 },
  );
  const events: MonitorEvent[] = [];
  monitor.subscribe((e) => events.push(e));
  return {
    clock,
    monitor,
    events,
    rollbacks,
    notes,
    journal,
    dir,
    run: () => drive(clock, monitor.run()),
    journalEvents: () =>
      readFileSync(journal.path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    cleanup: () => {
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Advance the fake clock until the promise settles. */
export async function drive<T>(clock: FakeClock, p: Promise<T>, stepMs = 1000, maxMs = 48 * 3600_000): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      error = e;
    },
  );
  let spent = 0;
  while (!done && spent < maxMs) {
    await clock.advance(stepMs);
    spent += stepMs;
  }
  if (error) throw error;
  if (!done) throw new Error('the monitor did not finish');
  return value as T;
}
