// Replay: what would a candidate config have decided on the monitor windows we actually had?
// Each journal (logs/monitor_<env>_<ts>.log) is streamed line by line and its samples are run, in
// order and at their recorded poll times, through the pure gate engine twice: with the gates the
// window ran under (to prove the replay reproduces the recorded decision) and with the candidate's.
// One window is held in memory at a time, so a thousand windows replay in flat memory.
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { AGGREGATES, GATE_ACTIONS, KNOWN_GATES, SIGNALS, type EnvironmentGates, type Gate } from '../config/gates-schema.js';
import { evaluate, unjudgedGates } from '../gates/evaluate.js';
import { ObservationHistory } from '../gates/history.js';
import type { GateDecision, GateState, GateStatus, Observation } from '../gates/types.js';
import type { Workspace } from '../config/workspace.js';
import { listIncidentIds, readIncident, type IncidentRecord } from './incident.js';
import { formatClock, windowProgress } from '../domain/format.js';

/** One poll of a recorded window: what was observed, and whether the monitor judged it. */
export interface RecordedPoll {
  seq: number;
  t: number;
  observation: Observation;
  /** The monitor journaled an evaluation of this poll (a kill can leave a sample unjudged). */
  evaluated: boolean;
  /** What the monitor decided per gate at this poll (status and value), when evaluated. */
  decisions?: { gate: string; status: GateStatus; value: number | null }[];
}

/** A breach (or an auto-rollback for source errors) as it happened or as a replay finds it. */
export interface BreachAt {
  gate: string;
  /** Poll number. */
  poll: number;
  at: number;
  tPlus: string;
  value: number | null;
  threshold: number;
  unit: string;
  /** The gate's action, or 'source-errors' for an outage rollback. */
  action: Gate['action'] | 'source-errors';
}

/** How a window ended, recorded or replayed. */
export type Outcome = 'passed' | 'breach' | 'insufficient' | 'inconclusive' | 'manual-rollback' | 'stopped' | 'unfinished';

/** A verdict on one window. */
export interface Verdict {
  outcome: Outcome;
  /** The breach that decided the window (the rollback's, else the first that fails it). */
  breach?: BreachAt;
  /** An automatic rollback was (or would have been) started. */
  rollback: boolean;
  /** Every breach transition (log-only gates included), in order. */
  breaches: BreachAt[];
  /** Polls judged. */
  polls: number;
  /** Gates still without enough data at the last judged poll (the #14 "insufficient" state). */
  insufficient: string[];
  /** Set when the verdict covers only part of the planned window (it ended early when recorded). */
  partial?: string;
  /** The recorded monitor result word (recorded verdicts only). */
  result?: string;
}

/** One replayed window. */
export interface ReplayedWindow {
  id: string;
  file: string;
  started: string;
  version: string | null;
  durationMinutes: number;
  recorded: Verdict;
  candidate: Verdict;
  /** Replaying with the gates the window ran under reproduced the recorded decision at the same poll; null when the journal does not say which gates those were. */
  reproduced: boolean | null;
  /** Where the window's own gates came from: the journal's full gate_config, or reconstructed from its summary (older journals). */
  recordedConfig: 'journal' | 'approximate';
  /** The candidate decides differently (outcome, deciding gate or poll). */
  changed: boolean;
  /** Candidate breach time minus recorded breach time (seconds); negative is earlier. */
  shiftSeconds?: number;
  incident?: { id: string; falsePositive: boolean; status: string };
}

/** What changes, over all windows. */
export interface ReplaySummary {
  env: string;
  candidate: string;
  since: string | null;
  windows: number;
  reproduced: { exact: number; of: number; mismatched: string[]; approximate: number };
  changed: number;
  rollbacksAvoided: { id: string; version: string | null; gate: string; tPlus: string }[];
  newBreaches: { id: string; version: string | null; gate: string; tPlus: string; rollback: boolean }[];
  falsePositives: number;
  falsePositivesAvoided: { incident: string; id: string }[];
  falsePositivesStillTripped: { incident: string; id: string; gate: string }[];
  shifts: { id: string; version: string | null; gate: string; recordedGate: string; recorded: string; candidate: string; seconds: number }[];
  /** Windows whose journal could not be replayed (damaged or foreign content), with why. */
  unreadable: { id: string; reason: string }[];
}

