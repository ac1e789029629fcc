// The monitor's decision step, pure: the gate state so far and one new reading in, the new state
// and an ordered list of decisions out (what to journal, show, alert, and whether to roll back).
// No clock, no I/O: the loop (./loop.ts) takes the readings and carries the decisions out through
// the effects (./effects.ts). Also pure: the end-of-window verdict and its one sentence.
import { IN_SENTENCE, elapsed, formatClock, formatValue } from '../../domain/format.js';
import type { Gate } from '../../config/gates-schema.js';
import { evaluate, worse } from '../../gates/evaluate.js';
import type { GateAction, GateState, GateStatus, Observation } from '../../gates/types.js';
import type { Notification } from '../../notify/types.js';
import type { BreachRecord, MonitorEvent, MonitorResult, MonitorSummary } from './types.js';

/** What the decision step carries from one poll to the next. */
export interface DecideState {
  readonly states: Readonly<Record<string, GateState>>;
  /** Some gate is in warn (adaptive polling speeds up). */
  readonly anyWarn: boolean;
  /** When each gate last alerted for warn (dedupe). */
  readonly warnAlertedAt: Readonly<Record<string, number>>;
  /** The newest reason per gate, for an inconclusive window's sentence. */
  readonly lastReasons: Readonly<Record<string, string>>;
}

/** One poll's reading, and what the decision needs to know of the run. */
export interface PollInput {
  gates: readonly Gate[];
  /** Every kept observation, the new one last. */
  observations: readonly Observation[];
  t: number;
  seq: number;
  /** The poll phase at t (journaled with the evaluation). */
  phase: number;
  env: string;
  rollbackAvailable: boolean;
  /** Warn alerts of one gate at most once per this many ms. */
  dedupeMs: number;
  sourceDescription: string;
}

/** What to do, in order. */
export type Decision =
  | { kind: 'journal'; level: 'info' | 'warn' | 'error'; event: string; fields: Record<string, unknown> }
  | { kind: 'emit'; event: MonitorEvent }
  | { kind: 'breach'; record: BreachRecord }
  /** Counted, shown and sent. */
  | { kind: 'alert'; gate: string; cause: GateAction['cause']; message: string; notification: Omit<Notification, 'env'> }
  | { kind: 'rollback'; reason: { gate: string; value: number; threshold: number; unit: string; windowMinutes: number }; note: string };

/** The state of a fresh (or resumed) window. */
export function initialDecideState(states: Record<string, GateState> = {}): DecideState {
  return { states, anyWarn: Object.values(states).some((s) => s.status === 'warn'), warnAlertedAt: {}, lastReasons: {} };
}

/** Judge the gates on the newest reading: the next state and the decisions, in the order to carry them out. */
export function decide(state: DecideState, input: PollInput): { state: DecideState; decisions: Decision[] } {
  const { t, seq } = input;
  const out: Decision[] = [];
  const prev = state.states;
  const ev = evaluate([...input.gates], [...input.observations], t, { ...prev }, seq);
  const lastReasons = { ...state.lastReasons };
  for (const d of ev.decisions) lastReasons[d.gate] = d.reason;
  const warnAlertedAt = { ...state.warnAlertedAt };
  out.push({ kind: 'journal', level: ev.worst === 'breach' ? 'error' : ev.worst === 'ok' ? 'info' : 'warn', event: 'evaluation', fields: { seq, t_ms: t, worst: ev.worst, phase: input.phase, decisions: ev.decisions, states: ev.states } });
  out.push({ kind: 'emit', event: { type: 'evaluation', seq, t, decisions: ev.decisions, worst: ev.worst } });
  for (const d of ev.decisions) {
    const from = prev[d.gate]?.status ?? 'no-data';
    if (from !== d.status) out.push({ kind: 'emit', event: { type: 'gate-state', gate: d.gate, from, to: d.status, decision: d } });
  }
  // One outage alert for all the gates of one source, not one per gate.
  const outage = ev.actions.filter((a) => a.kind === 'alert' && a.cause === 'source-errors');
  for (const a of ev.actions) if (!outage.includes(a)) out.push(...act(a, input, warnAlertedAt));
  if (outage.length) out.push(...outageAlert(outage, input));
  return { state: { states: ev.states, anyWarn: ev.decisions.some((d) => d.status === 'warn'), warnAlertedAt, lastReasons }, decisions: out };
}

