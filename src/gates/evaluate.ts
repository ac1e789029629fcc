// The gate engine as pure functions (after argo-rollouts' analysis): judge each gate over its
// window of observations, decide what the transitions call for, the worst status wins. Source
// failures are their own outcome (error / no-data), never a breach.
import type { Gate } from '../config/gates-schema.js';
import { histogramCount, mergeHistograms, quantile } from './histogram.js';
import type { Evaluation, GateAction, GateDecision, GateState, GateStatus, Observation, HashDelta } from './types.js';

const RANK: Record<GateStatus, number> = { ok: 0, insufficient: 1, 'no-data': 2, warn: 3, error: 4, breach: 5 };

/** The worse of two statuses (breach > error > warn > no-data > insufficient > ok). */
export function worse(a: GateStatus, b: GateStatus): GateStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The value at which a gate starts to warn (warnRatio of the threshold, mirrored for "<"). */
export function warnLevel(gate: Gate): number {
  return gate.comparison === '<' ? gate.threshold / gate.warnRatio : gate.threshold * gate.warnRatio;
}

/** ok, warn or breach for a value against a gate's limits ("more than" trips, as in the seeds). */
export function classify(gate: Gate, value: number): 'ok' | 'warn' | 'breach' {
  const warnAt = warnLevel(gate);
  if (gate.comparison === '<') {
    if (value < gate.threshold) return 'breach';
    return value <= warnAt ? 'warn' : 'ok';
  }
  if (value > gate.threshold) return 'breach';
  return warnAt > 0 && value >= warnAt ? 'warn' : 'ok';
}

/** Index of the first observation with t > from (observations are sorted by t). */
export function firstAfter(obs: readonly Observation[], from: number): number {
  let lo = 0;
  let hi = obs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (obs[mid]!.t > from) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The observations a gate judges at `now`: its window, or the latest one for window 0. */
export function windowOf(gate: Gate, obs: readonly Observation[], now: number): { from: number; items: readonly Observation[] } {
  const end = firstAfter(obs, now);
  if (end === 0) return { from: now, items: [] };
  if (gate.windowMinutes <= 0) return { from: obs[end - 1]!.t, items: obs.slice(end - 1, end) };
  const from = now - gate.windowMinutes * 60_000;
  return { from, items: obs.slice(firstAfter(obs, from), end) };
}

interface Measured {
  value: number | null;
  inputs: Record<string, number | string>;
  empty?: string;
  /** Observations behind the value (undefined: the source did not say). */
  observations?: number;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1);
}

function measure(gate: Gate, items: readonly Observation[]): Measured {
  const good = items.filter((o) => o.source === 'ok');
  switch (gate.aggregate) {
    case 'consecutive_failures': {
      const checks = items.filter((o) => o.health !== undefined);
      if (checks.length === 0) return { value: null, inputs: { checks: 0 }, empty: 'no health checks in the window' };
      let run = 0;
      for (let i = checks.length - 1; i >= 0 && !checks[i]!.health!.ok; i--) run++;
      return { value: run, inputs: { checks: checks.length, consecutive_non_ok: run, last: checks[checks.length - 1]!.health!.detail } };
    }
    case 'ratio': {
      let failed = 0;
      let total = 0;
      let counted = 0;
      for (const o of good) {
        if (o.extractions === undefined) continue;
        counted++;
        total += o.extractions;
        failed += o.failures ?? 0;
      }
      if (total > 0) return { value: (100 * failed) / total, inputs: { failed, total, samples: counted }, observations: total };
      const direct = lastDirect(gate, good);
      if (direct) return direct;
      return { value: null, inputs: { failed, total, samples: counted }, empty: 'no extractions in the window', observations: 0 };
    }
    case 'p95': {
      const parts: HashDelta[] = [];
      for (const o of good) if (o.hash) parts.push(o.hash);
      const merged = mergeHistograms(parts);
      const count = merged ? histogramCount(merged) : 0;
      if (merged && count > 0) return { value: quantile(merged, 0.95), inputs: { observations: count, samples: parts.length }, observations: count };
      const direct = lastDirect(gate, good);
      if (direct) return direct;
      return { value: null, inputs: { observations: 0, samples: parts.length }, empty: 'no hash times in the window', observations: 0 };
    }
    case 'last': {
      const v = lastValue(gate, good);
      return v === undefined ? { value: null, inputs: {}, empty: `no ${gate.signal} reading`, observations: 0 } : { value: v, inputs: { reading: v }, observations: 1 };
    }
    case 'mean':
    case 'max': {
      const vs: number[] = [];
      for (const o of good) {
        const v = o.values[gate.signal];
        if (v !== undefined) vs.push(v);
      }
      if (vs.length === 0) return { value: null, inputs: {}, empty: `no ${gate.signal} readings in the window`, observations: 0 };
      const value = gate.aggregate === 'max' ? Math.max(...vs) : vs.reduce((a, b) => a + b, 0) / vs.length;
      return { value, inputs: { readings: vs.length }, observations: vs.length };
    }
  }
}

/** The newest value a source computed over the window itself (PromQL), with its observation count. */
function lastDirect(gate: Gate, good: readonly Observation[]): Measured | undefined {
  for (let i = good.length - 1; i >= 0; i--) {
    const o = good[i]!;
    const v = o.values[gate.signal];
    if (v === undefined) continue;
    const n = o.counts?.[gate.signal];
    return { value: v, inputs: n === undefined ? { precomputed: v } : { precomputed: v, observations: n }, ...(n !== undefined ? { observations: n } : {}) };
  }
  return undefined;
}

