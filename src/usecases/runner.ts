// The runbook runner: walks a runbook's steps in order for one environment, keeps a journal
// (logs/run_<env>_<ts>.log, and a state file so that an interrupted walk can be resumed), and
// emits what a screen needs. The TUI and the headless `rollout run` both drive it, so both leave
// the same audit trail; the operator's answers (manual checklist items, sign-off, confirmations)
// come through RunnerPrompts, from flags or from keys. It adds no engine logic: every step is
// one call into RunnerEngines.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import { redactString } from '../audit/redact.js';
import type { RunbookStep } from '../config/runbook-schema.js';
import { ExitCode, RefusedError, RolloutError, StepFailedError, UsageError } from '../domain/errors.js';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import { acquireEnvLock, readLockHolder, type EnvLock } from '../lock/env-lock.js';
import type { EngineContext } from '../config/engine-context.js';
import { checkAll, type ChecklistItemResult } from './runner-checklist.js';
import type { BackupInfo, EngineOutcome, LiveSession, Progress, RunnerEngines, StepIO, SubstepStatus } from './runner-engines.js';

export type { ChecklistItemResult } from './runner-checklist.js';

/** Where a step stands. */
export type StepStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed';

/** What the runner emits; a screen folds these into its state (see src/ui/walk-state.ts). */
export type RunnerEvent =
  | { type: 'walk-started'; runId: string; logPath: string; env: string; runbook: string; dryRun: boolean; production: boolean; version?: string; steps: RunbookStep[]; statuses: StepStatus[]; summaries: (string | undefined)[]; resumed: boolean }
  | { type: 'step-started'; index: number; step: RunbookStep }
  | { type: 'progress'; index: number; progress: Progress; bytesPerSecond?: number }
  | { type: 'substep'; index: number; name: string; status: SubstepStatus; detail?: string }
  | { type: 'output'; index: number; line: string }
  | { type: 'checklist'; index: number; items: ChecklistItemResult[] }
  | { type: 'session'; index: number; session: LiveSession }
  | { type: 'step-finished'; index: number; status: 'done' | 'skipped'; outcome: EngineOutcome }
  | { type: 'step-failed'; index: number; message: string; nextSteps: string[]; exitCode: number; outcome?: EngineOutcome }
  | { type: 'walk-finished'; status: 'ok' | 'failed' | 'refused' | 'interrupted'; exitCode: number; message?: string; nextSteps?: string[] };

/** The checklist as put to the operator. */
export interface ChecklistRequest {
  index: number;
  step: Extract<RunbookStep, { type: 'checklist' }>;
  items: ChecklistItemResult[];
}
/** The operator's answer to a checklist: go on with these manual items ticked, fix one, look again, or stop. */
export type ChecklistAnswer = { kind: 'continue'; confirmed: string[] } | { kind: 'fix'; item: string } | { kind: 'recheck'; confirmed?: string[] } | { kind: 'abort' };

/** The sign-off as put to the operator. */
export interface SignOffRequest {
  index: number;
  step: Extract<RunbookStep, { type: 'sign-off' }>;
  env: string;
  production: boolean;
  artifacts: BackupInfo[];
}
/** A sign-off: the name, and in production the environment's name typed again. Undefined: refused. */
export type SignOffAnswer = { name: string; typedEnv?: string } | undefined;

/** A confirmation as put to the operator. */
export interface ConfirmRequest {
  index: number;
  step: RunbookStep;
  prompt: string;
  env: string;
  production: boolean;
  /** The backup the walk relies on (verified by an earlier step), so the question names it. */
  artifacts: BackupInfo[];
}

/** Where the operator's answers come from: flags (headless) or keys (TUI). */
export interface RunnerPrompts {
  checklist(req: ChecklistRequest): Promise<ChecklistAnswer>;
  signOff(req: SignOffRequest): Promise<SignOffAnswer>;
  /** true: confirmed (production: the environment's name was typed). */
  confirm(req: ConfirmRequest): Promise<boolean>;
}