/** The replay of an environment. */
export interface ReplayResult {
  windows: ReplayedWindow[];
  summary: ReplaySummary;
}

/** A recorded window as read from its journal. */
export interface RecordedWindow {
  id: string;
  file: string;
  t0: number;
  endAt: number;
  version: string | null;
  /** The gates in force from a poll on (a resume may change them). */
  configs: { fromSeq: number; gates: Gate[]; exact: boolean }[];
  rollbackAvailable: boolean;
  polls: RecordedPoll[];
  recordedBreaches: BreachAt[];
  rollbackStart?: { trigger: 'auto' | 'manual'; gate?: string; at: number; poll: number };
  result?: string;
  /** The gates the monitor said never had enough data (an inconclusive window). */
  unjudged?: string[];
  incidentId?: string;
}

type Line = Record<string, unknown> & { event?: string };


/** A gate from a journal: the full resolved gate when present, else rebuilt from the summary older journals wrote. */
const ACTIONS: readonly unknown[] = GATE_ACTIONS;
const ON_ERROR: readonly unknown[] = ['ignore', 'alert', 'auto-rollback'];
const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A journaled gate as the engine needs it; anything else (a hand-edited or foreign journal) is not trusted. */
function isGate(g: unknown): g is Gate {
  if (!g || typeof g !== 'object') return false;
  const x = g as Record<string, unknown>;
  return typeof x.name === 'string' && num(x.threshold) && num(x.windowMinutes) && num(x.warnRatio) && num(x.errorAlertAfter) && typeof x.enabled === 'boolean' && typeof x.unit === 'string' && (SIGNALS as readonly unknown[]).includes(x.signal) && (AGGREGATES as readonly unknown[]).includes(x.aggregate) && (x.comparison === '>' || x.comparison === '<') && ACTIONS.includes(x.action) && ON_ERROR.includes(x.onError) && (x.minObservations === undefined || num(x.minObservations));
}

function gatesFromStart(l: Line): { gates: Gate[]; exact: boolean } | undefined {
  if (Array.isArray(l.gate_config) && l.gate_config.every(isGate)) return { gates: l.gate_config, exact: true };
  if (!Array.isArray(l.gates)) return undefined;
  const gates: Gate[] = [];
  for (const g of l.gates as Record<string, unknown>[]) {
    const name = String(g.name);
    const known = Object.hasOwn(KNOWN_GATES, name) ? KNOWN_GATES[name] : undefined;
    if (!known) continue; // a custom gate's signal and aggregate were not journaled: it cannot be rebuilt
    if (!num(g.threshold)) continue;
    gates.push({
      name,
      threshold: g.threshold,
      windowMinutes: Number(g.window_minutes ?? 0),
      action: (g.action as Gate['action']) ?? 'alert',
      enabled: g.enabled !== false,
      warnRatio: 0.8,
      signal: known.signal,
      aggregate: known.aggregate,
      comparison: '>',
      onError: (g.on_error as Gate['onError']) ?? 'alert',
      errorAlertAfter: 3,
      // Journals this old were judged without a minimum number of observations.
      minObservations: 0,
      unit: known.unit,
    });
  }
  return { gates, exact: false };
}

function toBreach(b: Record<string, unknown>, poll: number, t0: number): BreachAt {
  const at = Number(b.at);
  return { gate: String(b.gate), poll, at, tPlus: formatClock(at - t0), value: typeof b.value === 'number' ? b.value : null, threshold: Number(b.threshold), unit: String(b.unit ?? ''), action: b.action as BreachAt['action'] };
}

