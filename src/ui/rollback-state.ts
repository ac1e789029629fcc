// The rollback screen's state: SPEC.md's flow as rows, filled from the stage reports of the
// rollback engine (directly, or relayed by the monitor). A pure reducer, tested without rendering.
import { NOBODY_NOTIFIED } from '../notify/summary.js';

/** SPEC.md's auto-rollback flow, in order. */
export const FLOW = [
  { key: 'detected', label: 'Violation detected / rollback requested' },
  { key: 'notify', label: 'Notifications sent (critical)' },
  { key: 'verify', label: 'Backup integrity verified (.sha256)' },
  { key: 'restore', label: 'Rollback executed (archive, restore, restart)' },
  { key: 'version', label: 'Running version read back from the target' },
  { key: 'health', label: 'Consecutive OK health checks' },
  { key: 'smoke', label: 'Smoke tests re-run' },
  { key: 'incident', label: 'Incident created' },
  { key: 'notify-done', label: 'Notifications sent (outcome)' },
] as const;
export type FlowKey = (typeof FLOW)[number]['key'];
export type FlowStatus = 'pending' | 'running' | 'ok' | 'failed' | 'skipped' | 'alert';

/** What caused the rollback. */
export interface RollbackCause {
  trigger: 'auto' | 'manual';
  gate?: string;
  value?: number | null;
  threshold?: number;
  unit?: string;
  note?: string;
}

/** The whole rollback as shown. */
export interface RollbackViewState {
  cause: RollbackCause;
  backup?: string;
  rows: Record<FlowKey, { status: FlowStatus; detail?: string }>;
  healthChecks: string[];
  smoke: string[];
  incidentId?: string;
  done?: { ok: boolean; message: string; noop?: boolean };
}

/** A stage report: a name (engine or monitor vocabulary), a status when known, a detail. */
export interface StageReport {
  name: string;
  status?: 'running' | 'ok' | 'failed' | 'skipped' | 'planned';
  detail?: string;
}

/** The first state. */
export function initialRollback(cause: RollbackCause, backup?: string): RollbackViewState {
  const rows = Object.fromEntries(FLOW.map((f) => [f.key, { status: 'pending' as FlowStatus }])) as RollbackViewState['rows'];
  return { cause, ...(backup ? { backup } : {}), rows, healthChecks: [], smoke: [] };
}

const MAP: Record<string, FlowKey> = {
  requested: 'detected',
  notify: 'notify',
  verify: 'verify',
  archive: 'restore',
  restore: 'restore',
  restart: 'restore',
  version: 'version',
  health: 'health',
  verifying: 'health',
  smoke: 'smoke',
  'smoke-done': 'smoke',
  incident: 'incident',
  'notify-done': 'notify-done',
};

const INC = /INC-\d{8}-\d{6}/;

/** Fold one stage report into the state. */
export function rollbackReducer(s: RollbackViewState, r: StageReport): RollbackViewState {
  const rows = { ...s.rows };
  const detail = r.detail;
  const incident = detail?.match(INC)?.[0];
  const next: RollbackViewState = { ...s, rows, ...(incident ? { incidentId: incident } : {}) };
  if (r.name === 'unavailable') {
    rows.detected = { status: 'failed', detail: detail ?? 'no rollback engine' };
    return { ...next, done: { ok: false, message: `No rollback ran: ${detail ?? 'no rollback engine is wired'}.` } };
  }
  if (r.name === 'failed' || r.name === 'verify-failed') {
    for (const f of FLOW) if (rows[f.key].status === 'running') rows[f.key] = { status: 'failed', ...(detail ? { detail } : {}) };
    return { ...next, done: { ok: false, message: detail ?? 'the rollback failed' } };
  }
  if (r.name === 'verified') {
    for (const f of FLOW) if (rows[f.key].status === 'running') rows[f.key] = { ...rows[f.key], status: 'ok' };
    return { ...next, done: { ok: true, message: detail ?? 'rolled back and verified' } };
  }
  if (r.name === 'nothing-to-do') return { ...next, done: { ok: true, noop: true, message: detail ?? 'nothing to do' } };
  if (r.name === 'resumed') return next;
  if (r.name === 'health-check') return { ...next, healthChecks: [...s.healthChecks, detail ?? ''].slice(-6) };
  const key = MAP[r.name];
  if (!key) return next;
  const status: FlowStatus = r.status === 'planned' ? 'skipped' : (r.status ?? (r.name === 'smoke-done' ? (detail?.startsWith('failed') ? 'failed' : 'ok') : 'running'));
  // Reports without a status (the monitor's) mean the earlier rows are over.
  if (!r.status) {
    const idx = FLOW.findIndex((f) => f.key === key);
    FLOW.forEach((f, i) => {
      if (i < idx && rows[f.key].status === 'running') rows[f.key] = { ...rows[f.key], status: 'ok' };
    });
  }
  // A notification that reached no channel is not "done": it is the one thing the team must see.
  const alert = (key === 'notify' || key === 'notify-done') && status === 'ok' && detail?.startsWith(NOBODY_NOTIFIED);
  if (key === 'detected') rows.detected = { status: 'ok', ...(detail ? { detail } : {}) };
  else rows[key] = { status: alert ? 'alert' : status, ...(detail ? { detail } : rows[key].detail ? { detail: rows[key].detail } : {}) };
  if (key === 'health' && detail && /check \d+|OK|health/i.test(detail) && r.name !== 'verifying') next.healthChecks = [...s.healthChecks, detail].slice(-6);
  if (key === 'smoke' && detail && r.name === 'smoke-done') next.smoke = [...s.smoke, detail];
  return next;
}

/** The status of a row in words (the screen shows colour as well). */
export function flowWord(st: FlowStatus): string {
  return st === 'ok' ? 'done' : st === 'running' ? 'running' : st === 'failed' ? 'FAILED' : st === 'skipped' ? 'skipped' : st === 'alert' ? 'ALERT' : 'pending';
}