/** How to walk. */
export interface RunnerOptions {
  engines: RunnerEngines;
  prompts: RunnerPrompts;
  dryRun: boolean;
  version?: string;
  /** The deploy (and rollback) is confirmed up front (--yes). */
  yes: boolean;
  resume?: boolean;
  /** The command line or screen that started the walk, for the audit log and the lock. */
  command: string;
  face: 'tui' | 'headless';
}

/** The journal kept beside the log, enough to resume. */
export interface RunState {
  format: 'guarded-rollout-run/1';
  runId: string;
  runbook: string;
  env: string;
  operator: string;
  dryRun: boolean;
  version?: string;
  logPath: string;
  startedAt: string;
  updatedAt: string;
  finished: boolean;
  result?: string;
  deployConfirmed: boolean;
  steps: { id: string; type: string; status: StepStatus; summary?: string; backup?: BackupInfo }[];
}

/** The state file of a runbook walk on an environment. */
export function runStatePath(ctx: EngineContext): string {
  return join(ctx.ws.root, '.rollout', 'runs', `${ctx.runbook.name}_${ctx.env}.json`);
}

/** The saved state of the last walk, if any (unreadable state counts as none). */
export function readRunState(ctx: EngineContext): RunState | undefined {
  const p = runStatePath(ctx);
  if (!existsSync(p)) return undefined;
  try {
    const s = JSON.parse(readFileSync(p, 'utf8')) as RunState;
    return s.format === 'guarded-rollout-run/1' ? s : undefined;
  } catch {
    return undefined;
  }
}

const TITLES: Record<RunbookStep['type'], string> = {
  checklist: 'Artifacts checklist',
  backup: 'Backup',
  'verify-backup': 'Verify the backup',
  'sign-off': 'Sign-off',
  migrate: 'Migrations',
  deploy: 'Deploy',
  smoke: 'Smoke tests',
  monitor: 'T+60 monitor',
  rollback: 'Rollback',
  confirm: 'Confirm',
  notify: 'Notify',
};

/** A step's title for screens and logs. */
export function stepTitle(step: RunbookStep): string {
  return step.title ?? TITLES[step.type];
}

class Interrupted extends Error {
  /** The exit code of the stop: 1, or 3 when the operator declined to go on (nothing changed). */
  constructor(message?: string, readonly exitCode: number = ExitCode.failed) {
    super(message);
  }
}

/** The one command that resumes an interrupted walk (every screen and message quotes this). */
export function resumeCommand(runbook: string, env: string, dryRun = false): string {
  return `rollout run ${runbook} --env ${env} --resume${dryRun ? ' --dry-run' : ''}`;
}

/**
 * How to confirm without a screen, in SPEC.md's flags: a walk takes --yes; the rollback command
 * takes --force (named too for a rollback runbook, where the operator may reach for it).
 */
export function confirmHint(runbook: string, env: string, kind?: string): string {
  const walk = `rollout run ${runbook} --env ${env} --yes`;
  return kind === 'emergency-rollback' ? `Nothing was changed. To confirm headless: ${walk} (or rollout rollback --env ${env} --force); or answer on screen.` : `Nothing was changed. To confirm headless: ${walk}; or answer on screen.`;
}

/** Walks one runbook on one environment. Create, subscribe, then run(). */
export class RunbookRunner {
  readonly ctx: EngineContext;
  private readonly o: RunnerOptions;
  private readonly listeners = new Set<(e: RunnerEvent) => void>();
  private readonly controller = new AbortController();
  private state!: RunState;
  private log!: AuditLog;
  private started = false;
  /** Steps the interrupted walk was in when it stopped (resume: their engines finish what they began). */
  private readonly interrupted = new Set<string>();

  constructor(ctx: EngineContext, opts: RunnerOptions) {
    this.ctx = ctx;
    this.o = opts;
  }

  /** Be told of every event; returns the unsubscribe function. */
  subscribe(fn: (e: RunnerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stop after the current step (its engine sees the abort signal); the journal stays resumable. */
  abort(): void {
    this.controller.abort();
  }

  /** True when this walk only rehearses (its resume command says --dry-run too). */
  get dryRun(): boolean {
    return this.o.dryRun;
  }

  /** True once abort() was called. */
  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** The audit log's path (once run() has started). */
  get logPath(): string | undefined {
    return this.started ? this.log.path : undefined;
  }

  private emit(e: RunnerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a screen's bug must never stop a rollout */
      }
    }
  }

