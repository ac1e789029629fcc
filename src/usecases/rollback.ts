// The rollback (SPEC.md "Auto-rollback flow"): notify -> verify the backup -> archive the current
// state -> restore (stage beside the target, check, swap atomically) -> bring the backup's version
// back (restart, or a command target's rollback command) -> the running version read from the
// target -> 3 consecutive OK health checks -> post-rollback smoke -> incident -> notify. One
// function for the CLI, the TUI, runbook steps and the monitor (auto-rollback, key, resume).
// Here: the lock, settling an interrupted rollback, the no-op check, then the stage list of
// ./rollback/stages.ts walked for real (run) or for --dry-run (plan).
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AuditLog } from '../audit/logger.js';
import { redactString } from '../audit/redact.js';
import { interruptedRollback, clearJournal } from '../backup/journal.js';
import { limitsFor } from '../backup/limits.js';
import { contextScope } from '../backup/scope.js';
import { withEnvLockReentrant } from '../backup/lock.js';
import { resolveBackupArg, wsRelative } from '../backup/names.js';
import { cleanupSwaps, leftOverNote, recoverRollback, sweepTempArchives, type Recovery } from '../backup/restore.js';
import { fileIdentity, newestVerifiedBackup, verifyBackup, type VerifyResult } from '../backup/verify.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';
import { ExitCode, RefusedError, RolloutError, StepFailedError, type ExitCode as ExitCodeT } from '../domain/errors.js';
import { fileStamp } from '../domain/time.js';
import { newVerifyResult, rollbackFailedSentence } from './rollback-verify.js';
import { createNotifier, sendAlongside, summarizeDelivery } from '../notify/index.js';
import type { Notification } from '../notify/types.js';
import { checkHealth, type TimedHealthCheck } from '../probes/health.js';
import { makeTarget } from '../targets/make-target.js';
import { describeInstance } from '../targets/contract.js';
import type { EngineContext } from '../config/engine-context.js';
import { planStages, runStages, type PlannedStage } from './stages.js';
import { copyIfExists, STAGES, type RollbackPlan, type RollbackRun } from './rollback/stages.js';
import { ROLLBACK_STAGES, type RollbackOptions, type RollbackOutcome, type RollbackStage, type RollbackStageName } from './rollback/types.js';

export { ROLLBACK_STAGES, type RollbackOptions, type RollbackOutcome, type RollbackReason, type RollbackStage, type RollbackStageName } from './rollback/types.js';

/** Roll the environment back to a verified backup. Throws RefusedError (exit 3) when refused before anything changed. */
export async function rollback(ctx: EngineContext, opts: RollbackOptions): Promise<RollbackOutcome> {
  if (opts.dryRun) return planRollback(ctx, opts);
  if (ctx.production && !opts.force) {
    throw new RefusedError(`Rolling back ${ctx.env} needs confirmation: pass --force (or confirm in a terminal).`, [`rollout rollback --env ${ctx.env} --force`]);
  }
  // Safety, kept: the environment lock, so that no deploy, backup or other rollback changes the
  // environment while this one reads, swaps and restarts it.
  return withEnvLockReentrant(ctx.ws, ctx.env, { operator: ctx.operator, command: opts.command ?? `rollout rollback --env ${ctx.env}` }, () => runLocked(ctx, opts));
}

function errMsg(e: unknown): string {
  return redactString(e instanceof Error ? e.message : String(e));
}