function alertOf(a: GateAction, message: string, type: 'gate-warn' | 'gate-breach', severity?: 'warning'): Decision {
  const d = a.decision;
  return { kind: 'alert', gate: a.gate, cause: a.cause, message, notification: { type, message, ...(severity ? { severity } : {}), gate: { name: a.gate, value: d.value, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes } } };
}

function outageAlert(actions: GateAction[], input: PollInput): Decision[] {
  const out: Decision[] = [];
  const names = actions.map((a) => a.gate);
  const d = actions[0]!.decision;
  for (const a of actions) out.push({ kind: 'journal', level: 'warn', event: 'decision', fields: { gate: a.gate, decision: 'alert', cause: 'source-errors', consecutive_errors: a.decision.consecutiveErrors, reason: a.decision.reason } });
  const last = input.observations.at(-1);
  const message = `The metrics source (${input.sourceDescription}) failed ${d.consecutiveErrors} polls in a row (${last?.sourceDetail ?? 'no detail'}): ${names.join(', ')} cannot be judged; this is not a breach and does not roll back by itself.`;
  out.push({ kind: 'alert', gate: names.join(', '), cause: 'source-errors', message, notification: { type: 'gate-warn', severity: 'warning', message, gate: { name: names.join(', '), value: null, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes } } });
  return out;
}

function act(a: GateAction, input: PollInput, warnAlertedAt: Record<string, number>): Decision[] {
  const out: Decision[] = [];
  const d = a.decision;
  const t = input.t;
  const where = `${formatValue(d.value, d.unit, IN_SENTENCE)} against ${a.cause === 'source-errors' ? `${d.consecutiveErrors} source failures in a row` : `a threshold of ${formatValue(d.threshold, d.unit, IN_SENTENCE)}`}`;
  if (a.cause === 'breach' || (a.kind === 'rollback' && a.cause === 'source-errors')) {
    const rec: BreachRecord = { gate: a.gate, at: t, value: d.value, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes, action: a.cause === 'source-errors' ? 'source-errors' : d.action, reason: d.reason };
    if (a.cause === 'breach') out.push({ kind: 'breach', record: rec });
    out.push({
      kind: 'journal',
      level: a.kind === 'log' ? 'warn' : 'error',
      event: 'decision',
      fields: { gate: a.gate, decision: a.kind, cause: a.cause, value: d.value, threshold: d.threshold, unit: d.unit, window_minutes: d.window.minutes, window_samples: d.window.samples, inputs: d.inputs, reason: d.reason, breach: rec },
    });
  } else {
    out.push({ kind: 'journal', level: 'warn', event: 'decision', fields: { gate: a.gate, decision: a.kind, cause: a.cause, value: d.value, threshold: d.threshold, unit: d.unit, window_minutes: d.window.minutes, reason: d.reason, consecutive_errors: d.consecutiveErrors } });
  }
  if (a.kind === 'rollback') {
    if (!input.rollbackAvailable) {
      out.push(alertOf(a, `${a.gate} tripped (${where}) but auto-rollback is unavailable here: roll back by hand (rollout rollback --env ${input.env}).`, 'gate-breach'));
      return out;
    }
    out.push({ kind: 'rollback', reason: { gate: a.gate, value: d.value ?? Number.NaN, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes }, note: d.reason });
    return out;
  }
  if (a.kind === 'alert') {
    // A gate that keeps flapping into warn alerts once per dedupe period, not on every flap.
    if (a.cause === 'warn') {
      const last = warnAlertedAt[a.gate];
      if (last !== undefined && t - last < input.dedupeMs) return out;
      warnAlertedAt[a.gate] = t;
    }
    const type = a.cause === 'warn' ? 'gate-warn' : 'gate-breach';
    const msg = a.cause === 'warn' ? `${a.gate} is nearing its limit: ${where}.` : a.cause === 'source-errors' ? `The metrics source for ${a.gate} keeps failing (${d.reason}); the gate cannot be judged.` : `${a.gate} breached: ${where} (action: alert, no rollback).`;
    out.push(alertOf(a, msg, type, a.cause === 'source-errors' ? 'warning' : undefined));
  }
  return out;
}

