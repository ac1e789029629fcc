// The monitor's loop: polls health and metrics on the config's schedule (adaptive, extendable,
// stoppable), hands each reading to the pure decision step (./decide.ts) and carries its decisions
// out through the effects (./effects.ts): journal, screens, alerts, and at most one rollback. A
// killed monitor resumes the same window from its journal (ResumeState).
import { unjudgedGates } from '../../gates/evaluate.js';
import { ObservationHistory } from '../../gates/history.js';
import { cadenceAt, nextPollAt, phaseAt, type PollPlan } from '../../gates/schedule.js';
import type { GateState, Observation } from '../../gates/types.js';
import type { Gate } from '../../config/gates-schema.js';
import { redactString } from '../../audit/redact.js';
import { decide, initialDecideState, verdict, type DecideState, type Decision } from './decide.js';
import { MonitorEffects } from './effects.js';
import type { BreachRecord, Listener, MonitorDeps, MonitorEvent, MonitorOptions, MonitorSummary } from './types.js';

/** The T+60 monitor for one environment. */
export class Monitor {
  readonly plan: PollPlan;
  private readonly history: ObservationHistory;
  private readonly fx: MonitorEffects;
  private decided: DecideState;
  private seq: number;
  private lastPollAt: number | undefined;
  private wake = new AbortController();
  private stopped = false;
  private breaches: BreachRecord[];
  private alerts: number;
  private sourceProblems: number;
  private lastCadence = '';
  private donePromise: Promise<MonitorSummary> | undefined;
  private summary: MonitorSummary | undefined;
  private readonly resumed: boolean;

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
    this.decided = initialDecideState({ ...(r?.states ?? {}) });
    this.seq = r?.seq ?? 0;
    this.lastPollAt = r?.lastPollAt;
    this.breaches = [...(r?.breaches ?? [])];
    this.alerts = r?.alerts ?? 0;
    this.sourceProblems = r?.sourceProblems ?? 0;
    this.resumed = Boolean(r);
    this.fx = new MonitorEffects(deps, opts, this.plan);
  }

  private get anyWarn(): boolean {
    return this.decided.anyWarn;
  }

  /** Be told of every event; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    return this.fx.subscribe(fn);
  }

  /** Stop being told of events. */
  unsubscribe(fn: Listener): void {
    this.fx.unsubscribe(fn);
  }

  /** The gate states after the last evaluation. */
  gateStates(): Readonly<Record<string, GateState>> {
    return this.decided.states;
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
    return this.fx.rollbackAvailable;
  }

  private emit(e: MonitorEvent): void {
    this.fx.emit(e);
  }

  private log(level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void {
    this.fx.log(level, event, fields);
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
    const p = this.fx.startRollback({ trigger: 'manual', reason: undefined, note, ...(backup ? { backup } : {}) }, Boolean(this.summary));
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
      this.log('info', 'monitor-resume', { t0_ms: this.plan.t0, end_at_ms: this.plan.endAt, seq: this.seq, rollback_started: Boolean(this.fx.rollbackTrigger), rollback_available: this.rollbackAvailable, gate_config: gates });
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
    if (this.resumed) this.fx.resumeRollback();

    let next: number | null = this.firstPollTime();
    // The cadence is known from the first second (the screen never says "every ? s").
    if (next !== null && !this.fx.rollbackPromise) this.announceNext(next);
    while (!this.stopped && !this.fx.rollbackPromise && next !== null) {
      await this.sleepUntil(next);
      if (this.stopped || this.fx.rollbackPromise) break;
      // An extension (or a late wake) moves the target: recompute from the grid.
      const now = clock.now();
      if (now < next) {
        next = this.lastPollAt === undefined ? this.plan.t0 : nextPollAt(this.plan, this.lastPollAt, this.anyWarn && this.plan.adaptive);
        if (next !== null && this.lastPollAt !== undefined && next <= this.lastPollAt) next = null;
        continue;
      }
      const pollAt = Math.min(now, this.plan.endAt);
      await this.pollOnce(gates, pollAt);
      if (this.stopped || this.fx.rollbackPromise) break;
      // Stop once an auto-rollback gate has breached but no engine can roll back.
      if (!this.rollbackAvailable && this.breaches.some((b) => b.action === 'auto-rollback')) break;
      next = nextPollAt(this.plan, Math.max(pollAt, clock.now() - 1), this.anyWarn && this.plan.adaptive);
      if (next !== null && next <= pollAt) next = nextPollAt(this.plan, pollAt, this.anyWarn && this.plan.adaptive);
      if (next !== null) this.announceNext(next);
    }
    if (this.fx.rollbackPromise) await this.fx.rollbackPromise;
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

  /** One poll: read health and metrics (I/O), journal the sample, then decide (pure) and carry the decisions out. */
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

    const next = decide(this.decided, {
      gates,
      observations: this.history.all(),
      t,
      seq,
      phase: phaseAt(this.plan, t).index,
      env: this.opts.env,
      rollbackAvailable: this.rollbackAvailable,
      dedupeMs: this.opts.gates.notifications.dedupeSeconds * 1000,
      sourceDescription: this.deps.source.description,
    });
    this.decided = next.state;
    for (const d of next.decisions) this.carryOut(d);
  }

  /** A decision, done: journaled, shown, counted, sent, or the rollback started. */
  private carryOut(d: Decision): void {
    switch (d.kind) {
      case 'journal':
        this.log(d.level, d.event, d.fields);
        break;
      case 'emit':
        this.emit(d.event);
        break;
      case 'breach':
        this.breaches.push(d.record);
        break;
      case 'alert':
        this.alerts++;
        this.emit({ type: 'alert', gate: d.gate, cause: d.cause, message: d.message });
        void this.fx.notify(d.notification);
        break;
      case 'rollback':
        void this.fx.startRollback({ trigger: 'auto', reason: d.reason, note: d.note }, Boolean(this.summary));
        break;
    }
  }

  /** Enabled windowed gates that never had enough data for a verdict in this window (health keeps its own rule). */
  private unjudged(): { gate: string; reason: string }[] {
    return unjudgedGates(this.opts.gates.gates, this.decided.states).map((g) => ({ gate: g.name, reason: this.decided.lastReasons[g.name] ?? 'never evaluated' }));
  }

  private async finish(): Promise<MonitorSummary> {
    const now = this.deps.clock.now();
    const rb = this.fx.rollbackInfo;
    const unjudged = this.unjudged();
    const v = verdict({ env: this.opts.env, t0: this.plan.t0, endAt: this.plan.endAt, now, stopped: this.stopped, polls: this.seq, sourceProblems: this.sourceProblems, breaches: this.breaches, rollbackAvailable: this.rollbackAvailable, rollback: rb, states: this.decided.states, unjudged });
    const { result, message } = v;
    const summary: MonitorSummary = {
      env: this.opts.env,
      result,
      exitCode: v.exitCode,
      message,
      t0: this.plan.t0,
      endAt: this.plan.endAt,
      endedAt: now,
      polls: this.seq,
      breaches: this.breaches,
      alerts: this.alerts,
      sourceProblems: this.sourceProblems,
      finalStates: v.finalStates,
      ...(result === 'inconclusive' ? { unjudged } : {}),
      ...(rb ? { rollback: rb } : {}),
      logPath: this.opts.logPathForHumans ?? this.deps.journal.path,
      resumed: this.resumed,
    };
    this.summary = summary;
    if (result === 'stopped') this.log('warn', 'monitor-stopped', { summary });
    else this.log(result === 'passed' ? 'info' : 'error', 'monitor-done', { result, exit_code: summary.exitCode, message, worst_final: v.worst, summary });
    if (result !== 'stopped') void this.fx.notify({ type: 'monitor-complete', severity: result === 'passed' ? 'info' : 'warning', message });
    await this.fx.settleNotifications();
    this.emit({ type: 'done', summary });
    return summary;
  }
}