async function runLocked(ctx: EngineContext, opts: RollbackOptions): Promise<RollbackOutcome> {
  const started = ctx.clock.now();
  const ws = ctx.ws;
  const log = AuditLog.open(ws.logsDir, 'rollback', ctx.env, { now: () => ctx.clock.now() });
  const logFile = wsRelative(ws, log.path);
  const stages: RollbackStage[] = [];
  const target = opts.target ?? makeTarget(ctx);
  const stage = (name: RollbackStageName, status: RollbackStage['status'], detail: string): void => {
    const s: RollbackStage = { name, status, detail: redactString(detail), at: ctx.clock.now() };
    const i = stages.findIndex((x) => x.name === name);
    if (i >= 0) stages[i] = s;
    else stages.push(s);
    log.write(status === 'failed' ? 'error' : 'info', `rollback.stage`, { stage: name, status, detail: s.detail });
    opts.onStage?.(s);
  };
  const limits = limitsFor(ctx);
  // One verification per run: the no-op check below and the verify stage share it (a second full
  // pass read and hashed the whole backup again: seconds for a large one). Shared only while the
  // archive is the very file that was verified (same inode, size, mtime and ctime): a file replaced
  // or rewritten since is verified afresh. The restore then checks every entry against the manifest
  // inside the archive and refuses one whose roots differ from the verified ones, as it always has.
  // The backups skipped on the way are logged where the result is used (after rollback.start).
  const verifyAfresh = async (arg: string | undefined): Promise<{ result: VerifyResult; skipped: { file: string; reason: string }[] }> => {
    if (arg) return { result: await verifyBackup(resolveBackupArg(ws, arg), { ws, limits, expectEnv: ctx.env, scope: contextScope(ctx) }), skipped: [] };
    const r = await newestVerifiedBackup(ws, ctx.env, limits, contextScope(ctx));
    return { result: r.result, skipped: r.skipped };
  };
  const identity = (path: string): string | undefined => {
    try {
      return fileIdentity(statSync(path));
    } catch {
      return undefined;
    }
  };
  type Verified = { result: VerifyResult; id: string | undefined; skipped: { file: string; reason: string }[] };
  // The identity is the one the picked archive had when its verification began (verifyBackup
  // stats it before reading it), kept only while it still has it when the verification ends.
  // Taken at the end alone, it named whatever file was put there meanwhile: the early
  // verification runs beside the stages that follow, and a backup replaced while it ran was then
  // taken as verified (its stage said ok with the old file's SHA-256). Only the picked backup is
  // stat'ed: pinning every backup of the environment up front grew with the number kept.
  const verifyNow = async (arg: string | undefined): Promise<Verified> => {
    const v = await verifyAfresh(arg);
    const id = v.result.identity;
    return { ...v, id: id !== undefined && identity(v.result.path) === id ? id : undefined };
  };
  // Started now, beside the read of what runs and the settling of an interrupted run: verify only
  // reads the backups (under the lock already); the no-op check or else the verify stage takes its
  // result (or its failure, as if it had verified then). Not for a resume (its backup may come from
  // the interrupted run's journal) nor --again (no no-op check: verify stays after rollback-start).
  let early: Promise<Verified> | undefined = !opts.again && !opts.resume ? verifyNow(opts.backup) : undefined;
  early?.catch(() => undefined);
  // What runs before anything changes, read from the target itself (never from our own records).
  let before = await target.running().catch(() => undefined);
  const outcome: RollbackOutcome = {
    ok: false,
    dryRun: false,
    exitCode: ExitCode.failed,
    backup: null,
    version: null,
    previousVersion: before?.version ?? (await target.currentVersion().catch(() => undefined)) ?? null,
    runningVersion: before?.version ?? null,
    incidentId: null,
    stages,
    healthChecks: [],
    smoke: null,
    preRollback: null,
    logFile,
    durationMs: 0,
  };
  log.info('rollback.start', { operator: ctx.operator, backup_arg: opts.backup ?? null, reason: opts.reason ?? null, current_version: outcome.previousVersion, running: before ?? null, again: Boolean(opts.again), resume: opts.resume ? true : undefined });

  // A rollback killed earlier is settled first (its journal says how far it got).
  const pending = interruptedRollback(ws, ctx.env);
  let recovery: Recovery | undefined;
  if (pending) {
    recovery = recoverRollback(ws, pending);
    outcome.recovered = recovery.message;
    log.warn('rollback.recovered', { phase: recovery.phase, backup: recovery.backup, message: recovery.message });
    before = await target.running().catch(() => undefined);
    outcome.previousVersion = before?.version ?? (await target.currentVersion().catch(() => undefined)) ?? null;
  }
  // Temp archives of killed rollbacks that no journal names (killed before it was written, or by
  // an older version): this run holds the lock, so they are nobody's.
  const swept = sweepTempArchives(ws, ctx.env);
  if (swept.length > 0) {
    const mb = (b: number): string => `${(b / 1024 ** 2).toFixed(1)} MB`;
    const note = `Removed ${swept.length} temporary archive${swept.length === 1 ? '' : 's'} left by an interrupted rollback: ${swept.map((x) => `${wsRelative(ws, x.path)} (${mb(x.bytes)})`).join(', ')}.`;
    outcome.recovered = outcome.recovered ? `${outcome.recovered} ${note}` : note;
    log.warn('rollback.temp_removed', { files: swept.map((x) => ({ file: wsRelative(ws, x.path), bytes: x.bytes })) });
  }
  // A resumed auto-rollback brings back what it set out to bring back.
  const backupArg = opts.backup ?? (opts.resume && pending ? pending.backup : undefined);
  const need = Math.max(1, ctx.gates.monitoring.healthOkRequired || 3);
  const t = ctx.target.target;
  // The runbook's health timeout for every target kind (a command target's was ignored: a fixed 30 s).
  const timeoutMs = opts.healthTimeoutMs ?? t.health_timeout_ms;
  // Safety, kept: checks 250 ms apart, `need` (3) in a row, so a service that answers once and
  // then falls over is not called healthy.
  const intervalMs = opts.healthIntervalMs ?? 250;
  let shared: Verified | undefined;
  const findBackup = async (): Promise<VerifyResult> => {
    const e = early;
    early = undefined;
    const take = (v: Verified): Verified => {
      for (const s of v.skipped) log.warn('rollback.backup_skipped', { backup: s.file, reason: s.reason });
      return v;
    };
    // (early was started for opts.backup, which is backupArg whenever early exists: no resume)
    if (e) shared = take(await e);
    if (shared?.id === undefined || identity(shared.result.path) !== shared.id) shared = take(await verifyNow(backupArg));
    return shared.result;
  };

  // Asked again while the target already runs the backup's version and passes its health checks
  // (a manual rollback right after the auto-rollback): nothing to do, unless --again.
  if (!opts.again && !opts.resume && !pending && before) {
    const early = await findBackup().catch(() => undefined);
    if (early && early.manifest.version === before.version) {
      // Healthy means every one of `need` checks in a row passes now: one failure (a hung process) is enough to heal.
      const checks: TimedHealthCheck[] = [];
      for (let i = 0; i < need; i++) {
        if (i > 0) await ctx.clock.sleep(Math.min(intervalMs, 250));
        const c = await checkHealth(ctx.target.health);
        checks.push({ ...c, at: ctx.clock.now() });
        if (!c.ok) break;
      }
      const healthy = checks.length === need && checks.every((c) => c.ok);
      log.info('rollback.noop_check', { running: before, backup: early.file, healthy, checks: checks.map((c) => c.detail) });
      if (healthy) {
        outcome.ok = true;
        outcome.noop = true;
        outcome.exitCode = ExitCode.ok;
        outcome.backup = early.file;
        outcome.version = early.manifest.version;
        outcome.healthChecks = checks;
        outcome.message = `${ctx.env} already runs ${before.version} from ${early.file} and is healthy; nothing to do (use --again to restore and restart anyway).`;
        stage('verify', 'ok', `${early.file} verified (version ${early.manifest.version ?? 'unknown'})`);
        for (const n of ROLLBACK_STAGES) if (n !== 'verify') stage(n, 'skipped', `nothing to do: ${describeInstance(before)} runs and is healthy`);
        outcome.durationMs = ctx.clock.now() - started;
        log.info('rollback.done', { ok: true, noop: true, backup: early.file, version: before.version, duration_ms: outcome.durationMs, exit_code: 0 });
        log.close();
        return outcome;
      }
    }
  }

  const notifier = opts.notifier ?? createNotifier({ ws, env: ctx.env, settings: ctx.gates.notifications, log, clock: ctx.clock });
  const waitMs = ctx.gates.notifications.rollbackWaitMs;
  const pendingSends: Promise<unknown>[] = [];
  const notified: NonNullable<RollbackOutcome['notified']> = [];
  outcome.notified = notified;
  const notify = async (st: 'notify' | 'notify-done', n: Omit<Notification, 'env' | 'operator'>): Promise<string> => {
    const r = await sendAlongside(notifier, { ...n, env: ctx.env, operator: ctx.operator }, waitMs, ctx.clock);
    pendingSends.push(r.done);
    if (r.pending) {
      notified.push({ stage: st, channels: [], nobody: false, pending: true });
      return `sending (still running after ${waitMs} ms; the outcome is logged)`;
    }
    // The fallback file is a record, not a person: with no channel it reads NOBODY NOTIFIED.
    const d = summarizeDelivery(r.report!);
    notified.push({ stage: st, channels: d.channels, nobody: d.nobody, pending: false });
    return d.line;
  };
  const r: RollbackRun = {
    ctx,
    opts,
    target,
    log,
    logFile,
    started,
    outcome,
    before,
    hadPending: pending !== undefined,
    backupArg,
    need,
    intervalMs,
    timeoutMs,
    limits,
    journalId: `${fileStamp(ctx.clock.now())}-${randomBytes(3).toString('hex')}`,
    findBackup,
    notify,
    stage,
  };
  // The stages in order (src/usecases/rollback/stages.ts): the first failure stops the run, then
  // the journal is settled and the settling stages (incident, notify-done) run whatever happened.
  let failure: RolloutError | undefined;
  await runStages(STAGES, r, {
    settle: () => settle(r),
    skipped: (name, why) => stage(name, 'skipped', why),
    failed: (name, e) => {
      failure = e instanceof RolloutError ? e : new StepFailedError(`Rollback of ${ctx.env} failed: ${errMsg(e).replace(/\.$/, '')}.`);
      outcome.error = redactString(failure.message);
      outcome.exitCode = failure.exitCode;
      // The stage that threw; rollback-start may still be running beside it (it is not what failed).
      const running = stages.find((s) => s.name === name && s.status === 'running') ?? stages.find((s) => s.status === 'running' && s.name !== 'notify');
      if (running) stage(running.name, 'failed', failure.message);
      log.error('rollback.failed', { error: failure.message, exit_code: failure.exitCode });
    },
    ran: (name) => {
      // Verified to the end: the settling stages that follow report, they do not decide.
      if (name === 'smoke') {
        outcome.ok = true;
        outcome.exitCode = ExitCode.ok;
      }
    },
  });

  outcome.durationMs = ctx.clock.now() - started;
  log.write(outcome.ok ? 'info' : 'error', 'rollback.done', { ok: outcome.ok, backup: outcome.backup, version: outcome.version, running_version: outcome.runningVersion, previous_version: outcome.previousVersion, incident: outcome.incidentId, pre_rollback: outcome.preRollback, duration_ms: outcome.durationMs, exit_code: outcome.exitCode });
  log.close();
  // The incident keeps the final log (copied again now that the last events are written).
  if (r.incidentDir) copyIfExists(log.path, join(r.incidentDir, 'logs', basename(log.path)));
  // Sends still running are allowed to finish before the process ends, never to delay the rollback.
  void Promise.allSettled(pendingSends);
  if (failure && failure.exitCode === ExitCode.refused) throw failure;
  return outcome;
}