/** The monitor journals of an environment, oldest first. */
export function monitorJournals(logsDir: string, env: string): string[] {
  if (!existsSync(logsDir)) return [];
  const re = new RegExp(`^monitor_${env.replace(/[^a-z0-9-]/g, '')}_\\d{8}_\\d{6}\\.log$`);
  return readdirSync(logsDir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(logsDir, f));
}

/**
 * The windows of one journal, streamed: usually one, more when two monitors shared a file (a
 * second monitor-start without a resume). Torn or foreign lines are skipped.
 */
export async function* readWindows(file: string, o: { decisions?: boolean } = {}): AsyncGenerator<RecordedWindow> {
  const base = basename(file).replace(/\.log$/, '');
  let w: RecordedWindow | undefined;
  let n = 0;
  let lastEvalSeq = 0;
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lastEvalRaw: string | undefined;
  for await (const raw of rl) {
    if (!raw) continue;
    // Evaluations are most of a journal's bytes and replay recomputes them: only their poll number
    // is read (the line as written by AuditLog), unless every recorded decision is wanted.
    if (!o.decisions && w) {
      // Only a whole line counts: a kill can tear the last one, or glue a torn one to the next line.
      const m = raw.endsWith('}') && raw.indexOf('{"ts":"', 1) < 0 ? EVAL_LINE.exec(raw) : null;
      if (m) {
        const seq = Number(m[1]);
        const p = w.polls.findLast((x) => x.seq === seq);
        if (p) {
          p.evaluated = true;
          lastEvalSeq = seq;
          lastEvalRaw = raw;
        }
        continue;
      }
    }
    let l: Line;
    try {
      l = JSON.parse(raw) as Line;
    } catch {
      continue;
    }
    switch (l.event) {
      case 'monitor-start': {
        if (w) yield finishWindow(w, lastEvalRaw);
        lastEvalRaw = undefined;
        n++;
        const cfg = gatesFromStart(l);
        w = {
          id: n === 1 ? base : `${base}#${n}`,
          file,
          t0: Number(l.t0_ms),
          endAt: Number(l.end_at_ms),
          version: typeof l.version === 'string' ? l.version : null,
          configs: cfg ? [{ fromSeq: 1, ...cfg }] : [],
          rollbackAvailable: l.rollback_available !== false,
          polls: [],
          recordedBreaches: [],
        };
        lastEvalSeq = 0;
        break;
      }
      case 'monitor-resume': {
        if (!w) break;
        const cfg = gatesFromStart(l);
        if (cfg) w.configs.push({ fromSeq: Number(l.seq) + 1, ...cfg });
        if (typeof l.rollback_available === 'boolean') w.rollbackAvailable = l.rollback_available;
        if (Number.isFinite(Number(l.end_at_ms))) w.endAt = Number(l.end_at_ms);
        break;
      }
      case 'extend':
        if (w && Number.isFinite(Number(l.end_at_ms))) w.endAt = Number(l.end_at_ms);
        break;
      case 'sample': {
        const o = l.observation as Observation | undefined;
        if (!w || !o || typeof o !== 'object' || !num(o.t) || !num(o.seq)) break;
        // The engine reads `values` by signal: a sample without an object there has no readings.
        if (!o.values || typeof o.values !== 'object') o.values = {};
        w.polls.push({ seq: o.seq, t: o.t, observation: o, evaluated: false });
        w.version ??= typeof l.version === 'string' ? l.version : null;
        break;
      }
      case 'evaluation': {
        if (!w) break;
        const seq = Number(l.seq);
        const p = w.polls.findLast((x) => x.seq === seq);
        if (!p) break;
        p.evaluated = true;
        lastEvalSeq = seq;
        if (Array.isArray(l.decisions)) p.decisions = (l.decisions as GateDecision[]).map((d) => ({ gate: d.gate, status: d.status, value: d.value }));
        break;
      }
      case 'decision':
        if (w && l.cause === 'breach' && l.breach && typeof l.breach === 'object') w.recordedBreaches.push(toBreach(l.breach as Record<string, unknown>, lastEvalSeq, w.t0));
        // An outage rollback decides the window only where an engine could run it (else it alerted).
        else if (w && w.rollbackAvailable && l.cause === 'source-errors' && l.decision === 'rollback' && l.breach && typeof l.breach === 'object') w.recordedBreaches.push(toBreach(l.breach as Record<string, unknown>, lastEvalSeq, w.t0));
        break;
      case 'rollback-start':
        if (w && !w.rollbackStart) w.rollbackStart = { trigger: l.trigger === 'manual' ? 'manual' : 'auto', ...(typeof l.gate === 'string' ? { gate: l.gate } : {}), at: Number(l.at_ms), poll: lastEvalSeq };
        break;
      case 'rollback-engine':
      case 'rollback-done':
        if (w && typeof l.incident === 'string') w.incidentId = l.incident;
        break;
      case 'monitor-done': {
        if (!w) break;
        w.result = String(l.result ?? 'unknown');
        // An inconclusive window names the gates that never had enough data.
        const u = (l.summary as { unjudged?: { gate?: unknown }[] } | undefined)?.unjudged;
        if (Array.isArray(u)) w.unjudged = u.map((x) => String(x.gate));
        break;
      }
      case 'monitor-stopped':
        if (w) w.result = 'stopped';
        break;
    }
  }
  if (w) yield finishWindow(w, lastEvalRaw);
}

