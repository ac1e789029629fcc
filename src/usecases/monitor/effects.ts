// The monitor's effects: the journal, the event stream to screens, notifications (their outcome
// journaled), and the one rollback a window may run (started once, verified after, finished by a
// resumed monitor). The loop (./loop.ts) calls these to carry out what ./decide.ts decided.
import { redactString } from '../../audit/redact.js';
import { testPause } from '../../domain/test-pause.js';
import type { PollPlan } from '../../gates/schedule.js';
import type { Notification } from '../../notify/types.js';
import { IN_SENTENCE, elapsed, formatValue } from '../../domain/format.js';
import type { Listener, MonitorDeps, MonitorEvent, MonitorOptions, MonitorSummary, ResumeState, RollbackRequest, RollbackResult, RollbackRunner } from './types.js';

/** Journal, screens, notifications and the rollback of one monitor run. */
export class MonitorEffects {
  private readonly listeners = new Set<Listener>();
  private readonly pending = new Set<Promise<unknown>>();
  /** The rollback under way or done (at most one per window). */
  rollbackPromise: Promise<void> | undefined;
  /** How the rollback ended, for the summary. */
  rollbackInfo: MonitorSummary['rollback'];
  /** What started the rollback (also a resumed one's, from the journal). */
  rollbackTrigger: { trigger: 'auto' | 'manual'; gate?: string } | undefined;

  constructor(
    private readonly deps: MonitorDeps,
    private readonly opts: MonitorOptions,
    private readonly plan: PollPlan,
  ) {
    const started = opts.resume?.rollbackStarted;
    if (started) this.rollbackTrigger = { trigger: started.trigger, ...(started.gate ? { gate: started.gate } : {}) };
  }

  /** Whether a rollback can run (an engine was wired). */
  get rollbackAvailable(): boolean {
    return Boolean(this.deps.rollback);
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

  /** Tell every screen. */
  emit(e: MonitorEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A screen's bug must not stop the monitor.
      }
    }
  }

  /** One journal line. */
  log(level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void {
    this.deps.journal.write(level, event, fields);
  }

  /** Send through the notifier (if any); the outcome is journaled when it comes. */
  notify(n: Omit<Notification, 'env'>): Promise<unknown> {
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

  /** Give in-flight notifications a bounded moment to finish (their outcome is journaled). */
  async settleNotifications(): Promise<void> {
    if (!this.pending.size) return;
    const stop = new AbortController();
    await Promise.race([Promise.allSettled([...this.pending]), this.deps.clock.sleep(this.opts.gates.notifications.timeoutMs, stop.signal)]);
    stop.abort();
  }

  /** The one path to a rollback: the first caller starts it, every later caller gets the same promise. `done`: the window already ended. */
  startRollback(req: Omit<RollbackRequest, 'onStage'>, done: boolean): Promise<void> {
    if (this.rollbackPromise) {
      this.log('info', 'rollback-already', { trigger: req.trigger, gate: req.reason?.gate, note: 'a rollback is already under way or done; not started again' });
      return this.rollbackPromise;
    }
    if (done) return Promise.resolve();
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

  /** A resumed window whose journal shows a rollback started: verify and report it, never start a second one. */
  resumeRollback(): void {
    if (this.rollbackTrigger && this.opts.resume) this.rollbackPromise = this.verifyAfterResume(this.opts.resume.rollbackFinished);
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
      const sent = this.notify({ type: 'gate-breach', severity: 'critical', message: `${req.reason.gate} breached (${formatValue(req.reason.value, req.reason.unit, IN_SENTENCE)}, threshold ${formatValue(req.reason.threshold, req.reason.unit, IN_SENTENCE)}): rolling back ${this.opts.env}.`, gate: { name: req.reason.gate, value: req.reason.value, threshold: req.reason.threshold, unit: req.reason.unit, windowMinutes: this.opts.gates.gates.find((g) => g.name === req.reason!.gate)?.windowMinutes ?? 0 } });
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
    this.stage('resumed', `the ${started.trigger === 'auto' ? 'auto-rollback' : 'rollback'} started at ${elapsed(started.at, this.plan.t0, this.plan.endAt)} was interrupted before it was verified; finishing it now`);
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
}
