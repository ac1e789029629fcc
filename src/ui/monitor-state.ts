// The monitor screen's state: the monitor service's event stream folded by a pure reducer (header,
// one row per gate with its history, the selected gate, the latest events, the rollback).
import { ON_SCREEN, formatValue } from '../domain/format.js';
import type { Gate } from '../config/gates-schema.js';
import type { GateStatus } from '../gates/types.js';
import type { MonitorEvent, MonitorSummary } from '../usecases/monitor.js';
import { initialRollback, rollbackReducer, type RollbackViewState } from './rollback-state.js';

/** One gate row. */
export interface GateRow {
  name: string;
  unit: string;
  threshold: number;
  comparison: '>' | '<';
  windowMinutes: number;
  action: string;
  status: GateStatus;
  value: number | null;
  history: number[];
  reason?: string;
}

/** Everything the monitor screen shows. */
export interface MonitorViewState {
  env: string;
  version?: string;
  started: boolean;
  t0: number;
  endAt: number;
  source: string;
  rollbackAvailable: boolean;
  phase: number;
  intervalSeconds?: number;
  adaptive: boolean;
  nextPollAt?: number;
  polls: number;
  /** The latest clock time the monitor reported (events without their own time use it). */
  lastT: number;
  gates: GateRow[];
  selected: number;
  events: { t: number; level: 'info' | 'warn' | 'error'; text: string }[];
  rollback?: RollbackViewState;
  done?: MonitorSummary;
  /** After a rollback: the version the target reports (null: it did not say). */
  runsNow?: string | null;
}

const HISTORY = 120;
// Enough for a whole window's events (the log pane scrolls through them); older ones are in the journal.
const EVENTS = 1000;

/** Before the monitor's start event. */
export function initialMonitor(env: string, version?: string): MonitorViewState {
  return { env, ...(version ? { version } : {}), started: false, t0: 0, endAt: 0, source: '', rollbackAvailable: false, phase: 0, adaptive: false, polls: 0, lastT: 0, gates: [], selected: 0, events: [] };
}

function row(g: Gate): GateRow {
  return { name: g.name, unit: g.unit, threshold: g.threshold, comparison: g.comparison, windowMinutes: g.windowMinutes, action: g.action, status: 'no-data', value: null, history: [] };
}

function addEvent(s: MonitorViewState, t: number, level: 'info' | 'warn' | 'error', text: string): MonitorViewState['events'] {
  return [...s.events, { t, level, text }].slice(-EVENTS);
}

/** Screen-side actions mixed into the same reducer. */
export type MonitorUiEvent =
  | { type: 'ui-select'; delta: number }
  | { type: 'ui-note'; t: number; level: 'info' | 'warn' | 'error'; text: string }
  | { type: 'ui-runs'; version: string | undefined }
  /** A monitor event read back from the journal, stamped with the time it was written. */
  | { type: 'ui-at'; t: number; event: MonitorEvent };