const EVAL_LINE = /^\{"ts":"[^"]*","level":"\w+","event":"evaluation","env":"[^"]*","run_id":"[^"]*","seq":(\d+),/;

/** The last judged poll's decisions, parsed once, for the "insufficient" gates of the verdict. */
function finishWindow(w: RecordedWindow, lastEvalRaw: string | undefined): RecordedWindow {
  if (!lastEvalRaw) return w;
  let l: Line;
  try {
    l = JSON.parse(lastEvalRaw) as Line;
  } catch {
    // A torn last evaluation was never read back by the monitor either: that poll was not judged.
    const seq = Number(EVAL_LINE.exec(lastEvalRaw)?.[1]);
    const p = w.polls.findLast((x) => x.seq === seq);
    if (p) p.evaluated = false;
    return w;
  }
  const p = w.polls.findLast((x) => x.seq === Number(l.seq));
  if (p && Array.isArray(l.decisions)) p.decisions = (l.decisions as GateDecision[]).map((d) => ({ gate: d.gate, status: d.status, value: d.value }));
  return w;
}

/** The recorded verdict: the journal's own account of the window. */
export function recordedVerdict(w: RecordedWindow): Verdict {
  const judged = w.polls.filter((p) => p.evaluated).length;
  const failing = w.recordedBreaches.filter((b) => b.action === 'auto-rollback' || b.action === 'alert' || b.action === 'source-errors');
  const rb = w.rollbackStart;
  const auto = rb?.trigger === 'auto';
  const deciding = auto ? (failing.find((b) => b.gate === rb.gate && (b.action === 'auto-rollback' || b.action === 'source-errors')) ?? failing[0]) : failing[0];
  const last = w.polls.filter((p) => p.evaluated).at(-1);
  const insufficient = w.unjudged ?? (last?.decisions ?? []).filter((d) => d.status === 'insufficient').map((d) => d.gate);
  let outcome: Outcome;
  if (deciding) outcome = 'breach';
  else if (rb?.trigger === 'manual') outcome = 'manual-rollback';
  else if (w.result === 'passed') outcome = 'passed';
  else if (w.result === 'inconclusive') outcome = 'inconclusive';
  else if (w.result === 'stopped') outcome = 'stopped';
  else outcome = 'unfinished';
  return { outcome, ...(deciding ? { breach: deciding } : {}), rollback: auto, breaches: w.recordedBreaches, polls: judged, insufficient, ...(w.result ? { result: w.result } : {}) };
}

