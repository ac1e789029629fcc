// The T+60 monitor: polls health and metrics on the config's schedule, judges the quality gates,
// alerts, and rolls back exactly once when an auto-rollback gate breaches (or an operator asks).
// Every sample, evaluation and decision goes to the journal (logs/monitor_<env>_<ts>.log) so a
// killed monitor resumes the same window. Collaborators are injected: tests use fakes and a fake
// clock, the CLI and the TUI wire the real ones (monitor-wiring.ts).
import type { EnvironmentGates, Gate } from '../config/gates-schema.js';
import type { Clock } from '../domain/clock.js';
import { evaluate, unjudgedGates, worse } from '../gates/evaluate.js';
import { ObservationHistory } from '../gates/history.js';
import { cadenceAt, nextPollAt, phaseAt, type PollPlan } from '../gates/schedule.js';
import type { GateAction, GateDecision, GateState, GateStatus, Observation } from '../gates/types.js';
import type { MetricSource } from '../metrics/types.js';
import type { Notification, Notifier } from '../notify/types.js';
import { redactString } from '../audit/redact.js';
import { testPause } from '../domain/test-pause.js';

/** One health check, as the monitor needs it. */
export type HealthChecker = () => Promise<{ ok: boolean; detail: string; latencyMs?: number }>;

/** Why and how a rollback is asked for. */
export interface RollbackRequest {
  trigger: 'auto' | 'manual';
  /** The gate that tripped (auto), or the operator's reason (manual). */
  reason: { gate: string; value: number; threshold: number; unit: string; windowMinutes?: number } | undefined;
  note: string;
  /** The backup the operator confirmed (manual requests); default: the newest that verifies. */
  backup?: string;
  /** Finishing a rollback that a killed monitor started and never verified (--resume). */
  resume?: { startNotified: boolean; before?: ResumeState['rollbackBefore'] };
  onStage: (stage: string, detail?: string) => void;
}

/** What the rollback engine reports back. */
export interface RollbackResult {
  ok: boolean;
  detail: string;
  incidentId?: string;
  backup?: string;
  /** Nothing was changed (training, dry runs). */
  dryRun?: boolean;
  /** The engine already checked health and smoke after restoring: the monitor does not repeat them. */
  verified?: { healthOk: boolean; smokeOk?: boolean; detail: string };
}

/** Runs the rollback engine (backup integrity, restore, incident, notifications). */
export type RollbackRunner = (req: RollbackRequest) => Promise<RollbackResult>;
/** Re-runs the smoke tests after a rollback. */
export type SmokeRunner = () => Promise<{ ok: boolean; detail: string }>;

/** Where journal events go (an AuditLog of kind 'monitor'). */
export interface MonitorJournal {
  readonly path: string;
  write(level: 'info' | 'warn' | 'error', event: string, fields?: Record<string, unknown>): unknown;
}

/** The monitor's collaborators. */
export interface MonitorDeps {
  clock: Clock;
  health: HealthChecker;
  source: MetricSource;
  /** Absent: auto-rollback is unavailable and breaches only alert (said in the journal and on screen). */
  rollback?: RollbackRunner;
  smoke?: SmokeRunner;
  notifier?: Notifier;
  journal: MonitorJournal;
}

/** What a resumed monitor picks up from the journal. */
export interface ResumeState {
  t0: number;
  endAt: number;
  seq: number;
  lastPollAt: number;
  observations: Observation[];
  states: Record<string, GateState>;
  breaches: BreachRecord[];
  /** A rollback was started before the crash: a resumed monitor finishes it (never a second one). */
  rollbackStarted?: { trigger: 'auto' | 'manual'; gate?: string; at: number; reason?: { gate: string; value: number; threshold: number; unit: string }; note?: string; backup?: string };
  rollbackFinished?: { ok: boolean; detail: string };
  /** What ran before that rollback changed anything (journaled by the rollback runner). */
  rollbackBefore?: { version: string; pid?: number; startedAt?: string; revision?: string; identity?: string };
  /** The interrupted rollback had sent its rollback-start notification. */
  rollbackStartNotified?: boolean;
  alerts: number;
  sourceProblems: number;
}

/** How the monitor is set up. */
export interface MonitorOptions {
  env: string;
  gates: EnvironmentGates;
  /** Window length; defaults to the config's duration_minutes. */
  durationMinutes?: number;
  /** Start of the window (default: now). */
  t0?: number;
  resume?: ResumeState;
  /** The release being watched (for notifications and the summary). */
  version?: string;
  operator?: string;
  /** Workspace-relative journal path, for notifications. */
  logPathForHumans?: string;
  /** Pause between post-rollback health checks (ms); default 1 s, capped by the fastest poll. */
  verifyIntervalMs?: number;
  /** Longest wait for the post-rollback health checks (ms); default 60 s. */
  verifyTimeoutMs?: number;
  /** Training: nothing is changed; rollbacks are simulated by the injected runner. */
  dryRun?: boolean;
}