/**
 * After the changing stages: settle the rollback journal (nothing changed: clean up; restored: keep
 * nothing but the result; a swap that failed half-way keeps it, for the next run to finish), and
 * a changed environment that did not verify is said loudly, read from the target.
 */
async function settle(r: RollbackRun): Promise<void> {
  const { journal, outcome } = r;
  await r.asidesRemoved;
  if (journal && journal.phase !== 'swapping') {
    // What will not go (an immutable file, a busy mount) is named, not thrown: the rollback itself is done.
    const { left } = cleanupSwaps(journal);
    if (left.length > 0) {
      r.log.warn('rollback.left_over', { left });
      const note = `The rollback ${leftOverNote(r.ctx.ws, left)}`;
      outcome.recovered = outcome.recovered ? `${outcome.recovered} ${note}` : note;
    }
    clearJournal(r.ctx.ws, r.ctx.env);
  }
  r.changed = journal !== undefined && journal.phase !== 'verified' && journal.phase !== 'archived' && journal.phase !== 'staged';
  if (r.changed && !outcome.ok) {
    // Said loudly and read from the target: what runs after a rollback that did not verify.
    if (!r.check?.running) r.check = { ...(r.check ?? newVerifyResult()), running: await r.target.running().catch(() => undefined) };
    outcome.runningVersion = r.check.running?.version ?? null;
    if (!outcome.error?.startsWith('ROLLBACK FAILED')) outcome.error = rollbackFailedSentence(r.ctx.env, r.check.running, outcome.version, outcome.error ?? 'the rollback failed');
    outcome.failed = true;
  }
}