function lastValue(gate: Gate, good: readonly Observation[]): number | undefined {
  for (let i = good.length - 1; i >= 0; i--) {
    const v = good[i]!.values[gate.signal];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Judge one gate at `now` over the kept observations; `prev` is its state after the last evaluation. */
export function judgeGate(gate: Gate, obs: readonly Observation[], now: number, prev?: GateState): GateDecision {
  const { from, items } = windowOf(gate, obs, now);
  const latest = obs.length ? obs[firstAfter(obs, now) - 1] : undefined;
  const m = measure(gate, items);
  const base = {
    gate: gate.name,
    threshold: gate.threshold,
    warnAt: warnLevel(gate),
    comparison: gate.comparison,
    unit: gate.unit,
    action: gate.action,
    window: { minutes: gate.windowMinutes, from, to: now, samples: items.length },
    inputs: m.inputs,
  };
  const limit = `${gate.comparison} ${fmt(gate.threshold)}${gate.unit === '%' ? '%' : ` ${gate.unit}`}`;
  const over = gate.windowMinutes > 0 ? ` over ${fmt(gate.windowMinutes)} min` : ' (latest reading)';
  // The health gate is fed by the health check, which is never a metrics-source outage.
  const usesSource = gate.signal !== 'health';
  if (usesSource && latest && latest.source !== 'ok') {
    const consecutiveErrors = (prev?.consecutiveErrors ?? 0) + 1;
    return { ...base, value: m.value, status: latest.source, consecutiveErrors, reason: `metrics source ${latest.source === 'error' ? 'failed' : 'returned no data'}: ${latest.sourceDetail ?? 'no detail'} (${consecutiveErrors} in a row); not judged` };
  }
  const counted = m.observations !== undefined && gate.minObservations > 0 ? { observations: m.observations, minObservations: gate.minObservations } : {};
  if (m.value === null) return { ...base, ...counted, value: null, status: 'no-data', consecutiveErrors: 0, reason: `no data: ${m.empty ?? 'nothing to measure'}` };
  if (m.observations !== undefined && m.observations < gate.minObservations) {
    return { ...base, ...counted, value: m.value, status: 'insufficient', consecutiveErrors: 0, reason: `${gate.name}: ${fmt(m.observations)} of the ${gate.minObservations} observations needed${over}; not judged yet` };
  }
  const status = classify(gate, m.value);
  const word = status === 'breach' ? 'breach' : status === 'warn' ? 'nearing the limit' : 'within the limit';
  return { ...base, ...counted, value: m.value, status, consecutiveErrors: 0, reason: `${gate.name} ${fmt(m.value)}${gate.unit === '%' ? '%' : ` ${gate.unit}`}${over}: ${word} (trips ${limit})` };
}

/** Enabled gates that never had enough data for a verdict (health keeps its consecutive-count rule): a window ending so is inconclusive. */
export function unjudgedGates(gates: readonly Gate[], states: Readonly<Record<string, GateState>>): Gate[] {
  return gates.filter((g) => g.enabled && g.aggregate !== 'consecutive_failures' && !states[g.name]?.judged);
}

/** The fresh state of a gate that has not been evaluated yet. */
export function initialState(t: number): GateState {
  return { status: 'no-data', since: t, consecutiveErrors: 0, errorAlerted: false, breaches: 0 };
}

/** Evaluate every enabled gate; returns decisions, the worst status, the actions that transitions call for, and the new states. */
export function evaluate(gates: readonly Gate[], obs: readonly Observation[], now: number, prevStates: Readonly<Record<string, GateState>>, seq = 0): Evaluation {
  const decisions: GateDecision[] = [];
  const actions: GateAction[] = [];
  const states: Record<string, GateState> = {};
  let worst: GateStatus = 'ok';
  for (const gate of gates) {
    if (!gate.enabled) continue;
    const prev = prevStates[gate.name] ?? initialState(now);
    const d = judgeGate(gate, obs, now, prev);
    decisions.push(d);
    worst = worse(worst, d.status);
    const next: GateState = {
      status: d.status,
      since: d.status === prev.status ? prev.since : now,
      consecutiveErrors: d.consecutiveErrors,
      errorAlerted: d.consecutiveErrors > 0 ? prev.errorAlerted : false,
      breaches: prev.breaches,
      ...(prev.judged || d.status === 'ok' || d.status === 'warn' || d.status === 'breach' ? { judged: true } : {}),
    };
    if (d.status === 'breach' && prev.status !== 'breach') {
      next.breaches++;
      if (gate.action === 'auto-rollback') actions.push({ kind: 'rollback', gate: gate.name, decision: d, cause: 'breach' });
      else if (gate.action === 'alert') actions.push({ kind: 'alert', gate: gate.name, decision: d, cause: 'breach' });
      else actions.push({ kind: 'log', gate: gate.name, decision: d, cause: 'breach' });
    } else if (d.status === 'warn' && prev.status !== 'warn' && prev.status !== 'breach' && gate.action !== 'log') {
      actions.push({ kind: 'alert', gate: gate.name, decision: d, cause: 'warn' });
    }
    if (d.consecutiveErrors >= gate.errorAlertAfter && !next.errorAlerted && gate.onError !== 'ignore') {
      next.errorAlerted = true;
      actions.push(gate.onError === 'auto-rollback' ? { kind: 'rollback', gate: gate.name, decision: d, cause: 'source-errors' } : { kind: 'alert', gate: gate.name, decision: d, cause: 'source-errors' });
    }
    states[gate.name] = next;
  }
  return { t: now, seq, decisions, worst, actions, states };
}