/** The gates in force at a poll. */
function gatesAt(w: RecordedWindow, seq: number): Gate[] | undefined {
  let g: Gate[] | undefined;
  for (const c of w.configs) if (c.fromSeq <= seq) g = c.gates;
  return g ?? w.configs[0]?.gates;
}

/** What the replay of one window yields, per poll when asked for (tests of exactness). */
export interface ReplayRun {
  verdict: Verdict;
  evaluations: { seq: number; decisions: { gate: string; status: GateStatus; value: number | null }[] }[];
}

/**
 * Run a window's polls through the gates, as the monitor does: judged at the recorded poll times,
 * stopping where the monitor would stop (a rollback started, or an auto-rollback breach with no
 * engine to run it). `gates` is a function so that the window's own config can change at a resume.
 */
export function replayWindow(w: RecordedWindow, gatesFor: (seq: number) => Gate[] | undefined, o: { keepEvaluations?: boolean; noStop?: boolean } = {}): ReplayRun {
  const evaluations: ReplayRun['evaluations'] = [];
  let states: Record<string, GateState> = {};
  const breaches: BreachAt[] = [];
  let rollback: BreachAt | undefined;
  let polls = 0;
  let history: ObservationHistory | undefined;
  let keep = -1;
  let stoppedAt: number | undefined;
  for (const p of w.polls) {
    const gates = gatesFor(p.seq) ?? [];
    const need = Math.max(1, ...gates.map((g) => g.windowMinutes)) * 60_000 + 60_000;
    if (need > keep) {
      // A longer window needs more kept history: rebuild (rare; only when a config change widens it).
      const old = history?.all() ?? [];
      history = new ObservationHistory(need);
      for (const x of old) history.push(x);
      keep = need;
    }
    history!.push(p.observation);
    if (!p.evaluated) continue;
    polls++;
    const ev = evaluate(gates, history!.all(), p.t, states, p.seq);
    states = ev.states;
    if (o.keepEvaluations) evaluations.push({ seq: p.seq, decisions: ev.decisions.map((d) => ({ gate: d.gate, status: d.status, value: d.value })) });
    for (const a of ev.actions) {
      const d = a.decision;
      if (a.cause === 'breach' || (a.kind === 'rollback' && a.cause === 'source-errors' && w.rollbackAvailable)) {
        const b: BreachAt = { gate: a.gate, poll: p.seq, at: p.t, tPlus: formatClock(p.t - w.t0), value: d.value, threshold: d.threshold, unit: d.unit, action: a.cause === 'source-errors' ? 'source-errors' : d.action };
        breaches.push(b);
        if (a.kind === 'rollback' && w.rollbackAvailable) rollback ??= b;
      }
    }
    // The monitor stops polling once a rollback starts, or once an auto-rollback gate breached with no engine.
    if (!o.noStop && (rollback || (!w.rollbackAvailable && breaches.some((b) => b.action === 'auto-rollback')))) {
      stoppedAt = p.t;
      break;
    }
  }
  const failing = breaches.filter((b) => b.action === 'auto-rollback' || b.action === 'alert' || b.action === 'source-errors');
  const deciding = rollback ?? failing[0];
  // As the monitor: a gate that never had enough data in the whole window makes it inconclusive.
  const insufficient = unjudgedGates(gatesFor(w.polls.at(-1)?.seq ?? 0) ?? [], states).map((g) => g.name);
  const lastT = w.polls.filter((p) => p.evaluated).at(-1)?.t;
  // A window recorded only up to a rollback or a stop: the candidate's "passed" covers what was recorded,
  // and it cannot be inconclusive (the monitor would have gone on polling).
  const partial = !deciding && stoppedAt === undefined && lastT !== undefined && lastT < w.endAt;
  let outcome: Outcome = deciding ? 'breach' : insufficient.length && !partial ? 'inconclusive' : 'passed';
  if (!deciding && lastT === undefined) outcome = 'unfinished';
  const verdict: Verdict = { outcome, ...(deciding ? { breach: deciding } : {}), rollback: Boolean(rollback), breaches, polls, insufficient };
  if (partial) verdict.partial = `judged on the ${polls} polls recorded, up to ${windowProgress(lastT - w.t0, w.endAt - w.t0)}`;
  return { verdict, evaluations };
}