/** What the verdict is made of. */
export interface VerdictInput {
  env: string;
  t0: number;
  endAt: number;
  now: number;
  stopped: boolean;
  polls: number;
  sourceProblems: number;
  breaches: readonly BreachRecord[];
  rollbackAvailable: boolean;
  rollback: MonitorSummary['rollback'];
  states: Readonly<Record<string, GateState>>;
  /** Enabled windowed gates that never had enough data for a verdict, and why. */
  unjudged: { gate: string; reason: string }[];
}

/** The end of a window: its result, exit code and the one sentence. */
export function verdict(v: VerdictInput): { result: MonitorResult; exitCode: 0 | 1 | 4; message: string; finalStates: Record<string, GateStatus>; worst: GateStatus } {
  const finalStates: Record<string, GateStatus> = {};
  let worst: GateStatus = 'ok';
  for (const [k, s] of Object.entries(v.states)) {
    finalStates[k] = s.status;
    worst = worse(worst, s.status);
  }
  const failing = v.breaches.filter((b) => b.action === 'auto-rollback' || b.action === 'alert');
  let result: MonitorResult;
  let message: string;
  const rb = v.rollback;
  const first = failing[0] ?? v.breaches[0];
  const breachText = first ? `${first.gate} breached at ${elapsed(first.at, v.t0, v.endAt)} (${formatValue(first.value, first.unit, IN_SENTENCE)}, threshold ${formatValue(first.threshold, first.unit, IN_SENTENCE)}${first.windowMinutes > 0 ? `, ${first.windowMinutes} min window` : ''})` : '';
  if (rb) {
    const verified = rb.ok && rb.healthOk !== false && rb.smokeOk !== false;
    result = verified ? 'rolled-back' : 'rollback-failed';
    const why = rb.trigger === 'manual' ? 'an operator asked for it' : breachText || `${rb.gate ?? 'a gate'} tripped`;
    const resumed = rb.resumed ? ' (the interrupted rollback was finished by --resume)' : '';
    message = verified
      ? `${v.env} was rolled back${rb.dryRun ? ' (simulated, nothing changed)' : ''} because ${why}${resumed}: ${rb.detail}; health and smoke checks pass again${rb.incidentId ? ` (incident ${rb.incidentId})` : ''}.`
      : rb.detail.startsWith('ROLLBACK FAILED')
        ? `${rb.detail.replace(/\.$/, '')} (rolling back because ${why})${resumed}.`
        : `${v.env}: the rollback after ${why} did not verify${resumed}: ${rb.ok ? (rb.healthOk === false ? 'health checks are not OK' : 'smoke tests failed') : rb.detail}.`;
  } else if (v.stopped && v.now < v.endAt) {
    result = 'stopped';
    message = `The monitor of ${v.env} was stopped at ${elapsed(v.now, v.t0, v.endAt)} before the window ended; continue with: rollout monitor --env ${v.env} --resume.`;
  } else if (failing.length) {
    result = 'breached';
    const unavailable = !v.rollbackAvailable && failing.some((b) => b.action === 'auto-rollback');
    message = `${v.env}: ${breachText}${unavailable ? '; auto-rollback is unavailable here, roll back by hand: rollout rollback --env ' + v.env : ''}.`;
  } else if (v.unjudged.length) {
    result = 'inconclusive';
    const u = v.unjudged;
    message = `${v.env}: inconclusive: the ${formatClock(v.endAt - v.t0)} window ended before ${u.length === 1 ? 'gate' : 'gates'} ${u.map((x) => x.gate).join(', ')} had enough data for a verdict (${u.map((x) => `${x.gate}: ${x.reason}`).join('; ')}); nothing was judged passed or failed, watch again or lower min_observations.`;
  } else {
    result = 'passed';
    message = `${v.env} passed its ${formatClock(v.endAt - v.t0)} monitoring window: no gate breached (${v.polls} polls${v.sourceProblems ? `, ${v.sourceProblems} metrics-source problems` : ''}).`;
  }
  return { result, exitCode: result === 'passed' ? 0 : result === 'inconclusive' ? 4 : 1, message, finalStates, worst };
}