/** One breach, as the summary and the debrief tell it. */
export interface BreachRecord {
  gate: string;
  at: number;
  value: number | null;
  threshold: number;
  unit: string;
  windowMinutes: number;
  action: Gate['action'] | 'source-errors';
  reason: string;
}

/** How a monitor run ended. */
export type MonitorResult = 'passed' | 'breached' | 'rolled-back' | 'rollback-failed' | 'stopped' | 'inconclusive';

/** The end-of-run summary. */
export interface MonitorSummary {
  env: string;
  result: MonitorResult;
  /** 0 passed, 1 a gate breached or the rollback failed, 4 inconclusive (a gate never had enough data). */
  exitCode: 0 | 1 | 4;
  message: string;
  t0: number;
  endAt: number;
  endedAt: number;
  polls: number;
  breaches: BreachRecord[];
  alerts: number;
  sourceProblems: number;
  finalStates: Record<string, GateStatus>;
  /** Inconclusive windows: the gates that never had enough data for a verdict, and why. */
  unjudged?: { gate: string; reason: string }[];
  rollback?: {
    trigger: 'auto' | 'manual';
    gate?: string;
    ok: boolean;
    detail: string;
    incidentId?: string;
    dryRun?: boolean;
    healthOk?: boolean;
    smokeOk?: boolean;
    /** Finished by a resumed monitor. */
    resumed?: boolean;
  };
  logPath: string;
  resumed: boolean;
}

/** Everything a screen shows, as a stream. */
export type MonitorEvent =
  | { type: 'start'; t0: number; endAt: number; resumed: boolean; env: string; source: string; gates: Gate[]; rollbackAvailable: boolean; warnings?: string[]; /** When this run began (a resume is later than t0). */ at?: number }
  | { type: 'sample'; observation: Observation }
  | { type: 'evaluation'; seq: number; t: number; decisions: GateDecision[]; worst: GateStatus }
  | { type: 'gate-state'; gate: string; from: GateStatus; to: GateStatus; decision: GateDecision }
  | { type: 'cadence'; phase: number; intervalSeconds: number; adaptive: boolean }
  | { type: 'next-poll'; at: number; inMs: number }
  | { type: 'alert'; gate: string; cause: GateAction['cause']; message: string }
  | { type: 'rollback'; stage: string; detail?: string }
  | { type: 'extend'; endAt: number; minutes: number }
  | { type: 'done'; summary: MonitorSummary };

type Listener = (e: MonitorEvent) => void;

function fmtValue(v: number | null, unit: string): string {
  if (v === null) return 'no value';
  const n = Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
  return unit === '%' ? `${n}%` : `${n} ${n === '1' && unit === 'items' ? 'item' : unit}`;
}

/** The T+60 monitor for one environment. */
export class Monitor {
  readonly plan: PollPlan;
  private readonly history: ObservationHistory;
  private states: Record<string, GateState>;
  private seq: number;
  private lastPollAt: number | undefined;
  private listeners = new Set<Listener>();
  private wake = new AbortController();
  private stopped = false;
  private rollbackPromise: Promise<void> | undefined;
  private rollbackInfo: MonitorSummary['rollback'];
  private rollbackTrigger: { trigger: 'auto' | 'manual'; gate?: string } | undefined;
  private breaches: BreachRecord[];
  private alerts: number;
  private sourceProblems: number;
  private anyWarn = false;
  private lastCadence = '';
  private pending = new Set<Promise<unknown>>();
  private warnAlertedAt = new Map<string, number>();
  private donePromise: Promise<MonitorSummary> | undefined;
  private summary: MonitorSummary | undefined;
  private readonly resumed: boolean;
  /** The newest reason per gate, for an inconclusive window's sentence. */
  private lastReasons = new Map<string, string>();

  constructor(
    private readonly deps: MonitorDeps,
    private readonly opts: MonitorOptions,
  ) {
    const m = opts.gates.monitoring;
    const r = opts.resume;
    const t0 = r?.t0 ?? opts.t0 ?? deps.clock.now();
    const endAt = r?.endAt ?? t0 + (opts.durationMinutes ?? m.durationMinutes) * 60_000;
    this.plan = { t0, endAt, polling: m.polling, adaptive: m.adaptive };
    const longest = Math.max(0, ...opts.gates.gates.map((g) => g.windowMinutes));
    this.history = new ObservationHistory(Math.max(longest, m.sampleHistoryMinutes) * 60_000);
    for (const o of r?.observations ?? []) this.history.push(o);
    this.states = { ...(r?.states ?? {}) };
    this.seq = r?.seq ?? 0;
    this.lastPollAt = r?.lastPollAt;
    this.breaches = [...(r?.breaches ?? [])];
    this.alerts = r?.alerts ?? 0;
    this.sourceProblems = r?.sourceProblems ?? 0;
    this.resumed = Boolean(r);
    this.anyWarn = Object.values(this.states).some((s) => s.status === 'warn');
    if (r?.rollbackStarted) {
      this.rollbackTrigger = { trigger: r.rollbackStarted.trigger, ...(r.rollbackStarted.gate ? { gate: r.rollbackStarted.gate } : {}) };
    }
  }