/** Whether the candidate decides a window differently from the record (a manual rollback or a stop is not the gates' decision). */
export function decidesDifferently(recorded: Verdict, candidate: Verdict): boolean {
  const judgedByGates = recorded.outcome === 'passed' || recorded.outcome === 'breach' || recorded.outcome === 'inconclusive' || recorded.outcome === 'insufficient';
  if (judgedByGates) return !sameDecision(recorded, candidate);
  const key = (v: Verdict): string => (v.breach ? `${v.breach.gate}@${v.breach.poll}/${v.rollback}` : '-');
  return key(recorded) !== key(candidate);
}

function sameDecision(a: Verdict, b: Verdict): boolean {
  if (a.outcome !== b.outcome || a.rollback !== b.rollback) return false;
  if (!a.breach || !b.breach) return !a.breach && !b.breach;
  return a.breach.gate === b.breach.gate && a.breach.poll === b.breach.poll && a.breach.action === b.breach.action;
}

/** Whether a replayed verdict reproduces the recorded one (the same decision at the same poll). */
export function reproduces(recorded: Verdict, replayed: Verdict): boolean {
  // A window that did not end by itself (stopped, killed, operator rollback): only the breaches can be compared.
  if (recorded.outcome === 'manual-rollback' || recorded.outcome === 'stopped' || recorded.outcome === 'unfinished') {
    return !replayed.rollback && keys(recorded) === keys(replayed);
  }
  return sameDecision(recorded, replayed) && keys(recorded) === keys(replayed);
}

function keys(v: Verdict): string {
  return v.breaches.map((b) => `${b.gate}@${b.poll}/${b.action}`).join();
}

/** Options of replayEnvironment. */
export interface ReplayOptions {
  env: string;
  logsDir: string;
  /** The candidate's resolved gates for the environment. */
  candidate: EnvironmentGates;
  /** How the candidate is named in the summary (a file, or "the current config"). */
  candidateLabel: string;
  /** ISO date: only windows that started at or after it. */
  since?: string;
  incidents?: IncidentRecord[];
  /** Called per replayed window (streaming output); windows are not kept when `keep` is false. */
  onWindow?: (w: ReplayedWindow) => void;
  keep?: boolean;
}

/** The incident a window led to: by the id the journal recorded, else by the incident's copy of the journal. */
export function incidentFor(w: RecordedWindow, incidents: IncidentRecord[]): IncidentRecord | undefined {
  if (w.incidentId) {
    const byId = incidents.find((i) => i.id === w.incidentId);
    if (byId) return byId;
  }
  // The incident keeps a copy of the monitor journal under its own name.
  const name = `logs/${basename(w.file)}`;
  return incidents.find((i) => i.logs.includes(name));
}

