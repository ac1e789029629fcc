// Headless views of the monitor's events: one compact human line per poll, and the NDJSON
// objects of `rollout monitor --json`. The TUI reads the same events and draws its own.
import { IN_POLL_LINE, elapsed, formatValue, tPlus } from '../domain/format.js';
import type { GateDecision, Observation } from '../gates/types.js';
import type { MonitorEvent, MonitorSummary } from './monitor.js';

const SHORT: Record<string, string> = {
  health_failures: 'streak',
  extraction_failure_rate: 'fail',
  p95_hash_time: 'p95',
  low_confidence_queue: 'queue',
  cpu_percent: 'cpu',
  memory_percent: 'mem',
  disk_used_percent: 'disk',
};

function gateCell(d: GateDecision): string {
  const label = SHORT[d.gate] ?? d.gate;
  const v = d.gate === 'health_failures' ? `${d.value ?? 0}/${d.threshold}` : formatValue(d.value, d.unit, IN_POLL_LINE);
  const flag = d.status === 'ok' ? '' : d.status === 'insufficient' ? ` insufficient (${Math.floor(d.observations ?? 0)}/${d.minObservations ?? 0} obs)` : ` ${d.status === 'breach' ? 'BREACH' : d.status}`;
  return `${label} ${v}${flag}`;
}

/** Renders events as lines; keeps the last observation to print one line per poll. */
export class HeadlessView {
  private t0 = 0;
  private endAt = 0;
  private last: Observation | undefined;
  private nextAt: number | undefined;

  /** Human lines for an event (possibly none). */
  lines(e: MonitorEvent): string[] {
    switch (e.type) {
      case 'start':
        this.t0 = e.t0;
        this.endAt = e.endAt;
        return [`${e.resumed ? 'Resuming' : 'Monitoring'} ${e.env} until ${new Date(e.endAt).toISOString().slice(11, 19)} UTC (${Math.round((e.endAt - e.t0) / 60_000 * 100) / 100} min window) from ${e.source}; gates: ${e.gates.filter((g) => g.enabled).map((g) => `${g.name} > ${g.threshold}${g.unit === '%' ? '%' : ''} → ${g.action}`).join(', ')}${e.rollbackAvailable ? '' : '. Auto-rollback is unavailable here: breaches alert only'}.`, ...(e.warnings ?? []).map((w) => `WARNING: ${w}`)];
      case 'sample':
        this.last = e.observation;
        return [];
      case 'evaluation': {
        const o = this.last;
        const h = o?.health ? (o.health.ok ? 'OK' : `NOT OK (${o.health.detail})`) : '–';
        const src = o && o.source !== 'ok' ? `  metrics ${o.source.toUpperCase()}: ${o.sourceDetail ?? ''}` : '';
        const gates = e.decisions.map(gateCell).join('  ');
        return [`${elapsed(e.t, this.t0, this.endAt)} poll ${e.seq}  health ${h}  ${gates}${src}`];
      }
      case 'cadence':
        return [`  cadence: every ${e.intervalSeconds} s${e.adaptive ? ' (adaptive: a gate is nearing its limit)' : ''}`];
      case 'next-poll':
        this.nextAt = e.at;
        return [];
      case 'gate-state':
        return e.to === 'breach' || e.from === 'breach' ? [`  ${e.gate}: ${e.from} → ${e.to}: ${e.decision.reason}`] : [];
      case 'alert':
        return [`  ALERT ${e.gate}: ${e.message}`];
      case 'rollback':
        return [`  rollback: ${e.stage}${e.detail ? ` — ${e.detail}` : ''}`];
      case 'extend':
        this.endAt = e.endAt;
        return [`  window extended by ${e.minutes} min, now ends ${tPlus(e.endAt, this.t0)}`];
      case 'done':
        // A non-zero ending is said once, on stderr, by the command (SPEC.md: one sentence there).
        return e.summary.exitCode ? [`Journal: ${e.summary.logPath}`] : [e.summary.message, `Journal: ${e.summary.logPath}`];
    }
  }

  /** When the next poll is due (clock ms), if known. */
  get nextPollAt(): number | undefined {
    return this.nextAt;
  }
}

/** The NDJSON object for an event (`rollout monitor --json`), or undefined for events folded into others. */
export function jsonEvent(e: MonitorEvent, t0: number): Record<string, unknown> | undefined {
  switch (e.type) {
    case 'start':
      return { type: 'start', env: e.env, t0: new Date(e.t0).toISOString(), end_at: new Date(e.endAt).toISOString(), resumed: e.resumed, source: e.source, rollback_available: e.rollbackAvailable, ...(e.warnings ? { warnings: e.warnings } : {}) };
    case 'sample':
      return undefined;
    case 'evaluation':
      return {
        type: 'poll',
        seq: e.seq,
        t: new Date(e.t).toISOString(),
        elapsed_s: Math.round((e.t - t0) / 1000),
        worst: e.worst,
        gates: Object.fromEntries(e.decisions.map((d) => [d.gate, { status: d.status, value: d.value, threshold: d.threshold, window_minutes: d.window.minutes, ...(d.observations !== undefined ? { observations: d.observations, min_observations: d.minObservations } : {}) }])),
      };
    case 'cadence':
      return { type: 'cadence', interval_seconds: e.intervalSeconds, adaptive: e.adaptive, phase: e.phase };
    case 'next-poll':
      return undefined;
    case 'gate-state':
      return { type: 'gate-state', gate: e.gate, from: e.from, to: e.to, reason: e.decision.reason };
    case 'alert':
      return { type: 'alert', gate: e.gate, cause: e.cause, message: e.message };
    case 'rollback':
      return { type: 'rollback', stage: e.stage, ...(e.detail ? { detail: e.detail } : {}) };
    case 'extend':
      return { type: 'extend', end_at: new Date(e.endAt).toISOString(), minutes: e.minutes };
    case 'done':
      return undefined;
  }
}

/** The final NDJSON result object. */
export function jsonResult(s: MonitorSummary, logPath: string): Record<string, unknown> {
  return {
    type: 'result',
    ok: s.exitCode === 0,
    exit_code: s.exitCode,
    env: s.env,
    result: s.result,
    message: s.message,
    t0: new Date(s.t0).toISOString(),
    end_at: new Date(s.endAt).toISOString(),
    polls: s.polls,
    breaches: s.breaches.map((b) => ({ gate: b.gate, at: new Date(b.at).toISOString(), value: b.value, threshold: b.threshold, unit: b.unit, window_minutes: b.windowMinutes, action: b.action })),
    ...(s.rollback ? { rollback: s.rollback } : {}),
    alerts: s.alerts,
    source_problems: s.sourceProblems,
    ...(s.unjudged ? { inconclusive: s.unjudged } : {}),
    log: logPath,
  };
}
