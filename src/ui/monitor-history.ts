// A resumed monitor redrawn from its journal: the journal's lines (logs/monitor_<env>_<ts>.log)
// turned back into the events the screen folds, with the times they happened, so the samples,
// the chart and the events of the window so far are on screen from the resume's first second.
import { existsSync, readFileSync } from 'node:fs';
import type { Gate } from '../config/gates-schema.js';
import type { GateDecision, GateStatus, Observation } from '../gates/types.js';
import type { MonitorEvent } from '../usecases/monitor.js';
import type { MonitorUiEvent } from './monitor-state.js';

type Replayed = MonitorEvent | MonitorUiEvent;

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The events that redraw a window from its journal text (torn or foreign lines are skipped). */
export function journalHistory(text: string): Replayed[] {
  const out: Replayed[] = [];
  const status: Record<string, GateStatus> = {};
  let started = false;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let l: Record<string, unknown>;
    try {
      l = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      continue; // a line torn by a kill: the rest still counts
    }
    const ts = typeof l.ts === 'string' ? Date.parse(l.ts) : Number.NaN;
    const at = Number.isFinite(ts) ? ts : undefined;
    switch (l.event) {
      case 'monitor-start': {
        const t0 = num(l.t0_ms);
        const endAt = num(l.end_at_ms);
        if (t0 === undefined || endAt === undefined) break;
        const gates = Array.isArray(l.gate_config) ? (l.gate_config as Gate[]) : [];
        out.push({ type: 'start', t0, endAt, resumed: false, env: String(l.env ?? ''), source: String(l.source ?? ''), gates, rollbackAvailable: l.rollback_available === true, at: t0 });
        started = true;
        break;
      }
      case 'monitor-resume':
        if (started && at !== undefined) out.push({ type: 'ui-note', t: at, level: 'info', text: 'resumed from the journal' });
        break;
      case 'monitor-stopped':
        if (started && at !== undefined) out.push({ type: 'ui-note', t: at, level: 'warn', text: 'the monitor was stopped (no auto-rollback until it resumed)' });
        break;
      case 'sample': {
        const o = l.observation as Observation | undefined;
        if (started && o && typeof o.t === 'number') out.push({ type: 'sample', observation: o });
        break;
      }
      case 'evaluation': {
        const t = num(l.t_ms);
        const decisions = Array.isArray(l.decisions) ? (l.decisions as GateDecision[]) : [];
        if (!started || t === undefined) break;
        out.push({ type: 'evaluation', seq: num(l.seq) ?? 0, t, decisions, worst: (l.worst as GateStatus) ?? 'ok' });
        // The state changes the live monitor announced, derived from one evaluation to the next.
        for (const d of decisions) {
          const from = status[d.gate] ?? 'no-data';
          if (from !== d.status) out.push({ type: 'gate-state', gate: d.gate, from, to: d.status, decision: d });
          status[d.gate] = d.status;
        }
        break;
      }
      case 'cadence': {
        const interval = num(l.interval_seconds);
        if (started && interval !== undefined) out.push({ type: 'cadence', phase: num(l.phase) ?? 0, intervalSeconds: interval, adaptive: l.adaptive === true });
        break;
      }
      case 'extend': {
        const endAt = num(l.end_at_ms);
        if (started && endAt !== undefined && at !== undefined) out.push({ type: 'ui-at', t: at, event: { type: 'extend', endAt, minutes: num(l.minutes) ?? 0 } });
        break;
      }
      case 'decision':
        if (started && at !== undefined && l.decision === 'alert') out.push({ type: 'ui-at', t: at, event: { type: 'alert', gate: String(l.gate ?? ''), cause: l.cause === 'source-errors' ? 'source-errors' : l.cause === 'warn' ? 'warn' : 'breach', message: String(l.reason ?? '') } });
        break;
      case 'rollback-stage':
        if (started && at !== undefined && typeof l.stage === 'string') out.push({ type: 'ui-at', t: at, event: { type: 'rollback', stage: l.stage, ...(typeof l.detail === 'string' ? { detail: l.detail } : {}) } });
        break;
    }
  }
  return out;
}

/** The journal's text, or nothing when it does not exist yet (a new window). */
export function readJournalText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