/** Replay every recorded window of an environment against a candidate. */
export async function replayEnvironment(o: ReplayOptions): Promise<ReplayResult> {
  const sinceMs = o.since ? Date.parse(o.since) : undefined;
  const incidents = (o.incidents ?? []).filter((i) => i.env === o.env);
  const summary: ReplaySummary = {
    env: o.env,
    candidate: o.candidateLabel,
    since: o.since ?? null,
    windows: 0,
    reproduced: { exact: 0, of: 0, mismatched: [], approximate: 0 },
    changed: 0,
    rollbacksAvoided: [],
    newBreaches: [],
    falsePositives: 0,
    falsePositivesAvoided: [],
    falsePositivesStillTripped: [],
    shifts: [],
    unreadable: [],
  };
  const windows: ReplayedWindow[] = [];
  const candidateGates = o.candidate.gates;
  for (const file of monitorJournals(o.logsDir, o.env)) {
    for await (const w of readWindows(file)) {
      if (!Number.isFinite(w.t0) || (sinceMs !== undefined && w.t0 < sinceMs)) continue;
      let recorded: Verdict;
      let own: Verdict | undefined;
      let candidate: Verdict;
      try {
        recorded = recordedVerdict(w);
        own = w.configs.length ? replayWindow(w, (s) => gatesAt(w, s)).verdict : undefined;
        candidate = replayWindow(w, () => candidateGates).verdict;
      } catch (e) {
        // One damaged journal must not hide the verdicts of the others: it is named instead.
        summary.unreadable.push({ id: w.id, reason: e instanceof Error ? e.message : String(e) });
        continue;
      }
      const exactCfg = w.configs.length > 0 && w.configs.every((c) => c.exact);
      const reproduced = own ? reproduces(recorded, own) : null;
      const changed = decidesDifferently(recorded, candidate);
      const inc = incidentFor(w, incidents);
      const rw: ReplayedWindow = {
        id: w.id,
        file: basename(w.file),
        started: new Date(w.t0).toISOString(),
        version: w.version,
        durationMinutes: (w.endAt - w.t0) / 60_000,
        recorded,
        candidate,
        reproduced,
        recordedConfig: exactCfg ? 'journal' : 'approximate',
        changed,
        ...(recorded.breach && candidate.breach ? { shiftSeconds: (candidate.breach.at - recorded.breach.at) / 1000 } : {}),
        ...(inc ? { incident: { id: inc.id, falsePositive: Boolean(inc.false_positive), status: inc.status } } : {}),
      };
      summary.windows++;
      if (reproduced !== null) {
        summary.reproduced.of++;
        if (reproduced) summary.reproduced.exact++;
        else summary.reproduced.mismatched.push(w.id);
        if (!exactCfg) summary.reproduced.approximate++;
      }
      if (changed) summary.changed++;
      if (recorded.rollback && !candidate.rollback) summary.rollbacksAvoided.push({ id: w.id, version: w.version, gate: recorded.breach?.gate ?? w.rollbackStart?.gate ?? '?', tPlus: recorded.breach?.tPlus ?? '?' });
      if (!recorded.breach && candidate.breach) summary.newBreaches.push({ id: w.id, version: w.version, gate: candidate.breach.gate, tPlus: candidate.breach.tPlus, rollback: candidate.rollback });
      if (recorded.breach && candidate.breach && rw.shiftSeconds !== undefined) summary.shifts.push({ id: w.id, version: w.version, gate: candidate.breach.gate, recordedGate: recorded.breach.gate, recorded: recorded.breach.tPlus, candidate: candidate.breach.tPlus, seconds: rw.shiftSeconds });
      if (inc?.false_positive) {
        summary.falsePositives++;
        if (!candidate.rollback && !candidate.breach) summary.falsePositivesAvoided.push({ incident: inc.id, id: w.id });
        else summary.falsePositivesStillTripped.push({ incident: inc.id, id: w.id, gate: candidate.breach?.gate ?? '?' });
      }
      o.onWindow?.(rw);
      if (o.keep !== false) windows.push(rw);
    }
  }
  return { windows, summary };
}

/** The incidents of an environment; one unreadable incident.json does not hide the others. */
export function readIncidents(ws: Workspace, env: string): IncidentRecord[] {
  const out: IncidentRecord[] = [];
  for (const id of listIncidentIds(ws)) {
    try {
      const r = readIncident(ws, id);
      if (r.env === env) out.push(r);
    } catch {
      // A damaged record cannot say whether it was a false positive: it is left out of the count.
    }
  }
  return out;
}