  private save(): void {
    this.state.updatedAt = new Date(this.ctx.clock.now()).toISOString();
    writeJsonAtomic(runStatePath(this.ctx), this.state);
  }

  private freshState(): RunState {
    const steps = this.ctx.runbook.steps;
    const needsVersion = steps.some((s) => s.type === 'deploy');
    const version = this.o.version ?? this.ctx.target.default_version;
    if (needsVersion && !version) throw new UsageError(`Missing --version: ${this.ctx.runbook.file} has no default_version for ${this.ctx.env}.`);
    const now = new Date(this.ctx.clock.now()).toISOString();
    const log = AuditLog.open(this.ctx.ws.logsDir, 'run', this.ctx.env, { now: () => this.ctx.clock.now() });
    return {
      format: 'guarded-rollout-run/1',
      runId: log.runId,
      runbook: this.ctx.runbook.name,
      env: this.ctx.env,
      operator: this.ctx.operator,
      dryRun: this.o.dryRun,
      ...(needsVersion && version ? { version } : {}),
      logPath: log.path,
      startedAt: now,
      updatedAt: now,
      finished: false,
      deployConfirmed: this.o.yes,
      steps: steps.map((s) => ({ id: s.id, type: s.type, status: 'pending' as StepStatus })),
    };
  }

  private resumedState(): RunState {
    const s = readRunState(this.ctx);
    if (!s || s.finished) throw new UsageError(`Nothing to resume: no interrupted walk of ${this.ctx.runbook.name} on ${this.ctx.env} (${s ? 'the last one finished' : 'no journal'}).`);
    if (this.o.version && s.version && this.o.version !== s.version) throw new UsageError(`The interrupted walk deploys ${s.version}, not ${this.o.version}: resume without --version, or start a new walk.`);
    if (s.dryRun !== this.o.dryRun) throw new UsageError(`The interrupted walk was ${s.dryRun ? 'a dry-run' : 'live'}: resume it ${s.dryRun ? 'with' : 'without'} --dry-run.`);
    const ids = this.ctx.runbook.steps.map((x) => x.id).join(',');
    if (s.steps.map((x) => x.id).join(',') !== ids) throw new UsageError(`${this.ctx.runbook.file} changed since the walk was interrupted: start a new walk.`);
    // A step that was running when the walk stopped is run again; engines keep their own journals.
    for (const st of s.steps) {
      if (st.status === 'running') this.interrupted.add(st.id);
      if (st.status === 'running' || st.status === 'failed') st.status = 'pending';
    }
    s.deployConfirmed ||= this.o.yes;
    return s;
  }