  /** Be told of every event; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.unsubscribe(fn);
  }

  /** Stop being told of events. */
  unsubscribe(fn: Listener): void {
    this.listeners.delete(fn);
  }

  /** The gate states after the last evaluation. */
  gateStates(): Readonly<Record<string, GateState>> {
    return this.states;
  }

  /** The kept observations (oldest first). */
  observations(): readonly Observation[] {
    return this.history.all();
  }

  /** The journal file (a screen redraws a resumed window from it). */
  get journalPath(): string {
    return this.deps.journal.path;
  }

  /** Whether a rollback can run (an engine was wired). */
  get rollbackAvailable(): boolean {
    return Boolean(this.deps.rollback);
  }

  private emit(e: MonitorEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A screen's bug must not stop the monitor.
      }
    }
  }

  private log(level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void {
    this.deps.journal.write(level, event, fields);
  }

  /** Run the window to its end (or to a rollback); resolves with the summary. Idempotent. */
  run(): Promise<MonitorSummary> {
    this.donePromise ??= this.loop();
    return this.donePromise;
  }

  /** Lengthen the window by `minutes` (an operator's extension). */
  extend(minutes: number): void {
    if (!(minutes > 0) || this.summary) return;
    this.plan.endAt += Math.round(minutes * 60_000);
    this.log('info', 'extend', { minutes, end_at: new Date(this.plan.endAt).toISOString(), end_at_ms: this.plan.endAt });
    this.emit({ type: 'extend', endAt: this.plan.endAt, minutes });
    this.poke();
  }

  /** Ask for a rollback now (the TUI key, a headless request): the same path as an auto-rollback. */
  requestRollback(note = 'operator request', backup?: string): Promise<void> {
    const p = this.startRollback({ trigger: 'manual', reason: undefined, note, ...(backup ? { backup } : {}) });
    this.poke();
    return p;
  }

  /** End the run early (operator quit); the journal records it and --resume can continue. */
  stop(): void {
    this.stopped = true;
    this.poke();
  }

  private poke(): void {
    this.wake.abort();
  }

  private async loop(): Promise<MonitorSummary> {
    const { clock } = this.deps;
    const gates = this.opts.gates.gates;
    if (this.resumed) {
      // The gates in force from here on (the config may have been edited before the resume): replay needs them.
      this.log('info', 'monitor-resume', { t0_ms: this.plan.t0, end_at_ms: this.plan.endAt, seq: this.seq, rollback_started: Boolean(this.rollbackTrigger), rollback_available: this.rollbackAvailable, gate_config: gates });
    } else {
      this.log('info', 'monitor-start', {
        t0_ms: this.plan.t0,
        end_at_ms: this.plan.endAt,
        t0: new Date(this.plan.t0).toISOString(),
        end_at: new Date(this.plan.endAt).toISOString(),
        duration_minutes: (this.plan.endAt - this.plan.t0) / 60_000,
        source: this.deps.source.description,
        version: this.opts.version,
        operator: this.opts.operator,
        dry_run: Boolean(this.opts.dryRun),
        rollback_available: this.rollbackAvailable,
        polling: this.plan.polling,
        adaptive: this.plan.adaptive,
        gates: gates.map((g) => ({ name: g.name, threshold: g.threshold, window_minutes: g.windowMinutes, action: g.action, on_error: g.onError, enabled: g.enabled })),
        // Every gate exactly as judged (all resolved fields), so that `rollout replay` reproduces this window.
        gate_config: gates,
      });
    }
    const warnings = this.deps.source.warnings ?? [];
    for (const w of warnings) this.log('warn', 'metrics-source-warning', { message: w });
    this.emit({ type: 'start', t0: this.plan.t0, endAt: this.plan.endAt, resumed: this.resumed, env: this.opts.env, source: this.deps.source.description, gates, rollbackAvailable: this.rollbackAvailable, ...(warnings.length ? { warnings } : {}), at: clock.now() });
    if (!this.rollbackAvailable) this.log('warn', 'rollback-unavailable', { message: 'no rollback engine is wired: breaches of auto-rollback gates alert only' });

    // A rollback that began before a crash is never started again: verify and report.
    if (this.resumed && this.rollbackTrigger && this.opts.resume) {
      const fin = this.opts.resume.rollbackFinished;
      this.rollbackPromise = this.verifyAfterResume(fin);
    }

    let next: number | null = this.firstPollTime();
    // The cadence is known from the first second (the screen never says "every ? s").
    if (next !== null && !this.rollbackPromise) this.announceNext(next);
    while (!this.stopped && !this.rollbackPromise && next !== null) {
      await this.sleepUntil(next);
      if (this.stopped || this.rollbackPromise) break;
      // An extension (or a late wake) moves the target: recompute from the grid.
      const now = clock.now();
      if (now < next) {
        next = this.lastPollAt === undefined ? this.plan.t0 : nextPollAt(this.plan, this.lastPollAt, this.anyWarn && this.plan.adaptive);
        if (next !== null && this.lastPollAt !== undefined && next <= this.lastPollAt) next = null;
        continue;
      }
      const pollAt = Math.min(now, this.plan.endAt);
      await this.pollOnce(gates, pollAt);
      if (this.stopped || this.rollbackPromise) break;
      // Stop once an auto-rollback gate has breached but no engine can roll back.
      if (!this.rollbackAvailable && this.breaches.some((b) => b.action === 'auto-rollback')) break;
      next = nextPollAt(this.plan, Math.max(pollAt, clock.now() - 1), this.anyWarn && this.plan.adaptive);
      if (next !== null && next <= pollAt) next = nextPollAt(this.plan, pollAt, this.anyWarn && this.plan.adaptive);
      if (next !== null) this.announceNext(next);
    }
    if (this.rollbackPromise) await this.rollbackPromise;
    return this.finish();
  }

  private firstPollTime(): number | null {
    if (this.lastPollAt === undefined) return this.plan.t0;
    const n = nextPollAt(this.plan, this.lastPollAt, this.anyWarn && this.plan.adaptive);
    if (n === null) return this.lastPollAt >= this.plan.endAt ? null : this.plan.endAt;
    // A resumed monitor polls at once (the operator sees fresh values from its first second);
    // ticks missed while it was down are not replayed; then it follows the grid.
    return Math.max(this.lastPollAt + 1, Math.min(this.deps.clock.now(), this.plan.endAt, n));
  }

  private announceNext(next: number): void {
    const c = cadenceAt(this.plan, next, this.anyWarn);
    const key = `${c.phase}/${c.intervalSeconds}/${c.adaptive}`;
    if (key !== this.lastCadence) {
      this.lastCadence = key;
      this.log('info', 'cadence', { phase: c.phase, interval_seconds: c.intervalSeconds, adaptive: c.adaptive });
      this.emit({ type: 'cadence', ...c });
    }
    this.emit({ type: 'next-poll', at: next, inMs: Math.max(0, next - this.deps.clock.now()) });
  }

  private async sleepUntil(t: number): Promise<void> {
    const wait = t - this.deps.clock.now();
    if (wait <= 0) return;
    // A fresh signal per sleep: a clock that leaves its abort listener behind on a normal wake
    // cannot pile them up on one long-lived signal over a 24-hour run. A poke during a poll needs
    // no signal: the loop re-reads the plan, the stop flag and the rollback after every poll.
    this.wake = new AbortController();
    await this.deps.clock.sleep(wait, this.wake.signal);
  }

  private async pollOnce(gates: Gate[], t: number): Promise<void> {
    const [health, outcome] = await Promise.all([
      this.deps.health().catch((e: unknown) => ({ ok: false, detail: redactString(`health check failed: ${(e as Error).message}`), latencyMs: 0 })),
      this.deps.source.read(),
    ]);
    const seq = ++this.seq;
    const obs: Observation = {
      seq,
      t,
      health: { ok: health.ok, detail: health.detail, ...(health.latencyMs !== undefined ? { latencyMs: health.latencyMs } : {}) },
      source: outcome.status,
      values: outcome.status === 'ok' ? outcome.sample.values : {},
      ...(outcome.status !== 'ok' ? { sourceDetail: outcome.detail } : {}),
      ...(outcome.status === 'ok' && outcome.sample.extractions !== undefined ? { extractions: outcome.sample.extractions, failures: outcome.sample.failures ?? 0 } : {}),
      ...(outcome.status === 'ok' && outcome.sample.hash ? { hash: outcome.sample.hash } : {}),
      ...(outcome.status === 'ok' && outcome.sample.counts ? { counts: outcome.sample.counts } : {}),
    };
    if (obs.source !== 'ok') this.sourceProblems++;
    this.lastPollAt = t;
    this.history.push(obs);
    this.log(obs.source === 'ok' && health.ok ? 'info' : 'warn', 'sample', {
      seq,
      t_ms: t,
      minute: Number(((t - this.plan.t0) / 60_000).toFixed(3)),
      observation: obs,
      ...(outcome.status === 'ok' && outcome.sample.version ? { version: outcome.sample.version } : {}),
      ...(outcome.status === 'ok' && outcome.sample.reset ? { counters_reset: true } : {}),
    });
    this.emit({ type: 'sample', observation: obs });

    const prev = this.states;
    const ev = evaluate(gates, this.history.all(), t, prev, seq);
    this.states = ev.states;
    for (const d of ev.decisions) this.lastReasons.set(d.gate, d.reason);
    this.anyWarn = ev.decisions.some((d) => d.status === 'warn');
    this.log(ev.worst === 'breach' ? 'error' : ev.worst === 'ok' ? 'info' : 'warn', 'evaluation', {
      seq,
      t_ms: t,
      worst: ev.worst,
      phase: phaseAt(this.plan, t).index,
      decisions: ev.decisions,
      states: ev.states,
    });
    this.emit({ type: 'evaluation', seq, t, decisions: ev.decisions, worst: ev.worst });
    for (const d of ev.decisions) {
      const from = prev[d.gate]?.status ?? 'no-data';
      if (from !== d.status) this.emit({ type: 'gate-state', gate: d.gate, from, to: d.status, decision: d });
    }
    // One outage alert for all the gates of one source, not one per gate.
    const outage = ev.actions.filter((a) => a.kind === 'alert' && a.cause === 'source-errors');
    for (const a of ev.actions) if (!outage.includes(a)) this.act(a, t);
    if (outage.length) this.outageAlert(outage);
  }

  private outageAlert(actions: GateAction[]): void {
    const names = actions.map((a) => a.gate);
    const d = actions[0]!.decision;
    for (const a of actions) this.log('warn', 'decision', { gate: a.gate, decision: 'alert', cause: 'source-errors', consecutive_errors: a.decision.consecutiveErrors, reason: a.decision.reason });
    const last = this.history.latest();
    const message = `The metrics source (${this.deps.source.description}) failed ${d.consecutiveErrors} polls in a row (${last?.sourceDetail ?? 'no detail'}): ${names.join(', ')} cannot be judged; this is not a breach and does not roll back by itself.`;
    this.alerts++;
    this.emit({ type: 'alert', gate: names.join(', '), cause: 'source-errors', message });
    this.notify({ type: 'gate-warn', severity: 'warning', message, gate: { name: names.join(', '), value: null, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes } });
  }

  private act(a: GateAction, t: number): void {
    const d = a.decision;
    const where = `${fmtValue(d.value, d.unit)} against ${a.cause === 'source-errors' ? `${d.consecutiveErrors} source failures in a row` : `a threshold of ${fmtValue(d.threshold, d.unit)}`}`;
    if (a.cause === 'breach' || (a.kind === 'rollback' && a.cause === 'source-errors')) {
      const rec: BreachRecord = { gate: a.gate, at: t, value: d.value, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes, action: a.cause === 'source-errors' ? 'source-errors' : d.action, reason: d.reason };
      if (a.cause === 'breach') this.breaches.push(rec);
      this.log(a.kind === 'log' ? 'warn' : 'error', 'decision', {
        gate: a.gate,
        decision: a.kind,
        cause: a.cause,
        value: d.value,
        threshold: d.threshold,
        unit: d.unit,
        window_minutes: d.window.minutes,
        window_samples: d.window.samples,
        inputs: d.inputs,
        reason: d.reason,
        breach: rec,
      });
    } else {
      this.log('warn', 'decision', { gate: a.gate, decision: a.kind, cause: a.cause, value: d.value, threshold: d.threshold, unit: d.unit, window_minutes: d.window.minutes, reason: d.reason, consecutive_errors: d.consecutiveErrors });
    }
    if (a.kind === 'rollback') {
      if (!this.rollbackAvailable) {
        const msg = `${a.gate} tripped (${where}) but auto-rollback is unavailable here: roll back by hand (rollout rollback --env ${this.opts.env}).`;
        this.alert(a, msg, 'gate-breach');
        return;
      }
      void this.startRollback({ trigger: 'auto', reason: { gate: a.gate, value: d.value ?? Number.NaN, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes }, note: d.reason });
      return;
    }
    if (a.kind === 'alert') {
      // A gate that keeps flapping into warn alerts once per dedupe period, not on every flap.
      if (a.cause === 'warn') {
        const last = this.warnAlertedAt.get(a.gate);
        if (last !== undefined && t - last < this.opts.gates.notifications.dedupeSeconds * 1000) return;
        this.warnAlertedAt.set(a.gate, t);
      }
      const type = a.cause === 'warn' ? 'gate-warn' : 'gate-breach';
      const msg = a.cause === 'warn' ? `${a.gate} is nearing its limit: ${where}.` : a.cause === 'source-errors' ? `The metrics source for ${a.gate} keeps failing (${d.reason}); the gate cannot be judged.` : `${a.gate} breached: ${where} (action: alert, no rollback).`;
      this.alert(a, msg, type, a.cause === 'source-errors' ? 'warning' : undefined);
    }
  }

  private alert(a: GateAction, message: string, type: 'gate-warn' | 'gate-breach', severity?: 'warning'): void {
    this.alerts++;
    this.emit({ type: 'alert', gate: a.gate, cause: a.cause, message });
    const d = a.decision;
    this.notify({ type, message, ...(severity ? { severity } : {}), gate: { name: a.gate, value: d.value, threshold: d.threshold, unit: d.unit, windowMinutes: d.window.minutes } });
  }

  private notify(n: Omit<Notification, 'env'>): Promise<unknown> {
    const notifier = this.deps.notifier;
    if (!notifier) return Promise.resolve();
    const full: Notification = {
      env: this.opts.env,
      ...(this.opts.version ? { version: this.opts.version } : {}),
      ...(this.opts.operator ? { operator: this.opts.operator } : {}),
      ...(this.opts.logPathForHumans ? { logPath: this.opts.logPathForHumans } : {}),
      ...n,
    };
    const p = notifier.send(full).then(
      (r) => this.log(r.ok ? 'info' : 'warn', 'notification', { type: full.type, ok: r.ok, outcomes: r.outcomes.map((o) => `${o.channel}:${o.status}`) }),
      (e: unknown) => this.log('warn', 'notification', { type: full.type, ok: false, error: redactString((e as Error).message) }),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /** The one path to a rollback: the first caller starts it, every later caller gets the same promise. */
  private startRollback(req: Omit<RollbackRequest, 'onStage'>): Promise<void> {
    if (this.rollbackPromise) {
      this.log('info', 'rollback-already', { trigger: req.trigger, gate: req.reason?.gate, note: 'a rollback is already under way or done; not started again' });
      return this.rollbackPromise;
    }
    if (this.summary) return Promise.resolve();
    const runner = this.deps.rollback;
    if (!runner) {
      this.log('warn', 'rollback-unavailable', { trigger: req.trigger });
      this.emit({ type: 'rollback', stage: 'unavailable', detail: 'no rollback engine is wired here' });
      return Promise.resolve();
    }
    this.rollbackTrigger = { trigger: req.trigger, ...(req.reason ? { gate: req.reason.gate } : {}) };
    // Journaled before anything runs, so that a resumed monitor never starts a second one.
    this.log('error', 'rollback-start', { trigger: req.trigger, gate: req.reason?.gate, reason: req.reason, note: req.note, ...(req.backup ? { backup: req.backup } : {}), at_ms: this.deps.clock.now(), dry_run: Boolean(this.opts.dryRun) });
    // Set before the flow emits anything, so that a listener asking again gets this same promise.
    this.rollbackPromise = Promise.resolve().then(() => this.rollbackFlow(runner, req));
    return this.rollbackPromise;
  }

  private stage(stage: string, detail?: string): void {
    this.log('info', 'rollback-stage', { stage, detail });
    this.emit({ type: 'rollback', stage, ...(detail ? { detail } : {}) });
  }

  private async rollbackFlow(runner: RollbackRunner, req: Omit<RollbackRequest, 'onStage'>): Promise<void> {
    this.stage('requested', req.trigger === 'auto' ? `${req.reason?.gate} breached: ${req.note}` : req.note);
    await testPause('rollback-requested');
    // SPEC: violation detected -> notifications (critical) -> integrity -> rollback -> health -> smoke -> incident -> notifications.
    if (req.trigger === 'auto' && req.reason && !req.resume) {
      const waitMs = this.opts.gates.notifications.rollbackWaitMs;
      const sent = this.notify({ type: 'gate-breach', severity: 'critical', message: `${req.reason.gate} breached (${fmtValue(req.reason.value, req.reason.unit)}, threshold ${fmtValue(req.reason.threshold, req.reason.unit)}): rolling back ${this.opts.env}.`, gate: { name: req.reason.gate, value: req.reason.value, threshold: req.reason.threshold, unit: req.reason.unit, windowMinutes: this.opts.gates.gates.find((g) => g.name === req.reason!.gate)?.windowMinutes ?? 0 } });
      const stop = new AbortController();
      await Promise.race([sent, this.deps.clock.sleep(waitMs, stop.signal)]);
      stop.abort();
    }
    let result: RollbackResult;
    try {
      result = await runner({ ...req, onStage: (s, d) => this.stage(s, d) });
    } catch (e) {
      result = { ok: false, detail: redactString((e as Error).message) };
    }
    await testPause('rollback-returned');
    this.log(result.ok ? 'info' : 'error', 'rollback-done', { ok: result.ok, detail: result.detail, incident: result.incidentId, backup: result.backup, dry_run: result.dryRun, ...(req.resume ? { resumed: true } : {}) });
    this.rollbackInfo = { ...this.rollbackTrigger!, ok: result.ok, detail: result.detail, ...(result.incidentId ? { incidentId: result.incidentId } : {}), ...(result.dryRun ? { dryRun: true } : {}) };
    if (!result.ok) {
      this.stage('failed', result.detail);
      return;
    }
    if (result.verified) {
      this.rollbackInfo = { ...this.rollbackInfo, healthOk: result.verified.healthOk, ...(result.verified.smokeOk !== undefined ? { smokeOk: result.verified.smokeOk } : {}) };
      this.stage(result.verified.healthOk && result.verified.smokeOk !== false ? 'verified' : 'verify-failed', result.verified.detail);
      return;
    }
    await this.verify();
  }

  private async verifyAfterResume(fin: ResumeState['rollbackFinished']): Promise<void> {
    const r = this.opts.resume!;
    const started = r.rollbackStarted!;
    if (fin) {
      // The rollback ended before the monitor stopped: its outcome stands (a failure was said loudly).
      this.stage('resumed', `the rollback started before the monitor stopped had ended (${fin.ok ? 'verified' : 'failed'}); it is not started again`);
      this.rollbackInfo = { ...this.rollbackTrigger!, ok: fin.ok, detail: fin.detail };
      if (fin.ok) await this.verify();
      return;
    }
    // Started, never reported done: finish it from its journal (the engine re-runs what it cannot prove).
    this.stage('resumed', `the ${started.trigger === 'auto' ? 'auto-rollback' : 'rollback'} started at T+${minutes(started.at - this.plan.t0)} was interrupted before it was verified; finishing it now`);
    const runner = this.deps.rollback;
    if (!runner) {
      this.rollbackInfo = { ...this.rollbackTrigger!, ok: false, detail: 'the rollback was interrupted and no rollback engine is wired here to finish it: roll back by hand (rollout rollback --env ' + this.opts.env + ')' };
      this.stage('failed', this.rollbackInfo.detail);
      return;
    }
    await this.rollbackFlow(runner, {
      trigger: started.trigger,
      reason: started.reason,
      note: `finishing the interrupted ${started.trigger === 'auto' ? 'auto-rollback' : 'rollback'}${started.note ? ` (${started.note})` : ''}`,
      ...(started.backup ? { backup: started.backup } : {}),
      resume: { startNotified: Boolean(r.rollbackStartNotified), ...(r.rollbackBefore ? { before: r.rollbackBefore } : {}) },
    });
    if (this.rollbackInfo) this.rollbackInfo.resumed = true;
  }

  /** After a rollback: N consecutive OK health checks, then the smoke tests. */
  private async verify(): Promise<void> {
    const need = this.opts.gates.monitoring.healthOkRequired;
    const interval = this.opts.verifyIntervalMs ?? Math.min(1000, Math.round(Math.min(...this.plan.polling.map((p) => p.intervalSeconds)) * 1000));
    const timeout = this.opts.verifyTimeoutMs ?? 60_000;
    const start = this.deps.clock.now();
    this.stage('verifying', `waiting for ${need} consecutive OK health checks`);
    let streak = 0;
    let checks = 0;
    for (;;) {
      const h = await this.deps.health().catch((e: unknown) => ({ ok: false, detail: (e as Error).message }));
      checks++;
      streak = h.ok ? streak + 1 : 0;
      this.stage('health', `check ${checks}: ${h.ok ? 'OK' : 'not OK'} (${h.detail}); ${streak}/${need} in a row`);
      if (streak >= need) break;
      if (this.deps.clock.now() - start + interval > timeout) break;
      await this.deps.clock.sleep(interval);
    }
    const healthOk = streak >= need;
    this.rollbackInfo = { ...this.rollbackInfo!, healthOk };
    if (this.deps.smoke) {
      this.stage('smoke', 're-running the smoke tests');
      const s = await this.deps.smoke().catch((e: unknown) => ({ ok: false, detail: redactString((e as Error).message) }));
      this.rollbackInfo.smokeOk = s.ok;
      this.stage('smoke-done', `${s.ok ? 'passed' : 'failed'}: ${s.detail}`);
    }
    this.stage(healthOk && this.rollbackInfo.smokeOk !== false ? 'verified' : 'verify-failed', healthOk ? `${need} consecutive OK health checks` : `fewer than ${need} consecutive OK health checks within ${Math.round(timeout / 1000)} s`);
  }

  /** Enabled windowed gates that never had enough data for a verdict in this window (health keeps its own rule). */
  private unjudged(): { gate: string; reason: string }[] {
    return unjudgedGates(this.opts.gates.gates, this.states).map((g) => ({ gate: g.name, reason: this.lastReasons.get(g.name) ?? 'never evaluated' }));
  }

  private async finish(): Promise<MonitorSummary> {
    const now = this.deps.clock.now();
    const finalStates: Record<string, GateStatus> = {};
    let worst: GateStatus = 'ok';
    for (const [k, s] of Object.entries(this.states)) {
      finalStates[k] = s.status;
      worst = worse(worst, s.status);
    }
    const failing = this.breaches.filter((b) => b.action === 'auto-rollback' || b.action === 'alert');
    let result: MonitorResult;
    let message: string;
    const rb = this.rollbackInfo;
    const first = failing[0] ?? this.breaches[0];
    const breachText = first ? `${first.gate} breached at T+${minutes(first.at - this.plan.t0)} (${fmtValue(first.value, first.unit)}, threshold ${fmtValue(first.threshold, first.unit)}${first.windowMinutes > 0 ? `, ${first.windowMinutes} min window` : ''})` : '';
    if (rb) {
      const verified = rb.ok && rb.healthOk !== false && rb.smokeOk !== false;
      result = verified ? 'rolled-back' : 'rollback-failed';
      const why = rb.trigger === 'manual' ? 'an operator asked for it' : breachText || `${rb.gate ?? 'a gate'} tripped`;
      const resumed = rb.resumed ? ' (the interrupted rollback was finished by --resume)' : '';
      message = verified
        ? `${this.opts.env} was rolled back${rb.dryRun ? ' (simulated, nothing changed)' : ''} because ${why}${resumed}: ${rb.detail}; health and smoke checks pass again${rb.incidentId ? ` (incident ${rb.incidentId})` : ''}.`
        : rb.detail.startsWith('ROLLBACK FAILED')
          ? `${rb.detail.replace(/\.$/, '')} (rolling back because ${why})${resumed}.`
          : `${this.opts.env}: the rollback after ${why} did not verify${resumed}: ${rb.ok ? (rb.healthOk === false ? 'health checks are not OK' : 'smoke tests failed') : rb.detail}.`;
    } else if (this.stopped && now < this.plan.endAt) {
      result = 'stopped';
      message = `The monitor of ${this.opts.env} was stopped at T+${minutes(now - this.plan.t0)} before the window ended; continue with: rollout monitor --env ${this.opts.env} --resume.`;
    } else if (failing.length) {
      result = 'breached';
      const unavailable = !this.rollbackAvailable && failing.some((b) => b.action === 'auto-rollback');
      message = `${this.opts.env}: ${breachText}${unavailable ? '; auto-rollback is unavailable here, roll back by hand: rollout rollback --env ' + this.opts.env : ''}.`;
    } else if (this.unjudged().length) {
      result = 'inconclusive';
      const u = this.unjudged();
      message = `${this.opts.env}: inconclusive: the ${minutes(this.plan.endAt - this.plan.t0)} window ended before ${u.length === 1 ? 'gate' : 'gates'} ${u.map((x) => x.gate).join(', ')} had enough data for a verdict (${u.map((x) => `${x.gate}: ${x.reason}`).join('; ')}); nothing was judged passed or failed, watch again or lower min_observations.`;
    } else {
      result = 'passed';
      message = `${this.opts.env} passed its ${minutes(this.plan.endAt - this.plan.t0)} monitoring window: no gate breached (${this.seq} polls${this.sourceProblems ? `, ${this.sourceProblems} metrics-source problems` : ''}).`;
    }
    const summary: MonitorSummary = {
      env: this.opts.env,
      result,
      exitCode: result === 'passed' ? 0 : result === 'inconclusive' ? 4 : 1,
      message,
      t0: this.plan.t0,
      endAt: this.plan.endAt,
      endedAt: now,
      polls: this.seq,
      breaches: this.breaches,
      alerts: this.alerts,
      sourceProblems: this.sourceProblems,
      finalStates,
      ...(result === 'inconclusive' ? { unjudged: this.unjudged() } : {}),
      ...(rb ? { rollback: rb } : {}),
      logPath: this.opts.logPathForHumans ?? this.deps.journal.path,
      resumed: this.resumed,
    };
    this.summary = summary;
    if (result === 'stopped') this.log('warn', 'monitor-stopped', { summary });
    else this.log(result === 'passed' ? 'info' : 'error', 'monitor-done', { result, exit_code: summary.exitCode, message, worst_final: worst, summary });
    if (result !== 'stopped') void this.notify({ type: 'monitor-complete', severity: result === 'passed' ? 'info' : 'warning', message });
    // Give in-flight notifications a bounded moment to finish (their outcome is journaled).
    if (this.pending.size) {
      const stop = new AbortController();
      await Promise.race([Promise.allSettled([...this.pending]), this.deps.clock.sleep(this.opts.gates.notifications.timeoutMs, stop.signal)]);
      stop.abort();
    }
    this.emit({ type: 'done', summary });
    return summary;
  }
}

function minutes(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