/** Fold one monitor event (or a screen action) into the state. */
export function monitorReducer(s: MonitorViewState, e: MonitorEvent | MonitorUiEvent): MonitorViewState {
  switch (e.type) {
    case 'ui-select':
      return s.gates.length ? { ...s, selected: (s.selected + e.delta + s.gates.length) % s.gates.length } : s;
    case 'ui-runs':
      // Read back from the target after a rollback: the header then names what really runs.
      return { ...s, runsNow: e.version ?? null, ...(e.version ? { version: e.version } : {}) };
    case 'ui-note':
      return { ...s, events: addEvent(s, e.t, e.level, e.text) };
    case 'ui-at':
      // Events without a time of their own take lastT: give them the journal's time instead.
      return { ...monitorReducer({ ...s, lastT: e.t }, e.event), lastT: Math.max(s.lastT, e.t) };
    case 'start':
      return {
        ...s,
        started: true,
        t0: e.t0,
        lastT: Math.max(s.lastT, e.t0),
        endAt: e.endAt,
        source: e.source,
        rollbackAvailable: e.rollbackAvailable,
        gates: e.gates.filter((g) => g.enabled).map((g) => s.gates.find((x) => x.name === g.name) ?? row(g)),
        events: addEvent(s, e.at ?? e.t0, 'info', `${e.resumed ? 'resumed' : 'started'}: watching ${e.gates.filter((g) => g.enabled).length} gates from ${e.source}${e.rollbackAvailable ? '' : '; auto-rollback unavailable'}`),
      };
    case 'sample': {
      const o = e.observation;
      const text = o.source === 'ok' ? null : `poll ${o.seq}: metrics ${o.source}${o.sourceDetail ? ` (${o.sourceDetail})` : ''}`;
      const health = o.health && !o.health.ok ? `poll ${o.seq}: health not OK (${o.health.detail})` : null;
      let events = s.events;
      if (text) events = [...events, { t: o.t, level: 'warn' as const, text }];
      if (health) events = [...events, { t: o.t, level: 'warn' as const, text: health }];
      return { ...s, polls: o.seq, lastT: Math.max(s.lastT, o.t), events: events.slice(-EVENTS) };
    }
    case 'evaluation':
      return {
        ...s,
        lastT: Math.max(s.lastT, e.t),
        gates: s.gates.map((g) => {
          const d = e.decisions.find((x) => x.gate === g.name);
          if (!d) return g;
          const history = d.value === null ? g.history : [...g.history, d.value].slice(-HISTORY);
          return { ...g, status: d.status, value: d.value, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes, history, reason: d.reason };
        }),
      };
    case 'gate-state':
      return { ...s, events: addEvent(s, e.decision.window.to, e.to === 'breach' || e.to === 'error' ? 'error' : e.to === 'warn' ? 'warn' : 'info', `${e.gate}: ${e.from} -> ${e.to} (${formatValue(e.decision.value, e.decision.unit, ON_SCREEN)}, threshold ${formatValue(e.decision.threshold, e.decision.unit, ON_SCREEN)})`) };
    case 'cadence':
      return { ...s, phase: e.phase, intervalSeconds: e.intervalSeconds, adaptive: e.adaptive };
    case 'next-poll':
      return { ...s, nextPollAt: e.at };
    case 'alert':
      return { ...s, events: addEvent(s, s.lastT, 'warn', `alert: ${e.message}`) };
    case 'extend':
      return { ...s, endAt: e.endAt, events: addEvent(s, s.lastT, 'info', `window extended by ${e.minutes} min`) };
    case 'rollback': {
      let rb = s.rollback;
      if (!rb) {
        // The first report names the cause: an auto-rollback says which gate breached.
        const gateName = e.stage === 'requested' ? e.detail?.match(/^(\S+) breached/)?.[1] : undefined;
        const g = gateName ? s.gates.find((x) => x.name === gateName) : undefined;
        rb = initialRollback(gateName ? { trigger: 'auto', gate: gateName, ...(g ? { value: g.value, threshold: g.threshold, unit: g.unit } : {}) } : { trigger: 'manual', ...(e.detail ? { note: e.detail } : {}) });
      }
      // The rollback engine's stages come relayed as "<status>: <detail>" (src/usecases/monitor-rollback.ts).
      const m = e.detail ? /^(running|ok|failed|skipped|planned): ?(.*)$/s.exec(e.detail) : null;
      rb = rollbackReducer(rb, m ? { name: e.stage, status: m[1] as 'running' | 'ok' | 'failed' | 'skipped' | 'planned', ...(m[2] ? { detail: m[2] } : {}) } : { name: e.stage, ...(e.detail ? { detail: e.detail } : {}) });
      return { ...s, rollback: rb, events: addEvent(s, s.lastT, e.stage === 'failed' || e.stage === 'verify-failed' ? 'error' : 'info', `rollback ${e.stage}${e.detail ? `: ${e.detail}` : ''}`) };
    }
    case 'done': {
      let rollback = s.rollback;
      if (rollback && e.summary.rollback) {
        const inc = e.summary.rollback.incidentId;
        rollback = { ...rollback, done: { ok: e.summary.result === 'rolled-back', message: e.summary.message }, ...(inc ? { incidentId: inc } : {}) };
      }
      return { ...s, done: e.summary, ...(rollback ? { rollback } : {}), events: addEvent(s, e.summary.endedAt, e.summary.exitCode ? 'error' : 'info', e.summary.message) };
    }
  }
}

/** The state of a gate in words (colour is extra). */
export function statusWord(st: GateStatus): string {
  return st === 'breach' ? 'BREACH' : st === 'warn' ? 'warn' : st === 'error' ? 'ERROR' : st === 'no-data' ? 'no-data' : st === 'insufficient' ? 'insufficient' : 'ok';
}

/** Colour for a gate state. */
export function statusColor(st: GateStatus): string {
  return st === 'breach' ? 'red' : st === 'error' ? 'magenta' : st === 'warn' ? 'yellow' : st === 'no-data' || st === 'insufficient' ? 'gray' : 'green';
}