/** The rollback's stages as a plan (read only), from the list the real run walks: for a dry run, and for training's debrief. */
export function planRollbackStages(p: RollbackPlan): Promise<PlannedStage<RollbackStageName>[]> {
  return planStages(STAGES, p);
}

/** --dry-run: verify, plan every stage from the same list the real run walks, write rollback-dryrun.log; change nothing. */
async function planRollback(ctx: EngineContext, opts: RollbackOptions): Promise<RollbackOutcome> {
  const started = ctx.clock.now();
  const ws = ctx.ws;
  const target = opts.target ?? makeTarget(ctx);
  const current = (await target.currentVersion().catch(() => undefined)) ?? null;
  const pending = interruptedRollback(ws, ctx.env);
  let verified: VerifyResult | undefined;
  let error: string | undefined;
  let exitCode: ExitCodeT = ExitCode.ok;
  try {
    const limits = limitsFor(ctx);
    if (opts.backup) verified = await verifyBackup(resolveBackupArg(ws, opts.backup), { ws, limits, expectEnv: ctx.env, scope: contextScope(ctx) });
    else verified = (await newestVerifiedBackup(ws, ctx.env, limits, contextScope(ctx))).result;
  } catch (e) {
    error = errMsg(e);
    exitCode = e instanceof RolloutError ? e.exitCode : ExitCode.failed;
  }
  const p: RollbackPlan = { ctx, target, ...(verified ? { verified } : {}), ...(error ? { verifyError: error } : {}) };
  const stages: RollbackStage[] = [];
  for (const planned of await planRollbackStages(p)) {
    const s: RollbackStage = { name: planned.name, status: planned.status, detail: redactString(planned.detail), at: ctx.clock.now() };
    stages.push(s);
    opts.onStage?.(s);
  }
  const lines = [
    `rollout rollback --env ${ctx.env} --dry-run`,
    `at ${new Date(started).toISOString()} by ${ctx.operator}; deployed now: ${current ?? 'nothing'}; would restore: ${verified ? `${verified.file} (version ${verified.manifest.version ?? 'unknown'})` : 'no backup (see verify)'}`,
    ...(ctx.production && !opts.force ? ['production: the real rollback needs --force (or a typed confirmation in a terminal)'] : []),
    ...(pending ? [`an earlier rollback was interrupted at "${pending.phase}"; the real run settles it first`] : []),
    ...stages.map((s, i) => `${String(i + 1).padStart(2)}. ${s.name.padEnd(12)} ${s.status === 'planned' ? '' : `[${s.status}] `}${s.detail}`),
    'nothing was changed (dry run)',
  ];
  writeFileAtomic(join(ws.root, 'rollback-dryrun.log'), `${lines.map((l) => redactString(l)).join('\n')}\n`);
  return {
    ok: error === undefined,
    dryRun: true,
    exitCode,
    backup: verified?.file ?? null,
    version: verified?.manifest.version ?? null,
    previousVersion: current,
    runningVersion: null,
    incidentId: null,
    stages,
    healthChecks: [],
    smoke: null,
    preRollback: null,
    logFile: null,
    dryRunLog: 'rollback-dryrun.log',
    ...(error ? { error } : {}),
    durationMs: ctx.clock.now() - started,
  };
}