  /** Walk every step; resolves with the exit code (never throws for operator-facing failures). */
  async run(): Promise<{ exitCode: number; status: 'ok' | 'failed' | 'refused' | 'interrupted'; message?: string; nextSteps?: string[] }> {
    if (this.started) throw new Error('RunbookRunner.run() called twice');
    this.started = true;
    this.state = this.o.resume ? this.resumedState() : this.freshState();
    this.log = AuditLog.open(this.ctx.ws.logsDir, 'run', this.ctx.env, { path: this.state.logPath, runId: this.state.runId, now: () => this.ctx.clock.now() });
    let lock: EnvLock | undefined;
    const steps = this.ctx.runbook.steps;
    try {
      // One walk per environment at a time; the engines take the environment's own lock per change.
      lock = await acquireEnvLock(this.ctx.ws.locksDir, `${this.ctx.env}-walk`, { operator: this.ctx.operator, command: this.o.command });
    } catch (e) {
      const h = readLockHolder(this.ctx.ws.locksDir, `${this.ctx.env}-walk`);
      const err =
        e instanceof RefusedError
          ? new RefusedError(`Another walk of ${this.ctx.env} is running${h ? `: ${h.operator} (pid ${h.pid} on ${h.host}, "${h.command}", since ${h.started_at})` : ''}.`, ['Wait for it to finish, or stop it; a walk whose process has died is taken over automatically.'])
          : e instanceof RolloutError
            ? e
            : new RefusedError(`Cannot take the walk lock of ${this.ctx.env}: ${String(e)}.`);
      this.emit({ type: 'walk-finished', status: 'refused', exitCode: err.exitCode, message: err.message, nextSteps: err.nextSteps });
      this.log.close();
      return { exitCode: err.exitCode, status: 'refused', message: err.message, nextSteps: err.nextSteps };
    }
    this.log.info(this.o.resume ? 'walk-resumed' : 'walk-started', {
      runbook: this.ctx.runbook.name,
      runbook_file: this.ctx.runbook.file,
      operator: this.ctx.operator,
      dry_run: this.o.dryRun,
      production: this.ctx.production,
      version: this.state.version,
      face: this.o.face,
      command: this.o.command,
      steps: steps.map((s) => `${s.id}:${s.type}`),
    });
    this.save();
    this.emit({ type: 'walk-started', runId: this.state.runId, logPath: this.state.logPath, env: this.ctx.env, runbook: this.ctx.runbook.name, dryRun: this.o.dryRun, production: this.ctx.production, ...(this.state.version ? { version: this.state.version } : {}), steps, statuses: this.state.steps.map((s) => s.status), summaries: this.state.steps.map((s) => (s.status === 'done' || s.status === 'skipped' ? `${s.summary ?? ''} (before the interruption)` : undefined)), resumed: Boolean(this.o.resume) });
    let result: { exitCode: number; status: 'ok' | 'failed' | 'refused' | 'interrupted'; message?: string; nextSteps?: string[] } = { exitCode: ExitCode.ok, status: 'ok' };
    try {
      for (let i = 0; i < steps.length; i++) {
        const st = this.state.steps[i]!;
        if (st.status === 'done' || st.status === 'skipped') continue;
        if (this.aborted) throw new Interrupted();
        const failed = await this.runStep(i, steps[i]!);
        if (failed) {
          result = failed;
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      const at = this.state.steps.find((s) => s.status === 'running' || s.status === 'pending');
      result = { exitCode: e.exitCode, status: 'interrupted', message: e.message || `The walk was interrupted${at ? ` at step "${at.id}"` : ''}; nothing more was started.`, nextSteps: [`Resume it: ${resumeCommand(this.ctx.runbook.name, this.ctx.env, this.o.dryRun)}`] };
    } finally {
      await lock.release();
    }
    // Only a walk that went through is finished; a failed or interrupted one can be resumed.
    this.state.finished = result.status === 'ok';
    this.state.result = result.status;
    this.save();
    if (result.status === 'ok') this.log.info('walk-finished', { result: 'ok' });
    else this.log.error('walk-finished', { result: result.status, exit_code: result.exitCode, message: result.message });
    this.log.close();
    this.emit({ type: 'walk-finished', status: result.status, exitCode: result.exitCode, ...(result.message ? { message: result.message } : {}), ...(result.nextSteps ? { nextSteps: result.nextSteps } : {}) });
    return result;
  }

  private io(index: number): StepIO {
    let last: { t: number; done: number } | undefined;
    let rate: number | undefined;
    return {
      signal: this.controller.signal,
      onLine: (line) => {
        const l = redactString(line);
        this.log.write('debug', 'output', { step: this.ctx.runbook.steps[index]!.id, line: l });
        this.emit({ type: 'output', index, line: l });
      },
      onProgress: (p) => {
        const t = this.ctx.clock.now();
        if (last && t > last.t && p.done >= last.done) {
          const inst = ((p.done - last.done) * 1000) / (t - last.t);
          rate = rate === undefined ? inst : rate * 0.6 + inst * 0.4;
        }
        last = { t, done: p.done };
        this.emit({ type: 'progress', index, progress: p, ...(rate !== undefined ? { bytesPerSecond: rate } : {}) });
      },
      onSubstep: (name, status, detail) => {
        this.log.info('substep', { step: this.ctx.runbook.steps[index]!.id, name, status, ...(detail ? { detail } : {}) });
        this.emit({ type: 'substep', index, name, status, ...(detail ? { detail } : {}) });
      },
    };
  }

  /** Run one step; returns a failure result to stop the walk, or undefined to go on. */
  private async runStep(index: number, step: RunbookStep): Promise<{ exitCode: number; status: 'failed' | 'refused'; message: string; nextSteps?: string[] } | undefined> {
    const st = this.state.steps[index]!;
    st.status = 'running';
    this.save();
    this.log.info('step-started', { step: step.id, type: step.type, index });
    this.emit({ type: 'step-started', index, step });
    let outcome: EngineOutcome;
    try {
      outcome = await this.execute(index, step);
    } catch (e) {
      if (e instanceof Interrupted) {
        throw e;
      }
      if (!(e instanceof RolloutError)) throw e;
      if (this.aborted) throw new Interrupted();
      if (step.optional && !(e instanceof RefusedError)) {
        st.status = 'skipped';
        st.summary = `optional step failed: ${e.message}`;
        this.save();
        this.log.warn('step-skipped', { step: step.id, reason: e.message });
        this.emit({ type: 'step-finished', index, status: 'skipped', outcome: { summary: st.summary } });
        return undefined;
      }
      return this.fail(index, step, e.message, e.nextSteps, e.exitCode, e instanceof RefusedError ? 'refused' : 'failed');
    }
    // An engine that stopped early because of the abort did not finish its step.
    if (this.aborted && outcome.failed) throw new Interrupted();
    if (outcome.failed) return this.fail(index, step, outcome.summary, [], ExitCode.failed, 'failed', outcome);
    st.status = 'done';
    st.summary = outcome.summary;
    if (outcome.backup) st.backup = outcome.backup;
    this.save();
    this.log.info('step-finished', { step: step.id, type: step.type, summary: outcome.summary, ...(outcome.backup ? { backup: outcome.backup.path, sha256: outcome.backup.sha256 } : {}), ...(outcome.smoke ? { smoke: outcome.smoke } : {}), ...(outcome.incidentId ? { incident: outcome.incidentId } : {}) });
    this.emit({ type: 'step-finished', index, status: 'done', outcome });
    return undefined;
  }

  private fail(index: number, step: RunbookStep, message: string, nextSteps: string[], exitCode: number, status: 'failed' | 'refused', outcome?: EngineOutcome): { exitCode: number; status: 'failed' | 'refused'; message: string; nextSteps: string[] } {
    const st = this.state.steps[index]!;
    st.status = 'failed';
    st.summary = message;
    this.save();
    this.log.error('step-failed', { step: step.id, type: step.type, message, next_steps: nextSteps, exit_code: exitCode, ...(outcome?.smoke ? { smoke: outcome.smoke } : {}) });
    this.emit({ type: 'step-failed', index, message, nextSteps, exitCode, ...(outcome ? { outcome } : {}) });
    return { exitCode, status, message: `Step "${step.id}" ${status === 'refused' ? 'was refused' : 'failed'}: ${message.replace(/\.$/, '')}.`, nextSteps };
  }

  /** The backup this walk relies on: the one taken or verified by an earlier step, else the newest. */
  private artifacts(): BackupInfo[] {
    const fromSteps = [...this.state.steps].reverse().find((s) => s.backup)?.backup;
    const b = fromSteps ?? this.o.engines.latestBackup(this.ctx);
    return b ? [b] : [];
  }

  private async execute(index: number, step: RunbookStep): Promise<EngineOutcome> {
    const { engines } = this.o;
    const ctx = this.ctx;
    const dryRun = this.o.dryRun;
    const io = this.io(index);
    switch (step.type) {
      case 'checklist':
        return this.checklist(index, step, io);
      case 'backup':
        return engines.createBackup(ctx, { dryRun, ...io });
      case 'verify-backup': {
        const prev = [...this.state.steps].reverse().find((s) => s.backup)?.backup;
        if (dryRun && !prev && !engines.latestBackup(ctx)) return { summary: `dry-run: no backup of ${ctx.env} yet, so there is nothing to verify (a live walk would stop here)` };
        return engines.verifyBackup(ctx, { ...(prev ? { path: prev.path } : {}), ...io });
      }
      case 'sign-off':
        return this.signOff(index, step);
      case 'migrate':
        return engines.migrate(ctx, { direction: step.direction, dryRun, ...io });
      case 'deploy': {
        if (ctx.production && !dryRun && !this.state.deployConfirmed) throw new RefusedError(`Deploying to ${ctx.env} needs a confirmation: pass --yes (headless) or type the environment's name at the sign-off.`);
        this.log.info('deploy-requested', { version: this.state.version, dry_run: dryRun });
        const resume = this.interrupted.has(step.id);
        if (resume) this.log.info('step-resume', { step: step.id, note: 'the walk stopped in this step: an interrupted deploy of this version is finished from its journal' });
        return engines.deploy(ctx, { version: this.state.version!, dryRun, ...(resume ? { resume: true } : {}), ...io });
      }
      case 'smoke': {
        const r = await engines.smoke(ctx, { tier: step.tier, phase: step.phase, dryRun, ...io });
        const bad = r.smoke?.filter((x) => !x.ok) ?? [];
        return bad.length && !dryRun ? { ...r, failed: true, summary: `${bad.length} smoke check${bad.length === 1 ? '' : 's'} failed: ${bad.map((x) => `${x.id} (${x.detail})`).join(', ')}` } : r;
      }
      case 'monitor': {
        const resume = this.interrupted.has(step.id);
        if (resume) this.log.info('step-resume', { step: step.id, note: 'the walk stopped in this step: the monitor window it began is resumed from its journal' });
        return engines.monitor(ctx, { dryRun, ...(this.state.version ? { version: this.state.version } : {}), ...(resume ? { resumeSince: Date.parse(this.state.startedAt) } : {}), onSession: (session) => this.emit({ type: 'session', index, session }), ...io });
      }
      case 'rollback': {
        if (ctx.production && !dryRun && !this.state.deployConfirmed) throw new RefusedError(`Rolling back ${ctx.env} needs a confirmation: pass --yes to rollout run (rollout rollback takes --force), or confirm on screen by typing the environment's name.`);
        // Restore exactly the backup an earlier step verified (the one the operator confirmed).
        const verified = [...this.state.steps].reverse().find((x) => x.backup?.verified)?.backup;
        return engines.rollback(ctx, { dryRun, reason: `runbook ${ctx.runbook.name} step ${step.id}`, ...(verified ? { backup: verified.path } : {}), onSession: (session) => this.emit({ type: 'session', index, session }), ...io });
      }
      case 'confirm': {
        const ok = await this.o.prompts.confirm({ index, step, prompt: step.prompt, env: ctx.env, production: ctx.production, artifacts: this.artifacts() });
        if (this.aborted) throw new Interrupted();
        this.log.info('confirmation', { step: step.id, prompt: step.prompt, confirmed: ok, operator: ctx.operator });
        if (!ok) throw new RefusedError(`Not confirmed: ${step.prompt.replace(/\?$/, '')}.`, [confirmHint(ctx.runbook.name, ctx.env, ctx.runbook.kind)]);
        this.state.deployConfirmed = true;
        return { summary: 'confirmed by the operator' };
      }
      case 'notify':
        return engines.notify(ctx, { type: step.notification, message: step.message, dryRun });
    }
  }

  private async checklist(index: number, step: Extract<RunbookStep, { type: 'checklist' }>, io: StepIO): Promise<EngineOutcome> {
    let confirmed = new Set<string>();
    for (;;) {
      const items = await checkAll(this.ctx, this.o.engines, step, confirmed, io);
      this.emit({ type: 'checklist', index, items });
      const answer = await this.o.prompts.checklist({ index, step, items });
      if (this.aborted) throw new Interrupted();
      if (answer.kind === 'abort') {
        // Stopping here is the operator's choice, not a failure: the walk stops (resumable) and says so.
        this.controller.abort();
        throw new Interrupted('The operator stopped the walk at the checklist; nothing was changed.', ExitCode.refused);
      }
      if (answer.kind === 'recheck') {
        if (answer.confirmed) confirmed = new Set(answer.confirmed);
        continue;
      }
      if (answer.kind === 'fix') {
        const item = items.find((x) => x.id === answer.item);
        if (item && (item.check === 'backup-present' || item.check === 'backup-verified')) {
          this.log.info('checklist-fix', { item: item.id, action: 'backup', operator: this.ctx.operator });
          io.onSubstep('create a backup now', 'running');
          try {
            const r = await this.o.engines.createBackup(this.ctx, { dryRun: false, ...io });
            io.onSubstep('create a backup now', 'ok', r.summary);
          } catch (e) {
            io.onSubstep('create a backup now', 'failed', e instanceof Error ? e.message : String(e));
            if (!(e instanceof RolloutError)) throw e;
          }
        }
        continue;
      }
      confirmed = new Set(answer.confirmed);
      const final = items.map((x) => (x.manual ? { ...x, ok: confirmed.has(x.id), found: confirmed.has(x.id) ? 'confirmed by the operator' : x.found } : x));
      this.log.info('checklist', { step: step.id, operator: this.ctx.operator, items: final.map((x) => ({ id: x.id, ok: x.ok, required: x.required, manual: x.manual, found: x.found })) });
      const blocking = final.filter((x) => !x.manual && x.required && !x.ok);
      if (blocking.length) {
        throw new StepFailedError(`required artifacts missing: ${blocking.map((x) => `${x.id} (${x.found})`).join('; ')}`, blocking.map((x) => x.fix).filter((f): f is string => Boolean(f)));
      }
      const unconfirmed = final.filter((x) => x.manual && !x.ok);
      if (unconfirmed.length) {
        if (this.ctx.production) {
          throw new RefusedError(`${this.ctx.env} needs every manual checklist item confirmed; not confirmed: ${unconfirmed.map((x) => x.id).join(', ')}`, [`Confirm them: --confirm ${unconfirmed.map((x) => x.id).join(' ')} (or --confirm all) once they are true.`]);
        }
        this.log.warn('checklist-unconfirmed', { items: unconfirmed.map((x) => x.id) });
      }
      const okCount = final.filter((x) => x.ok).length;
      return { summary: `${okCount}/${final.length} items ok${unconfirmed.length ? `; not confirmed: ${unconfirmed.map((x) => x.id).join(', ')}` : ''}` };
    }
  }

  private async signOff(index: number, step: Extract<RunbookStep, { type: 'sign-off' }>): Promise<EngineOutcome> {
    const ctx = this.ctx;
    const artifacts = this.artifacts();
    const answer = await this.o.prompts.signOff({ index, step, env: ctx.env, production: ctx.production, artifacts });
    if (this.aborted) throw new Interrupted();
    if (!answer || !answer.name.trim()) {
      throw new RefusedError(`${ctx.env} needs a deploy operator's sign-off before it changes.`, ['Sign off headless with --sign-off NAME, or type your name on screen.']);
    }
    const envConfirmed = answer.typedEnv === ctx.env;
    if (ctx.production && this.o.face === 'tui' && !envConfirmed) throw new RefusedError(`The sign-off for ${ctx.env} needs the environment's name typed exactly ("${ctx.env}").`);
    if (envConfirmed) this.state.deployConfirmed = true;
    this.log.info('sign-off', {
      step: step.id,
      name: answer.name.trim(),
      operator: ctx.operator,
      roles: step.roles ?? [],
      env_name_typed: envConfirmed,
      version: this.state.version,
      artifacts: artifacts.map((a) => ({ kind: 'backup', path: a.path, sha256: a.sha256, bytes: a.bytes, verified: a.verified })),
    });
    try {
      await this.o.engines.notify(ctx, { type: 'sign-off', message: `${answer.name.trim()} signed off the rollout of ${this.state.version ?? ctx.runbook.name} to ${ctx.env}.`, dryRun: this.o.dryRun });
    } catch (e) {
      // A notification that fails never blocks a sign-off; the log says so.
      this.log.warn('sign-off-notify-failed', { error: e instanceof Error ? e.message : String(e) });
    }
    return { summary: `signed off by ${answer.name.trim()}${artifacts[0] ? ` (backup sha256 ${artifacts[0].sha256.slice(0, 12)}…)` : ''}` };
  }
}
